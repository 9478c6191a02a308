"""Chapter 1's findings: each section's numbers from hand-made inputs, the words they lead to at their
edges, the keys the chapter's results file has always had, and record → JSON → findings round trips."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from repcap.common.jsonsafe import dumps  # JSON as write_results writes it
from repcap.geometry.bounds import log10_upper_bound
from repcap.geometry.null import pair_tail
from repcap.studies import collisions
from repcap.studies import superposition_findings as sf
from repcap.studies import toy_model as tm
from repcap.studies.findings import chapter_record
from repcap.studies.toy_sweep import cosine_summary, geometry_table


def _through_json(record: dict) -> dict:
    return json.loads(dumps(record))


def _hand_run(weights, sparsities, **settings) -> tm.ToyModelRun:
    """A ToyModelRun built from given (m, n) matrices (no training): zero biases, equal importances."""
    W = np.stack([np.asarray(w, dtype=np.float64) for w in weights])
    k, _, n = W.shape
    return tm.ToyModelRun(W=W, b=np.zeros((k, n)), sparsities=np.asarray(sparsities, dtype=np.float64),
                          importance=np.ones(n), loss_steps=np.zeros(0), loss_history=np.zeros((0, k)),
                          settings={"steps": 10, "restarts": 1, "batch_size": 8, "lr": 0.01, "seed": 4,
                                    "importance_decay": 1.0, **settings}, seconds=1.25)


def _pentagon(dropped: int = 1) -> np.ndarray:
    """Five unit directions on a pentagon in R^2 (D_i = 2/5 each), and ``dropped`` zero features."""
    angles = 2 * np.pi * np.arange(5) / 5
    return np.hstack([np.vstack([np.cos(angles), np.sin(angles)]), np.zeros((2, dropped))])


def _hexagon() -> np.ndarray:
    """Six unit directions on a hexagon in R^2: D* = D_i = 1/3, below every polytope fraction."""
    angles = 2 * np.pi * np.arange(6) / 6
    return np.vstack([np.cos(angles), np.sin(angles)])


def _antipodal() -> np.ndarray:
    """Two antipodal pairs on the axes of R^2 (D_i = 1/2 each), two features dropped."""
    return np.array([[1.0, -1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, -1.0, 0.0, 0.0]])


def _lonely() -> np.ndarray:
    """One represented feature: no pair, so no largest |cos|."""
    return np.array([[1.0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]])


# ---------------------------------------------------------------------------------------------
# Random directions
# ---------------------------------------------------------------------------------------------

def test_cosine_law_rows_follow_their_definitions():
    cos = np.array([0.0, 0.5, -0.99, 0.1])
    f = sf.CosineLawFindings.of([{"d": 3, "cosines": cos}, {"d": 100, "cosines": cos}],
                                vectors=3, seed=7)
    low, high = f.rows
    assert low["var_times_d"] == pytest.approx(cos.var() * 3) and low["pairs"] == 4
    assert low["beyond_2_over_sqrt_d"] == 0.0 and low["exact_beyond"] == 0.0  # the cut is 1 below d = 4
    assert high["beyond_2_over_sqrt_d"] == 0.5  # |cos| > 2/√100 = 0.2: 0.5 and 0.99
    assert high["exact_beyond"] == pytest.approx(float(pair_tail(0.2, 100)))
    table = f.tables()[0]
    assert [h for h, _, _ in table.columns] == ["d", "pairs", "d·Var(cos)", "P(|cos| > 2/√d)", "exact"]
    assert f.markdown() == "" and f.verdicts() == []


def test_random_cosines_draw_one_stream_in_the_order_of_the_dimensions():
    """The chapter's draws: one generator, a (vectors, d) Gaussian matrix per dimension, in order."""
    panels = collisions.random_cosines([3, 10, 3], 20, seed=5)
    rng = np.random.default_rng(5)
    for panel, d in zip(panels, [3, 10, 3]):
        x = rng.standard_normal((20, d))
        unit = x / np.linalg.norm(x, axis=1, keepdims=True)
        expected = (unit @ unit.T)[np.triu_indices(20, 1)]
        np.testing.assert_allclose(panel["cosines"], expected, atol=1e-12)
        assert panel["d"] == d and panel["t"].shape == panel["pdf"].shape == (1601,)
    assert not np.array_equal(panels[0]["cosines"], panels[2]["cosines"])  # the stream moves on


def test_collision_findings_table_text_and_record():
    f = sf.CollisionFindings.measure([20, 30], 0.3, 5, seed=2)
    s = collisions.random_count_summary([20, 30], 0.3, 5, seed=2, progress=False)
    assert f.median == s["median"].tolist() and f.predicted_median == s["predicted_median"].tolist()
    assert f.llama_log10 == pytest.approx([4.44, 55.95], abs=0.01)  # greedy guarantee, real moment bound
    rows = f.tables()[0].rows
    assert rows[1]["greedy"] == pytest.approx(1 / float(pair_tail(0.3, 30)))
    assert rows[1]["upper"] == pytest.approx(10 ** float(log10_upper_bound(30, 0.3)))
    lo, hi = f.ratio_range()
    assert lo == min(np.array(f.median) / f.predicted_median)
    assert f"{lo:.2f} to {hi:.2f}" in f.markdown() and "10^4.44" in f.markdown()
    record = _through_json(f.record())
    assert set(record) == {"counts", "llama2_7b_band_log10"}
    assert {"eps", "dims", "median", "predicted_median", "trials"} <= set(record["counts"])
    assert sf.CollisionFindings.from_record(record) == f


