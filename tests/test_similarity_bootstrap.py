"""Token bootstrap for ε (repcap.similarity.bootstrap_eps): the multiset formula against brute
force, reproducibility, and coverage on synthetic data whose true ε is known exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from repcap.errors import EmbeddingError, SimilarityError
from repcap.similarity import BootstrapResult, bootstrap_eps, exact_moments
from repcap.similarity import bootstrap as boot_module
from repcap.similarity.bootstrap import Replicates, multiset_eps


def unit(X):
    X = np.asarray(X, dtype=np.float64)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def brute_multiset_eps(U: np.ndarray, counts: np.ndarray) -> float:
    """Expand the multiset and average over its pairs of elements that are distinct tokens."""
    idx = np.repeat(np.arange(len(U)), counts)
    G = U[idx] @ U[idx].T
    a, b = np.triu_indices(len(idx), 1)
    keep = idx[a] != idx[b]
    v = G[a[keep], b[keep]]
    assert v.size == (counts.sum() ** 2 - (counts ** 2).sum()) // 2
    return float(v.mean() + 2 * v.std())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_multiset_formula_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    U = unit(rng.standard_normal((60, 7)) + 0.4)
    counts = np.bincount(rng.integers(0, 60, 60), minlength=60)
    assert counts.max() >= 2  # copies of one token are present and must be excluded
    expected = brute_multiset_eps(U, counts)
    assert multiset_eps(U, counts) == pytest.approx(expected, rel=1e-12)
    assert multiset_eps(U, counts, dtype="float32") == pytest.approx(expected, rel=1e-6)
    assert Replicates.from_unit(U).eps_batch(counts[None])[0] == pytest.approx(expected, rel=1e-12)


def test_all_ones_multiset_is_the_exact_eps():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((300, 12)) + 0.2
    ones = np.ones(300, dtype=np.int64)
    assert multiset_eps(unit(X), ones) == pytest.approx(exact_moments(X).eps, rel=1e-12)


def test_nearly_parallel_rows_keep_sigma():
    # µ ≈ 0.9996, σ ≈ 7e-5: the replicate formula must not cancel σ away.
    rng = np.random.default_rng(5)
    U = unit(np.ones((120, 16)) + 0.02 * rng.standard_normal((120, 16)))
    counts = np.bincount(rng.integers(0, 120, 120), minlength=120)
    assert multiset_eps(U, counts) == pytest.approx(brute_multiset_eps(U, counts), rel=1e-11)


def test_large_path_matches_batched_path(monkeypatch):
    rng = np.random.default_rng(3)
    X = (rng.standard_normal((400, 10)) + 0.3).astype(np.float32)
    small = bootstrap_eps(X, n_boot=30, seed=9, progress=False)
    monkeypatch.setattr(boot_module, "SMALL_OUTER_ELEMENTS", 0)  # force one syrk per replicate
    large64 = bootstrap_eps(X, n_boot=30, seed=9, progress=False, dtype="float64")
    large32 = bootstrap_eps(X, n_boot=30, seed=9, progress=False, dtype="float32")
    np.testing.assert_allclose(large64.replicates, small.replicates, rtol=1e-12)
    np.testing.assert_allclose(large32.replicates, small.replicates, rtol=1e-6)


def test_reproducible_by_seed_and_well_formed():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((250, 9)) + 0.1
    a = bootstrap_eps(X, n_boot=50, seed=3, progress=False)
    b = bootstrap_eps(X, n_boot=50, seed=3, progress=False)
    c = bootstrap_eps(X, n_boot=50, seed=4, progress=False)
    np.testing.assert_array_equal(a.replicates, b.replicates)
    assert not np.array_equal(a.replicates, c.replicates)
    assert isinstance(a, BootstrapResult) and a.replicates.shape == (50,)
    assert a.eps == pytest.approx(exact_moments(X).eps, rel=1e-14)
    assert a.ci_low < a.eps < a.ci_high
    assert (a.ci_low, a.ci_high) == tuple(np.quantile(a.replicates, [0.025, 0.975]))
    d = json.loads(json.dumps(a.to_dict()))
    assert "replicates" not in d and d["n_boot"] == 50 and d["level"] == 0.95


def test_coverage_on_synthetic_data_with_known_truth():
    """Rows drawn i.i.d. from a finite population; the true ε is that of two independent draws:
    µ = ‖Σ x̂‖²/P², E[c²] = ‖X̂ᵀX̂‖²_F/P² (exact). The 90% interval must cover it at about 90%."""
    rng = np.random.default_rng(2024)
    P, d, V, seeds = 20000, 12, 150, 300
    pop = rng.standard_normal((P, d))
    pop[:, 0] += 0.8                      # anisotropic: µ > 0
    pop[: P // 3, 1] += 1.5               # and clustered: a right tail of related pairs
    U = unit(pop)
    s, G = U.sum(axis=0), U.T @ U
    mu = s @ s / P**2
    true = mu + 2 * np.sqrt(np.sum(G * G) / P**2 - mu * mu)
    covered = 0
    for k in range(seeds):
        sample = pop[np.random.default_rng(k).integers(0, P, V)]
        res = bootstrap_eps(sample, n_boot=150, level=0.9, seed=k, progress=False)
        covered += res.ci_low <= true <= res.ci_high
    rate = covered / seeds
    # Binomial sd at 90% and 300 seeds is 1.7 points; the percentile bootstrap of this smooth
    # U-statistic functional is close to nominal.
    assert 0.84 <= rate <= 0.96, rate


def test_bad_settings_and_inputs():
    X = np.random.default_rng(0).standard_normal((30, 4))
    for kwargs, pattern in [(dict(n_boot=1), "n_boot"), (dict(n_boot=2.5), "n_boot"),
                            (dict(level=1.0), "level"), (dict(level=0), "level"),
                            (dict(dtype="float16"), "dtype")]:
        with pytest.raises(SimilarityError, match=pattern):
            bootstrap_eps(X, progress=False, **kwargs)
    bad = X.copy()
    bad[4, 2] = np.inf
    with pytest.raises(EmbeddingError, match="1 of 30 rows"):
        bootstrap_eps(bad, progress=False)
    with pytest.raises(SimilarityError, match="fewer than two distinct"):
        multiset_eps(unit(X), np.eye(30, dtype=int)[0] * 5)


# -- the bootstrap over groups (documents) ----------------------------------------------------------

def _group_sums(U: np.ndarray, groups: np.ndarray) -> boot_module.GroupPairSums:
    """GroupPairSums by forming every cosine (float64), the shift the full sample's µ."""
    n_groups = groups.max() + 1
    c = U @ U.T
    ind = np.eye(n_groups)[groups]  # N × G indicator
    n = len(U)
    shift = (c.sum() - np.trace(c)) / (n * n - n)
    return boot_module.GroupPairSums(
        sizes=ind.sum(axis=0), cross=ind.T @ c @ ind, cross_sq=ind.T @ (c - shift) ** 2 @ ind,
        diag=ind.T @ np.diag(c), diag_sq=ind.T @ (np.diag(c) - shift) ** 2, shift=shift)


