r"""The random null: cosines between independent uniform unit vectors, and their extremes.

If x and u are independent and uniform on the sphere :math:`S^{d-1}`, the cosine
:math:`t = \langle x, u\rangle` has density proportional to :math:`(1 - t^2)^{(d-3)/2}`, so that
:math:`t^2 \sim \mathrm{Beta}(\tfrac12, \tfrac{d-1}{2})`, :math:`E\,t = 0` and :math:`\mathrm{Var}\,t = 1/d`.
Everything in this module follows from that one fact:

* the two-sided pair tail :math:`P(|t| > \varepsilon) = I_{1-\varepsilon^2}(\tfrac{d-1}{2}, \tfrac12)`
  (regularised incomplete beta), also in log space for the tiny values met at LLM sizes;
* the null value of the paper's ε estimator, µ + 2σ = 2/√d;
* the Poisson–beta law of the largest of the k(k−1)/2 pairwise |cos| among k random vectors,
  :math:`P(\max|t_{ij}| \le x) \approx \exp(-\binom{k}{2} I_{1-x^2}(\tfrac{d-1}{2}, \tfrac12))`, its
  quantiles and the median of the best of T independent trials (the paper's Eq. 5 baseline), all with
  no fitted parameter;
* the two Gumbel limit forms of the same law, for comparison.

Sources: the density of the cosine and the extreme-value (Gumbel) limits of the smallest pairwise angle
are in Cai, Fan & Jiang, "Distributions of angles in random packing on spheres", JMLR 14 (2013)
1837–1864; the Poisson–beta form puts the exact pair tail into the Poisson approximation for rare
exceedances that underlies those limits. The random baseline it predicts is Eq. 5 of Guha,
"Representational Capacity" (2026, arXiv 2606.02765, §3.2, Fig. 6).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from repcap.common.checks import (as_float_array, check_cos_bound, check_count, check_dimension,
                                  check_probability, describe_values, scalar_or_array)
from repcap.errors import DomainError

__all__ = [
    "cosine_pdf",
    "pair_tail",
    "log_pair_tail",
    "null_eps",
    "max_abs_cos_cdf",
    "max_abs_cos_quantile",
    "best_of_trials_median",
    "gumbel_max_abs_cos_quantile",
]

# Below exp(-600) ~ 1e-261 scipy's betaincc comes close to the denormal range; from there on the
# continued fraction is evaluated in log space instead.
_LOG_TINY = -600.0
_SQRT_8PI = math.sqrt(8.0 * math.pi)


# --------------------------------------------------------------------------------------------
# one pair
# --------------------------------------------------------------------------------------------

def cosine_pdf(t, d):
    r"""Density of the cosine between two independent uniform unit vectors in :math:`\mathbb{R}^d`.

    .. math:: f_d(t) = \frac{\Gamma(d/2)}{\sqrt{\pi}\,\Gamma((d-1)/2)}\,(1 - t^2)^{(d-3)/2},
              \qquad -1 < t < 1,

    and 0 outside [−1, 1]. d = 2 gives the arcsine law, d = 3 the uniform law on [−1, 1]. The
    normalising constant is evaluated with log-gamma functions, so d may be in the tens of thousands.

    Parameters
    ----------
    t : float or array
        Cosine values.
    d : float or array, ≥ 2
        Dimension (broadcast against ``t``).

    Examples
    --------
    In R³ the cosine is uniform on [−1, 1]; in R² it follows the arcsine law, 1/π at 0; for large d it
    is close to the normal density of variance 1/d, :math:`\sqrt{d/2\pi}` at 0:

    >>> import math
    >>> import numpy as np
    >>> from repcap.geometry.null import cosine_pdf
    >>> np.round(cosine_pdf([-0.9, 0.0, 0.5], 3), 12).tolist()
    [0.5, 0.5, 0.5]
    >>> round(cosine_pdf(0.0, 2), 6), round(1 / math.pi, 6)
    (0.31831, 0.31831)
    >>> round(cosine_pdf(0.0, 4096), 2), round(math.sqrt(4096 / (2 * math.pi)), 2)
    (25.53, 25.53)
    """
    t = as_float_array(t, "t")
    d = check_dimension(d)
    t, d = np.broadcast_arrays(t, d)
    inside = np.abs(t) < 1
    log_norm = special.gammaln(d / 2) - special.gammaln((d - 1) / 2) - 0.5 * math.log(math.pi)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_f = log_norm + (d - 3) / 2 * np.log1p(-np.where(inside, t * t, 0.0))
        out = np.where(inside, np.exp(log_f), 0.0)
    # The endpoints t = ±1: infinite for d < 3, 1/2 for d = 3, 0 above.
    edge = np.abs(t) == 1
    if edge.any():
        out = np.where(edge & (d < 3), np.inf, out)
        out = np.where(edge & (d == 3), 0.5, out)
    return scalar_or_array(out)


def pair_tail(eps, d):
    r"""Two-sided tail of the random cosine: :math:`P(|\langle x, u\rangle| > \varepsilon)`.

    .. math:: P(|t| > \varepsilon) = I_{1-\varepsilon^2}\!\left(\tfrac{d-1}{2}, \tfrac12\right)
              = 1 - I_{\varepsilon^2}\!\left(\tfrac12, \tfrac{d-1}{2}\right),

    because :math:`t^2 \sim \mathrm{Beta}(\tfrac12, \tfrac{d-1}{2})`. It is also the normalised area of
    the double cap :math:`\{y : |\langle x, y\rangle| > \varepsilon\}`, which the greedy existence
    bound uses. Evaluated as ``betaincc(1/2, (d-1)/2, eps**2)`` so that ε² enters exactly; values below
    about 1e-261 come from :func:`log_pair_tail` (use that function directly when they may underflow).

    Parameters
    ----------
    eps : float or array in [0, 1]
    d : float or array, ≥ 2

    Examples
    --------
    In R³ the cosine is uniform, so the tail is 1 − ε; in R^1024 about 1 % of random pairs have
    |cos| > 0.08:

    >>> from repcap.geometry.null import pair_tail
    >>> round(pair_tail(0.25, 3), 12)
    0.75
    >>> round(pair_tail(0.08, 1024), 4)
    0.0104
    """
    return scalar_or_array(np.exp(_log_pair_tail(eps, d)))


def log_pair_tail(eps, d):
    r"""Natural log of :func:`pair_tail`, accurate far below the double-precision underflow.

    .. math:: \ln P(|t| > \varepsilon) = \ln I_{1-\varepsilon^2}\!\left(\tfrac{d-1}{2}, \tfrac12\right).

    Where the tail is above ~1e-261 this is ``log(betaincc(1/2, (d-1)/2, eps**2))``. Below, with
    a = (d−1)/2, b = 1/2 and x = 1 − ε², it is the continued fraction of the incomplete beta function
    (modified Lentz) with its prefactor taken in logs,

    .. math:: \ln I_x(a, b) = a\ln x + b\ln(1-x) - \ln a - \ln B(a, b) + \ln \mathrm{CF}_x(a, b),

    which converges quickly because there x < (a+1)/(a+b+2). At (d, ε) = (8192, 0.5) the tail is
    about 10^-513 and ``scipy.stats.beta.logsf`` returns −inf; this function does not.

    Examples
    --------
    >>> import math
    >>> from repcap.geometry.null import log_pair_tail
    >>> round(log_pair_tail(0.5, 3), 12) == round(math.log(0.5), 12)  # uniform cosine in R³: ln(1 − ε)
    True
    >>> round(log_pair_tail(0.5, 8192) / math.log(10), 1)  # log10 of the tail
    -513.4
    """
    return scalar_or_array(_log_pair_tail(eps, d))


def _log_pair_tail(eps, d) -> np.ndarray:
    eps = check_cos_bound(eps, "eps")
    d = check_dimension(d)
    eps, d = np.broadcast_arrays(eps, d)
    e2 = eps * eps
    a = (d - 1) / 2
    with np.errstate(divide="ignore"):
        out = np.log(special.betaincc(0.5, a, e2))
    tiny = (out < _LOG_TINY) & (eps < 1)
    if tiny.any():
        out = np.array(out, dtype=float, copy=True)
        out[tiny] = _log_ibeta_cf(a[tiny], 0.5, e2[tiny])
    return out


def _log_ibeta_cf(a: np.ndarray, b: float, one_minus_x: np.ndarray) -> np.ndarray:
    """log I_x(a, b) with x = 1 − one_minus_x, by the continued fraction (x < (a+1)/(a+b+2))."""
    x = 1.0 - one_minus_x
    log_front = (a * np.log1p(-one_minus_x) + b * np.log(one_minus_x) - np.log(a)
                 - special.betaln(a, b))
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = np.ones_like(a)
    dd = 1.0 - qab * x / qap
    dd = np.where(np.abs(dd) < tiny, tiny, dd)
    dd = 1.0 / dd
    h = dd.copy()
    done = np.zeros(a.shape, dtype=bool)
    for m in range(1, 2001):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        dd = 1.0 + aa * dd
        dd = np.where(np.abs(dd) < tiny, tiny, dd)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        dd = 1.0 / dd
        h = np.where(done, h, h * dd * c)
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        dd = 1.0 + aa * dd
        dd = np.where(np.abs(dd) < tiny, tiny, dd)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        dd = 1.0 / dd
        delta = dd * c
        h = np.where(done, h, h * delta)
        done |= np.abs(delta - 1.0) < 1e-15
        if done.all():
            break
    return log_front + np.log(h)


def null_eps(d):
    r"""The paper's ε estimator (µ + 2σ of the pairwise cosines) for uniform random unit vectors.

    For independent uniform directions :math:`\mu = E\,t = 0` and :math:`\sigma^2 = E\,t^2 = 1/d`
    exactly, so

    .. math:: \varepsilon_{\mathrm{null}}(d) = \mu + 2\sigma = \frac{2}{\sqrt d},

    whatever the number of vectors (0.0722 at d = 768, 0.0312 at d = 4096). By the Welch bound no set
    of k ≫ d unit vectors can have a mean square cosine much below 1/d, so this is also close to the
    smallest µ + 2σ any embedding matrix can show.

    Examples
    --------
    >>> from repcap.geometry.null import null_eps
    >>> null_eps(4096)
    0.03125
    >>> round(null_eps(768), 4)
    0.0722
    """
    d = check_dimension(d)
    return scalar_or_array(2.0 / np.sqrt(d))


# --------------------------------------------------------------------------------------------
# the largest |cos| among k random vectors
# --------------------------------------------------------------------------------------------

def _log_pairs(k: np.ndarray) -> np.ndarray:
    """ln(k(k−1)/2) without overflow for huge k."""
    return np.log(k) + np.log(k - 1) - math.log(2.0)


def max_abs_cos_cdf(x, k, d):
    r"""Poisson–beta law of the largest pairwise |cos| among k independent uniform unit vectors.

    .. math:: P\!\left(\max_{i<j} |\langle x_i, x_j\rangle| \le x\right) \approx
              \exp\!\left(-\frac{k(k-1)}{2}\, I_{1-x^2}\!\left(\tfrac{d-1}{2}, \tfrac12\right)\right).

    The exceedances of the k(k−1)/2 pairs are nearly independent (two cosines that share a vector are
    exactly independent for uniform vectors), so their count is approximately Poisson with mean
    :math:`\binom{k}{2}` times the exact pair tail (:func:`pair_tail`). Against simulation this is within
    sampling noise (Kolmogorov–Smirnov distance 0.07–0.09 with 200 draws at k = 200–2000, d = 64–256);
    the Gumbel limits (:func:`gumbel_max_abs_cos_quantile`) converge more slowly. The exponent is formed
    in logs, so k may be astronomically large.

    Parameters
    ----------
    x : float or array in [0, 1]
    k : float or array, ≥ 2
    d : float or array, ≥ 2

    Examples
    --------
    Two vectors in R³ (one pair, uniform cosine): :math:`\exp(-(1 - x))`. For 2000 vectors in
    R^256 the median of the largest |cos| is about 0.3115 (see :func:`max_abs_cos_quantile`):

    >>> import math
    >>> from repcap.geometry.null import max_abs_cos_cdf
    >>> round(max_abs_cos_cdf(0.5, 2, 3), 12) == round(math.exp(-0.5), 12)
    True
    >>> round(max_abs_cos_cdf(0.3115, 2000, 256), 3)
    0.501
    """
    k = check_count(k)
    log_tail = _log_pair_tail(x, d)
    log_rate = _log_pairs(np.broadcast_to(k, np.broadcast(log_tail, k).shape)) + log_tail
    return scalar_or_array(np.exp(-np.exp(log_rate)))


def max_abs_cos_quantile(q, k, d):
    r"""Quantile of the largest pairwise |cos| among k random unit vectors (Poisson–beta law).

    Solves :math:`\exp(-\binom{k}{2} I_{1-x^2}(\tfrac{d-1}{2}, \tfrac12)) = q` for x, i.e.

    .. math:: \ln I_{1-x^2}\!\left(\tfrac{d-1}{2}, \tfrac12\right) = \ln(-\ln q) - \ln\binom{k}{2},

    by bisection on the log pair tail (which decreases strictly in x); the answer is exact to about
    1e-15 in x. It is 0 when q ≤ exp(−k(k−1)/2). ``q = 0.5`` is the median of one draw.

    Parameters
    ----------
    q : float or array in (0, 1)
    k : float or array, ≥ 2
    d : float or array, ≥ 2

    Examples
    --------
    The median of the largest |cos| among 2000 random unit vectors in R^256, against the leading-order
    :math:`\sqrt{4\ln k / d}`:

    >>> import math
    >>> from repcap.geometry.null import max_abs_cos_quantile
    >>> round(max_abs_cos_quantile(0.5, 2000, 256), 4)
    0.3115
    >>> round(math.sqrt(4 * math.log(2000) / 256), 4)
    0.3446
    """
    q = check_probability(q)
    k = check_count(k)
    d = check_dimension(d)
    q, k, d = np.broadcast_arrays(q, k, d)
    target = np.log(-np.log(q)) - _log_pairs(k)
    lo = np.zeros(q.shape)
    hi = np.ones(q.shape)
    solve = target < 0  # otherwise the quantile is 0
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        above = _log_pair_tail(mid, d) > target
        lo = np.where(above & solve, mid, lo)
        hi = np.where(~above & solve, mid, hi)
    return scalar_or_array(np.where(solve, 0.5 * (lo + hi), 0.0))


def best_of_trials_median(k, d, trials=1000):
    r"""Median of the paper's random baseline: the best of T trials of the largest |cos| (Eq. 5).

    The paper's baseline is :math:`\varepsilon^*_{\mathrm{random}}(k, d) = \min_{t \le T}
    \max_{i \ne j} |\cos(v_i^{(t)}, v_j^{(t)})|`. For T independent trials with CDF F of one trial's
    maximum, :math:`P(\min \le x) = 1 - (1 - F(x))^T`, whose median is the F-quantile at level

    .. math:: q_T = 1 - 0.5^{1/T},

    taken here from the Poisson–beta law (:func:`max_abs_cos_quantile`). No parameter is fitted: for
    the paper's 256 cells (T = 1000) it lands within −3.2 % … +1.7 % of the released values (median
    −1.3 %), where the one-parameter fit ε = √(C ln k / d) needs C ≈ 3.03.

    Parameters
    ----------
    k, d : float or array
    trials : int or array, ≥ 1
        T, the number of independent draws the minimum is taken over (the paper uses 1000).

    Examples
    --------
    The paper's released random sweep (Eq. 5, Fig. 6) has ε* = 0.2834 at (k, d) = (2000, 256); the
    law, with nothing fitted, predicts:

    >>> from repcap.geometry.null import best_of_trials_median
    >>> round(best_of_trials_median(2000, 256), 4)
    0.2843
    >>> round(best_of_trials_median(2000, 256, trials=1), 4)  # one draw: the median of the maximum
    0.3115
    """
    trials = as_float_array(trials, "trials")
    if (trials < 1).any() or (~np.isfinite(trials)).any():
        raise DomainError(f"trials must be a finite number ≥ 1, got {describe_values(trials)}")
    q = -np.expm1(math.log(0.5) / trials)  # 1 − 0.5^(1/T) without cancellation
    return max_abs_cos_quantile(q, k, d)


def gumbel_max_abs_cos_quantile(q, k, d, form="square"):
    r"""Gumbel-limit quantile of the largest pairwise |cos| among k random unit vectors.

    The extreme-value limit (two-sided, as in the paper's statistic) is

    .. math:: P\!\left(d M^2 - 4\ln k + \ln\ln k \le y\right) \to \exp\!\left(-\frac{e^{-y/2}}{\sqrt{8\pi}}\right),
              \qquad M = \max_{i<j}|\cos_{ij}|,

    so the q-quantile is :math:`y_q = -2\ln(\sqrt{8\pi}\,(-\ln q))` (median y = −2.491) and

    * ``form="square"``: :math:`M_q = \sqrt{(4\ln k - \ln\ln k + y_q)/d}`;
    * ``form="logsine"``: :math:`d M^2` replaced by :math:`-d\ln(1-M^2)` (the normalisation of
      Cai, Fan & Jiang 2013), :math:`M_q = \sqrt{1 - \exp(-(4\ln k - \ln\ln k + y_q)/d)}`.

    Both converge slowly (the square form needs (ln k)²/d → 0); :func:`max_abs_cos_quantile` is the
    accurate one. Leading order: :math:`M \approx \sqrt{4\ln k / d}`. Needs k ≥ 3 (ln ln k > 0).

    Examples
    --------
    Medians at (k, d) = (2000, 256), to set beside the Poisson–beta median 0.3115 of
    :func:`max_abs_cos_quantile` (the square form is about 2 % high here):

    >>> from repcap.geometry.null import gumbel_max_abs_cos_quantile
    >>> round(gumbel_max_abs_cos_quantile(0.5, 2000, 256), 4)
    0.318
    >>> round(gumbel_max_abs_cos_quantile(0.5, 2000, 256, form="logsine"), 4)
    0.3101
    """
    if form not in ("square", "logsine"):
        raise DomainError(f"form must be 'square' or 'logsine', got {form!r}")
    q = check_probability(q)
    k = check_count(k)
    if (k < 3).any():
        raise DomainError("the Gumbel forms need k ≥ 3 (they contain ln ln k); use max_abs_cos_quantile")
    d = check_dimension(d)
    y = -2.0 * np.log(_SQRT_8PI * -np.log(q))
    centre = np.maximum(4.0 * np.log(k) - np.log(np.log(k)) + y, 0.0)
    if form == "square":
        m = np.sqrt(np.minimum(centre / d, 1.0))
    else:
        m = np.sqrt(-np.expm1(-centre / d))
    return scalar_or_array(m)
