"""The Haar units: forward (raster pixels to block-local coefficients) and inverse.

``forward.py`` (:class:`HaarForward`) is built of ``front.py`` (framing and padding) and one
``stage.py`` per level; ``inverse.py`` (:class:`HaarInverse`) is one component;
``lane_split.py`` builds either as independent copies on lane slices.
"""

from .forward import HaarForward
from .inverse import HaarInverse
from .lane_split import LaneSplit, split_forward, split_inverse

__all__ = ["HaarForward", "HaarInverse", "LaneSplit", "split_forward", "split_inverse"]
