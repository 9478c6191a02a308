r"""How ε moves with the width d over a set of models: the log–log slope and Spearman's rank correlation.

:func:`trend` fits :math:`\ln\varepsilon = a + b\ln d` by least squares (random matrices give
:math:`b = -1/2`) and ranks ε and :math:`\varepsilon\sqrt d` against d, which tells whether wider
models are more or less near-orthogonal than concentration of measure alone would make them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from repcap.errors import DomainError
from repcap.laws.metrics import rank_correlation

__all__ = ["Trend", "trend"]


@dataclass(frozen=True)
class Trend:
    r"""How ε moves with d over a set of models (see :func:`trend`).

    ``slope``/``intercept``: least-squares fit of :math:`\ln\varepsilon = a + b\ln d` (an
    isotropic family has :math:`b = -1/2`); ``spearman``/``p_value``: Spearman's rank correlation
    of ε with d and its two-sided p-value; ``spearman_scaled``/``p_value_scaled``: the same for
    :math:`\varepsilon\sqrt d` (ε in units of the isotropic value, up to the factor 2; NaN when
    that series is constant); ``n`` models.
    """

    n: int
    slope: float
    intercept: float
    spearman: float
    p_value: float
    spearman_scaled: float
    p_value_scaled: float


def trend(points: Iterable[Any]) -> Trend:
    r"""Does ε fall with d faster or slower than concentration of measure alone would make it?

    For points :math:`(d_k, \varepsilon_k)` (dicts or rows with ``d_model`` and ``eps``):

    .. math:: \hat b = \frac{\sum_k (u_k - \bar u)(v_k - \bar v)}{\sum_k (u_k - \bar u)^2},
              \quad u_k = \ln d_k,\ v_k = \ln\varepsilon_k,

    with intercept :math:`\bar v - \hat b\bar u`, plus Spearman rank correlations
    (:func:`repcap.laws.metrics.rank_correlation`) of ε and of :math:`\varepsilon\sqrt d` with d. Random matrices give :math:`\hat b = -1/2` and a
    flat :math:`\varepsilon\sqrt d`; a slope between −1/2 and 0 means that, relative to the
    isotropic value, wider models are *less* near-orthogonal.

    Raises :class:`~repcap.errors.DomainError` for fewer than 3 points, a single width, or
    non-positive values.
    """
    pts = [(p["d_model"], p["eps"]) if isinstance(p, Mapping) else (p.d_model, p.eps) for p in points]
    if len(pts) < 3:
        raise DomainError(f"trend: need at least 3 models, got {len(pts)}")
    d = np.array([float(x) for x, _ in pts])
    e = np.array([float(y) for _, y in pts])
    if not (np.all(np.isfinite(d)) and np.all(np.isfinite(e))) or np.any(d <= 0) or np.any(e <= 0):
        raise DomainError("trend: d_model and eps must be finite and positive")
    u, v = np.log(d), np.log(e)
    if np.ptp(u) == 0:
        raise DomainError("trend: all models have the same d_model; a slope needs several widths")
    slope = float(np.sum((u - u.mean()) * (v - v.mean())) / np.sum((u - u.mean()) ** 2))
    rho, p = rank_correlation(d, e)
    rho_s, p_s = rank_correlation(d, e * np.sqrt(d))
    return Trend(n=len(pts), slope=slope, intercept=float(v.mean() - slope * u.mean()),
                 spearman=float(rho), p_value=float(p), spearman_scaled=float(rho_s),
                 p_value_scaled=float(p_s))
