"""Goodness-of-fit statistics exactly as the paper's fitting script reports them, and Spearman's rank
correlation (do two series order the same models alike?)."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from repcap.errors import DomainError

__all__ = ["metrics", "relative_errors", "relative_error_summary", "rank_correlation"]


def metrics(y, yhat) -> dict:
    r"""R², MAPE and NRMSE of predictions ``yhat`` for observations ``y`` (the paper's definitions).

    .. math::
        R^2 = 1 - \frac{\sum_i (y_i - \hat y_i)^2}{\sum_i (y_i - \bar y)^2}, \qquad
        \mathrm{MAPE} = \frac{100}{|\{i : y_i \ne 0\}|}\sum_{y_i \ne 0} \frac{|y_i - \hat y_i|}{|y_i|}, \qquad
        \mathrm{NRMSE} = 100\,\frac{\sqrt{\tfrac1n \sum_i (y_i - \hat y_i)^2}}{\max_i y_i - \min_i y_i}.

    MAPE and NRMSE are in percent. MAPE skips zero observations (as the paper's code does); the six
    near-orthogonal cells with k ≤ d (ε* ≈ 1e-4) are not zero and dominate the 975 % MAPE of the JL
    refit. Returns ``dict(r2=..., mape=..., nrmse=...)`` (NaN where a statistic is undefined, e.g.
    R² of constant data).

    Examples
    --------
    Residuals (−0.1, 0.1, 0): R² = 1 − 0.02/2, MAPE = (10 + 5 + 0)/3 %, NRMSE = √(0.02/3)/2 · 100 %:

    >>> from repcap.laws import metrics
    >>> {name: round(value, 4) for name, value in metrics([1, 2, 3], [1.1, 1.9, 3.0]).items()}
    {'r2': 0.99, 'mape': 5.0, 'nrmse': 4.0825}
    """
    y = np.asarray(y, dtype=float).ravel()
    yhat = np.asarray(yhat, dtype=float).ravel()
    if y.shape != yhat.shape:
        raise DomainError(f"y and yhat must have the same length, got {y.size} and {yhat.size}")
    if y.size == 0:
        raise DomainError("metrics need at least one observation")
    if not (np.isfinite(y).all() and np.isfinite(yhat).all()):
        raise DomainError("y and yhat must be finite; drop NaN/inf rows first")
    resid = y - yhat
    ss_res = float(np.sum(resid**2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    nz = y != 0
    spread = float(y.max() - y.min())
    return {
        "r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
        "mape": float(np.mean(np.abs(resid[nz]) / np.abs(y[nz])) * 100) if nz.any() else float("nan"),
        "nrmse": float(np.sqrt(ss_res / y.size) / spread * 100) if spread > 0 else float("nan"),
    }


def relative_errors(y, yhat) -> np.ndarray:
    r"""Per-cell relative error of a prediction: :math:`r_i = y_i / \hat y_i - 1` (float64 array).

    Positive where the measurement lies above the law. ``yhat`` must be finite and non-zero.

    Examples
    --------
    >>> import numpy as np
    >>> from repcap.laws.metrics import relative_errors
    >>> np.round(relative_errors([1.1, 1.8], [1.0, 2.0]), 6).tolist()
    [0.1, -0.1]
    """
    y = np.asarray(y, dtype=float).ravel()
    yhat = np.asarray(yhat, dtype=float).ravel()
    if y.shape != yhat.shape:
        raise DomainError(f"y and yhat must have the same length, got {y.size} and {yhat.size}")
    if not np.isfinite(yhat).all() or (yhat == 0).any():
        raise DomainError("yhat must be finite and non-zero to form y / yhat - 1; drop those cells first")
    return y / yhat - 1


def relative_error_summary(y, yhat) -> dict:
    r"""One comparison row: :func:`metrics` plus the range of the relative errors :func:`relative_errors`.

    With :math:`r_i = y_i / \hat y_i - 1`, returns ``r2``, ``mape``, ``nrmse`` (as :func:`metrics`) and

    .. math:: \text{median} = \operatorname{median}_i r_i, \qquad \text{lo} = \min_i r_i, \qquad
              \text{hi} = \max_i r_i

    (fractions, not percent).

    Examples
    --------
    >>> from repcap.laws.metrics import relative_error_summary
    >>> row = relative_error_summary([1.1, 1.8, 3.0], [1.0, 2.0, 3.0])
    >>> {name: round(value, 4) for name, value in row.items()}
    {'r2': 0.9729, 'mape': 6.734, 'nrmse': 6.7947, 'median': 0.0, 'lo': -0.1, 'hi': 0.1}
    """
    rel = relative_errors(y, yhat)
    return {**metrics(y, yhat), "median": float(np.median(rel)), "lo": float(rel.min()), "hi": float(rel.max())}


def rank_correlation(x, y) -> tuple[float, float]:
    r"""Spearman's rank correlation of ``x`` and ``y`` and its two-sided p-value, ``(rho, p)``.

    :math:`\rho` is Pearson's correlation of the ranks of x and y (ties get their average rank),
    computed by :func:`scipy.stats.spearmanr`. A constant series (all values equal to 1e-12
    relative, e.g. the ε√d of an exactly isotropic family) has no ranks to correlate: ``(nan, nan)``.

    Examples
    --------
    >>> from repcap.laws.metrics import rank_correlation
    >>> rho, p = rank_correlation([1, 2, 3, 4], [10, 30, 20, 40])
    >>> round(rho, 6), round(p, 6)
    (0.8, 0.2)
    >>> rank_correlation([1, 2, 3], [5, 5, 5])
    (nan, nan)
    """
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if x.size != y.size or x.size < 2:
        raise DomainError(f"need two equally long sequences of at least 2 values, got {x.size} and {y.size}")
    if any(np.ptp(v) <= 1e-12 * np.max(np.abs(v)) for v in (x, y)):
        return math.nan, math.nan
    res = stats.spearmanr(x, y)
    return float(res.statistic), float(res.pvalue)
