"""The toy model of superposition and its feature-geometry measures.

Measures are checked against brute-force float64 loops and closed forms (uniform polytopes and tight
frames, whose dimensionalities are known); trained models are checked against what Elhage et al. (2022)
report and against the closed-form loss of the best model without superposition.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from repcap.studies import superposition as sp
from repcap.errors import EmbeddingError, RepcapError, ToyModelError


# ---------------------------------------------------------------------------------------------
# Brute-force references (loops, float64, straight from the definitions)
# ---------------------------------------------------------------------------------------------

def _dimensionality_loop(W):
    m, n = W.shape
    out = np.zeros(n)
    for i in range(n):
        wi = W[:, i]
        norm2 = sum(float(wi[k]) ** 2 for k in range(m))
        if norm2 == 0:
            continue
        unit = wi / math.sqrt(norm2)
        denom = sum(float(unit @ W[:, j]) ** 2 for j in range(n))
        out[i] = norm2 / denom
    return out


def _interference_loop(W):
    n = W.shape[1]
    out = np.zeros(n)
    for i in range(n):
        norm = math.sqrt(float(W[:, i] @ W[:, i]))
        if norm == 0:
            continue
        out[i] = sum((float(W[:, i] @ W[:, j]) / norm) ** 2 for j in range(n) if j != i)
    return out


def _regular_polygon(count):
    angles = 2 * np.pi * np.arange(count) / count
    return np.vstack([np.cos(angles), np.sin(angles)])  # (2, count)


def _tetrahedron():
    v = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float).T
    return v / np.sqrt(3)


def _cube():
    v = np.array(list(itertools.product([-1.0, 1.0], repeat=3))).T
    return v / np.sqrt(3)


# ---------------------------------------------------------------------------------------------
# Geometry measures
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(4, 9), (7, 7), (3, 2), (1, 5)])
def test_dimensionality_matches_brute_force(shape):
    rng = np.random.default_rng(sum(shape))
    W = rng.standard_normal(shape) * rng.uniform(0.1, 2.0, size=shape[1])
    W[:, 0] = 0.0  # a feature the model dropped
    np.testing.assert_allclose(sp.feature_dimensionality(W), _dimensionality_loop(W), rtol=1e-12, atol=0)
    np.testing.assert_allclose(sp.interference(W), _interference_loop(W), rtol=1e-12, atol=0)
    assert sp.feature_dimensionality(W)[0] == 0.0


def test_measures_broadcast_over_a_stack_of_models():
    rng = np.random.default_rng(1)
    stack = rng.standard_normal((3, 5, 11))
    D = sp.feature_dimensionality(stack)
    assert D.shape == (3, 11)
    for k in range(3):
        np.testing.assert_allclose(D[k], _dimensionality_loop(stack[k]), rtol=1e-12)
        np.testing.assert_allclose(sp.feature_cosines(stack)[k], sp.feature_cosines(stack[k]))
    np.testing.assert_allclose(sp.dimensions_per_feature(stack),
                               [5 / (stack[k] ** 2).sum() for k in range(3)], rtol=1e-12)


@pytest.mark.parametrize("name, vectors, expected", [
    ("antipodal pair", np.array([[1.0, -1.0]]), 1 / 2),
    ("triangle", _regular_polygon(3), 2 / 3),
    ("square (two antipodal pairs)", _regular_polygon(4), 1 / 2),
    ("pentagon", _regular_polygon(5), 2 / 5),
    ("tetrahedron", _tetrahedron(), 3 / 4),
    ("cube vertices (8 lines' worth in R^3)", _cube(), 3 / 8),
])
def test_dimensionality_of_uniform_polytopes(name, vectors, expected):
    """Unit vectors forming a uniform tight frame of n vectors in R^k have D_i = k/n exactly."""
    D = sp.feature_dimensionality(vectors)
    np.testing.assert_allclose(D, expected, rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(D.sum(), vectors.shape[0], rtol=1e-12)  # tight frame: Σ D_i = m


def test_sum_of_dimensionalities_is_at_most_m():
    rng = np.random.default_rng(7)
    for _ in range(200):
        m, n = int(rng.integers(1, 8)), int(rng.integers(1, 30))
        W = rng.standard_normal((m, n)) * rng.exponential(1.0, size=n)
        if rng.random() < 0.3:  # rank-deficient: Σ D_i ≤ rank W < m
            W = np.outer(rng.standard_normal(m), rng.standard_normal(n))
            assert sp.feature_dimensionality(W).sum() <= 1 + 1e-9
        assert sp.feature_dimensionality(W).sum() <= min(m, n) + 1e-9


def test_orthonormal_features_are_dedicated_dimensions():
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    W = np.hstack([Q[:, :4], np.zeros((6, 3))])  # 4 orthonormal features, 3 dropped
    np.testing.assert_allclose(sp.feature_dimensionality(W), [1, 1, 1, 1, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(sp.interference(W), 0, atol=1e-12)
    assert sp.represented(W).tolist() == [True] * 4 + [False] * 3
    assert sp.dimensions_per_feature(W) == pytest.approx(6 / 4)


def test_cosines_and_pairwise_cosines_against_definition():
    rng = np.random.default_rng(5)
    W = rng.standard_normal((4, 6))
    W[:, 2] = 0.0
    C = sp.feature_cosines(W)
    for i, j in itertools.product(range(6), repeat=2):
        if 2 in (i, j):
            assert C[i, j] == 0.0
        else:
            ref = W[:, i] @ W[:, j] / (np.linalg.norm(W[:, i]) * np.linalg.norm(W[:, j]))
            assert C[i, j] == pytest.approx(ref, abs=1e-13)
    V = rng.standard_normal((9, 5))
    flat = sp.pairwise_cosines(V)
    ref = [V[i] @ V[j] / np.linalg.norm(V[i]) / np.linalg.norm(V[j]) for i in range(9) for j in range(i + 1, 9)]
    np.testing.assert_allclose(flat, ref, atol=1e-13)
    # Random directions in R^d: Var(cos) = 1/d (the null law of the chapter).
    big = sp.pairwise_cosines(rng.standard_normal((400, 50)))
    assert big.var() == pytest.approx(1 / 50, rel=0.05)
    assert abs(big.mean()) < 0.003


def test_geometry_inputs_are_checked():
    with pytest.raises(EmbeddingError, match="shape"):
        sp.feature_dimensionality(np.ones(5))
    with pytest.raises(EmbeddingError, match="NaN"):
        sp.feature_norms(np.array([[1.0, np.nan]]))
    with pytest.raises(EmbeddingError, match="zero vector"):
        sp.pairwise_cosines(np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(EmbeddingError, match="k ≥ 2"):
        sp.pairwise_cosines(np.ones((1, 3)))
    with pytest.raises(ToyModelError, match="threshold"):
        sp.represented(np.eye(2), threshold=0)
    assert issubclass(ToyModelError, RepcapError)


# ---------------------------------------------------------------------------------------------
# Random directions until the first collision
# ---------------------------------------------------------------------------------------------

def test_random_collision_counts_follow_the_poisson_beta_law():
    """P(K ≥ k) = P(all pairs among k random directions within ε) ≈ exp(−C(k,2)·p)."""
    from repcap.geometry.null import pair_tail

    d, eps, trials = 60, 0.5, 300
    counts = sp.random_collision_counts(d, eps, trials, seed=3)
    assert counts.min() >= 1  # the first direction never collides
    p = pair_tail(eps, d)
    ks = np.arange(1, counts.max() + 2)
    empirical = np.array([(counts >= k).mean() for k in ks])
    law = np.exp(-ks * (ks - 1) / 2 * p)
    assert np.abs(empirical - law).max() < 0.1  # KS 5 % critical value at 300 draws ≈ 0.08
    assert np.median(counts) == pytest.approx(sp.median_collision_count(d, eps), rel=0.15)
    np.testing.assert_array_equal(counts[:20], sp.random_collision_counts(d, eps, 20, seed=3))


def test_median_collision_count_is_the_birthday_bound():
    from repcap.geometry.null import pair_tail

    for d, eps in [(50, 0.3), (500, 0.2), (4096, 0.0645)]:
        p = pair_tail(eps, d)
        k = sp.median_collision_count(d, eps)
        assert math.exp(-k * (k - 1) / 2 * p) == pytest.approx(0.5, rel=1e-9)
        assert k == pytest.approx(math.sqrt(2 * math.log(2) / p) + 0.5, abs=0.05)  # k(k−1) ≈ (k−½)²
    summary = sp.random_count_summary([30, 60], 0.4, 10, seed=1, progress=False)
    assert summary["median"].shape == (2,) and (summary["q25"] <= summary["q75"]).all()
    np.testing.assert_allclose(summary["predicted_median"], [sp.median_collision_count(d, 0.4) for d in (30, 60)])


def test_random_collision_arguments_are_checked():
    with pytest.raises(ToyModelError, match="eps"):
        sp.random_collision_counts(10, 1.0, 3)
    with pytest.raises(ToyModelError, match="lower d or ε"):
        sp.random_collision_counts(2000, 0.3, 1, max_vectors=1000)
    with pytest.raises(ToyModelError, match="at least 2"):
        sp.random_collision_counts(1, 0.5, 1)


# ---------------------------------------------------------------------------------------------
# Data, loss, closed-form baseline
# ---------------------------------------------------------------------------------------------

def test_sampled_features_follow_the_law():
    from scipy import stats

    x = sp.sample_features(40000, 5, 0.8, rng=0)
    zero = (x == 0).mean()
    assert zero == pytest.approx(0.8, abs=5 * math.sqrt(0.8 * 0.2 / x.size))
    nonzero = x[x > 0]
    assert stats.kstest(nonzero, "uniform").pvalue > 1e-3
    assert sp.sample_features(10, 3, 0.0, rng=1).min() > 0  # S = 0: dense
    np.testing.assert_array_equal(sp.sample_features(7, 3, 0.5, rng=4), sp.sample_features(7, 3, 0.5, rng=4))


def test_no_superposition_loss_matches_monte_carlo():
    """Build the model the closed form describes and measure its loss on a large sample."""
    n, m, S = 8, 3, 0.6
    imp = sp.importance_weights(n, 0.8)
    W = np.zeros((m, n))
    W[np.arange(m), np.arange(m)] = 1.0  # dedicated dimensions for the m most important features
    b = np.zeros(n)
    b[m:] = (1 - S) / 2  # dropped features: predict their mean
    x = sp.sample_features(400000, n, S, rng=11)
    mc = sp.toy_loss(W, b, x, imp)
    closed = sp.no_superposition_loss(imp, S, m)
    assert mc == pytest.approx(closed, rel=0.01)
    # any other constant for the dropped features is worse
    assert sp.toy_loss(W, b * 1.3, x, imp) > mc


def test_importance_and_sparsity_grids():
    np.testing.assert_allclose(sp.importance_weights(4, 0.5), [1, 0.5, 0.25, 0.125])
    S = sp.sparsities_from_density(100.0, 3)
    np.testing.assert_allclose(1 / (1 - S), [1, 10, 100])
    with pytest.raises(ToyModelError, match=r"\[0, 1\)"):
        sp.sample_features(3, 3, 1.0)
    with pytest.raises(ToyModelError, match="decay"):
        sp.importance_weights(3, 1.5)
    with pytest.raises(ToyModelError, match="≥ 1"):
        sp.sparsities_from_density(0.5, 3)


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def elhage_run():
    """Elhage et al.'s first experiment, shrunk: n = 20 features, m = 5 dims, I_i = 0.7^i."""
    return sp.train_toy_models(20, 5, [0.0, 0.97], importance_decay=0.7, steps=2500, batch_size=512,
                               lr=1e-2, seed=0, progress=False)


