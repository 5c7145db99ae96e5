"""The README's measured tables are the committed records, rendered (``bench/readme.py``):
the benchmark records (cycles, memory) and the synthesis records (area, Fmax; the same ones
``synth/report.md`` renders)."""

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
    assert record == readme.source(name)
    assert body == readme.render(name), (
        f"README table {name} differs from {record}: run `python bench/readme.py --write` "
        "after `make bench` or `make synth`, or re-measure")


def test_each_table_appears_once():
    names = [m["name"] for m in readme._MARK.finditer(TEXT)]
    assert len(names) == len(set(names)), names
    records = {p.stem for p in readme.RECORDS.glob("*.json")}
    # Every committed record feeds at least one README table or is cited by the README (the
    # Haar and requantizer records: simulated rates and memory, their area is synthesis's),
    # and each table of a committed record is in the README.
    used = {readme.TABLES[n][0] for n in names}
    cited = {r for r in records if f"bench/records/{r}.json" in TEXT}
    assert records <= used | cited, records - used - cited
    for name, (record, _) in readme.TABLES.items():
        if record in records or record == readme.SYNTH:
            assert name in names, f"table {name} of {readme.source(name)} is not in the README"


def test_area_tables_read_the_synthesis_records():
    # The README's area figures are the records synth/report.md shows, nothing else.
    area = [n for n, (record, _) in readme.TABLES.items() if record == readme.SYNTH]
    assert set(area) == {"haar-area", "topk-area", "systolic-area", "requant-area", "layer-area"}
    for path in readme.RECORDS.glob("*.json"):
        text = path.read_text()
        assert "fmax_mhz" not in text and '"luts"' not in text, path.name


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
