"""repcap.packing.grid: the cells a chapter runs, their results file, and grid summaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from repcap.errors import PackingError
import json

import math

import numpy as np

from repcap.geometry.bounds import coherence_floor
from repcap.packing.grid import (compare_objectives, grid_cells, grid_summary, late_improvement, objective_summary,
                                 recorded_cells, results_file)
from repcap.packing.sweeps import PAPER_OPTIMISED_GRID, default_grid


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


def _rec(k, d, eps, objective, steps=100):
    return {"kind": "optimised", "k": k, "d": d, "eps": eps, "seed": 0,
            "settings": {"steps": steps, "objective": objective}}


def _records():
    return {
        "paper": [_rec(40, 8, 0.50, "paper"), _rec(80, 8, 0.60, "paper"), _rec(8, 16, 0.09, "paper"),
                  _rec(200, 16, 0.45, "paper")],
        "softmax": [_rec(80, 8, 0.57, "softmax"), _rec(40, 8, 0.46, "softmax"), _rec(8, 16, 0.001, "softmax")],
        "exp": [_rec(40, 8, 0.55, "exp"), _rec(80, 8, 0.59, "exp"), _rec(8, 16, 0.2, "exp")],
    }


def test_compare_objectives_rows_by_hand():
    released = {(80, 8): 0.58}
    rows = compare_objectives(_records(), reference=lambda k, d: released.get((k, d)))
    # (200, 16) has only the paper's loss, so it is left out; order is by d, then k.
    assert [(r["k"], r["d"]) for r in rows] == [(40, 8), (80, 8), (8, 16)]
    first, second, square = rows
    assert first["vs_baseline"] == pytest.approx({"paper": 1.0, "softmax": 0.46 / 0.50, "exp": 0.55 / 0.50})
    assert first["best"] == "softmax" and first["margin"] == pytest.approx(0.46 / 0.50 - 1)
    floor = float(coherence_floor(40, 8))
    assert floor > 0 and first["floor"] == pytest.approx(floor)
    assert first["vs_floor"]["exp"] == pytest.approx(0.55 / floor)
    assert math.isnan(first["reference"]) and math.isnan(first["vs_reference"]["paper"])
    assert second["vs_reference"]["softmax"] == pytest.approx(0.57 / 0.58)
    assert second["reference_vs_floor"] == pytest.approx(0.58 / float(coherence_floor(80, 8)))
    assert second["best"] == "softmax" and second["margin"] == pytest.approx(0.57 / 0.59 - 1)
    # k <= d: the floor is 0, so no floor ratio, but the objectives still compare.
    assert square["floor"] == 0 and all(math.isnan(v) for v in square["vs_floor"].values())
    assert square["vs_baseline"]["softmax"] == pytest.approx(0.001 / 0.09)


def test_objective_summary_counts_wins_and_losses():
    rows = compare_objectives(_records())
    summary = {s["objective"]: s for s in objective_summary(rows)}
    assert list(summary) == ["paper", "softmax", "exp"]
    soft = [0.46 / 0.50, 0.57 / 0.60, 0.001 / 0.09]
    assert summary["softmax"]["median_vs_baseline"] == pytest.approx(float(np.median(soft)))
    assert summary["softmax"]["min_vs_baseline"] == pytest.approx(min(soft))
    assert (summary["softmax"]["better"], summary["softmax"]["worse"], summary["softmax"]["wins"]) == (3, 0, 3)
    assert (summary["exp"]["better"], summary["exp"]["worse"], summary["exp"]["wins"]) == (1, 2, 0)
    assert summary["paper"]["median_vs_baseline"] == 1.0 and summary["paper"]["wins"] == 0
    # Floor ratios only over the two cells with k > d.
    floors = [float(coherence_floor(k, 8)) for k in (40, 80)]
    assert summary["exp"]["median_vs_floor"] == pytest.approx(np.median([0.55 / floors[0], 0.59 / floors[1]]))
    assert summary["exp"]["n_reference"] == 0 and math.isnan(summary["exp"]["median_vs_reference"])
    with pytest.raises(PackingError, match="baseline"):
        objective_summary(rows, baseline="greedy")
    with pytest.raises(PackingError):
        objective_summary([])


def test_compare_objectives_rejects_unequal_or_mislabelled_runs():
    recs = _records()
    with pytest.raises(PackingError, match="equal steps"):
        compare_objectives({**recs, "exp": [_rec(40, 8, 0.55, "exp", steps=200)]})
    with pytest.raises(PackingError, match="run with objective 'paper'"):
        compare_objectives({**recs, "exp": [_rec(40, 8, 0.55, "paper")]})
    with pytest.raises(PackingError, match="baseline"):
        compare_objectives({"softmax": recs["softmax"], "exp": recs["exp"]})
    with pytest.raises(PackingError, match="at least two"):
        compare_objectives({"paper": recs["paper"]})
    with pytest.raises(PackingError, match="no \\(k, d\\) cell"):
        compare_objectives({"paper": recs["paper"], "exp": [_rec(40, 32, 0.3, "exp")]})
    with pytest.raises(PackingError, match="finished optimised"):
        compare_objectives({"paper": recs["paper"], "exp": [{"kind": "random", "k": 40, "d": 8, "eps": 0.5}]})
