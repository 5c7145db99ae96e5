"""The joint top-k selector: :class:`TopK` (``selector.py``) and its parts, the sum of squares
(``score.py``), the running scores of a group-major frame (``score_mem.py``), the score code
(``code.py``), the code histogram with its threshold scan (``hist.py``) and the emission pass
(``emit.py``)."""

from .selector import TopK

__all__ = ["TopK"]
