"""repcap.studies.collisions: random directions until the first collision, against the Poisson–beta law."""

from __future__ import annotations

import math

import numpy as np
import pytest

from repcap.studies import collisions as col
from repcap.errors import DomainError


def test_random_collision_counts_follow_the_poisson_beta_law():
    """P(K ≥ k) = P(all pairs among k random directions within ε) ≈ exp(−C(k,2)·p)."""
    from repcap.geometry.null import pair_tail

    d, eps, trials = 60, 0.5, 300
    counts = col.random_collision_counts(d, eps, trials, seed=3)
    assert counts.min() >= 1  # the first direction never collides
    p = pair_tail(eps, d)
    ks = np.arange(1, counts.max() + 2)
    empirical = np.array([(counts >= k).mean() for k in ks])
    law = np.exp(-ks * (ks - 1) / 2 * p)
    assert np.abs(empirical - law).max() < 0.1  # KS 5 % critical value at 300 draws ≈ 0.08
    assert np.median(counts) == pytest.approx(col.median_collision_count(d, eps), rel=0.15)
    np.testing.assert_array_equal(counts[:20], col.random_collision_counts(d, eps, 20, seed=3))


def test_median_collision_count_is_the_birthday_bound():
    from repcap.geometry.null import pair_tail

    for d, eps in [(50, 0.3), (500, 0.2), (4096, 0.0645)]:
        p = pair_tail(eps, d)
        k = col.median_collision_count(d, eps)
        assert math.exp(-k * (k - 1) / 2 * p) == pytest.approx(0.5, rel=1e-9)
        assert k == pytest.approx(math.sqrt(2 * math.log(2) / p) + 0.5, abs=0.05)  # k(k−1) ≈ (k−½)²
    summary = col.random_count_summary([30, 60], 0.4, 10, seed=1, progress=False)
    assert summary["median"].shape == (2,) and (summary["q25"] <= summary["q75"]).all()
    np.testing.assert_allclose(summary["predicted_median"], [col.median_collision_count(d, 0.4) for d in (30, 60)])


def test_random_collision_arguments_are_checked():
    with pytest.raises(DomainError, match="eps"):
        col.random_collision_counts(10, 1.0, 3)
    with pytest.raises(DomainError, match="lower d or ε"):
        col.random_collision_counts(2000, 0.3, 1, max_vectors=1000)
    with pytest.raises(DomainError, match="at least 2"):
        col.random_collision_counts(1, 0.5, 1)


def test_count_curves_and_proven_band_are_the_bounds_on_their_grids():
    from repcap.geometry.bounds import log10_greedy_count, log10_random_sign_count, log10_upper_bound
    from repcap.geometry.null import pair_tail

    curves = col.count_curves([20, 60, 100], 0.3)
    d = curves["d"]
    assert d[0] == 10 and d[-1] == 110 and np.all(np.diff(d) == 1)  # min/2 … 1.1·max
    np.testing.assert_allclose(curves["greedy"], 1 / pair_tail(0.3, d))
    np.testing.assert_allclose(curves["random_sign"], 10 ** log10_random_sign_count(d, 0.3))
    np.testing.assert_allclose(curves["predicted_median"], col.median_collision_count(d, 0.3))
    assert np.all(curves["upper"] >= curves["greedy"])  # the ceiling is above the guarantee
    assert col.count_curves([3], 0.3)["d"][0] == 2  # no dimension below 2
    band_d, band = col.proven_band([0.05, 0.2])
    assert band_d[0] == 16 and band_d[-1] == 16384 and np.all(np.diff(band_d) > 0)
    np.testing.assert_allclose(band[0.2]["greedy"], log10_greedy_count(band_d, 0.2))
    np.testing.assert_allclose(band[0.05]["upper"], log10_upper_bound(band_d, 0.05))


def test_density_curve_is_the_exact_law_on_the_open_interval():
    from repcap.geometry.null import cosine_pdf

    t, pdf = col.density_curve(5, points=11)
    assert t[0] == -0.999 and t[-1] == 0.999 and len(t) == 11
    np.testing.assert_allclose(pdf, cosine_pdf(t, 5))
