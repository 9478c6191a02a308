"""repcap.packing_grid: the cells a chapter runs, their results file, and grid summaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from repcap.errors import PackingError
import json

from repcap.packing_grid import grid_cells, grid_summary, late_improvement, recorded_cells, results_file
from repcap.sweeps import PAPER_OPTIMISED_GRID, default_grid


def test_grid_cells_named_and_overridden():
    assert sorted(grid_cells("optimised", "cpu")) == sorted(default_grid("optimised", "cpu"))
    assert grid_cells("optimised", "smoke", [8, 16], [40, 80]) == [(40, 8), (80, 8), (40, 16), (80, 16)]
    cpu_ds = sorted({d for _, d in default_grid("optimised", "cpu")})
    only_k = grid_cells("optimised", "cpu", k_values=[250, 500])
    assert only_k == [(k, d) for d in cpu_ds for k in (250, 500)]
    paper_ks = sorted({k for k, _ in default_grid("random", "paper")})
    only_d = grid_cells("random", "paper", d_values=[256])
    assert only_d == [(k, 256) for k in paper_ks]
    with pytest.raises(PackingError, match="k_values"):
        grid_cells("optimised", "cpu", k_values=[1])
    with pytest.raises(PackingError, match="d_values"):
        grid_cells("optimised", "cpu", d_values=[True])


def test_results_file_names_settings_not_grids():
    a = results_file("../_build/sweeps", "optimised", steps=1000, objective="paper", seed=0)
    assert a == Path("../_build/sweeps/optimised_steps1000_paper_seed0.jsonl")
    assert results_file("x", "random", trials=1000, dtype="float16") == Path("x/random_T1000_float16_seed0.jsonl")
    assert results_file("x", "optimised", steps=100) != results_file("x", "optimised", steps=1000)
    with pytest.raises(PackingError):
        results_file("x", "greedy", steps=1)


def test_grid_summary_of_the_papers_grid():
    s = grid_summary(PAPER_OPTIMISED_GRID)
    assert s["cells"] == 166 and s["k_le_d"] == 6
    assert s["d_range"] == "32–4096" and s["k_range"] == "2,000–32,000"
    assert s["ratio_range"] == "0.488–1e+03"
    one = grid_summary([(40, 8)])
    assert one["d_range"] == "8" and one["k_le_d"] == 0
    with pytest.raises(PackingError):
        grid_summary([])


def test_recorded_cells_reads_without_computing(tmp_path):
    path = tmp_path / "opt.jsonl"
    assert recorded_cells(path, [(40, 8)], kind="optimised") == []
    rows = [
        {"kind": "optimised", "k": 40, "d": 8, "eps": 0.6, "seed": 0, "settings": {"steps": 100, "objective": "paper"}},
        {"kind": "optimised", "k": 80, "d": 8, "eps": 0.7, "seed": 0, "settings": {"steps": 200, "objective": "paper"}},
        {"kind": "optimised", "k": 80, "d": 8, "eps": 0.65, "seed": 1, "settings": {"steps": 100, "objective": "paper"}},
        {"kind": "random", "k": 40, "d": 16, "eps": 0.5, "seed": 0, "settings": {"trials": 10}},
        {"kind": "optimised", "k": 40, "d": 16, "eps": 0.4, "seed": 0, "settings": {"steps": 100, "objective": "paper"}},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    got = recorded_cells(path, [(40, 16), (80, 8), (40, 8)], kind="optimised", steps=100, objective="paper")
    assert [(r["k"], r["d"], r["eps"]) for r in got] == [(40, 16, 0.4), (40, 8, 0.6)]
    assert len(recorded_cells(path, [(80, 8)], kind="optimised", steps=100, seed=1)) == 1
    assert recorded_cells(path, [(40, 16)], kind="random", trials=10)[0]["eps"] == 0.5


def test_late_improvement():
    hist = [(0, 0.9), (50, 0.5), (700, 0.42), (800, 0.41), (850, 0.405), (999, 0.40)]
    # The last logged step at or before 0.8 × 999 = 799.2 is step 700.
    assert late_improvement(hist) == pytest.approx(0.42 / 0.40 - 1)
    assert late_improvement(hist, fraction=0.5) == pytest.approx(0.5 / 0.40 - 1)
    with pytest.raises(PackingError):
        late_improvement(hist[:1])
    with pytest.raises(PackingError):
        late_improvement(hist, fraction=1.0)
