"""``repcap pack``, ``repcap random-baseline`` and ``repcap sweep``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from repcap.cli import main
from repcap.packing import optimise_packing, random_baseline
from repcap.packing.optimise import BEST_OBJECTIVE
from repcap.packing.sweeps import load_results


def test_pack_prints_the_same_eps_as_the_library(capsys):
    assert main(["pack", "--k", "60", "--d", "8", "--steps", "30", "--objective", "paper", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    direct = optimise_packing(60, 8, steps=30, progress=False)
    assert out["eps"] == direct.eps
    assert out["kind"] == "optimised" and out["steps"] == 30 and out["exponent"] == 19
    assert out["seconds"] > 0


def test_pack_defaults_to_the_best_recipe(capsys):
    assert main(["pack", "--k", "60", "--d", "8", "--steps", "30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["objective"] == BEST_OBJECTIVE == "anneal" and out["lr_schedule"] == "cosine"
    assert out["eps"] == optimise_packing(60, 8, steps=30, objective="anneal", progress=False).eps


def test_pack_with_another_objective_and_human_output(capsys):
    assert main(["pack", "--k", "60", "--d", "8", "--steps", "30", "--objective", "softmax",
                 "--sharpness", "30", "--lr-schedule", "cosine"]) == 0
    rows = dict(line.split(None, 1) for line in capsys.readouterr().out.splitlines())
    assert rows["objective"] == "softmax" and float(rows["sharpness"]) == 30
    assert rows["lr_schedule"] == "cosine"
    eps = float(rows["eps"])
    assert abs(eps - optimise_packing(60, 8, steps=30, objective="softmax", sharpness=30, lr_schedule="cosine",
                                      progress=False).eps) < 1e-6


def test_random_baseline_command(capsys):
    assert main(["random-baseline", "--k", "100", "--d", "16", "--trials", "12", "--seed", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["eps"] == random_baseline(100, 16, 12, seed=3, progress=False).eps
    assert out["trials"] == 12 and out["kind"] == "random"


def test_bad_input_exits_2_with_a_message(capsys):
    assert main(["pack", "--k", "1", "--d", "8", "--steps", "3"]) == 2
    err = capsys.readouterr().err
    assert "repcap pack: error: k must be ≥ 2" in err and "Traceback" not in err
    assert main(["random-baseline", "--k", "10", "--d", "8", "--trials", "2", "--dtype", "int4"]) == 2
    assert "unsupported dtype" in capsys.readouterr().err
    assert main(["pack", "--k", "5", "--d", "3", "--steps", "-1"]) == 2
    assert "steps must be ≥ 1" in capsys.readouterr().err


def test_sweep_command_smoke_grid(tmp_path, capsys):
    path = tmp_path / "opt.jsonl"
    assert main(["sweep", "--kind", "optimised", "--grid", "smoke", "--results", str(path), "--steps", "10",
                 "--objective", "softmax", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cells"] == 4 and len(load_results(path)) == 4
    assert [tuple(cell[:2]) for cell in out["eps"]] == [(50, 8), (100, 8), (50, 16), (100, 16)]
    assert {r["settings"]["objective"] for r in load_results(path)} == {"softmax"}
    assert main(["sweep", "--kind", "random", "--grid", "smoke", "--results", str(path), "--steps", "5"]) == 2
    assert "not `steps`" in capsys.readouterr().err


def test_real_subprocess_call():
    proc = subprocess.run([sys.executable, "-m", "repcap.cli", "random-baseline", "--k", "50", "--d", "8",
                           "--trials", "4", "--json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert 0 < out["eps"] < 1 and out["k"] == 50


def test_sweep_with_failed_cells_exits_1_and_names_them(tmp_path, capsys, monkeypatch):
    import repcap.cli.packing as cli_packing

    ok = {"k": 50, "d": 8, "eps": 0.5, "seconds": 1.0}
    bad = {"k": 100, "d": 8, "eps": None, "status": "failed", "error": "worker lost"}
    monkeypatch.setattr(cli_packing, "run_sweep", lambda *a, **kw: [ok, bad])
    argv = ["sweep", "--kind", "optimised", "--grid", "smoke", "--results", str(tmp_path / "r.jsonl"),
            "--json"]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["failed"] == 1
    assert captured.err.strip().splitlines() == [
        "repcap sweep: error: cell k = 100, d = 8: worker lost",
        "repcap sweep: error: 1 of 2 cells failed; rerun the same command to retry them"]
    monkeypatch.setattr(cli_packing, "run_sweep", lambda *a, **kw: [bad])
    assert main(argv) == 2