def _brute_group_eps(U, groups, counts):
    """Expand the resample; keep pairs within one copy and between copies of different groups."""
    draws = np.repeat(np.arange(len(counts)), counts)
    idx = np.concatenate([np.flatnonzero(groups == g) for g in draws])
    copy = np.concatenate([np.full((groups == g).sum(), k) for k, g in enumerate(draws)])
    a, b = np.triu_indices(len(idx), 1)
    keep = (copy[a] == copy[b]) | (groups[idx][a] != groups[idx][b])
    v = (U[idx] @ U[idx].T)[a[keep], b[keep]]
    return float(v.mean() + 2 * v.std())


@pytest.mark.parametrize("spread", [1.0, 0.01])  # 0.01: µ ≈ 0.9999, σ must survive
def test_group_eps_matches_the_expanded_resample(spread):
    rng = np.random.default_rng(11)
    groups = np.repeat(np.arange(7), rng.integers(1, 9, size=7))
    U = unit(np.ones((len(groups), 6)) + spread * (rng.standard_normal((len(groups), 6))
                                                  + rng.standard_normal((7, 6))[groups]))
    sums = _group_sums(U, groups)
    counts = boot_module.group_counts(7, 6, seed=2)
    assert (counts >= 2).any() and (counts == 0).any()
    got = boot_module.group_eps(sums, counts)
    for b in range(6):
        assert got[b] == pytest.approx(_brute_group_eps(U, groups, counts[b]), rel=1e-9)
    assert boot_module.group_eps(sums, np.ones(7))[0] == pytest.approx(exact_moments(U).eps,
                                                                       rel=1e-9)


def test_group_bootstrap_is_centred_where_documents_cluster():
    """Rows of one group far more alike than rows of two: the replicates stay centred on ε (pairs
    between two copies of one group are dropped; counting them would lift every replicate)."""
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(30), 20)
    U = unit(rng.standard_normal((30, 16))[groups] + 0.3 * rng.standard_normal((600, 16)))
    sums = _group_sums(U, groups)
    reps = boot_module.group_eps(sums, boot_module.group_counts(30, 400, seed=0))
    point = exact_moments(U).eps
    assert abs(np.median(reps) - point) < 0.25 * reps.std()
    lo, hi = boot_module.percentile_interval(reps, 0.95)
    assert lo < point < hi


def test_group_bootstrap_bad_settings():
    with pytest.raises(SimilarityError, match="two groups"):
        boot_module.group_counts(1, 10, seed=0)
    with pytest.raises(SimilarityError):
        boot_module.group_counts(5, 1, seed=0)
    with pytest.raises(SimilarityError, match="level"):
        boot_module.percentile_interval(np.arange(5.0), 1.5)
