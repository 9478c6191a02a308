"""repcap.studies.toy_model: the data, the loss, the closed-form baseline, and training.

Trained models are checked against what Elhage et al. (2022) report and against the closed-form loss of the
best model without superposition.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from repcap.studies import feature_geometry as geo
from repcap.studies import toy_model as tm
from repcap.studies import toy_sweep as sweep
from repcap.errors import DeviceError, ToyModelError


# ---------------------------------------------------------------------------------------------
# Data, loss, closed-form baseline
# ---------------------------------------------------------------------------------------------

def test_sampled_features_follow_the_law():
    from scipy import stats

    x = tm.sample_features(40000, 5, 0.8, rng=0)
    zero = (x == 0).mean()
    assert zero == pytest.approx(0.8, abs=5 * math.sqrt(0.8 * 0.2 / x.size))
    nonzero = x[x > 0]
    assert stats.kstest(nonzero, "uniform").pvalue > 1e-3
    assert tm.sample_features(10, 3, 0.0, rng=1).min() > 0  # S = 0: dense
    np.testing.assert_array_equal(tm.sample_features(7, 3, 0.5, rng=4), tm.sample_features(7, 3, 0.5, rng=4))


def test_no_superposition_loss_matches_monte_carlo():
    """Build the model the closed form describes and measure its loss on a large sample."""
    n, m, S = 8, 3, 0.6
    imp = tm.importance_weights(n, 0.8)
    W = np.zeros((m, n))
    W[np.arange(m), np.arange(m)] = 1.0  # dedicated dimensions for the m most important features
    b = np.zeros(n)
    b[m:] = (1 - S) / 2  # dropped features: predict their mean
    x = tm.sample_features(400000, n, S, rng=11)
    mc = tm.toy_loss(W, b, x, imp)
    closed = tm.no_superposition_loss(imp, S, m)
    assert mc == pytest.approx(closed, rel=0.01)
    # any other constant for the dropped features is worse
    assert tm.toy_loss(W, b * 1.3, x, imp) > mc


def test_importance_and_sparsity_grids():
    np.testing.assert_allclose(tm.importance_weights(4, 0.5), [1, 0.5, 0.25, 0.125])
    S = tm.sparsities_from_density(100.0, 3)
    np.testing.assert_allclose(1 / (1 - S), [1, 10, 100])
    with pytest.raises(ToyModelError, match=r"\[0, 1\)"):
        tm.sample_features(3, 3, 1.0)
    with pytest.raises(ToyModelError, match="decay"):
        tm.importance_weights(3, 1.5)
    with pytest.raises(ToyModelError, match="≥ 1"):
        tm.sparsities_from_density(0.5, 3)


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def elhage_run():
    """Elhage et al.'s first experiment, shrunk: n = 20 features, m = 5 dims, I_i = 0.7^i."""
    return tm.train_toy_models(20, 5, [0.0, 0.97], importance_decay=0.7, steps=2500, batch_size=512,
                               lr=1e-2, seed=0, progress=False)


def test_dense_features_get_at_most_m_orthogonal_dimensions(elhage_run):
    W = elhage_run.W[0]  # S = 0
    mask = geo.represented(W)
    assert mask.sum() <= 5
    assert mask.sum() >= 4
    assert mask[:4].all(), "the most important features should be the ones kept"
    cos = geo.pairwise_cosines(W[:, mask].T)
    assert np.abs(cos).max() < 0.05  # kept features are (near-)orthogonal
    table = sweep.geometry_table(elhage_run, n_eval=20000)
    dense = table[0]
    assert dense["loss"] <= 1.03 * dense["no_superposition_loss"]  # as good as dedicated dims, no better
    assert dense["loss"] >= 0.9 * dense["no_superposition_loss"]


def test_sparse_features_are_stored_in_superposition(elhage_run):
    W = elhage_run.W[1]  # S = 0.97
    table = sweep.geometry_table(elhage_run, n_eval=20000)[1]
    assert table["represented"] > 5, "more features than dimensions"
    assert table["loss"] < 0.5 * table["no_superposition_loss"], "superposition must beat dedicated dims"
    assert table["antipodal_pairs"] >= 1
    assert geo.feature_dimensionality(W).sum() <= 5 + 1e-9
    assert table["dimensions_per_feature"] < 0.8


