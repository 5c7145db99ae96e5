"""The package layering: the spec imports nothing above it, and no block imports another.

``golden/`` (the spec) may import only itself; ``hw/<block>/`` (and ``hw/requant.py``) may
import ``golden/``, ``hw/lib/`` and its own block; ``hw/lib/`` imports nothing of ``hw/``
outside itself; ``hw/layer/`` (the integrated layer) composes the blocks and may import any.
Checked on the import statements of every module (parsed, not run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("golden", "hw", "wcc", "verif", "synth", "sim", "bench", "tests")


def imports(path: Path) -> list[str]:
    """Absolute names of the project modules ``path`` imports (relative imports resolved)."""
    rel = path.relative_to(ROOT).with_suffix("")
    package = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append(name)
        elif isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
    return [n for n in out if n.split(".")[0] in PROJECT]


def block_of(module: str) -> str | None:
    """``hw.haar.forward`` -> ``haar``; ``hw.requant`` -> ``requant``; ``hw.lib.x`` -> ``lib``."""
    parts = module.split(".")
    return parts[1] if parts[0] == "hw" and len(parts) > 1 else None


def modules(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", modules("golden"), ids=lambda p: str(p.relative_to(ROOT)))
def test_golden_imports_only_golden(path):
    bad = [m for m in imports(path) if not m.startswith("golden")]
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


@pytest.mark.parametrize("path", modules("hw"), ids=lambda p: str(p.relative_to(ROOT)))
def test_hw_blocks_import_only_lib_and_themselves(path):
    rel = path.relative_to(ROOT)
    own = block_of(".".join(rel.with_suffix("").parts))
    for m in imports(path):
        assert m.split(".")[0] in ("golden", "hw"), f"{rel} imports {m} (above the RTL)"
        other = block_of(m)
        if m == "hw" or other is None:
            continue
        if own == "layer":
            continue
        if own == "lib":
            assert other == "lib", f"{rel}: hw/lib/ imports the block module {m}"
        elif own is not None:
            assert other in ("lib", own), f"{rel}: block {own} imports block module {m}"


def test_checker_sees_relative_imports():
    """The parser resolves ``from ..lib.fifo import X`` inside ``hw/haar/`` to ``hw.lib.fifo``."""
    got = imports(ROOT / "hw" / "haar" / "forward.py")
    assert "hw.lib.fifo" in got and "hw.haar.front" in got
