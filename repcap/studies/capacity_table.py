r"""Representational capacity per model: the paper's Table 1 recomputed, sensitivity, the Eq. 2 budget.

The paper defines the representational capacity of a model with width d = d_model and accepted
deviation ε as the Eq. 7 law inverted for k:

.. math:: k_{\max}(d, \varepsilon) = \Big(d\,\exp\big((d^c\varepsilon^2/C)^{1/b}\big)\Big)^{1/a},

with C = 0.45809143, a = 1.0668005, b = 1.44738666, c = 0.97197234 (fitted to its optimised packings).
This module turns rows of models (the paper's Table 1, or models measured by the book) into table rows:
the capacity from the paper's constants, from constants fitted to our own packings, and from the
one-parameter Eq. 6, next to the paper's printed value; the sensitivity examples of paper §3.5; and
the share of the capacity that the vocabulary takes (Eq. 2). Capacities are handled as log10 values
throughout (Class 1 ε would give 10^20 and more). Nothing here plots.

Rows may be mappings or objects with attributes; the fields read are ``name``, ``d_model``, an ε
field (``eps`` or ``eps_paper``), and optionally ``capacity_paper``, ``vocab_size`` and ``tied``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from repcap.errors import DomainError
from repcap.laws import PAPER_EQ6_C, PAPER_EQ7, Fit, capacity_class, log10_capacity
from repcap.laws.classes import BETWEEN, CLASS1, CLASS1_ABOVE, CLASS2, CLASS2_BELOW, classify
from repcap.laws.metrics import rank_correlation

__all__ = [
    "PAPER_SENSITIVITY",
    "field",
    "relative_difference",
    "capacity_rows",
    "sensitivity_examples",
    "capacity_grid",
    "budget_rows",
    "doubling_factor",
    "elasticities",
    "TABLE1_SERIES",
    "GREEDY_SERIES",
    "EXPLICIT_SERIES",
    "class2_rows",
    "capacity_series",
    "series_agreement",
    "eps_sqrt_d_points",
    "family_sequence",
]

TABLE1_SERIES = "Eq. 7, paper's constants (Table 1)"
GREEDY_SERIES = "proven to exist (greedy construction)"
EXPLICIT_SERIES = "largest explicit set (dual-BCH, Kerdock, …)"

#: The paper's sensitivity examples (§3.5) as it prints them: (d_model, ε, capacity as printed).
PAPER_SENSITIVITY = (
    (2048, 0.09, 2.0e7),
    (3072, 0.09, 6.0e8),
    (8192, 0.05, 2.4e8),
    (8192, 0.09, 2.0e14),
)


def field(row: Any, *names: str, default: Any = None) -> Any:
    """The first of ``names`` that ``row`` has, as a key (mappings) or an attribute; else ``default``."""
    for name in names:
        if isinstance(row, Mapping):
            if name in row and row[name] is not None:
                return row[name]
        elif getattr(row, name, None) is not None:
            return getattr(row, name)
    return default


def _number(value: Any) -> float | None:
    """A float from a number or a printed capacity such as ``"3.99e7"``; None for text like "indeterminate"."""
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def relative_difference(computed, reported):
    r"""Signed relative difference (computed − reported) / reported, elementwise.

    .. math:: \delta = \frac{k_{\text{computed}} - k_{\text{reported}}}{k_{\text{reported}}}

    Used against the paper's printed capacities, which carry three significant digits; so |δ| up to
    about 0.5 % is rounding. NaN where the reported value is missing or zero.
    """
    c = np.asarray(computed, dtype=float)
    r = np.asarray([np.nan if v is None else v for v in np.atleast_1d(reported)], dtype=float)
    r = r.reshape(np.shape(reported)) if np.ndim(reported) else r[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(r != 0, (c - r) / r, np.nan)
    return float(out) if np.ndim(out) == 0 else out


def capacity_rows(rows: Iterable[Any], *, fitted: Mapping | Fit | None = None,
                  eps_field: Sequence[str] = ("eps", "eps_paper"),
                  eq6_c: float = PAPER_EQ6_C) -> list[dict]:
    r"""One table row per model: its ε, class, and capacity by several constants, beside the paper's.

    For each model with width d and accepted deviation ε the row holds

    ``log10_eq7_paper``   :math:`\log_{10} k_{\max}` by Eq. 7 with the paper's constants;
    ``capacity_eq7_paper`` that value rounded up as the paper's code does (``max_k``), a float;
    ``log10_eq7_fitted``  the same with ``fitted`` (our Eq. 7 constants), when given;
    ``log10_eq6``         :math:`\log_{10}(d\,e^{d\varepsilon^2/C})` with C = ``eq6_c``;
    ``capacity_paper``    the printed value (None for "indeterminate" or when absent);
    ``rel_diff``          (capacity_eq7_paper − capacity_paper)/capacity_paper;
    ``determinate``       ε < 0.1, the code's rule for printing a capacity;
    ``paper_class``       the paper's class (:func:`repcap.laws.classify`): "Class 1", "Class 2"
                          or "between" (the empty gap).

    Plus ``name``, ``d_model``, ``eps`` and, when the row has them, ``vocab_size`` and ``tied``.
    """
    out = []
    for row in rows:
        name = field(row, "name", default="?")
        d = _number(field(row, "d_model", "d"))
        eps = _number(field(row, *eps_field))
        if d is None or eps is None:
            raise DomainError(f"model {name!r}: need a numeric d_model and ε ({', '.join(eps_field)}); "
                              f"got {field(row, 'd_model', 'd')!r} and {field(row, *eps_field)!r}")
        lg_paper = float(log10_capacity(d, eps, "eq7", PAPER_EQ7))
        cap_paper_consts = math.ceil(10.0 ** lg_paper) if lg_paper < 300 else math.inf
        printed = _number(field(row, "capacity_paper"))
        entry = {
            "name": name,
            "d_model": int(d) if d.is_integer() else d,
            "eps": eps,
            "paper_class": classify(eps),
            "determinate": capacity_class(eps) == "determinate",
            "log10_eq7_paper": lg_paper,
            "capacity_eq7_paper": float(cap_paper_consts),
            "log10_eq7_fitted": (float(log10_capacity(d, eps, "eq7", fitted)) if fitted is not None
                                 else None),
            "log10_eq6": float(log10_capacity(d, eps, "eq6", {"C": eq6_c})),
            "capacity_paper": printed,
            "rel_diff": relative_difference(cap_paper_consts, printed) if printed else None,
        }
        for extra in ("vocab_size", "tied", "hub_id"):
            value = field(row, extra)
            if value is not None:
                entry[extra] = value
        out.append(entry)
    return out


def sensitivity_examples(params: Mapping | Fit | None = None,
                         examples: Sequence[tuple[float, float, float]] = PAPER_SENSITIVITY) -> list[dict]:
    r"""The paper's sensitivity examples recomputed: k_max(d, ε) by Eq. 7 next to the printed value.

    Each example (d, ε, printed) gives a dict with ``d``, ``eps``, ``printed``, ``log10_capacity``
    (with ``params``, default the paper's Eq. 7 constants), ``capacity`` (10^log10, unrounded) and
    ``rel_diff`` against the printed value (which has two significant digits).
    """
    rows = []
    for d, eps, printed in examples:
        lg = float(log10_capacity(d, eps, "eq7", PAPER_EQ7 if params is None else params))
        cap = 10.0 ** lg
        rows.append({"d": d, "eps": eps, "printed": printed, "log10_capacity": lg, "capacity": cap,
                     "rel_diff": relative_difference(cap, printed)})
    return rows


def doubling_factor(d_from: float, d_to: float, eps_from: float, eps_to: float,
                    params: Mapping | Fit | None = None) -> float:
    r"""The factor by which the Eq. 7 capacity grows from (d_from, ε_from) to (d_to, ε_to).

    .. math:: \frac{k_{\max}(d_{\text{to}}, \varepsilon_{\text{to}})}{k_{\max}(d_{\text{from}}, \varepsilon_{\text{from}})}
              = 10^{\log_{10} k_{\max}(d_{\text{to}}, \varepsilon_{\text{to}}) - \log_{10} k_{\max}(d_{\text{from}}, \varepsilon_{\text{from}})}
    """
    p = PAPER_EQ7 if params is None else params
    return 10.0 ** (float(log10_capacity(d_to, eps_to, "eq7", p)) - float(log10_capacity(d_from, eps_from, "eq7", p)))


def elasticities(d, eps, params: Mapping | Fit | None = None) -> dict:
    r"""How strongly the Eq. 7 capacity responds to relative changes of ε and of d, at (d, ε).

    With :math:`X = (d^c\varepsilon^2/C)^{1/b}` and :math:`\ln k_{\max} = (\ln d + X)/a`,

    .. math:: E_\varepsilon = \frac{\partial \ln k_{\max}}{\partial \ln \varepsilon} = \frac{2X}{a b}, \qquad
              E_d = \frac{\partial \ln k_{\max}}{\partial \ln d} = \frac{1 + cX/b}{a},

    so a 1 % change of ε multiplies k_max by about :math:`e^{0.01 E_\varepsilon}`; the ratio
    :math:`E_\varepsilon/E_d` tends to 2/c ≈ 2 once X ≫ 1: ε is the stronger lever, per relative change,
    by about a factor of two. Returns ``{"X", "e_eps", "e_d", "ratio"}`` (floats or arrays).
    """
    p = dict(PAPER_EQ7 if params is None else (params.params if isinstance(params, Fit) else params))
    d_arr = np.asarray(d, dtype=float)
    e_arr = np.asarray(eps, dtype=float)
    if (d_arr < 1).any() or (e_arr <= 0).any() or (e_arr > 1).any():
        raise DomainError("elasticities need d ≥ 1 and 0 < ε ≤ 1")
    X = (d_arr ** p["c"] * e_arr**2 / p["C"]) ** (1.0 / p["b"])
    e_eps = 2.0 * X / (p["a"] * p["b"])
    e_d = (1.0 + p["c"] * X / p["b"]) / p["a"]
    out = {"X": X, "e_eps": e_eps, "e_d": e_d, "ratio": e_eps / e_d}
    return {k: (float(v) if np.ndim(v) == 0 else v) for k, v in out.items()}


def capacity_grid(d_values, eps_values, *, form: str = "eq7",
                  params: Mapping | Fit | None = None) -> np.ndarray:
    r"""log10 k_max on the grid d × ε: array of shape (len(d_values), len(eps_values)).

    .. math:: L_{ij} = \log_{10} k_{\max}(d_i, \varepsilon_j)

    by ``form`` ("eq7", "eq6" or "jl") with ``params`` (default: the paper's constants for that form).
    """
    d = np.asarray(d_values, dtype=float).reshape(-1, 1)
    e = np.asarray(eps_values, dtype=float).reshape(1, -1)
    if d.size == 0 or e.size == 0:
        raise DomainError("capacity_grid needs at least one d and one ε")
    return np.asarray(log10_capacity(d, e, form, params), dtype=float).reshape(d.size, e.size)


def budget_rows(rows: Iterable[Any], *, params: Mapping | Fit | None = None,
                eps_field: Sequence[str] = ("eps", "eps_paper")) -> list[dict]:
    r"""Eq. 2, the shared budget, for each model whose vocabulary size and tying are known.

    The embeddings, the unembeddings and the features draw on one pool of k_max directions:

    .. math:: k_{\max} \approx 2V + k_{\text{features}} \ \ (\text{untied}), \qquad
              k_{\max} \approx V + k_{\text{features}} \ \ (\text{tied}).

    Returns per model ``name``, ``d_model``, ``eps``, ``vocab_size``, ``tied``, ``vocab_directions``
    (2V or V), ``log10_capacity`` (Eq. 7 with ``params``), ``vocab_share`` (vocab_directions / k_max)
    and ``log10_features`` (:math:`\log_{10}(k_{\max} - \text{vocab\_directions})`, NaN if not positive).
    Rows without ``vocab_size`` or ``tied`` are skipped.
    """
    p = PAPER_EQ7 if params is None else params
    out = []
    for row in rows:
        vocab = _number(field(row, "vocab_size"))
        tied = field(row, "tied")
        eps = _number(field(row, *eps_field))
        d = _number(field(row, "d_model", "d"))
        if vocab is None or tied is None or eps is None or d is None:
            continue
        lg = float(log10_capacity(d, eps, "eq7", p))
        used = (1 if tied else 2) * vocab
        log_used = math.log10(used)
        # log10(k − used) = lg + log10(1 − used/k), formed in logs so that k may be 10^200.
        frac = 10.0 ** (log_used - lg) if log_used - lg < 300 else math.inf
        log_features = lg + math.log10(1.0 - frac) if frac < 1 else float("nan")
        out.append({"name": field(row, "name", default="?"), "d_model": int(d), "eps": eps,
                    "vocab_size": int(vocab), "tied": bool(tied), "vocab_directions": int(used),
                    "log10_capacity": lg, "vocab_share": frac, "log10_features": log_features})
    return out


def class2_rows(table: Iterable[Mapping]) -> list[dict]:
    """The determinate rows of :func:`capacity_rows` (ε < 0.1), in increasing Eq. 7 capacity.

    Sorted by ``log10_eq7_paper`` (stable, so ties keep the table's order).
    """
    return sorted([r for r in table if r["determinate"]], key=lambda r: r["log10_eq7_paper"])


def capacity_series(rows: Sequence[Mapping], *, band: Sequence[Mapping] | None = None,
                    eq6_c: float = PAPER_EQ6_C) -> dict[str, list[float]]:
    r"""The same models' capacity, several ways, as ``{label: [log10 k per row]}``.

    In this order: :data:`TABLE1_SERIES` (Eq. 7 with the paper's constants, ``log10_eq7_paper``);
    Eq. 6, :math:`\log_{10}(d\,e^{d\varepsilon^2/C})` (``log10_eq6``); Eq. 7 with our constants
    (``log10_eq7_fitted``), only when every row carries it; and, when ``band`` is given (one
    :func:`repcap.geometry.feasibility.model_band` row per model, same order), :data:`GREEDY_SERIES`, the
    greedy existence guarantee :math:`-\log_{10} I_{1-\varepsilon^2}(\tfrac{d-1}{2}, \tfrac12)`,
    then, when every band row carries ``log10_construction``, :data:`EXPLICIT_SERIES`, the log10
    count of the largest explicit set at the model's (d, ε)
    (:func:`repcap.geometry.constructions.best_construction`).
    """
    rows = list(rows)
    series = {TABLE1_SERIES: [r["log10_eq7_paper"] for r in rows],
              f"Eq. 6, C = {eq6_c:.3f}": [r["log10_eq6"] for r in rows]}
    if rows and all(r.get("log10_eq7_fitted") is not None for r in rows):
        series["Eq. 7, our constants"] = [r["log10_eq7_fitted"] for r in rows]
    if band is not None:
        band = list(band)
        if len(band) != len(rows):
            raise DomainError(f"band has {len(band)} rows for {len(rows)} models; pass model_band of "
                              "the same models, in the same order")
        series[GREEDY_SERIES] = [b["log10_greedy"] for b in band]
        if band and all("log10_construction" in b for b in band):
            series[EXPLICIT_SERIES] = [b["log10_construction"] for b in band]
    return series


def series_agreement(series: Mapping[str, Sequence[float]], reference: str = TABLE1_SERIES,
                     skip: Sequence[str] = (GREEDY_SERIES, EXPLICIT_SERIES)) -> list[dict]:
    r"""How far each capacity series agrees with ``reference`` (default: Table 1), one dict per series.

    For a series :math:`y` against the reference :math:`x` (both log10 capacities over the same
    models): ``rho`` = Spearman's :math:`\rho(x, y)` (:func:`repcap.laws.metrics.rank_correlation`: do they order the
    models alike?) and ``gap_min``, ``gap_max`` = :math:`\min_i (y_i - x_i)`, :math:`\max_i (y_i - x_i)`
    (orders of magnitude). The reference itself and the labels in ``skip`` are left out.
    """
    if reference not in series:
        raise DomainError(f"reference series {reference!r} is not among {list(series)}")
    x = np.asarray(series[reference], dtype=float)
    out = []
    for label, values in series.items():
        if label == reference or label in skip:
            continue
        y = np.asarray(values, dtype=float)
        gap = y - x
        out.append({"label": label, "rho": rank_correlation(x, y)[0],
                    "gap_min": float(gap.min()), "gap_max": float(gap.max())})
    return out


_GROUPS = {CLASS2: f"{CLASS2} (ε < {CLASS2_BELOW:g})", CLASS1: f"{CLASS1} (ε > {CLASS1_ABOVE:g})",
           BETWEEN: f"{BETWEEN} ({CLASS2_BELOW:g} ≤ ε ≤ {CLASS1_ABOVE:g})"}


def eps_sqrt_d_points(rows: Iterable[Any], *, eps_field: Sequence[str] = ("eps", "eps_paper")) -> dict:
    r"""The models on the scale-free axis :math:`\varepsilon\sqrt d` (2 for a random matrix of any d).

    Returns arrays over the rows: ``name``, ``d`` (float), ``eps``, ``eps_sqrt_d`` =
    :math:`\varepsilon\sqrt{d}`, ``group`` (the paper's class rule: "Class 2 (ε < 0.1)",
    "Class 1 (ε > 0.2)" or "between (0.1 ≤ ε ≤ 0.2)") and ``class2`` (the boolean mask ε < 0.1).
    """
    rows = list(rows)
    names, dims, eps = [], [], []
    for row in rows:
        d, e = _number(field(row, "d_model", "d")), _number(field(row, *eps_field))
        if d is None or e is None:
            raise DomainError(f"model {field(row, 'name', default='?')!r}: need a numeric d_model and ε")
        names.append(field(row, "name", default="?"))
        dims.append(d)
        eps.append(e)
    eps_arr = np.array(eps, dtype=float)
    groups = [classify(e) for e in eps_arr]
    return {"name": np.array(names, dtype=object), "d": np.array(dims, dtype=float), "eps": eps_arr,
            "eps_sqrt_d": np.array([e * math.sqrt(d) for e, d in zip(eps, dims)]),
            "group": np.array([_GROUPS[g] for g in groups], dtype=object),
            "class2": np.array([g == CLASS2 for g in groups], dtype=bool)}


def family_sequence(rows: Iterable[Any], names: Sequence[str],
                    *, eps_field: Sequence[str] = ("eps", "eps_paper")) -> list[tuple[str, float]]:
    r"""``[(name, ε√d)]`` for the models of one family, in the order of ``names`` (missing names skipped)."""
    rows = list(rows)
    out = []
    for name in names:
        for row in rows:
            if field(row, "name") == name:
                out.append((name, _number(field(row, *eps_field)) * math.sqrt(_number(field(row, "d_model", "d")))))
    return out
