"""``repcap sweep --cluster`` and ``repcap survey``: the same records and rows as the serial commands;
without Dask installed, one error line that names the extra."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT
from repcap.cli import main
from repcap.packing.sweeps import load_results
from repcap.studies.survey import measure_model

SAME = ("kind", "k", "d", "eps", "seed", "settings", "history")


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_sweep_on_local_cluster_writes_the_serial_records(tmp_path, capsys):
    pytest.importorskip("distributed")
    args = ["sweep", "--kind", "optimised", "--grid", "smoke", "--steps", "60", "--seed", "2",
            "--device", "cpu", "--json"]
    assert main(args + ["--results", str(tmp_path / "serial.jsonl")]) == 0
    serial = _json(capsys)
    assert main(args + ["--results", str(tmp_path / "cluster.jsonl"), "--cluster", "local:2"]) == 0
    cluster = _json(capsys)
    assert cluster["eps"] == serial["eps"] and cluster["failed"] == 0 and cluster["cells"] == 4
    by_cell = {(r["k"], r["d"]): [r.get(key) for key in SAME] for r in load_results(tmp_path / "serial.jsonl")}
    stored = load_results(tmp_path / "cluster.jsonl")
    assert {(r["k"], r["d"]): [r.get(key) for key in SAME] for r in stored} == by_cell
    assert len(stored) == 4


def test_survey_serial_and_on_a_local_cluster(capsys):
    expected = measure_model("glove-6B-50d")
    # one model failed: measured all the same, the failure on stderr, exit status 1
    assert main(["survey", "glove-6B-50d", "no such model", "--no-progress", "--json"]) == 1
    serial = _json(capsys)
    (row,) = serial["rows"]
    assert row == {"name": "glove-6B-50d", "d_model": 50, "eps": expected.eps, "class": expected.klass}
    assert [f["name"] for f in serial["failures"]] == ["no such model"]
    pytest.importorskip("distributed")
    assert main(["survey", "glove-6B-50d", "no such model", "--cluster", "local:2", "--no-progress",
                 "--json"]) == 1
    cluster = _json(capsys)
    assert cluster["rows"] == serial["rows"]
    (failure,) = cluster["failures"]
    assert failure["name"] == "no such model" and "ModelNotFoundError" in failure["error"]


NO_DASK = """
import sys
sys.modules["distributed"] = None  # as if the cluster extra were not installed
import repcap, repcap.packing.cluster, repcap.studies.survey_cluster
from repcap.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_cluster_without_dask_is_one_error_line_naming_the_extra(tmp_path):
    proc = subprocess.run([sys.executable, "-c", NO_DASK, "sweep", "--kind", "random", "--grid", "smoke",
                           "--results", str(tmp_path / "r.jsonl"), "--cluster", "local:2"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("repcap sweep: error:") and "repcap[cluster]" in proc.stderr
    assert not (tmp_path / "r.jsonl").exists()
