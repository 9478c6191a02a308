"""The random null: exact pair law (closed forms, quadrature, mpmath, Monte Carlo) and its extremes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from conftest import PAPER_DATA
from scipy import integrate, stats

from repcap.errors import DomainError
from repcap.geometry.null import (
    best_of_trials_median,
    cosine_pdf,
    gumbel_max_abs_cos_quantile,
    log_pair_tail,
    max_abs_cos_cdf,
    max_abs_cos_quantile,
    null_eps,
    pair_tail,
)

DATA = PAPER_DATA  # the paper's released sweeps, vendored in the package


def _unit_rows(rng, shape):
    x = rng.standard_normal(shape)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _max_abs_cos(rng, k, d, draws):
    """Brute force: the largest off-diagonal |cos| of k random unit vectors, for each of `draws` sets."""
    x = _unit_rows(rng, (draws, k, d))
    # einsum, not a batched matmul: many tiny BLAS calls crawl when the shared CPU is busy.
    g = np.abs(np.einsum("nid,njd->nij", x, x))
    iu = np.triu_indices(k, 1)
    return g[:, iu[0], iu[1]].max(axis=1)


# ------------------------------------------------------------------------------------------
# one pair
# ------------------------------------------------------------------------------------------

def test_pdf_closed_forms():
    t = np.array([-0.9, -0.3, 0.0, 0.5, 0.99])
    np.testing.assert_allclose(cosine_pdf(t, 2), 1 / (math.pi * np.sqrt(1 - t**2)), rtol=1e-12)
    np.testing.assert_allclose(cosine_pdf(t, 3), 0.5, rtol=1e-12)
    np.testing.assert_allclose(cosine_pdf(t, 4), 2 / math.pi * np.sqrt(1 - t**2), rtol=1e-12)
    assert cosine_pdf(1.5, 10) == 0.0 and cosine_pdf(1.0, 3) == 0.5 and cosine_pdf(1.0, 10) == 0.0


@pytest.mark.parametrize("d", [2, 5, 50, 1000, 20000])
def test_pdf_normalised_with_variance_one_over_d(d):
    scale = 1 / math.sqrt(d)
    lim = min(1.0, 40 * scale)  # beyond 40 s.d. the density is < 1e-300
    mass = integrate.quad(cosine_pdf, -lim, lim, args=(d,), points=[0.0], limit=200)[0]
    var = integrate.quad(lambda t: t * t * cosine_pdf(t, d), -lim, lim, points=[0.0], limit=200)[0]
    assert mass == pytest.approx(1.0, abs=1e-8)
    assert var == pytest.approx(1 / d, rel=1e-7)


def test_pair_tail_closed_forms_and_quadrature():
    eps = np.array([0.0, 0.01, 0.3, 0.7, 0.999, 1.0])
    np.testing.assert_allclose(pair_tail(eps, 2), 1 - 2 / math.pi * np.arcsin(eps), atol=1e-15)
    np.testing.assert_allclose(pair_tail(eps, 3), 1 - eps, atol=1e-15)
    for d, e in [(7, 0.4), (64, 0.2), (300, 0.1)]:
        quad = 2 * integrate.quad(cosine_pdf, e, 1, args=(d,))[0]
        assert pair_tail(e, d) == pytest.approx(quad, rel=1e-9)


def test_pair_tail_against_monte_carlo():
    rng = np.random.default_rng(0)
    n = 200_000
    for d, e in [(10, 0.3), (64, 0.2), (256, 0.15)]:
        # The cosine with a fixed axis has the same law as any pairwise cosine; for a normalised
        # Gaussian vector it is g0 / sqrt(g0² + (sum of the other d − 1 squares)).
        g0 = rng.standard_normal(n)
        rest = rng.chisquare(d - 1, n)
        p_hat = np.mean(np.abs(g0 / np.sqrt(g0**2 + rest)) > e)
        p = pair_tail(e, d)
        assert abs(p_hat - p) < 4 * math.sqrt(p * (1 - p) / n), (d, e, p_hat, p)


def test_log_pair_tail_matches_mpmath_far_below_underflow():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    cases = [(3, 0.5), (64, 0.2), (4096, 0.0645), (4096, 0.25), (8192, 0.5), (16384, 0.3),
             (4096, 0.9), (4096, 0.999), (100_000, 0.2), (2, 0.01), (3000, 0.7)]
    for d, e in cases:
        ref = mpmath.log(mpmath.betainc(mpmath.mpf(d - 1) / 2, mpmath.mpf(1) / 2, 0,
                                        1 - mpmath.mpf(e) ** 2, regularized=True))
        assert log_pair_tail(e, d) == pytest.approx(float(ref), rel=1e-12, abs=1e-15), (d, e)
    # Where the tail is below the double range, scipy's log-survival function gives up.
    assert stats.beta.logsf(0.25, 0.5, 8191 / 2) == -np.inf
    assert np.isfinite(log_pair_tail(0.5, 8192))
    assert pair_tail(0.5, 8192) == 0.0  # the plain value underflows, as documented


def test_null_eps_is_mu_plus_two_sigma_of_random_vectors():
    assert null_eps(4096) == pytest.approx(0.03125)
    np.testing.assert_allclose(null_eps([768, 2048]), [0.0722, 0.0442], atol=5e-5)
    rng = np.random.default_rng(1)
    x = _unit_rows(rng, (600, 256))
    cos = np.einsum("id,jd->ij", x, x)[np.triu_indices(600, 1)]
    assert cos.mean() + 2 * cos.std() == pytest.approx(null_eps(256), rel=0.02)


# ------------------------------------------------------------------------------------------
# extremes
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("k,d", [(60, 32), (100, 64)])
def test_max_abs_cos_law_against_simulation(k, d):
    rng = np.random.default_rng(k + d)
    n = 1500
    sims = np.sort(_max_abs_cos(rng, k, d, n))
    cdf = max_abs_cos_cdf(sims, k, d)
    ecdf = np.arange(1, n + 1) / n
    ks = max(np.abs(cdf - ecdf).max(), np.abs(cdf - ecdf + 1 / n).max())
    assert ks < 0.05  # 5 % critical value for n = 1500 is 0.035; the Poisson step adds ≈ 0.01
    assert np.median(sims) == pytest.approx(max_abs_cos_quantile(0.5, k, d), rel=0.01)


def test_quantile_inverts_cdf_and_handles_huge_k():
    q = np.array([1e-6, 0.1, 0.5, 0.9, 0.999])
    for k, d in [(10, 3), (2000, 256), (1e20, 16384)]:
        x = max_abs_cos_quantile(q, k, d)
        assert np.all(np.diff(x) > 0)
        np.testing.assert_allclose(max_abs_cos_cdf(x, k, d), q, rtol=1e-9)
    # More vectors, larger maximum; the quantile is 0 when exp(−k(k−1)/2) ≥ q.
    ks = np.array([1e3, 1e6, 1e12, 1e20])
    assert np.all(np.diff(max_abs_cos_quantile(0.5, ks, 4096)) > 0)
    assert max_abs_cos_quantile(0.5, 2, 10) > 0 and max_abs_cos_quantile(0.2, 2, 10) == 0.0


def test_best_of_trials_median_against_simulation():
    rng = np.random.default_rng(2)
    k, d, trials, reps = 40, 24, 20, 400
    best = _max_abs_cos(rng, k, d, trials * reps).reshape(reps, trials).min(axis=1)
    assert np.median(best) == pytest.approx(best_of_trials_median(k, d, trials), rel=0.015)
    # One trial is the plain median; more trials, smaller minimum.
    assert best_of_trials_median(k, d, 1) == pytest.approx(max_abs_cos_quantile(0.5, k, d), rel=1e-12)
    assert best_of_trials_median(k, d, 1000) < best_of_trials_median(k, d, 10)


def test_extreme_value_forms_match_independent_values():
    # Medians by the d·M² Gumbel, log-sine Gumbel (Cai, Fan & Jiang 2013) and Poisson–beta forms,
    # computed independently of this package.
    sheet = {(2000, 256): (0.3180, 0.3101, 0.3115), (200, 256): (0.2580, 0.2537, 0.2552),
             (500, 64): (0.5665, 0.5240, 0.5302), (2000, 64): (0.6360, 0.5768, 0.5830)}
    for (k, d), (square, logsine, pb) in sheet.items():
        assert gumbel_max_abs_cos_quantile(0.5, k, d) == pytest.approx(square, abs=6e-5)
        assert gumbel_max_abs_cos_quantile(0.5, k, d, "logsine") == pytest.approx(logsine, abs=6e-5)
        assert max_abs_cos_quantile(0.5, k, d) == pytest.approx(pb, abs=6e-5)
    # The Gumbel median: y = −2 ln(√(8π) ln 2) = −2.491.
    k, d = 1e6, 1e9
    m = gumbel_max_abs_cos_quantile(0.5, k, d)
    assert d * m * m - 4 * math.log(k) + math.log(math.log(k)) == pytest.approx(-2.491, abs=1e-3)


def test_parameter_free_prediction_of_the_papers_random_baseline():
    cells = np.array(json.loads((DATA / "random_packing.json").read_text()), dtype=float)
    pred = best_of_trials_median(cells[:, 0], cells[:, 1], 1000)
    rel = pred / cells[:, 2] - 1
    # Median −1.3 %, range −3.2 % … +1.7 % over the 256 released cells (Eq. 5, Guha 2026 §3.2), no
    # fitted parameter.
    assert np.median(rel) == pytest.approx(-0.013, abs=0.002)
    assert rel.min() > -0.035 and rel.max() < 0.02
    # The paper's one-parameter fit (C = 3.029) is no better: its MAPE is 1.31 %.
    assert np.mean(np.abs(rel)) < 0.0135


def test_bad_input_raises_domain_errors():
    for bad in (lambda: pair_tail(-0.1, 10), lambda: pair_tail(0.5, 1), lambda: pair_tail(np.nan, 5),
                lambda: max_abs_cos_quantile(1.0, 10, 5), lambda: max_abs_cos_cdf(0.5, 1, 5),
                lambda: best_of_trials_median(10, 5, 0), lambda: gumbel_max_abs_cos_quantile(0.5, 2, 9),
                lambda: gumbel_max_abs_cos_quantile(0.5, 10, 9, "cubic"), lambda: null_eps(np.inf)):
        with pytest.raises(DomainError):
            bad()