# ---------------------------------------------------------------------------------------------
# Toy models
# ---------------------------------------------------------------------------------------------

def test_toy_findings_say_what_the_densest_and_sparsest_model_do():
    run = _hand_run([_lonely(), _antipodal()], [0.0, 0.9], restarts=2)
    f = sf.ToyModelFindings.of(run, threshold=0.5)
    assert _through_json(f.table) == _through_json(geometry_table(run, threshold=0.5))  # NaN: null
    assert (f.n, f.m, f.steps, f.restarts, f.batch, f.seed) == (6, 2, 10, 2, 8, 4)
    text = f.markdown()
    assert "Densest model (S = 0): 1 of 6 features" in text
    assert "largest |cos| between them –" in text  # one represented feature: no pair
    assert "Sparsest model (S = 0.9): 4 features represented in 2 dimensions" in text
    assert f"{f.table[-1]['loss'] / f.table[-1]['no_superposition_loss']:.3f}." in text
    assert f.run_text() == "Trained 2 × 2 models (n = 6, m = 2, 10 steps) in 1.2 s; kept the best " \
                           "restart of each."
    assert f.tables()[0].title == "Toy models with decaying importance (n = 6, m = 2), trained in this run"
    assert f.label == "decaying importance: n = 6, m = 2" and f.verdicts() == []
    np.testing.assert_allclose(f.curves()["represented_per_dim"], [0.5, 2.0])
    back = sf.ToyModelFindings.from_record(_through_json(f.record()))
    assert back.markdown() == text and back.n == f.n and back.table[-1] == f.table[-1]


def test_geometry_sweep_counts_polytope_fractions_and_picks_three_models():
    run = _hand_run([_lonely(), _antipodal(), _pentagon(), _hexagon()], [0.0, 0.5, 0.8, 0.9])
    f = sf.GeometrySweepFindings.of(run, threshold=0.5)
    assert sf.cosine_models(4) == [1, 2, 3] and sf.cosine_models(1) == [0]
    assert f.cosine_models == [1, 2, 3] and f.cosines == cosine_summary(run, [1, 2, 3])
    # D* = m/‖W‖_F² ≥ 3/8: the lonely feature (2/1), the antipodal pairs (2/4), the pentagon (2/5);
    # not the hexagon (2/6)
    assert (f.polytope_regime_models, f.polytope_regime_features) == (3, 10)
    assert f.share_near_polytope_fraction == 1.0  # 1, 1/2 and 2/5 are all fractions
    text = f.markdown()
    assert "Models with D* ≥ 3/8: 3 of 4, with 10 represented features; 100.0% of these" in text
    assert "Largest Σ_i D_i over the models: 2.0000 (m = 2)." in text
    assert f.run_text() == "Trained 4 models (n = 6, m = 2, 10 steps) in 1.2 s."
    assert [t.title for t in f.tables()] == [
        "Equal-importance sweep (n = 6, m = 2), trained in this run",
        "Overlaps of the represented directions of three models"]
    np.testing.assert_allclose(f.column("dimensions_per_feature"), [2.0, 0.5, 0.4, 1 / 3])


def test_geometry_sweep_without_models_in_the_polytope_regime():
    f = sf.GeometrySweepFindings.of(_hand_run([_hexagon(), _hexagon()], [0.5, 0.9]), threshold=0.5)
    assert f.polytope_regime_models == 0 and math.isnan(f.share_near_polytope_fraction)
    assert "Models with D* ≥ 3/8: 0 of 2, with no represented feature: no share is counted." in f.markdown()
    assert f.cosine_table().title == "Overlaps of the represented directions of two models"
    back = sf.GeometrySweepFindings.from_record(_through_json(f.record()))
    assert back.share_near_polytope_fraction is None and back.markdown() == f.markdown()


# ---------------------------------------------------------------------------------------------
# The chapter's record
# ---------------------------------------------------------------------------------------------

def test_the_chapter_record_keeps_every_key_it_always_had():
    null = sf.CosineLawFindings.of(collisions.random_cosines([3, 10], 12, seed=0), vectors=12, seed=0)
    counts = sf.CollisionFindings.measure([20], 0.3, 3)
    toy = sf.ToyModelFindings.of(_hand_run([_lonely(), _antipodal()], [0.0, 0.9], restarts=2))
    geo = sf.GeometrySweepFindings.of(_hand_run([_antipodal(), _pentagon()], [0.5, 0.9]))
    record = _through_json(chapter_record("smoke", null, counts, toy, geo))
    assert {"profile", "null", "counts", "llama2_7b_band_log10", "toy", "geometry"} <= set(record)
    assert {"d", "pairs", "var_times_d", "beyond_2_over_sqrt_d", "exact_beyond"} == set(record["null"][0])
    assert {"n", "m", "steps", "restarts", "seconds", "table"} <= set(record["toy"])
    assert {"n", "m", "steps", "seconds", "table", "polytope_regime_models",
            "share_near_polytope_fraction", "cosines"} <= set(record["geometry"])
    assert sf.CosineLawFindings.from_record(record) == null
    assert sf.CollisionFindings.from_record(record) == counts
    assert sf.ToyModelFindings.from_record(record).record() == _through_json(toy.record())
    assert sf.GeometrySweepFindings.from_record(record).record() == _through_json(geo.record())
