"""The integrated WCC layer (``layer.py``: :class:`WccLayer`) and the pieces only it uses:
the frame sequencer (``sequencer.py``, ``config.py``), the kept-column buffer
(``colbuf.py``), the zero-fill (``zerofill.py``), the output stage (``output.py``), and the
host's side of its stream formats (``protocol.py``)."""

from .config import CONFIG_LAYOUT, ErrorCode
from .layer import WccLayer

__all__ = ["CONFIG_LAYOUT", "ErrorCode", "WccLayer"]
