r"""Representational capacity: the laws inverted for k, in log space, and the code's determinate rule.

Inverting the three laws for the number of directions k that d dimensions hold at coherence ε:

* Eq. 7 (the paper's capacity): :math:`\ln k = \big(\ln d + (d^c\varepsilon^2/C)^{1/b}\big)/a`;
* Eq. 6: :math:`\ln k = \ln d + d\varepsilon^2/C`;
* standard JL (Eq. 3): :math:`\ln k = d\varepsilon^2/C`.

Equations are numbered as in Guha, "Representational Capacity" (2026, arXiv 2606.02765): Eq. 2 in
§3.1, Eqs 3–5 in §3.2, Eqs 6–7 in §3.3; the per-model capacities are its Table 1 (Appendix D).

Capacities reach 10^20 (Class 1 models) and far beyond, so everything is computed as a logarithm;
:func:`capacity` exponentiates only at the end and returns inf past the float range.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from repcap.common.checks import check_d_eps, scalar_or_array
from repcap.errors import DomainError
from repcap.laws.classes import in_class2
from repcap.laws.fitting import Fit, params_of
from repcap.laws.forms import FORMS, PAPER_EQ6_C, PAPER_EQ7, PAPER_JL_RANDOM_C

__all__ = [
    "log10_capacity",
    "capacity",
    "capacity_class",
    "feature_budget",
    "DEFAULT_PARAMS",
]

#: Constants each form uses when none are given.
DEFAULT_PARAMS = {"eq7": PAPER_EQ7, "eq6": {"C": PAPER_EQ6_C}, "jl": {"C": PAPER_JL_RANDOM_C}}
_LN10 = math.log(10.0)
_LOG10_FLOAT_MAX = math.log10(np.finfo(float).max)


def log10_capacity(d, eps, form: str = "eq7", params: Mapping | Fit | None = None):
    r"""log10 of the capacity k_max(d, ε) by one law (vectorised, no overflow).

    .. math::
        \log_{10} k_{\max} = \frac{1}{\ln 10}\times\begin{cases}
        \big(\ln d + (d^c \varepsilon^2 / C)^{1/b}\big) / a & \text{eq7 (Eq. 7, the paper's capacity)}\\
        \ln d + d\varepsilon^2 / C & \text{eq6 (Eq. 6)}\\
        d\varepsilon^2 / C & \text{jl (Eq. 3)}
        \end{cases}

    Parameters
    ----------
    d : float or array, ≥ 1
        d_model.
    eps : float or array in [0, 1]
        Accepted deviation (µ + 2σ in the paper).
    form : {"eq7", "eq6", "jl"}
    params : mapping, :class:`~repcap.laws.fitting.Fit` or None
        Constants (C, and a, b, c for eq7); None uses the paper's: Eq. 7 constants of
        ``representational_capacity.py``, C = 1.293401 for Eq. 6, C = 3.029480 (random baseline) for
        JL. Pass ``{"C": 8}`` for the JL constant the paper calls proven.

    Examples
    --------
    Llama 2 7B, (d, ε) = (4096, 0.0645): Eq. 7 gives 10^7.60 (Table 1: 3.99e7), Eq. 6 10^9.33, and
    JL with C = 8 10^0.93 (≈ 8.4, the paper's Eq. 4):

    >>> from repcap.laws import log10_capacity
    >>> round(log10_capacity(4096, 0.0645), 2), round(log10_capacity(4096, 0.0645, "eq6"), 2)
    (7.6, 9.33)
    >>> round(log10_capacity(4096, 0.0645, "jl", {"C": 8}), 2)
    0.93
    """
    if form not in FORMS:
        raise DomainError(f"unknown form {form!r}; choose one of {sorted(FORMS)}")
    p = params_of(form, params, DEFAULT_PARAMS[form])
    d, eps = check_d_eps(d, eps)
    e2 = eps * eps
    if form == "eq7":
        ln_k = (np.log(d) + (d ** p["c"] * e2 / p["C"]) ** (1.0 / p["b"])) / p["a"]
    elif form == "eq6":
        ln_k = np.log(d) + d * e2 / p["C"]
    else:
        ln_k = d * e2 / p["C"]
    return scalar_or_array(ln_k / _LN10)


def capacity(d, eps, form: str = "eq7", params: Mapping | Fit | None = None):
    r"""The capacity k_max(d, ε) as the paper's code reports it: rounded up, a float.

    .. math:: k_{\max} = \left\lceil \big(d\,\exp((d^c\varepsilon^2/C)^{1/b})\big)^{1/a} \right\rceil

    for Eq. 7 (``max_k`` in ``representational_capacity.py``), and likewise
    :math:`\lceil d\,e^{d\varepsilon^2/C}\rceil` (eq6), :math:`\lceil e^{d\varepsilon^2/C}\rceil` (jl).
    Computed as 10 ** :func:`log10_capacity`; inf where that exceeds the float range (about 1.8e308).
    The paper prints this only for ε < 0.1 (see :func:`capacity_class`); this function does not
    refuse larger ε, so the vacuous Class 1 values (2.045e20 at d = 2048, ε = 0.25) can be shown.

    Examples
    --------
    Table 1's Llama 2 7B (3.99e7) and Llama 3.1 405B (1.22e11); JL at Llama 2 7B with the paper's
    random-baseline C = 3.029 (≈ 277 in §3.2) and with C = 8 (≈ 8.4, Eq. 4); the §3.5 sensitivity
    example, ε = 0.09 at d_model 2048 and 3072 (2.0e7 and 6.0e8):

    >>> from repcap.laws import capacity
    >>> f"{capacity(4096, 0.0645):.3g}", f"{capacity(16384, 0.04813):.3g}"
    ('3.99e+07', '1.22e+11')
    >>> capacity(4096, 0.0645, "jl"), capacity(4096, 0.0645, "jl", {"C": 8})
    (278.0, 9.0)
    >>> [f"{k:.2g}" for k in capacity([2048, 3072], 0.09)]
    ['2e+07', '6e+08']
    >>> f"{capacity(2048, 0.25):.4g}"
    '2.045e+20'
    """
    lg = np.asarray(log10_capacity(d, eps, form, params))
    with np.errstate(over="ignore"):
        finite = np.ceil(np.exp(np.minimum(lg, _LOG10_FLOAT_MAX) * _LN10))
        val = np.where(lg > _LOG10_FLOAT_MAX, np.inf, finite)
    return scalar_or_array(val)


def capacity_class(eps):
    """The paper's code rule: a capacity is reported ("determinate") only when ε < 0.1.

    Returns ``"determinate"`` for ε < 0.1 (Class 2 of :func:`repcap.laws.classes.classify`) and
    ``"indeterminate"`` otherwise (Table 1 prints "indeterminate" for every Class 1 model). Accepts
    a number or an array (then an array of str).

    Examples
    --------
    >>> capacity_class(0.0645)   # Llama 2 7B: Table 1 prints 3.99e7
    'determinate'
    >>> capacity_class([0.0645, 0.20164]).tolist()   # ... and Gemma 3 1B "indeterminate"
    ['determinate', 'indeterminate']
    """
    out = np.where(in_class2(eps), "determinate", "indeterminate")
    return str(out) if out.ndim == 0 else out


def feature_budget(k_total, vocab_size, tied: bool):
    r"""Eq. 2, the shared budget: directions left for features after the vocabulary's share.

    .. math:: k_{\text{features}} = k - 2V \ \ (\text{untied embedding and unembedding}), \qquad
              k_{\text{features}} = k - V \ \ (\text{tied})

    Vectorised over ``k_total`` (use :func:`capacity` for it; inf stays inf). A negative result means
    the vocabulary alone exceeds the capacity.

    Examples
    --------
    Llama 2 7B (untied, V = 32,000) at its Eq. 7 capacity, and a tied model whose vocabulary alone
    exceeds a capacity of 1000:

    >>> from repcap.laws import capacity, feature_budget
    >>> feature_budget(capacity(4096, 0.0645), 32000, tied=False)
    39880630.0
    >>> feature_budget(1000, 32000, tied=True)
    -31000.0
    """
    v = np.asarray(vocab_size, dtype=float)
    if np.isnan(v).any() or (v < 1).any() or (~np.isfinite(v)).any():
        raise DomainError(f"vocab_size must be a positive finite count, got {vocab_size!r}")
    k = np.asarray(k_total, dtype=float)
    if np.isnan(k).any():
        raise DomainError("k_total contains NaN")
    return scalar_or_array(k - (1.0 if tied else 2.0) * v)
