"""The README's measured tables are the committed records, rendered (``bench/readme.py``)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bench_readme", ROOT / "bench" / "readme.py")
readme = importlib.util.module_from_spec(spec)
spec.loader.exec_module(readme)

TEXT = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(readme.tables_in(TEXT)))
def test_readme_table_is_its_record(name):
    record, body = readme.tables_in(TEXT)[name]
    assert (ROOT / record).exists(), record
    assert record == f"bench/records/{readme.TABLES[name][0]}.json"
    assert body == readme.render(name), (
        f"README table {name} differs from {record}: run `python bench/readme.py --write` "
        "after `make bench`, or re-measure")


def test_each_table_appears_once():
    names = [m["name"] for m in readme._MARK.finditer(TEXT)]
    assert len(names) == len(set(names)), names
    records = {p.stem for p in readme.RECORDS.glob("*.json")}
    # Every committed record feeds at least one README table, and each table of a committed
    # record is in the README.
    used = {readme.TABLES[n][0] for n in names}
    assert records <= used, records - used
    for name, (record, _) in readme.TABLES.items():
        if record in records:
            assert name in names, f"table {name} of {record}.json is not in the README"


def test_rendering_reads_the_record(tmp_path, monkeypatch):
    # A changed figure in the record changes the README's table: the test above can fail.
    for path in readme.RECORDS.glob("*.json"):
        (tmp_path / path.name).write_text(path.read_text())
    rows = json.loads((readme.RECORDS / "layer.json").read_text())
    rows[0]["cycles_per_frame"] += 1
    (tmp_path / "layer.json").write_text(json.dumps(rows))
    monkeypatch.setattr(readme, "RECORDS", tmp_path)
    old = readme.tables_in(TEXT)["layer-cycles"][1]
    new = readme.render("layer-cycles")
    assert new != old
    assert f"| {rows[0]['cycles_per_frame']} |" in new.splitlines()[2]
    assert readme.tables_in(readme.rewrite(TEXT))["layer-cycles"][1] == new
