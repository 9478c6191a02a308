r"""Fitting the laws to measured (k, d, ε) points with the paper's procedure.

The paper (``vector_packing_graphs.py``) fits each form by non-linear least squares on ε itself,

.. math:: \hat\theta = \arg\min_\theta \sum_i \big(\varepsilon_i - f(k_i, d_i; \theta)\big)^2,

with ``scipy.optimize.curve_fit`` (trust-region reflective, since the parameters are bounded),
``maxfev = 50000``, single-C forms started at C = 1 within [0, 100] and the full form started at
(C, a, b, c) = (0.5, 1, 1.4, 1) within [0, 10] × [0.1, 10]³. This module does the same, with the
k/d forms predicting 0 for k ≤ d (:mod:`repcap.laws.forms`), and reports R², MAPE and NRMSE
(:func:`repcap.laws.metrics.metrics`). On the paper's released sweeps it reproduces the published
constants and metrics to about six significant figures.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from repcap.errors import DomainError, FitError
from repcap.laws.forms import FORMS
from repcap.laws.metrics import metrics

__all__ = ["Fit", "fit_form", "fit_all"]


@dataclass(frozen=True)
class Fit:
    """A fitted law: ``form`` ("jl", "eq6" or "eq7"), ``params`` (name -> value), its statistics.

    ``r2``, ``mape`` and ``nrmse`` are the paper's metrics (percent for the last two) on the ``n``
    points fitted; ``stderr`` holds the standard errors curve_fit's covariance implies (NaN when it
    cannot estimate them); ``sse`` is the residual sum of squares.
    """

    form: str
    params: dict
    r2: float
    mape: float
    nrmse: float
    n: int
    sse: float = float("nan")
    stderr: dict = field(default_factory=dict)

    def predict(self, k, d):
        """ε predicted by the fitted law at (k, d) (vectorised)."""
        return FORMS[self.form].func(k, d, *(self.params[p] for p in FORMS[self.form].params))

    def to_dict(self) -> dict:
        """Plain, JSON-able data: form, formula, params, r2, mape, nrmse, n, sse, stderr."""
        return {
            "form": self.form,
            "formula": FORMS[self.form].formula,
            "params": dict(self.params),
            "r2": self.r2,
            "mape": self.mape,
            "nrmse": self.nrmse,
            "n": self.n,
            "sse": self.sse,
            "stderr": dict(self.stderr),
        }


def _points(k, d, eps):
    try:
        k = np.asarray(k, dtype=float).ravel()
        d = np.asarray(d, dtype=float).ravel()
        eps = np.asarray(eps, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise FitError(f"k, d and eps must be numeric arrays ({exc})") from exc
    if not (k.size == d.size == eps.size):
        raise FitError(f"k, d and eps must have the same length, got {k.size}, {d.size}, {eps.size}")
    if not (np.isfinite(k).all() and np.isfinite(d).all() and np.isfinite(eps).all()):
        raise FitError("k, d and eps must be finite; drop unfinished (NaN) cells before fitting")
    if (k < 2).any() or (d < 1).any():
        raise FitError("every point needs k ≥ 2 vectors and dimension d ≥ 1")
    if (eps < 0).any() or (eps > 1).any():
        raise FitError("eps is a max |cos| and must lie in [0, 1]")
    return k, d, eps


def fit_form(form: str, k, d, eps, p0: Sequence[float] | None = None,
             bounds: tuple[Sequence[float], Sequence[float]] | None = None) -> Fit:
    r"""Fit one law to points (k_i, d_i, ε_i) by least squares on ε, as the paper does.

    .. math:: \hat\theta = \arg\min_{\theta \in \text{bounds}} \sum_i (\varepsilon_i - f_{\text{form}}(k_i, d_i; \theta))^2

    Parameters
    ----------
    form : {"jl", "eq6", "eq7"}
        ``jl``: ε = √(C ln k / d); ``eq6``: ε = √(C ln(k/d) / d); ``eq7``: ε = √(C ln(k^a/d)^b / d^c).
    k, d, eps : array-like of equal length
    p0, bounds : optional
        Override the paper's starting point and box (``(lower, upper)`` sequences).

    Returns
    -------
    Fit
    """
    if form not in FORMS:
        raise DomainError(f"unknown form {form!r}; choose one of {sorted(FORMS)}")
    spec = FORMS[form]
    k, d, eps = _points(k, d, eps)
    n_par = len(spec.params)
    if k.size <= n_par:
        raise FitError(f"the {form} form has {n_par} parameter(s) and needs more than {n_par} "
                       f"points, got {k.size}")
    # The k/d forms are identically 0 where k ≤ d: such points cannot inform their parameters.
    informative = int(np.sum(k > d)) if form in ("eq6", "eq7") else k.size
    if informative <= n_par:
        raise FitError(f"the {form} form is 0 wherever k ≤ d, so only the {informative} point(s) "
                       f"with k > d inform its {n_par} parameter(s); it needs more than {n_par}")
    p0 = tuple(spec.p0 if p0 is None else p0)
    lower, upper = (spec.lower, spec.upper) if bounds is None else bounds
    if not (len(p0) == len(lower) == len(upper) == n_par):
        raise DomainError(f"{form} has parameters {spec.params}: p0 and both bounds need {n_par} values")

    def model(x, *theta):
        return spec.func(x[0], x[1], *theta)

    with warnings.catch_warnings():
        # curve_fit warns when the covariance cannot be estimated; stderr is NaN then.
        warnings.simplefilter("ignore", OptimizeWarning)
        try:
            popt, pcov = curve_fit(model, np.vstack([k, d]), eps, p0=p0, bounds=(lower, upper),
                                   maxfev=50000)
        except (RuntimeError, ValueError) as exc:
            raise FitError(f"fitting the {form} form failed: {exc}") from exc
    yhat = model(np.vstack([k, d]), *popt)
    stats = metrics(eps, yhat)
    with np.errstate(invalid="ignore"):
        err = np.sqrt(np.diag(pcov)) if np.all(np.isfinite(pcov)) else np.full(n_par, np.nan)
    # A standard error of exactly 0 means the covariance is undefined (a parameter pinned at a
    # bound, no residual degrees of freedom), not a perfectly known parameter: report NaN.
    err = np.where(err > 0, err, np.nan)
    return Fit(
        form=form,
        params={p: float(v) for p, v in zip(spec.params, popt)},
        r2=stats["r2"],
        mape=stats["mape"],
        nrmse=stats["nrmse"],
        n=int(k.size),
        sse=float(np.sum((eps - yhat) ** 2)),
        stderr={p: float(v) for p, v in zip(spec.params, err)},
    )


def fit_all(k, d, eps, forms: Sequence[str] = ("jl", "eq6", "eq7")) -> dict[str, Fit]:
    """Fit every form in ``forms`` (default: standard JL, Eq. 6, Eq. 7) to the same points.

    Returns ``{form: Fit}`` in the order given; see :func:`fit_form` for the procedure.
    """
    return {form: fit_form(form, k, d, eps) for form in forms}


def params_of(form: str, params: Mapping | Fit | None, defaults: Mapping) -> dict:
    """The parameters of ``form`` from a mapping, a :class:`Fit` or the defaults, checked complete."""
    if isinstance(params, Fit):
        if params.form != form:
            raise DomainError(f"a {params.form} fit cannot supply parameters for the {form} form")
        params = params.params
    chosen = dict(defaults if params is None else params)
    names = FORMS[form].params
    missing = [p for p in names if p not in chosen]
    if missing:
        raise DomainError(f"the {form} form needs parameters {names}; missing {missing}")
    out = {}
    for p in names:
        try:
            out[p] = float(chosen[p])
        except (TypeError, ValueError) as exc:
            raise DomainError(f"parameter {p} must be a number, got {chosen[p]!r}") from exc
        if not np.isfinite(out[p]) or out[p] <= 0:
            raise DomainError(f"parameter {p} must be a positive finite number, got {out[p]}")
    return out
