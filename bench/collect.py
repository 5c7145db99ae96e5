"""Gather the benchmarks' results: build/bench/*.json and *.md -> build/bench/summary.md.

Each ``bench/bench_<block>.py`` writes ``build/bench/<block>.json`` and a Markdown table
``build/bench/<block>.md``; this script puts the tables on one page (the README copies them).
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "build" / "bench"


def main() -> int:
    parts = ["# Benchmarks\n"]
    for js in sorted(OUT.glob("*.json")):
        md = js.with_suffix(".md")
        parts.append(f"## {js.stem}\n")
        if md.exists():
            parts.append(md.read_text())
            continue
        # A bench writes one record or a list of records (one per configuration).
        rec = json.loads(js.read_text())
        rec = rec[0] if isinstance(rec, list) and rec else rec
        keys = ", ".join(sorted(rec)) if isinstance(rec, dict) else type(rec).__name__
        parts.append(f"(keys: {keys})\n")
    (OUT / "summary.md").write_text("\n".join(parts))
    print(f"wrote {OUT / 'summary.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