def test_dense_features_get_at_most_m_orthogonal_dimensions(elhage_run):
    W = elhage_run.W[0]  # S = 0
    mask = sp.represented(W)
    assert mask.sum() <= 5
    assert mask.sum() >= 4
    assert mask[:4].all(), "the most important features should be the ones kept"
    cos = sp.pairwise_cosines(W[:, mask].T)
    assert np.abs(cos).max() < 0.05  # kept features are (near-)orthogonal
    table = sp.geometry_table(elhage_run, n_eval=20000)
    dense = table[0]
    assert dense["loss"] <= 1.03 * dense["no_superposition_loss"]  # as good as dedicated dims, no better
    assert dense["loss"] >= 0.9 * dense["no_superposition_loss"]


def test_sparse_features_are_stored_in_superposition(elhage_run):
    W = elhage_run.W[1]  # S = 0.97
    table = sp.geometry_table(elhage_run, n_eval=20000)[1]
    assert table["represented"] > 5, "more features than dimensions"
    assert table["loss"] < 0.5 * table["no_superposition_loss"], "superposition must beat dedicated dims"
    assert table["antipodal_pairs"] >= 1
    assert sp.feature_dimensionality(W).sum() <= 5 + 1e-9
    assert table["dimensions_per_feature"] < 0.8


