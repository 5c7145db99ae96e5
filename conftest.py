"""pytest set-up shared by tests/ and sim/.

Test files are imported with ``--import-mode=importlib`` (so that ``tests/test_haar.py`` and
``sim/test_haar.py`` can share a base name); their helper modules are found through the paths
added here.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
for sub in ("sim", "tests"):
    path = str(ROOT / sub)
    if path not in sys.path:
        sys.path.insert(0, path)
