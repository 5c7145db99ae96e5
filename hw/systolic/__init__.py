"""The int8 systolic 1x1 array: :class:`SystolicArray` (``array.py``: controller and output
FIFO), its grid of PEs (``grid.py``), one PE and its multiplier (``pe.py``), and the
array's cycle model (``model.py``, Python, not hardware)."""

from .array import SystolicArray

__all__ = ["SystolicArray"]