def test_training_loss_agrees_with_independent_numpy_evaluation(elhage_run):
    evaluated = sp.evaluate_loss(elhage_run, n_samples=40000, seed=2)
    last = elhage_run.loss_history[-20:].mean(axis=0)  # noisy training-batch values near the end
    np.testing.assert_allclose(evaluated, last, rtol=0.15)
    assert elhage_run.loss_history.shape == (len(elhage_run.loss_steps), 2)
    assert elhage_run.loss_history[0].sum() > 2 * elhage_run.loss_history[-1].sum()


def test_two_features_in_one_dimension_become_an_antipodal_pair():
    """Elhage et al.'s n = 2, m = 1 case: sparse, equally important features share the line.

    A start with both weights of one sign can stall in a local minimum (one feature plus a weaker
    copy); as Elhage et al. do, train several instances and look at the best one.
    """
    run = sp.train_toy_models(2, 1, [0.95] * 6, steps=1500, batch_size=256, lr=1e-2, seed=0,
                              progress=False)
    losses = sp.evaluate_loss(run, n_samples=20000)
    cos01 = sp.feature_cosines(run.W)[:, 0, 1]
    best = int(np.argmin(losses))
    W = run.W[best]
    assert sp.represented(W).all()
    assert cos01[best] == pytest.approx(-1.0, abs=1e-6)
    np.testing.assert_allclose(sp.feature_dimensionality(W), 0.5, atol=0.02)
    antipodal = cos01 < -0.99
    assert antipodal.any() and losses[antipodal].max() < losses[~antipodal].min()