def test_training_loss_agrees_with_independent_numpy_evaluation(elhage_run):
    evaluated = tm.evaluate_loss(elhage_run, n_samples=40000, seed=2)
    last = elhage_run.loss_history[-20:].mean(axis=0)  # noisy training-batch values near the end
    np.testing.assert_allclose(evaluated, last, rtol=0.15)
    assert elhage_run.loss_history.shape == (len(elhage_run.loss_steps), 2)
    assert elhage_run.loss_history[0].sum() > 2 * elhage_run.loss_history[-1].sum()


def test_two_features_in_one_dimension_become_an_antipodal_pair():
    """Elhage et al.'s n = 2, m = 1 case: sparse, equally important features share the line.

    A start with both weights of one sign can stall in a local minimum (one feature plus a weaker
    copy); as Elhage et al. do, train several instances and look at the best one.
    """
    run = tm.train_toy_models(2, 1, [0.95] * 6, steps=1500, batch_size=256, lr=1e-2, seed=0,
                              progress=False)
    losses = tm.evaluate_loss(run, n_samples=20000)
    cos01 = geo.feature_cosines(run.W)[:, 0, 1]
    best = int(np.argmin(losses))
    W = run.W[best]
    assert geo.represented(W).all()
    assert cos01[best] == pytest.approx(-1.0, abs=1e-6)
    np.testing.assert_allclose(geo.feature_dimensionality(W), 0.5, atol=0.02)
    antipodal = cos01 < -0.99
    assert antipodal.any() and losses[antipodal].max() < losses[~antipodal].min()


def test_restarts_keep_the_best_of_each_sparsity():
    run = tm.train_toy_models(6, 2, [0.0, 0.9], steps=200, batch_size=64, lr=1e-2, seed=7, restarts=3,
                              progress=False)
    assert run.W.shape == (2, 2, 6) and run.restart_losses.shape == (2, 3)
    np.testing.assert_allclose(run.sparsities, [0.0, 0.9])
    # the kept models are the restarts whose selection loss is smallest
    reselected = tm.evaluate_loss(run, seed=7 + 1_000_003)
    np.testing.assert_allclose(reselected, run.restart_losses.min(axis=1), rtol=1e-12)
    assert run.loss_history.shape[1] == 2 and run.settings["restarts"] == 3


def test_training_is_reproducible_and_seeded():
    kw = dict(steps=30, batch_size=64, lr=1e-2, progress=False)
    a = tm.train_toy_models(6, 2, [0.5, 0.9], seed=4, **kw)
    b = tm.train_toy_models(6, 2, [0.5, 0.9], seed=4, **kw)
    c = tm.train_toy_models(6, 2, [0.5, 0.9], seed=5, **kw)
    np.testing.assert_array_equal(a.W, b.W)
    assert not np.allclose(a.W, c.W)
    assert a.W.shape == (2, 2, 6) and a.b.shape == (2, 6) and len(a) == 2
    assert a.settings["seed"] == 4 and a.n_features == 6 and a.n_hidden == 2


def test_progress_bar_can_be_switched(capsys, monkeypatch):
    monkeypatch.setattr("repcap.common.progress.DELAY_S", 0)  # show it though the run is short
    tm.train_toy_models(3, 1, [0.5], steps=5, batch_size=8, progress=True)
    assert "toy models" in capsys.readouterr().err
    tm.train_toy_models(3, 1, [0.5], steps=5, batch_size=8, progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_features=0), "n_features"),
    (dict(n_hidden=2.5), "n_hidden"),
    (dict(sparsities=[0.5, 1.0]), r"\[0, 1\)"),
    (dict(sparsities=[]), "non-empty"),
    (dict(steps=0), "steps"),
    (dict(lr=-1.0), "lr"),
    (dict(importance_decay=0.0), "decay"),
    (dict(restarts=0), "restarts"),
    (dict(threads=0), "threads"),
])
def test_training_arguments_are_checked(kwargs, match):
    args = dict(n_features=4, n_hidden=2, sparsities=[0.5], steps=2, batch_size=4, progress=False)
    args.update(kwargs)
    with pytest.raises(ToyModelError, match=match):
        tm.train_toy_models(**args)


def test_cuda_request_without_cuda_is_a_clear_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(DeviceError, match="torch sees no CUDA GPU"):
        tm.train_toy_models(3, 1, [0.5], steps=1, batch_size=2, device="cuda", progress=False)

# The chapter itself is executed, and its numbers checked, by tests/test_book_site.py.
