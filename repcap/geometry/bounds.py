r"""Proven bounds on line packings: how many unit vectors in R^d can keep every |cos| ≤ ε.

Write N(d, ε) for the largest number of unit vectors in :math:`\mathbb{R}^d` whose pairwise
:math:`|\cos|` are all at most ε (the real line-packing problem). This module gives

* **upper bounds** on N (no packing can beat them): the relative bound (inverted Welch), the
  Levenshtein bound, the orthoplex (Rankin) bound, the real t-th moment bound with the best t,
  their minimum (:func:`log10_upper_bound`) and Tao's explicit corollary;
* **existence guarantees** (lower bounds on N): the greedy / Gilbert–Varshamov count
  :math:`1/I_{1-\varepsilon^2}(\tfrac{d-1}{2}, \tfrac12)` and the random-sign count
  :math:`e^{d\varepsilon^2/4}`;
* the **Kabatiansky–Levenshtein rate**, which is asymptotic only (not a bound at finite d);
* **coherence floors** for given (k, d): the smallest max |cos| that k lines in R^d can have by each
  bound, so optimised packings can be reported as a ratio ε_opt / floor.

Counts reach 10^200 and more at LLM sizes, so every count is returned as a base-10 logarithm.

Sources. Welch, "Lower bounds on the maximum cross correlation of signals", IEEE Trans. Inf. Theory
20 (1974) 397–399 (the t = 1 floor, hence the relative bound); Levenshtein, "Bounds for packings of
metric spaces and some their applications", Probl. Kibernet. 40 (1983) 43–110, and "Designs as
maximum codes in polynomial metric spaces", Acta Appl. Math. 29 (1992) 1–82 (Delsarte's linear
programme for lines, the degree-4 bound); Rankin, "The closest packing of spherical caps in n
dimensions", Proc. Glasgow Math. Assoc. 2 (1955) 139–144, as applied to lines by Conway, Hardin &
Sloane, "Packing lines, planes, etc.", Experiment. Math. 5 (1996) 139–159 (the orthoplex bound);
Delsarte, Goethals & Seidel, "Spherical codes and designs", Geom. Dedicata 6 (1977) 363–388 (the
real moment bound and its designs); Kabatiansky & Levenshtein, "On bounds for packings on a sphere
and in space", Probl. Inf. Transm. 14 (1978) 1–17; Tao, "A cheap version of the
Kabatjanskii–Levenstein bound for almost orthogonal vectors" (blog post, 2013); the greedy count is
the spherical analogue of Gilbert (1952) and Varshamov (1957) (Chabauty 1953, Shannon 1959, Wyner
1965), the random-sign count Hoeffding's inequality (1963) with a union bound. The tests check each
bound on explicit optimal packings (hexagon, icosahedron, D4/E6/E7/E8 roots, Petersen/Clebsch Seidel
sets, 28 lines) and on packings optimised in the test itself.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from repcap.common.checks import (broadcast_pair, check_cos_bound, check_count, check_dimension,
                                  scalar_or_array)
from repcap.errors import DomainError
from repcap.geometry.constructions import best_construction
from repcap.geometry.null import log_pair_tail

__all__ = [
    "welch_floor",
    "levenshtein_floor",
    "orthoplex_floor",
    "moment_floor",
    "coherence_floor",
    "log10_relative_bound",
    "log10_levenshtein_bound",
    "log10_orthoplex_bound",
    "log10_moment_bound",
    "log10_upper_bound",
    "log10_tao_bound",
    "log10_greedy_count",
    "log10_random_sign_count",
    "log10_construction_count",
    "log10_kl_asymptotic",
    "log_moment_constant",
    "bounds_band",
    "UPPER_BOUNDS",
]

_LN10 = math.log(10.0)
_HALF_LOG_PI = 0.5 * math.log(math.pi)
# t is scanned in blocks; a scan stops after one whole block without improvement. Any t gives a
# valid bound, so stopping early can only loosen the result, never make it wrong.
_T_BLOCK = 64
_T_CAP = 1 << 17

#: The rigorous upper bounds that :func:`log10_upper_bound` takes the minimum of.
UPPER_BOUNDS = ("relative", "levenshtein", "orthoplex", "moment")


# --------------------------------------------------------------------------------------------
# the real moment constant
# --------------------------------------------------------------------------------------------

def log_moment_constant(d, t):
    r"""Natural log of :math:`c_t(d) = E\langle x, u\rangle^{2t}` for a fixed unit x and uniform u.

    .. math:: c_t(d) = \frac{(2t-1)!!}{d(d+2)\cdots(d+2t-2)}
              = \frac{\Gamma(t+\tfrac12)\,\Gamma(d/2)}{\sqrt\pi\,\Gamma(d/2+t)},

    so :math:`c_1 = 1/d` and :math:`c_2 = 3/(d(d+2))`. Evaluated with log-gamma functions (at
    d = 8192, t = 112, the best order for Llama 2 70B's ε, the constant is about 10^-224).

    Examples
    --------
    >>> import math
    >>> from repcap.geometry.bounds import log_moment_constant
    >>> round(math.exp(log_moment_constant(4, 1)), 12), round(math.exp(log_moment_constant(4, 2)), 12)
    (0.25, 0.125)
    >>> round(log_moment_constant(8192, 112) / math.log(10), 1)  # log10 c_t
    -224.2
    """
    d = check_dimension(d)
    t = np.asarray(t, dtype=float)
    if (t < 1).any():
        raise DomainError(f"t (the moment order) must be ≥ 1, got {t.min()}")
    return scalar_or_array(_log_ct(d, t))


def _log_ct(d, t):
    return special.gammaln(t + 0.5) + special.gammaln(d / 2) - _HALF_LOG_PI - special.gammaln(d / 2 + t)


# --------------------------------------------------------------------------------------------
# coherence floors: the smallest possible max |cos| of k lines in R^d
# --------------------------------------------------------------------------------------------

def welch_floor(k, d):
    r"""Welch (t = 1) floor: the smallest possible max |cos| of k unit vectors in :math:`\mathbb{R}^d`.

    .. math:: \max_{i \ne j} |\langle x_i, x_j\rangle| \ge \sqrt{\frac{k - d}{d\,(k - 1)}}
              \qquad (k > d),

    from :math:`\sum_{i,j}\langle x_i, x_j\rangle^2 = \lVert X^\top X\rVert_F^2 \ge k^2/d`. Equality
    holds exactly for equiangular tight frames (3 lines in R², 6 in R³, 28 in R⁷, ...). For k ≤ d the
    floor is 0 (orthonormal vectors exist).

    Examples
    --------
    The six diagonals of the icosahedron meet at 1/√5 and the 28 equiangular lines in R⁷ at 1/3, both
    exactly on the floor; 32,000 vectors in R^4096 cannot go below 0.0146:

    >>> import math
    >>> from repcap.geometry.bounds import welch_floor
    >>> round(welch_floor(6, 3), 6), round(1 / math.sqrt(5), 6)
    (0.447214, 0.447214)
    >>> round(welch_floor(28, 7), 6)
    0.333333
    >>> round(welch_floor(32000, 4096), 4), welch_floor(3, 3)
    (0.0146, 0.0)
    """
    k, d = broadcast_pair(check_count(k), check_dimension(d))
    with np.errstate(invalid="ignore", divide="ignore"):
        val = np.sqrt(np.clip((k - d) / (d * (k - 1)), 0.0, None))
    return scalar_or_array(np.where(k > d, val, 0.0))


def levenshtein_floor(k, d):
    r"""Levenshtein floor for real lines: smallest possible max |cos| of k unit vectors in R^d.

    .. math:: \max_{i \ne j} \langle x_i, x_j\rangle^2 \ge \frac{3k - d(d+2)}{(d+2)(k-d)}
              \qquad (3k > d(d+2)),

    the inversion of :func:`log10_levenshtein_bound` (Delsarte's linear programme with
    f(u) = u²(u² − ε²)). It equals the Welch floor (1/(d+2)) at k = d(d+1)/2 and is the stronger of
    the two only for k > d(d+1)/2; it is attained by the D4, E6, E7 and E8 root systems (12, 36, 63 and
    120 lines at 1/2). Returns 0 where the bound gives no constraint (3k ≤ d(d+2)).

    Examples
    --------
    The 12 lines of the D4 root system in R⁴ and the 120 of E8 in R⁸ meet the floor at 1/2:

    >>> from repcap.geometry.bounds import levenshtein_floor
    >>> round(levenshtein_floor(12, 4), 12), round(levenshtein_floor(120, 8), 12)
    (0.5, 0.5)
    >>> levenshtein_floor(5, 4)  # 3k ≤ d(d+2): no constraint
    0.0
    """
    k, d = broadcast_pair(check_count(k), check_dimension(d))
    num = 3 * k - d * (d + 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        val = np.sqrt(np.clip(num / ((d + 2) * (k - d)), 0.0, None))
    return scalar_or_array(np.where(num > 0, val, 0.0))


def orthoplex_floor(k, d):
    r"""Orthoplex (Rankin) floor for real lines: more than d(d+1)/2 lines force a cosine ≥ 1/√d.

    .. math:: k > \frac{d(d+1)}{2} \;\Rightarrow\; \max_{i \ne j} |\langle x_i, x_j\rangle| \ge \frac{1}{\sqrt d}.

    Each line maps to the traceless matrix :math:`x x^\top - I/d` on a sphere in a space of dimension
    d(d+1)/2 − 1, where :math:`\langle P_i, P_j\rangle = \cos^2_{ij} - 1/d`; more than (dimension + 1)
    points on a sphere include a pair at angle ≤ 90°. Returns 0 for k ≤ d(d+1)/2.

    Examples
    --------
    Seven lines in R³ (more than 3·4/2 = 6) force a cosine of at least 1/√3, which the four body
    diagonals and three axes of the cube attain:

    >>> from repcap.geometry.bounds import orthoplex_floor
    >>> round(orthoplex_floor(7, 3), 6), orthoplex_floor(6, 3)
    (0.57735, 0.0)
    """
    k, d = broadcast_pair(check_count(k), check_dimension(d))
    return scalar_or_array(np.where(k > d * (d + 1) / 2, 1.0 / np.sqrt(d), 0.0))


def moment_floor(k, d, t=None):
    r"""Real t-th moment floor: smallest possible max |cos| of k unit vectors in R^d.

    For real unit vectors :math:`\frac{1}{k^2}\sum_{i,j}\langle x_i, x_j\rangle^{2t} \ge c_t(d)`
    (:func:`log_moment_constant`), with equality iff the antipodal set is a spherical (2t+1)-design.
    Bounding the k(k−1) off-diagonal terms by :math:`c_{\max}^{2t}` gives

    .. math:: c_{\max} \ge \left(\frac{k\,c_t(d) - 1}{k - 1}\right)^{1/(2t)} \qquad (k\,c_t > 1).

    t = 1 is the Welch floor. With ``t=None`` the best t is used (scanned upwards while
    :math:`k c_t > 1`). Returns 0 where no t gives a constraint.

    Examples
    --------
    >>> from repcap.geometry.bounds import moment_floor, welch_floor
    >>> round(moment_floor(6, 3, t=1), 9) == round(welch_floor(6, 3), 9)
    True
    >>> round(moment_floor(32000, 32), 4), round(welch_floor(32000, 32), 4)  # best t beats Welch
    (0.2814, 0.1767)
    """
    k, d = broadcast_pair(check_count(k), check_dimension(d))
    if t is not None:
        t = float(t)
        if t < 1 or t != int(t):
            raise DomainError(f"t must be a positive integer, got {t}")
        return scalar_or_array(np.exp(_log_moment_floor(k, d, np.asarray(t))))
    shape = k.shape
    kf, df = k.ravel(), d.ravel()
    best = np.full(kf.size, -np.inf)
    active = np.ones(kf.size, dtype=bool)
    t0 = 1
    while active.any() and t0 <= _T_CAP:
        idx = np.nonzero(active)[0]
        tt = np.arange(t0, t0 + _T_BLOCK, dtype=float)[None, :]
        vals = _log_moment_floor(kf[idx, None], df[idx, None], tt)
        block_best = vals.max(axis=1)
        improve = block_best > best[idx]
        best[idx] = np.maximum(best[idx], block_best)
        # c_t decreases in t, so once k c_t ≤ 1 at the block's end no later t constrains.
        exhausted = ~np.isfinite(vals[:, -1])
        active[idx[exhausted | ~improve]] = False
        t0 += _T_BLOCK
    # k ≤ d lines fit exactly orthogonally: the floor is 0, not the log-gamma rounding residue
    # (~1e-8 at k = d, where k c_1 = 1 exactly).
    best = np.where(kf <= df, -np.inf, best)
    return scalar_or_array(np.exp(best).reshape(shape))


def _log_moment_floor(k, d, t):
    log_ct = _log_ct(d, t)
    log_kc = np.log(k) + log_ct
    with np.errstate(invalid="ignore", divide="ignore"):
        val = (np.log(-np.expm1(-log_kc)) + log_kc - np.log(k - 1)) / (2 * t)
    return np.where(log_kc > 0, val, -np.inf)


def coherence_floor(k, d, return_name=False):
    r"""Best proven floor on the max |cos| of k lines in R^d: the largest of the four floors.

    .. math:: c_{\min}(k, d) = \max\{\text{Welch},\ \text{Levenshtein},\ \text{orthoplex},\
              \max_t \text{moment}_t\}

    (:func:`welch_floor`, :func:`levenshtein_floor`, :func:`orthoplex_floor`, :func:`moment_floor`).
    No packing of k lines in R^d can have a smaller coherence; the paper's optimised packings sit
    1.3–2.55× above it. With ``return_name=True`` also returns which floor is largest
    (``"welch"`` wins ties with the moment bound at t = 1).

    Examples
    --------
    The paper's released optimised packing of 32,000 vectors in R^4096 reached ε* = 0.0250, 1.7 times
    the floor:

    >>> from repcap.geometry.bounds import coherence_floor
    >>> floor, name = coherence_floor(32000, 4096, return_name=True)
    >>> round(floor, 4), name, round(0.0250 / floor, 2)
    (0.0146, 'welch', 1.71)
    >>> coherence_floor(12, 4, return_name=True)  # the D4 root system
    (0.5, 'levenshtein')
    """
    floors = {
        "welch": np.asarray(welch_floor(k, d)),
        "levenshtein": np.asarray(levenshtein_floor(k, d)),
        "orthoplex": np.asarray(orthoplex_floor(k, d)),
        "moment": np.asarray(moment_floor(k, d)),
    }
    names = list(floors)
    stack = np.stack(np.broadcast_arrays(*floors.values()))
    # The moment floor at t = 1 is the Welch floor, computed through log-gamma functions (relative
    # error ~1e-12 at d in the thousands): credit such ties to the first name, Welch.
    best = stack.max(axis=0)
    which = np.argmax(stack >= best * (1 - 1e-9), axis=0)
    value = scalar_or_array(best)
    if not return_name:
        return value
    name = np.asarray(names, dtype=object)[which]
    return value, (str(name) if np.ndim(name) == 0 else name)


# --------------------------------------------------------------------------------------------
# upper bounds on N(d, ε), as log10 counts
# --------------------------------------------------------------------------------------------

def _d_eps(d, eps):
    return broadcast_pair(check_dimension(d), check_cos_bound(eps, "eps"), names=("d", "eps"))


def log10_relative_bound(d, eps):
    r"""log10 of the relative bound (inverted Welch): N(d, ε) ≤ d(1 − ε²) / (1 − dε²).

    .. math:: N(d, \varepsilon) \le \frac{d\,(1 - \varepsilon^2)}{1 - d\,\varepsilon^2}
              \qquad (d\varepsilon^2 < 1),

    obtained by solving the Welch floor :math:`\varepsilon^2 \ge (k-d)/(d(k-1))` for k. It is tight for
    equiangular tight frames (3, 6, 10, 16, 28 and 276 lines) and gives no constraint (inf) once
    dε² ≥ 1.

    Examples
    --------
    >>> import math
    >>> from repcap.geometry.bounds import log10_relative_bound
    >>> round(10 ** log10_relative_bound(3, 1 / math.sqrt(5)), 6)  # the icosahedron's 6 diagonals
    6.0
    >>> round(10 ** log10_relative_bound(7, 1 / 3), 6)  # 28 equiangular lines in R⁷
    28.0
    >>> log10_relative_bound(4, 0.5)
    inf
    """
    d, eps = _d_eps(d, eps)
    e2 = eps * eps
    ok = d * e2 < 1
    with np.errstate(invalid="ignore", divide="ignore"):
        val = (np.log(d) + np.log1p(-e2) - np.log1p(-np.where(ok, d * e2, 0.0))) / _LN10
    return scalar_or_array(np.where(ok, val, np.inf))


def log10_levenshtein_bound(d, eps):
    r"""log10 of the Levenshtein bound for real lines.

    .. math:: N(d, \varepsilon) \le \frac{d(d+2)(1 - \varepsilon^2)}{3 - (d+2)\varepsilon^2}
              \qquad (\varepsilon^2 < 3/(d+2)),

    Delsarte's linear-programming bound with the polynomial :math:`f(u) = u^2(u^2 - \varepsilon^2)`
    (non-positive on [0, ε], non-negative Gegenbauer coefficients of degree 2 and 4 for
    ε² ≤ 6/(d+4), constant term 3/(d(d+2)) − ε²/d). Weaker than the relative bound for ε² < 1/(d+2),
    equal to it (d(d+1)/2) at ε² = 1/(d+2), stronger above; tight for the D4, E6, E7, E8 root systems.
    inf where ε² ≥ 3/(d+2).

    Examples
    --------
    >>> from repcap.geometry.bounds import log10_levenshtein_bound
    >>> round(10 ** log10_levenshtein_bound(4, 0.5), 6), round(10 ** log10_levenshtein_bound(8, 0.5), 6)
    (12.0, 120.0)
    """
    d, eps = _d_eps(d, eps)
    e2 = eps * eps
    denom = 3 - (d + 2) * e2
    ok = denom > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        val = (np.log(d) + np.log(d + 2) + np.log1p(-e2) - np.log(np.where(ok, denom, 1.0))) / _LN10
    return scalar_or_array(np.where(ok, val, np.inf))


def log10_orthoplex_bound(d, eps):
    r"""log10 of the orthoplex (Rankin) bound: N(d, ε) ≤ d(d+1)/2 whenever ε < 1/√d.

    .. math:: N(d, \varepsilon) \le \frac{d(d+1)}{2} \qquad (\varepsilon < 1/\sqrt d),

    the inversion of :func:`orthoplex_floor`; inf for ε ≥ 1/√d. Tight for 3 lines in R², 6 in R³ and
    28 in R⁷.

    Examples
    --------
    >>> from repcap.geometry.bounds import log10_orthoplex_bound
    >>> round(10 ** log10_orthoplex_bound(3, 0.45), 6), log10_orthoplex_bound(3, 0.6)
    (6.0, inf)
    """
    d, eps = _d_eps(d, eps)
    val = np.log10(d * (d + 1) / 2)
    return scalar_or_array(np.where(eps * np.sqrt(d) < 1, val, np.inf))


def log10_moment_bound(d, eps, t=None, return_t=False):
    r"""log10 of the real t-th moment bound on N(d, ε), by default with the best t.

    From :math:`\frac{1}{k^2}\sum_{i,j}\langle x_i, x_j\rangle^{2t} \ge c_t(d)` and
    :math:`\langle x_i, x_j\rangle^{2t} \le \varepsilon^{2t}` off the diagonal:

    .. math:: N(d, \varepsilon) \le \frac{1 - \varepsilon^{2t}}{c_t(d) - \varepsilon^{2t}}
              \qquad (\varepsilon^{2t} < c_t(d)),

    with :math:`c_t(d) = \Gamma(t+\tfrac12)\Gamma(d/2) / (\sqrt\pi\,\Gamma(d/2+t))`. t = 1 is the
    relative bound. For large d the best t grows like 1.4·dε² (t = 23 at d = 4096, ε = 0.0645, giving
    ≤ 10^56.0). Everything is computed in logs. With ``return_t=True`` returns ``(log10_N, t)``.

    Parameters
    ----------
    t : int, optional
        A fixed moment order; by default t is scanned upwards until a block of 64 orders brings no
        improvement.

    Examples
    --------
    At Llama 2 7B's (d, ε) = (4096, 0.0645) no packing holds more than 10^56.0 vectors; in R⁸ at
    ε = 1/2 the bound (t = 4) allows 255 lines, where E8 gives 120:

    >>> from repcap.geometry.bounds import log10_moment_bound
    >>> value, t = log10_moment_bound(4096, 0.0645, return_t=True)
    >>> round(value, 2), t
    (55.95, 23)
    >>> round(10 ** log10_moment_bound(8, 0.5), 6)
    255.0
    """
    d, eps = _d_eps(d, eps)
    if t is not None:
        if float(t) < 1 or float(t) != int(t):
            raise DomainError(f"t must be a positive integer, got {t}")
        val = _log_moment_bound(d, eps, np.asarray(float(t))) / _LN10
        return (scalar_or_array(val), int(t)) if return_t else scalar_or_array(val)
    shape = d.shape
    df, ef = d.ravel(), eps.ravel()
    best = np.full(df.size, np.inf)
    best_t = np.zeros(df.size, dtype=np.int64)
    active = ef < 1
    t0 = 1
    while active.any() and t0 <= _T_CAP:
        idx = np.nonzero(active)[0]
        tt = np.arange(t0, t0 + _T_BLOCK, dtype=float)[None, :]
        vals = _log_moment_bound(df[idx, None], ef[idx, None], tt)
        arg = np.argmin(vals, axis=1)
        block_best = vals[np.arange(idx.size), arg]
        improve = block_best < best[idx]
        best[idx] = np.where(improve, block_best, best[idx])
        best_t[idx] = np.where(improve, t0 + arg, best_t[idx])
        done = np.isfinite(vals).all(axis=1) & ~improve
        active[idx[done]] = False
        t0 += _T_BLOCK
    val = (best / _LN10).reshape(shape)
    if return_t:
        tb = best_t.reshape(shape)
        return scalar_or_array(val), (int(tb) if tb.ndim == 0 else tb)
    return scalar_or_array(val)


def _log_moment_bound(d, eps, t):
    """ln of (1 − ε^{2t}) / (c_t − ε^{2t}); inf where ε^{2t} ≥ c_t."""
    log_ct = _log_ct(d, t)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_e2t = 2 * t * np.log(eps)
        x = log_e2t - log_ct
        val = np.log1p(-np.exp(log_e2t)) - log_ct - np.log1p(-np.exp(np.minimum(x, 0.0)))
    return np.where(x < 0, val, np.inf)


def log10_upper_bound(d, eps, return_name=False):
    r"""log10 of the best rigorous closed-form upper bound on N(d, ε).

    .. math:: N(d, \varepsilon) \le \min\{\text{relative},\ \text{Levenshtein},\ \text{orthoplex},\
              \min_t \text{moment}_t\}

    (:func:`log10_relative_bound`, :func:`log10_levenshtein_bound`, :func:`log10_orthoplex_bound`,
    :func:`log10_moment_bound`). Valid at every finite d. With ``return_name=True`` also returns the
    name of the bound that is smallest.

    Examples
    --------
    >>> from repcap.geometry.bounds import log10_upper_bound
    >>> value, name = log10_upper_bound(4096, 0.0645, return_name=True)  # Llama 2 7B
    >>> round(value, 2), name
    (55.95, 'moment')
    >>> value, name = log10_upper_bound(4, 0.5, return_name=True)  # D4: 12 lines
    >>> round(10 ** value, 6), name
    (12.0, 'levenshtein')
    """
    values = [np.asarray(log10_relative_bound(d, eps)), np.asarray(log10_levenshtein_bound(d, eps)),
              np.asarray(log10_orthoplex_bound(d, eps)), np.asarray(log10_moment_bound(d, eps))]
    stack = np.stack(np.broadcast_arrays(*values))
    best = stack.min(axis=0)
    value = scalar_or_array(best)
    if not return_name:
        return value
    which = np.asarray(UPPER_BOUNDS, dtype=object)[np.argmin(stack, axis=0)]
    return value, (str(which) if np.ndim(which) == 0 else which)


def log10_tao_bound(d, eps, return_t=False):
    r"""log10 of the explicit corollary of Tao's "cheap Kabatiansky–Levenshtein" bound.

    For any integer t ≥ 1 (tensor powers :math:`x^{\otimes t}` in the symmetric power of dimension
    :math:`D_t = \binom{d+t-1}{t}`):

    .. math:: \varepsilon \le 2^{-1/t} D_t^{-1/(2t)} \;\Rightarrow\; N(d, \varepsilon) < 2 D_t,

    evaluated at the smallest t whose condition holds (D_t grows with t). It is weaker than the
    general-t Welch bound and than the real moment bound (10^108.8 against 10^56.0 at d = 4096,
    ε = 0.0645), but shows the right scaling: a count polynomial in d with degree of order dε².
    inf when no t up to 131072 qualifies. With ``return_t=True`` returns ``(log10_N, t)``.

    Examples
    --------
    >>> from repcap.geometry.bounds import log10_tao_bound
    >>> value, t = log10_tao_bound(4096, 0.0645, return_t=True)
    >>> round(value, 1), t
    (108.8, 46)
    """
    d, eps = _d_eps(d, eps)
    shape = d.shape
    df, ef = d.ravel(), eps.ravel()
    out = np.full(df.size, np.inf)
    out_t = np.zeros(df.size, dtype=np.int64)
    active = ef < 1
    t0 = 1
    while active.any() and t0 <= _T_CAP:
        idx = np.nonzero(active)[0]
        tt = np.arange(t0, t0 + _T_BLOCK, dtype=float)[None, :]
        dd = df[idx, None]
        log_dim = special.gammaln(dd + tt) - special.gammaln(tt + 1) - special.gammaln(dd)
        with np.errstate(divide="ignore"):
            cond = math.log(4.0) + 2 * tt * np.log(ef[idx, None]) + log_dim <= 0
        found = cond.any(axis=1)
        first = np.argmax(cond, axis=1)
        rows = np.nonzero(found)[0]
        out[idx[rows]] = (math.log(2.0) + log_dim[rows, first[rows]]) / _LN10
        out_t[idx[rows]] = t0 + first[rows]
        active[idx[rows]] = False
        t0 += _T_BLOCK
    val = out.reshape(shape)
    if return_t:
        tb = out_t.reshape(shape)
        return scalar_or_array(val), (int(tb) if tb.ndim == 0 else tb)
    return scalar_or_array(val)


# --------------------------------------------------------------------------------------------
# existence guarantees (lower bounds on N) and the asymptotic KL rate
# --------------------------------------------------------------------------------------------

def log10_greedy_count(d, eps):
    r"""log10 of the greedy / Gilbert–Varshamov existence guarantee.

    Add unit vectors one at a time, each with |cos| ≤ ε to all earlier ones. When none fits, the
    double caps :math:`\{y : |\langle x_i, y\rangle| > \varepsilon\}` cover the sphere, so N times the
    normalised cap area is at least 1:

    .. math:: N(d, \varepsilon) \ge \left\lceil \frac{1}{I_{1-\varepsilon^2}(\tfrac{d-1}{2}, \tfrac12)}\right\rceil,

    rigorous at every d ≥ 2 (the value returned is :math:`-\log_{10} I`, before the ceiling). For
    large d it is about :math:`\sqrt{\pi d/2}\,\varepsilon\,(1-\varepsilon^2)^{-(d-1)/2} \ge e^{d\varepsilon^2/2}`,
    i.e. C = 2 in k = exp(dε²/C). The cap area comes from :func:`repcap.geometry.null.log_pair_tail`, so this
    does not underflow (10^18.8 at d = 8192, ε = 0.09962).

    Examples
    --------
    In R³ the double cap has area 1 − ε, so at ε = 1/2 the guarantee is 2 lines. At Llama 2 70B's
    (d, ε) = (8192, 0.09962) it guarantees 10^18.8 vectors, more than the 8.15e15 of the paper's
    Table 1:

    >>> import math
    >>> from repcap.geometry.bounds import log10_greedy_count
    >>> round(log10_greedy_count(3, 0.5), 9) == round(math.log10(2), 9)
    True
    >>> round(log10_greedy_count(8192, 0.09962), 2), round(math.log10(8.15e15), 2)
    (18.8, 15.91)
    """
    d, eps = _d_eps(d, eps)
    return scalar_or_array(-log_pair_tail(eps, d) / _LN10)


def log10_random_sign_count(d, eps):
    r"""log10 of the random-sign (union bound) existence guarantee: every k ≤ exp(dε²/4) is achievable.

    For independent random ±1/√d vectors Hoeffding gives
    :math:`P(|\langle u_i, u_j\rangle| \ge \varepsilon) \le 2e^{-d\varepsilon^2/2}`; all k(k−1)/2 pairs
    are then good with positive probability when :math:`k(k-1)e^{-d\varepsilon^2/2} < 1`, which holds
    for every :math:`k \le e^{d\varepsilon^2/4}`:

    .. math:: \log_{10} N(d, \varepsilon) \ge \frac{d\,\varepsilon^2}{4\ln 10}

    (C = 4 in k = exp(dε²/C); the greedy count of :func:`log10_greedy_count` is always better).

    Examples
    --------
    >>> from repcap.geometry.bounds import log10_greedy_count, log10_random_sign_count
    >>> round(log10_random_sign_count(4096, 0.0645), 2), round(log10_greedy_count(4096, 0.0645), 2)
    (1.85, 4.44)
    """
    d, eps = _d_eps(d, eps)
    return scalar_or_array(d * eps * eps / (4 * _LN10))


def log10_kl_asymptotic(d, eps):
    r"""The bare Kabatiansky–Levenshtein rate, d·R(ε)/ln 10. ASYMPTOTIC ONLY: not a bound at finite d.

    Kabatiansky & Levenshtein (1978): for spherical codes of minimum angle θ fixed as n → ∞,

    .. math:: \frac{1}{n}\log_2 A(n, \theta) \le \frac{1+s}{2s}\log_2\frac{1+s}{2s}
              - \frac{1-s}{2s}\log_2\frac{1-s}{2s} + o(1), \qquad s = \sin\theta.

    For lines with |cos| ≤ ε take θ = arccos ε, s = √(1 − ε²), x = (1 − s)/(2s); in nats the rate is
    :math:`R = (1+x)\ln(1+x) - x\ln x` and the value returned is :math:`d\,R/\ln 10`, with the o(1)
    term dropped. **Without that term it is not a valid bound at finite d**: 159 of the paper's 160
    optimised packings with k > d already beat it (k = 32000 vectors at ε = 0.0250 in d = 4096, where
    this formula allows about 519). Use :func:`log10_upper_bound` for a rigorous ceiling; show this
    only as the large-d scaling (≈ d(ε²/4)(1 + ln(4/ε²)) nats for small ε).

    Examples
    --------
    The bare rate allows about 519 vectors at ε = 0.025 in R^4096, where the paper's optimiser placed
    32,000:

    >>> from repcap.geometry.bounds import log10_kl_asymptotic
    >>> round(10 ** log10_kl_asymptotic(4096, 0.025))
    519
    >>> round(log10_kl_asymptotic(4096, 0.0645), 2)
    14.6
    """
    d, eps = _d_eps(d, eps)
    e2 = eps * eps
    s = np.sqrt(1.0 - e2)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = e2 / (1.0 + s) / (2.0 * s)  # (1 − s)/(2s) without cancellation
        rate = (1 + x) * np.log1p(x) - np.where(x > 0, x * np.log(x), 0.0)
    return scalar_or_array(np.where(s > 0, d * rate / _LN10, np.inf))


# --------------------------------------------------------------------------------------------
# everything for one (d, ε)
# --------------------------------------------------------------------------------------------

def log10_construction_count(d, eps):
    r"""log10 of the largest explicit line set with dimension ≤ ⌊d⌋ and proven coherence ≤ ε.

    .. math:: \log_{10} \max\{K : \text{a construction of } K \text{ lines at coherence} \le
              \varepsilon \text{ lives in } \mathbb{R}^{n},\ n \le d\}

    over the orthonormal basis (K = d), Kerdock line sets and dual-BCH codes of
    :mod:`repcap.geometry.constructions`; zero-padding makes it monotone in d, and it is ≥ log10 d.

    Examples
    --------
    The Kerdock set in R^64 (2,112 lines at 1/8), and at Llama 2 7B's (d, ε) = (4096, 0.0645) a
    dual-BCH code with 2^36 vectors, above the paper's Eq. 7 capacity of 3.99e7:

    >>> from repcap.geometry.bounds import log10_construction_count
    >>> round(10 ** log10_construction_count(64, 0.125))
    2112
    >>> round(log10_construction_count(4096, 0.0645), 2)
    10.84
    """
    d_arr, e_arr = _d_eps(d, eps)
    flat = [best_construction(int(math.floor(dd)), ee).log10_count
            for dd, ee in zip(d_arr.ravel(), e_arr.ravel())]
    return scalar_or_array(np.asarray(flat, dtype=float).reshape(d_arr.shape))


def bounds_band(d, eps) -> dict:
    r"""Every bound on N(d, ε) for one (d, ε), as log10 counts, labelled and marked rigorous or not.

    The rigorous band is :math:`\max(\text{greedy}, \text{random sign}, \text{construction}) \le \log_{10} N(d, \varepsilon)
    \le \min(\text{relative}, \text{Levenshtein}, \text{orthoplex}, \text{moment})`; Tao's corollary
    is a weaker rigorous upper bound; the KL rate is asymptotic only.

    Returns
    -------
    dict with keys ``d``, ``eps``, ``bounds`` (name -> {``log10_count``, ``kind`` ("upper",
    "lower" or "asymptotic"), ``rigorous``, ``label``, and ``t`` for the moment and Tao bounds}),
    ``log10_lower`` / ``best_lower`` (the best rigorous existence guarantee), ``log10_upper`` /
    ``best_upper`` (the best rigorous upper bound).

    Examples
    --------
    Llama 2 7B's (d, ε) = (4096, 0.0645): N lies between 10^10.84 and 10^55.95.

    >>> from repcap.geometry.bounds import bounds_band
    >>> band = bounds_band(4096, 0.0645)
    >>> band["best_lower"], round(band["log10_lower"], 2)
    ('construction', 10.84)
    >>> band["best_upper"], round(band["log10_upper"], 2)
    ('moment', 55.95)
    >>> band["bounds"]["construction"]["label"]
    "explicit set (dual_bch, {'m': 12, 'e': 3})"
    """
    d_arr, eps_arr = _d_eps(d, eps)
    if d_arr.ndim != 0:
        raise DomainError("bounds_band takes one (d, eps) pair; call the log10_* functions for arrays")
    d, eps = float(d_arr), float(eps_arr)
    construction = best_construction(int(math.floor(d)), eps)
    moment, t_moment = log10_moment_bound(d, eps, return_t=True)
    tao, t_tao = log10_tao_bound(d, eps, return_t=True)
    bounds = {
        "relative": dict(log10_count=log10_relative_bound(d, eps), kind="upper", rigorous=True,
                         label="relative (inverted Welch) bound"),
        "levenshtein": dict(log10_count=log10_levenshtein_bound(d, eps), kind="upper", rigorous=True,
                            label="Levenshtein bound"),
        "orthoplex": dict(log10_count=log10_orthoplex_bound(d, eps), kind="upper", rigorous=True,
                          label="orthoplex (Rankin) bound"),
        "moment": dict(log10_count=moment, kind="upper", rigorous=True, t=t_moment,
                       label=f"real moment bound (t = {t_moment})"),
        "tao": dict(log10_count=tao, kind="upper", rigorous=True, t=t_tao,
                    label=f"Tao's corollary (t = {t_tao})"),
        "greedy": dict(log10_count=log10_greedy_count(d, eps), kind="lower", rigorous=True,
                       label="greedy / Gilbert–Varshamov guarantee"),
        "random_sign": dict(log10_count=log10_random_sign_count(d, eps), kind="lower", rigorous=True,
                            label="random-sign guarantee exp(dε²/4)"),
        "construction": dict(log10_count=construction.log10_count, kind="lower", rigorous=True,
                             family=construction.family, params=construction.params,
                             count=construction.count, coherence=construction.coherence,
                             dim=construction.dim,
                             label=f"explicit set ({construction.family}, {construction.params})"),
        "kl_asymptotic": dict(log10_count=log10_kl_asymptotic(d, eps), kind="asymptotic",
                              rigorous=False, label="Kabatiansky–Levenshtein rate (asymptotic only)"),
    }
    uppers = {n: bounds[n]["log10_count"] for n in UPPER_BOUNDS}
    lowers = {n: bounds[n]["log10_count"] for n in ("greedy", "random_sign", "construction")}
    best_upper = min(uppers, key=uppers.get)
    best_lower = max(lowers, key=lowers.get)
    return {
        "d": d,
        "eps": eps,
        "bounds": bounds,
        "log10_lower": lowers[best_lower],
        "best_lower": best_lower,
        "log10_upper": uppers[best_upper],
        "best_upper": best_upper,
    }