def test_restarts_keep_the_best_of_each_sparsity():
    run = sp.train_toy_models(6, 2, [0.0, 0.9], steps=200, batch_size=64, lr=1e-2, seed=7, restarts=3,
                              progress=False)
    assert run.W.shape == (2, 2, 6) and run.restart_losses.shape == (2, 3)
    np.testing.assert_allclose(run.sparsities, [0.0, 0.9])
    # the kept models are the restarts whose selection loss is smallest
    reselected = sp.evaluate_loss(run, seed=7 + 1_000_003)
    np.testing.assert_allclose(reselected, run.restart_losses.min(axis=1), rtol=1e-12)
    assert run.loss_history.shape[1] == 2 and run.settings["restarts"] == 3


def test_training_is_reproducible_and_seeded():
    kw = dict(steps=30, batch_size=64, lr=1e-2, progress=False)
    a = sp.train_toy_models(6, 2, [0.5, 0.9], seed=4, **kw)
    b = sp.train_toy_models(6, 2, [0.5, 0.9], seed=4, **kw)
    c = sp.train_toy_models(6, 2, [0.5, 0.9], seed=5, **kw)
    np.testing.assert_array_equal(a.W, b.W)
    assert not np.allclose(a.W, c.W)
    assert a.W.shape == (2, 2, 6) and a.b.shape == (2, 6) and len(a) == 2
    assert a.settings["seed"] == 4 and a.n_features == 6 and a.n_hidden == 2


def test_progress_bar_can_be_switched(capsys):
    sp.train_toy_models(3, 1, [0.5], steps=5, batch_size=8, progress=True)
    assert "toy models" in capsys.readouterr().err
    sp.train_toy_models(3, 1, [0.5], steps=5, batch_size=8, progress=False)
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
        sp.train_toy_models(**args)


def test_cuda_request_without_cuda_is_a_clear_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(ToyModelError, match="CUDA"):
        sp.train_toy_models(3, 1, [0.5], steps=1, batch_size=2, device="cuda", progress=False)

# The chapter itself is executed, and its numbers checked, by tests/test_book_site.py.


# ---------------------------------------------------------------------------------------------
# Summaries of a sweep (the chapter's tables)
# ---------------------------------------------------------------------------------------------

def _hand_run(weights, sparsities):
    """A ToyModelRun built from given matrices (no training): zero biases, equal importances."""
    W = np.stack([np.asarray(w, dtype=np.float64) for w in weights])
    k, _, n = W.shape
    return sp.ToyModelRun(W=W, b=np.zeros((k, n)), sparsities=np.asarray(sparsities, dtype=np.float64),
                          importance=np.ones(n), loss_steps=np.zeros(0), loss_history=np.zeros((0, k)))


def _pentagon_with_dropped_feature():
    angles = 2 * np.pi * np.arange(5) / 5
    return np.hstack([np.vstack([np.cos(angles), np.sin(angles)]), np.zeros((2, 1))])  # (2, 6)


def test_sparsity_curves_match_the_table_rows():
    rng = np.random.default_rng(11)
    run = _hand_run([rng.standard_normal((3, 7)) * 0.6 for _ in range(3)], [0.0, 0.5, 0.9])
    table = [{"inverse_density": 1 / (1 - s), "represented": r, "loss": loss, "no_superposition_loss": ref}
             for s, r, loss, ref in [(0.0, 2, 0.3, 0.6), (0.5, 5, 0.2, 0.25), (0.9, 7, 0.01, 0.04)]]
    curves = sp.sparsity_curves(run, table)
    np.testing.assert_allclose(curves["inverse_density"], [1.0, 2.0, 10.0])
    np.testing.assert_allclose(curves["represented_per_dim"], [2 / 3, 5 / 3, 7 / 3])
    np.testing.assert_allclose(curves["loss_ratio"], [0.5, 0.8, 0.25])
    with pytest.raises(ToyModelError, match="same run"):
        sp.sparsity_curves(run, table[:2])


