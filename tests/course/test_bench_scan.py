"""benchmarks/bench_scan.py: the timing table chapter 07 prints is the script's output, not typed in."""
import importlib.util
import json
from pathlib import Path

import pytest

from lstmkit import scan

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_scan.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_scan", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_record(record, bench):
    assert record["T"] == bench.TS
    assert record["rounds"] == {"loop": bench.TS, "hillis_steele": [scan.rounds(T) for T in bench.TS]}
    assert [(s["N"], s["H"]) for s in record["shapes"]] == bench.SHAPES
    for shape in record["shapes"]:
        assert sorted(shape["seconds"]) == sorted(bench.FORMS)
        for form, seconds in shape["seconds"].items():
            assert len(seconds) == len(bench.TS) and all(s >= 0 for s in seconds), form


def test_the_stored_timings_have_the_scripts_lengths_shapes_and_forms(bench):
    stored = json.loads(bench.OUT.read_text())
    assert bench.OUT.parent.parent.name == "data" and bench.OUT.name == "scan_timing.json"
    check_record(stored, bench)
    assert stored["repeats"] >= 5


def test_a_short_run_writes_a_record_of_the_same_form(bench, tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "TS", [10, 30])
    monkeypatch.setattr(bench, "SHAPES", [(2, 3), (1, 1)])
    out = tmp_path / "timing.json"
    bench.main(["--repeats", "1", "--out", str(out)])
    check_record(json.loads(out.read_text()), bench)
