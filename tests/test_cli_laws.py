"""``repcap fit`` and ``repcap capacity``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import PAPER_DATA

from repcap.cli import main
from repcap.laws import PAPER_EQ7, capacity, eq6_eps, eq7_eps, jl_eps

ROOT = Path(__file__).resolve().parents[1]
DATA = PAPER_DATA  # the paper's released sweeps, vendored in the package

_D = np.array([32, 64, 128, 256, 512, 1024, 2048, 4096], dtype=float)
_K = np.arange(2000, 32001, 4000, dtype=float)
GRID_K, GRID_D = (a.ravel() for a in np.meshgrid(_K, _D))


def _run_json(capsys, argv):
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_fit_csv_recovers_constants(tmp_path, capsys):
    eps = eq6_eps(GRID_K, GRID_D, 1.1)
    path = tmp_path / "points.csv"
    rows = "\n".join(f"{k:.0f},{d:.0f},{float(e)!r}" for k, d, e in zip(GRID_K, GRID_D, eps))
    path.write_text("k,d,eps\n" + rows + "\n2000,32,\n")
    out = _run_json(capsys, ["fit", str(path)])
    assert out["n"] == GRID_K.size and out["skipped"] == 1
    assert set(out) >= {"jl", "eq6", "eq7"}
    for form in ("jl", "eq6", "eq7"):
        assert set(out[form]) >= {"params", "r2", "mape", "nrmse"}
    assert out["eq6"]["params"]["C"] == pytest.approx(1.1, rel=1e-6)
    assert out["eq6"]["r2"] == pytest.approx(1.0) and out["eq6"]["mape"] < 1e-4
    assert out["jl"]["r2"] < out["eq6"]["r2"]


def test_fit_json_triples_single_form(tmp_path, capsys):
    eps = eq7_eps(GRID_K, GRID_D, **PAPER_EQ7)
    path = tmp_path / "points.json"
    path.write_text(json.dumps([[k, d, e] for k, d, e in zip(GRID_K, GRID_D, eps)]))
    out = _run_json(capsys, ["fit", str(path), "--form", "eq7"])
    assert "jl" not in out and "eq6" not in out
    for name, value in PAPER_EQ7.items():
        assert out["eq7"]["params"][name] == pytest.approx(value, rel=1e-4)


def test_fit_on_the_papers_released_sweep(capsys):
    out = _run_json(capsys, ["fit", str(DATA / "optimized_packing.json")])
    assert out["eq6"]["params"]["C"] == pytest.approx(1.293401, rel=1e-5)
    assert round(out["eq7"]["mape"], 2) == 5.35 and round(out["jl"]["mape"], 2) == 975.34


def test_capacity_llama2_7b(capsys):
    out = _run_json(capsys, ["capacity", "--d", "4096", "--eps", "0.0645", "--vocab", "32000"])
    assert out["class"] == "determinate" and out["paper_class"] == "Class 2"
    assert out["eq7"]["max_k"] == pytest.approx(3.99e7, rel=0.003)
    assert out["eq7"]["log10_max_k"] == pytest.approx(np.log10(out["eq7"]["max_k"]), abs=1e-7)
    assert out["eq6"]["max_k"] == pytest.approx(2.16e9, rel=0.003)
    assert out["jl"]["max_k"] == 278  # ceil(exp(4096 · 0.0645² / 3.02948))
    assert out["eq7"]["k_features"] == out["eq7"]["max_k"] - 64000
    assert "note" not in out


def test_capacity_options(capsys):
    out = _run_json(capsys, ["capacity", "--d", "2048", "--eps", "0.25", "--jl-c", "8",
                             "--eq6-c", "2", "--eq7", "0.5", "1", "1.5", "1", "--bounds", "--tied",
                             "--vocab", "1000"])
    assert out["class"] == "indeterminate" and "note" in out
    assert out["jl"]["max_k"] == pytest.approx(np.ceil(np.exp(2048 * 0.0625 / 8)))
    assert out["eq6"]["params"] == {"C": 2.0}
    assert out["eq7"]["max_k"] == pytest.approx(capacity(2048, 0.25, params={"C": 0.5, "a": 1, "b": 1.5, "c": 1}))
    assert out["eq7"]["k_features"] == out["eq7"]["max_k"] - 1000
    assert out["bounds"]["kl_asymptotic"]["rigorous"] is False
    assert out["log10_lower"] <= out["log10_upper"]


def test_capacity_human_output(capsys):
    assert main(["capacity", "--d", "4096", "--eps", "0.0645"]) == 0
    text = capsys.readouterr().out
    assert "determinate" in text and "39944630" in text


def test_errors_exit_2_with_a_message(tmp_path, capsys):
    assert main(["capacity", "--d", "4096", "--eps", "1.5"]) == 2
    assert "[0, 1]" in capsys.readouterr().err
    assert main(["fit", str(tmp_path / "nope.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c\n1,2,3\n")
    assert main(["fit", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "k, d, eps" in err and "Traceback" not in err
    few = tmp_path / "few.json"
    few.write_text(json.dumps([[2000, 32, 0.4], [4000, 32, 0.45]]))
    assert main(["fit", str(few), "--form", "eq7"]) == 2
    assert "needs more than 4 points" in capsys.readouterr().err


def test_subprocess_call(tmp_path):
    eps = jl_eps(GRID_K, GRID_D, 3.0)
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"cells": [{"k": k, "d": d, "eps": e} for k, d, e in zip(GRID_K, GRID_D, eps)]}))
    proc = subprocess.run([sys.executable, "-m", "repcap.cli", "fit", str(path), "--form", "jl", "--json"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["jl"]["params"]["C"] == pytest.approx(3.0, rel=1e-6)


def test_capacity_json_is_strict_and_keeps_infinite_capacities_as_log10(capsys):
    assert main(["capacity", "--d", "40960", "--eps", "0.3", "--vocab", "1000", "--bounds", "--json"]) == 0

    def refuse(name):
        raise AssertionError(f"non-strict JSON constant {name}")

    text = capsys.readouterr().out
    out = json.loads(text, parse_constant=refuse)
    assert '"inf"' not in text
    eq6 = out["eq6"]  # k = 10^1242: past the float range
    assert eq6["max_k"] is None and eq6["k_features"] is None
    assert eq6["log10_max_k"] == pytest.approx(1242.42, abs=0.01)
    assert eq6["log10_k_features"] == eq6["log10_max_k"]
    eq7 = out["eq7"]  # finite: k − 2V in log10
    assert eq7["log10_k_features"] == pytest.approx(np.log10(eq7["max_k"] - 2000))
    relative = out["bounds"]["relative"]  # dε² ≥ 1: the bound says nothing
    assert relative["log10_count"] is None and relative["vacuous"] is True
    assert out["bounds"]["moment"]["vacuous"] is False


def test_fit_flags_a_constant_at_its_bound(tmp_path, capsys):
    """Issue 22: JL points with C = 200 lie outside the box [0, 100]; the fit pins C at 100 and says so."""
    k, d = np.array([2000, 8000, 32000] * 2, dtype=float), np.array([4096] * 3 + [8192] * 3, dtype=float)
    path = tmp_path / "points.csv"
    path.write_text("k,d,eps\n" + "\n".join(f"{a:.0f},{b:.0f},{float(e)!r}"
                                             for a, b, e in zip(k, d, jl_eps(k, d, 200.0))) + "\n")
    out = _run_json(capsys, ["fit", str(path), "--form", "jl"])
    assert out["jl"]["at_bound"] == ["C"] and out["jl"]["params"]["C"] == pytest.approx(100)
    assert out["degenerate"].startswith("jl: C = 100 at its bound")
    assert main(["fit", str(path), "--form", "jl"]) == 0
    assert "not read as a law" in capsys.readouterr().out


def test_fit_of_the_papers_sweep_is_not_degenerate(capsys):
    out = _run_json(capsys, ["fit", str(DATA / "optimized_packing.json")])
    assert all(out[f]["at_bound"] == [] for f in ("jl", "eq6", "eq7")) and "degenerate" not in out
