"""repcap.studies.toy_sweep: the summaries of a sweep of toy models (the chapter's tables and curves)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from repcap.studies import feature_geometry as geo
from repcap.studies import toy_model as tm
from repcap.studies import toy_sweep as sweep
from repcap.errors import ToyModelError


def _hand_run(weights, sparsities):
    """A ToyModelRun built from given matrices (no training): zero biases, equal importances."""
    W = np.stack([np.asarray(w, dtype=np.float64) for w in weights])
    k, _, n = W.shape
    return tm.ToyModelRun(W=W, b=np.zeros((k, n)), sparsities=np.asarray(sparsities, dtype=np.float64),
                          importance=np.ones(n), loss_steps=np.zeros(0), loss_history=np.zeros((0, k)))


def _pentagon_with_dropped_feature():
    angles = 2 * np.pi * np.arange(5) / 5
    return np.hstack([np.vstack([np.cos(angles), np.sin(angles)]), np.zeros((2, 1))])  # (2, 6)


def test_sparsity_curves_match_the_table_rows():
    table = [{"inverse_density": 1 / (1 - s), "represented": r, "loss": loss, "no_superposition_loss": ref}
             for s, r, loss, ref in [(0.0, 2, 0.3, 0.6), (0.5, 5, 0.2, 0.25), (0.9, 7, 0.01, 0.04)]]
    curves = sweep.sparsity_curves(table, 3)
    np.testing.assert_allclose(curves["inverse_density"], [1.0, 2.0, 10.0])
    np.testing.assert_allclose(curves["represented_per_dim"], [2 / 3, 5 / 3, 7 / 3])
    np.testing.assert_allclose(curves["loss_ratio"], [0.5, 0.8, 0.25])


def test_cosine_summary_of_known_polytopes():
    antipodal = np.array([[1.0, -1.0, 0.1]])  # R^1: an antipodal pair and a dropped feature (norm 0.1)
    pentagon = _pentagon_with_dropped_feature()
    lonely = np.array([[1.0, 0.0, 0.0]])      # one represented feature: no pairs
    run = _hand_run([np.pad(antipodal, ((0, 1), (0, 3))), pentagon,
                     np.pad(lonely, ((0, 1), (0, 3)))], [0.5, 0.8, 0.0])
    rows = sweep.cosine_summary(run, [0, 1, 2], threshold=0.5)
    assert [r["represented"] for r in rows] == [2, 5, 1]
    assert [r["pairs"] for r in rows] == [1, 10, 0]
    assert rows[0]["antipodal"] == 1.0 and rows[0]["near_orthogonal"] == 0.0 and rows[0]["max_abs_cos"] == pytest.approx(1)
    # pentagon: 5 pairs at cos 72° = 0.309, 5 at cos 144° = −0.809; Welch floor √((5−2)/(2·4))
    assert rows[1]["max_abs_cos"] == pytest.approx(math.cos(math.radians(36)))
    assert rows[1]["near_orthogonal"] == 0.0 and rows[1]["antipodal"] == 0.0
    assert rows[1]["welch"] == pytest.approx(math.sqrt(3 / 8))
    assert rows[1]["max_abs_cos"] >= rows[1]["welch"]
    assert rows[0]["welch"] == 0.0  # 2 features in R^2 fit orthogonally
    assert rows[1]["inverse_density"] == pytest.approx(5.0)
    assert rows[2]["pairs"] == 0 and math.isnan(rows[2]["max_abs_cos"]) and math.isnan(rows[2]["antipodal"])
    np.testing.assert_allclose(np.sort(geo.represented_cosines(pentagon)),
                               np.sort([math.cos(2 * math.pi * abs(i - j) / 5) for i in range(5) for j in range(i + 1, 5)]),
                               atol=1e-12)
    assert geo.represented_cosines(lonely).size == 0
    # the shares follow their cut-offs
    assert sweep.cosine_summary(run, [1], near=0.5)[0]["near_orthogonal"] == pytest.approx(0.5)
    assert sweep.cosine_summary(run, [1], antipodal=-0.5)[0]["antipodal"] == pytest.approx(0.5)
    with pytest.raises(ToyModelError, match="out of range"):
        sweep.cosine_summary(run, [3])


def test_cosine_summary_agrees_with_geometry_table_on_a_trained_run():
    run = tm.train_toy_models(6, 2, [0.0, 0.9], steps=60, batch_size=64, seed=3, progress=False)
    table = sweep.geometry_table(run, n_eval=2000, min_active=2000)
    rows = sweep.cosine_summary(run, range(len(run)))
    for row, ref in zip(rows, table):
        assert row["represented"] == ref["represented"]
        assert row["inverse_density"] == ref["inverse_density"]
        if ref["represented"] >= 2:
            assert row["max_abs_cos"] == pytest.approx(ref["max_abs_cos"])
            assert row["antipodal"] * row["pairs"] == pytest.approx(ref["antipodal_pairs"])
    curves = sweep.sparsity_curves(table, run.n_hidden)
    np.testing.assert_allclose(curves["represented_per_dim"], [r["represented"] / 2 for r in table])


def test_figure_arrays_are_the_measures_of_each_model():
    pentagon = _pentagon_with_dropped_feature()
    antipodal = np.array([[1.0, -1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]])
    run = _hand_run([pentagon, antipodal], [0.5, 0.9])
    arrays = sweep.gallery(run)
    for k, W in enumerate(run.W):
        np.testing.assert_allclose(arrays["grams"][k], W.T @ W)
        np.testing.assert_allclose(arrays["norms"][k], np.linalg.norm(W, axis=0))
        np.testing.assert_allclose(arrays["interference"][k], geo.interference(W))
    per_feature = sweep.represented_dimensionalities(run, 0.5)
    np.testing.assert_allclose(per_feature[0], [2 / 5] * 5)  # the dropped feature is not listed
    np.testing.assert_allclose(per_feature[1], [1 / 2, 1 / 2, 1])
    panels = sweep.cosine_panels(run, [1], threshold=0.5)
    np.testing.assert_allclose(np.sort(panels[0]["cosines"]), [-1.0, 0.0, 0.0])
    assert panels[0]["t"].shape == panels[0]["pdf"].shape == (801,)