def test_polytope_share_against_a_loop():
    fractions = list(sp.STICKY_FRACTIONS.values())
    per_feature = [np.array([0.5, 0.5, 2 / 3 + 0.015, 0.9]),  # D* = 0.6: counted; 3 of 4 near a fraction
                   np.array([0.41, 0.2]),                      # D* = 0.375 exactly: counted; 0.41 is near 2/5
                   np.array([0.5, 0.5, 0.5])]                  # D* = 0.3: below 3/8, left out
    dims = [0.6, 3 / 8, 0.3]
    got = sp.polytope_share(per_feature, dims)
    pooled = [x for D, dstar in zip(per_feature, dims) if dstar >= 3 / 8 for x in D]
    hits = sum(any(abs(x - f) < 0.02 for f in fractions) for x in pooled)
    assert got == {"models": 2, "features": 6, "share": pytest.approx(hits / len(pooled))}
    assert hits == 4
    # a tighter tolerance drops the triangle at 2/3 + 0.015 and the 0.41
    assert sp.polytope_share(per_feature, dims, tol=0.005)["share"] == pytest.approx(2 / 6)
    # only the given fractions count
    assert sp.polytope_share(per_feature, dims, fractions=[0.9])["share"] == pytest.approx(1 / 6)


def test_polytope_share_edge_cases_and_checks():
    empty = sp.polytope_share([np.array([0.5])], [0.2])
    assert empty["models"] == 0 and empty["features"] == 0 and math.isnan(empty["share"])
    no_features = sp.polytope_share([np.array([])], [1.0])
    assert no_features["models"] == 1 and no_features["features"] == 0 and math.isnan(no_features["share"])
    with pytest.raises(ToyModelError, match="one D"):
        sp.polytope_share([np.array([0.5])], [0.5, 0.6])
    with pytest.raises(ToyModelError, match="tol"):
        sp.polytope_share([np.array([0.5])], [0.5], tol=0)
    with pytest.raises(ToyModelError, match="fractions"):
        sp.polytope_share([np.array([0.5])], [0.5], fractions=[])


def test_cosine_summary_of_known_polytopes():
    antipodal = np.array([[1.0, -1.0, 0.1]])  # R^1: an antipodal pair and a dropped feature (norm 0.1)
    pentagon = _pentagon_with_dropped_feature()
    lonely = np.array([[1.0, 0.0, 0.0]])      # one represented feature: no pairs
    run = _hand_run([np.pad(antipodal, ((0, 1), (0, 3))), pentagon,
                     np.pad(lonely, ((0, 1), (0, 3)))], [0.5, 0.8, 0.0])
    rows = sp.cosine_summary(run, [0, 1, 2], threshold=0.5)
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
    np.testing.assert_allclose(np.sort(sp.represented_cosines(pentagon)),
                               np.sort([math.cos(2 * math.pi * abs(i - j) / 5) for i in range(5) for j in range(i + 1, 5)]),
                               atol=1e-12)
    assert sp.represented_cosines(lonely).size == 0
    # the shares follow their cut-offs
    assert sp.cosine_summary(run, [1], near=0.5)[0]["near_orthogonal"] == pytest.approx(0.5)
    assert sp.cosine_summary(run, [1], antipodal=-0.5)[0]["antipodal"] == pytest.approx(0.5)
    with pytest.raises(ToyModelError, match="out of range"):
        sp.cosine_summary(run, [3])


def test_cosine_summary_agrees_with_geometry_table_on_a_trained_run():
    run = sp.train_toy_models(6, 2, [0.0, 0.9], steps=60, batch_size=64, seed=3, progress=False)
    table = sp.geometry_table(run, n_eval=2000, min_active=2000)
    rows = sp.cosine_summary(run, range(len(run)))
    for row, ref in zip(rows, table):
        assert row["represented"] == ref["represented"]
        assert row["inverse_density"] == ref["inverse_density"]
        if ref["represented"] >= 2:
            assert row["max_abs_cos"] == pytest.approx(ref["max_abs_cos"])
            assert row["antipodal"] * row["pairs"] == pytest.approx(ref["antipodal_pairs"])
    curves = sp.sparsity_curves(run, table)
    np.testing.assert_allclose(curves["represented_per_dim"], [r["represented"] / 2 for r in table])
