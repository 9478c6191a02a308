r"""The feasibility band: the paper's capacity laws placed between proven bounds on line packings.

For a dimension d and a tolerance ε, N(d, ε) is the largest number of unit vectors in R^d whose
pairwise |cos| are all at most ε. Nobody knows N at LLM sizes, but it is pinned between

* **existence guarantees** (some packing this large exists): the greedy / Gilbert–Varshamov count
  :math:`1/I_{1-\varepsilon^2}(\tfrac{d-1}{2}, \tfrac12) \gtrsim e^{d\varepsilon^2/2}` and the random-sign
  count :math:`e^{d\varepsilon^2/4}`;
* **impossibility bounds** (no packing is larger): the minimum of the relative (inverted Welch),
  Levenshtein, orthoplex and real-moment bounds;

with the Kabatiansky–Levenshtein rate, which is only asymptotic, shown for scale. The paper's laws
are fitted to packings an optimiser reached at k ≤ 32,000 and then extrapolated to 10^5–10^16; a
*capacity* that claims to be an upper bound must at least lie inside this band. This module evaluates
the band beside the laws (:func:`band_curves`, :func:`model_band`), finds where Eq. 7 drops below the
existence guarantee (:func:`eq7_exit`), and measures how far packings sit above the best proven
coherence floor (:func:`floor_ratios`, summarised by :func:`ratio_summary`). It computes only; :mod:`repcap.book.plots.capacity` draws.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy import optimize

from repcap.common.checks import scalar_or_array
from repcap.errors import DomainError
from repcap.geometry import bounds
from repcap.geometry.constructions import best_construction
from repcap.geometry.null import best_of_trials_median
from repcap.laws import PAPER_EQ6_C, PAPER_EQ7, Fit, log10_capacity

__all__ = ["band_curves", "model_band", "named_band", "outside_band", "band_panels", "eq7_exit", "floor_ratios",
           "ratio_summary", "random_count"]


def _eq7_params(params: Mapping | Fit | None) -> Mapping | Fit:
    return PAPER_EQ7 if params is None else params


def band_curves(d: float, eps, *, eq7_params: Mapping | Fit | None = None,
                eq6_c: float = PAPER_EQ6_C) -> dict[str, np.ndarray]:
    r"""log10 of every bound and law on N(d, ε) along a grid of ε at one dimension d.

    Returns a dict of arrays over ``eps``:

    ``greedy``        :math:`-\log_{10} I_{1-\varepsilon^2}(\tfrac{d-1}{2}, \tfrac12)` (existence, rigorous)
    ``random_sign``   :math:`d\varepsilon^2 / (4\ln 10)` (existence, rigorous)
    ``upper``         min(relative, Levenshtein, orthoplex, best real moment) (impossibility, rigorous)
    ``kl``            the bare Kabatiansky–Levenshtein rate :math:`dR(\varepsilon)/\ln 10` (asymptotic only)
    ``eq6``           :math:`\log_{10}\big(d\,e^{d\varepsilon^2/C}\big)`, C = ``eq6_c``
    ``eq7``           :math:`\log_{10}\big(d\,e^{(d^c\varepsilon^2/C)^{1/b}}\big)/a` with ``eq7_params``
                      (default: the paper's constants)

    plus ``eps`` itself. ε must lie in (0, 1).

    Examples
    --------
    At Llama 2 7B's (d, ε) = (4096, 0.0645) Eq. 7 gives 10^7.6 (Table 1: 3.99e7), between the greedy
    guarantee 10^4.44 and the rigorous ceiling 10^55.95 (an explicit code does better still, see
    :func:`model_band`):

    >>> import numpy as np
    >>> from repcap.geometry.feasibility import band_curves
    >>> curves = band_curves(4096, [0.0645])
    >>> {name: np.round(v, 2).tolist()
    ...  for name, v in curves.items() if name != "eps"}  # doctest: +NORMALIZE_WHITESPACE
    {'greedy': [4.44], 'random_sign': [1.85], 'upper': [55.95], 'kl': [14.6], 'eq6': [9.33],
     'eq7': [7.6]}
    """
    eps = np.atleast_1d(np.asarray(eps, dtype=float))
    if eps.ndim != 1 or (eps <= 0).any() or (eps >= 1).any():
        raise DomainError("eps must be a 1-D grid of values strictly between 0 and 1")
    params = _eq7_params(eq7_params)
    return {
        "eps": eps,
        "greedy": np.asarray(bounds.log10_greedy_count(d, eps)),
        "random_sign": np.asarray(bounds.log10_random_sign_count(d, eps)),
        "upper": np.asarray(bounds.log10_upper_bound(d, eps)),
        "kl": np.asarray(bounds.log10_kl_asymptotic(d, eps)),
        "eq6": np.asarray(log10_capacity(d, eps, "eq6", {"C": eq6_c})),
        "eq7": np.asarray(log10_capacity(d, eps, "eq7", params)),
    }


def model_band(d, eps, *, eq7_params: Mapping | Fit | None = None,
               eq6_c: float = PAPER_EQ6_C) -> list[dict]:
    r"""The band and the laws at each model's (d_model, ε), with a verdict on the Eq. 7 capacity.

    For each pair (d_i, ε_i) returns a dict with ``d``, ``eps``, ``eps_sqrt_d`` (:math:`\varepsilon\sqrt d`,
    which is 2 for a random matrix), ``log10_greedy``, ``log10_random_sign``, ``log10_upper`` and
    ``upper_name`` (which bound is smallest), ``log10_construction`` with ``construction_family``,
    ``construction_params``, ``construction_count``, ``construction_coherence`` (the largest explicit
    set of :func:`repcap.geometry.constructions.best_construction`), ``log10_lower`` (max of the three
    existence counts), ``eq7_below_construction`` and ``construction_over_eq7``
    (:math:`K_{\text{construction}} / k_{\text{Eq. 7}}`), ``log10_kl`` (asymptotic only), ``log10_eq6``,
    ``log10_eq7`` and ``verdict``:

    ``"below existence"``  the Eq. 7 value is smaller than a count proven to exist (greedy, random sign
                           or an explicit construction), so it cannot be an upper bound on N(d, ε);
    ``"inside band"``      between the existence guarantee and the rigorous upper bound;
    ``"above upper bound"`` larger than a count proven impossible.

    In symbols, with :math:`L = \max(\text{greedy}, \text{random sign}, \text{construction})` and
    U the rigorous upper bound (all log10): below existence if :math:`\log_{10} k_{\text{Eq. 7}} < L`,
    above upper bound if :math:`\log_{10} k_{\text{Eq. 7}} > U`, inside band otherwise.

    Examples
    --------
    Table 1's capacity for Llama 2 7B (d, ε) = (4096, 0.0645) lies below an explicit dual-BCH code;
    at ε = 0.02 in R^2048 Eq. 7 stays inside the band:

    >>> from repcap.geometry.feasibility import model_band
    >>> rows = model_band([4096, 2048], [0.0645, 0.02])
    >>> [(r["d"], r["verdict"], round(r["log10_eq7"], 2), round(r["log10_lower"], 2)) for r in rows]
    [(4096, 'below existence', 7.6, 10.84), (2048, 'inside band', 3.63, 3.31)]
    """
    d_arr, e_arr = np.broadcast_arrays(np.asarray(d, dtype=float), np.asarray(eps, dtype=float))
    d_arr, e_arr = d_arr.ravel(), e_arr.ravel()
    if (e_arr <= 0).any() or (e_arr >= 1).any():
        raise DomainError("every eps must lie strictly between 0 and 1")
    params = _eq7_params(eq7_params)
    greedy = np.asarray(bounds.log10_greedy_count(d_arr, e_arr), dtype=float).ravel()
    rsign = np.asarray(bounds.log10_random_sign_count(d_arr, e_arr), dtype=float).ravel()
    upper, names = bounds.log10_upper_bound(d_arr, e_arr, return_name=True)
    upper, names = np.atleast_1d(upper), np.atleast_1d(names)
    kl = np.asarray(bounds.log10_kl_asymptotic(d_arr, e_arr), dtype=float).ravel()
    sets = [best_construction(int(math.floor(dd)), ee) for dd, ee in zip(d_arr, e_arr)]
    eq6 = np.asarray(log10_capacity(d_arr, e_arr, "eq6", {"C": eq6_c}), dtype=float).ravel()
    eq7 = np.asarray(log10_capacity(d_arr, e_arr, "eq7", params), dtype=float).ravel()
    rows = []
    for i in range(d_arr.size):
        lower = max(greedy[i], rsign[i], sets[i].log10_count)
        verdict = ("below existence" if eq7[i] < lower else
                   "above upper bound" if eq7[i] > upper[i] else "inside band")
        rows.append({
            "d": int(d_arr[i]) if float(d_arr[i]).is_integer() else float(d_arr[i]),
            "eps": float(e_arr[i]),
            "eps_sqrt_d": float(e_arr[i] * math.sqrt(d_arr[i])),
            "log10_greedy": float(greedy[i]),
            "log10_random_sign": float(rsign[i]),
            "log10_construction": sets[i].log10_count,
            "construction_family": sets[i].family,
            "construction_params": dict(sets[i].params),
            "construction_count": sets[i].count,
            "construction_coherence": sets[i].coherence,
            "log10_lower": float(lower),
            "eq7_below_construction": bool(eq7[i] < sets[i].log10_count),
            "construction_over_eq7": float(10.0 ** (sets[i].log10_count - eq7[i])),
            "log10_upper": float(upper[i]),
            "upper_name": str(names[i]),
            "log10_kl": float(kl[i]),
            "log10_eq6": float(eq6[i]),
            "log10_eq7": float(eq7[i]),
            "verdict": verdict,
        })
    return rows


def named_band(rows, *, eq7_params: Mapping | Fit | None = None, eq6_c: float = PAPER_EQ6_C) -> list[dict]:
    r""":func:`model_band` at each row's (``d_model``, ``eps``), with the row's ``name`` attached.

    ``rows`` are mappings such as :func:`repcap.studies.capacity_table.capacity_rows` output; each result
    also carries ``capacity_paper`` (the printed capacity, None when the row has none).

    Examples
    --------
    >>> from repcap.geometry.feasibility import named_band
    >>> rows = [{"name": "Llama 2 70B", "d_model": 8192, "eps": 0.09962, "capacity_paper": 8.15e15}]
    >>> [(v["name"], v["verdict"], round(v["log10_eq7"], 2), round(v["log10_greedy"], 2))
    ...  for v in named_band(rows)]
    [('Llama 2 70B', 'below existence', 15.91, 18.8)]
    """
    rows = list(rows)
    if not rows:
        return []
    for r in rows:
        if "d_model" not in r or "eps" not in r:
            raise DomainError(f"row {r.get('name', '?')!r} lacks d_model or eps; pass capacity_rows output")
    out = model_band([r["d_model"] for r in rows], [r["eps"] for r in rows], eq7_params=eq7_params, eq6_c=eq6_c)
    for r, v in zip(rows, out):
        v["name"] = r.get("name", "?")
        v["capacity_paper"] = r.get("capacity_paper")
    return out


def outside_band(verdicts) -> list[dict]:
    """The :func:`model_band` / :func:`named_band` rows whose verdict is not ``"inside band"``.

    Examples
    --------
    >>> from repcap.geometry.feasibility import model_band, outside_band
    >>> [(r["d"], r["verdict"]) for r in outside_band(model_band([4096, 2048], [0.0645, 0.02]))]
    [(4096, 'below existence')]
    """
    return [v for v in verdicts if v["verdict"] != "inside band"]


def band_panels(rows, dims=(4096, 8192), eps_grid=None, *,
                eq7_params: Mapping | Fit | None = None) -> list[dict]:
    r"""What one feasibility-band panel per width needs: the curves, the Eq. 7 exit, the models there.

    For each d in ``dims``: ``{"d": d, "curves": band_curves(d, eps_grid), "exit_eps": ε at which
    Eq. 7 falls below the greedy guarantee (:func:`eq7_exit`), "models": [{"name", "eps",
    "log10_eq7"}]}`` for the rows with ``d_model == d`` (``log10_eq7`` read from the row's
    ``log10_eq7_paper``). ``eps_grid`` defaults to 300 points evenly spaced on [0.01, 0.16].

    Examples
    --------
    >>> import numpy as np
    >>> from repcap.geometry.feasibility import band_panels
    >>> rows = [{"name": "Llama 2 70B", "d_model": 8192, "eps": 0.09962, "log10_eq7_paper": 15.91}]
    >>> panel, = band_panels(rows, dims=(8192,), eps_grid=np.linspace(0.02, 0.12, 5))
    >>> panel["d"], round(panel["exit_eps"], 4), [m["name"] for m in panel["models"]]
    (8192, 0.0823, ['Llama 2 70B'])
    """
    grid = np.linspace(0.01, 0.16, 300) if eps_grid is None else eps_grid
    rows = list(rows)
    panels = []
    for dd in dims:
        models = [{"name": r["name"], "eps": r["eps"], "log10_eq7": r["log10_eq7_paper"]}
                  for r in rows if r["d_model"] == dd]
        panels.append({"d": dd, "curves": band_curves(dd, grid, eq7_params=eq7_params),
                       "exit_eps": float(eq7_exit(dd, eq7_params=eq7_params)["eps"][0]), "models": models})
    return panels


def eq7_exit(d, *, eq7_params: Mapping | Fit | None = None) -> dict[str, np.ndarray]:
    r"""Where the Eq. 7 capacity falls below the greedy existence guarantee, for each d.

    Solves, for ε in (0, 1),

    .. math:: \frac{\ln d + (d^c\varepsilon^2/C)^{1/b}}{a} = -\ln I_{1-\varepsilon^2}\!\left(\tfrac{d-1}{2}, \tfrac12\right)

    by Brent's method. Below the root Eq. 7 lies above the guarantee; above it, Eq. 7 claims fewer
    directions than provably fit, because its ε-dependence :math:`\varepsilon^{2/b}` (2/b ≈ 1.38 with the
    paper's constants) grows more slowly than the :math:`\varepsilon^2` of the guarantee. Returns
    ``{"d": d, "eps": ε_exit, "eps_sqrt_d": ε_exit·√d}`` as arrays (NaN where no crossing exists in
    (0, 1)).

    Examples
    --------
    Eq. 7 leaves the band at ε√d ≈ 7.0 in R^1024 and ≈ 7.6 in R^16384:

    >>> import numpy as np
    >>> from repcap.geometry.feasibility import eq7_exit
    >>> out = eq7_exit([1024, 16384])
    >>> np.round(out["eps"], 4).tolist(), np.round(out["eps_sqrt_d"], 2).tolist()
    ([0.2179, 0.0591], [6.97, 7.56])
    """
    d_arr = np.atleast_1d(np.asarray(d, dtype=float))
    if (d_arr < 2).any() or not np.isfinite(d_arr).all():
        raise DomainError("d must be finite and at least 2")
    params = _eq7_params(eq7_params)

    def gap(e: float, dim: float) -> float:
        return float(log10_capacity(dim, e, "eq7", params)) - float(bounds.log10_greedy_count(dim, e))

    out = np.full(d_arr.shape, np.nan)
    for i, dim in enumerate(d_arr):
        lo, hi = 1e-6, 1 - 1e-9
        if gap(lo, dim) > 0 and gap(hi, dim) < 0:
            out[i] = optimize.brentq(gap, lo, hi, args=(dim,), xtol=1e-12, rtol=1e-12)
    return {"d": d_arr, "eps": out, "eps_sqrt_d": out * np.sqrt(d_arr)}


def floor_ratios(k, d, eps) -> dict[str, np.ndarray]:
    r"""How far packings sit above the best proven coherence floor: ε* / floor(k, d).

    The floor is :func:`repcap.geometry.bounds.coherence_floor`, the largest of the Welch
    :math:`\sqrt{(k-d)/(d(k-1))}`, Levenshtein, orthoplex and real-moment floors: no k unit vectors in
    R^d can have a smaller max |cos|. Returns arrays ``floor``, ``name`` (which floor is largest),
    ``ratio`` = ε*/floor (NaN for cells with k ≤ d, where the floor is 0 because orthonormal vectors
    exist).

    Examples
    --------
    Two cells of the paper's released optimised sweep in R^4096 (ε* = 0.0250 at k = 32,000 and 0.0001
    at k = 2000 ≤ d):

    >>> import numpy as np
    >>> from repcap.geometry.feasibility import floor_ratios
    >>> out = floor_ratios([32000, 2000], 4096, [0.0250, 0.0001])
    >>> np.round(out["floor"], 4).tolist(), out["name"].tolist(), np.round(out["ratio"], 2).tolist()
    ([0.0146, 0.0], ['welch', 'welch'], [1.71, nan])
    """
    k_arr, d_arr, e_arr = (np.asarray(x, dtype=float).ravel() for x in np.broadcast_arrays(k, d, eps))
    if not (np.isfinite(e_arr).all() and (e_arr >= 0).all() and (e_arr <= 1).all()):
        raise DomainError("eps must be finite and in [0, 1]")
    floor, names = bounds.coherence_floor(k_arr, d_arr, return_name=True)
    floor = np.atleast_1d(np.asarray(floor, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(floor > 0, e_arr / np.where(floor > 0, floor, 1.0), np.nan)
    return {"floor": floor, "name": np.atleast_1d(np.asarray(names, dtype=object)), "ratio": ratio}


def ratio_summary(ratio, label: str, *, where=None) -> dict:
    r"""The range of a set of floor ratios (:func:`floor_ratios`), one row of a summary table.

    Over the cells kept by ``where`` (a boolean mask; default: the finite ratios, i.e. the cells
    with k > d), with :math:`r_j` = ε*_j / floor_j,

    .. math:: n = \#\{j\}, \quad \text{lo} = \min_j r_j, \quad \text{med} = \operatorname{median}_j r_j,
              \quad \text{hi} = \max_j r_j,

    returned as ``{"data": label, "n", "lo", "med", "hi"}`` (NaN statistics when no cell is kept).
    A ratio of 1 would be a packing that meets the floor; every real packing sits above it.

    Examples
    --------
    >>> from repcap.geometry.feasibility import ratio_summary
    >>> ratio_summary([1.31, 1.71, 2.55, float("nan")], "demo")
    {'data': 'demo', 'n': 3, 'lo': 1.31, 'med': 1.71, 'hi': 2.55}
    """
    r = np.asarray(ratio, dtype=float).ravel()
    keep = np.isfinite(r) if where is None else np.asarray(where, dtype=bool).ravel()
    if keep.shape != r.shape:
        raise DomainError(f"where has {keep.size} entries but ratio has {r.size}; pass one flag per cell")
    vals = r[keep]
    if vals.size and not np.isfinite(vals).all():
        raise DomainError("where keeps cells whose ratio is not finite (k ≤ d has no floor); leave them out")
    if not vals.size:
        return {"data": label, "n": 0, "lo": math.nan, "med": math.nan, "hi": math.nan}
    return {"data": label, "n": int(vals.size), "lo": float(vals.min()), "med": float(np.median(vals)),
            "hi": float(vals.max())}


def random_count(d, eps, trials: int = 1) -> np.ndarray | float:
    r"""How many random unit vectors reach coherence ε in R^d: the k whose best-of-T median equals ε.

    Inverts the zero-parameter law of :func:`repcap.geometry.null.best_of_trials_median`: the median of
    :math:`\min_{t \le T}\max_{i<j}|\cos|` over k Gaussian vectors is increasing in k, and the k
    returned solves

    .. math:: \operatorname{median}\Big(\min_{t \le T} \max_{i<j} |\langle v^{(t)}_i, v^{(t)}_j\rangle|\Big) = \varepsilon

    (continuous in k; Brent's method on ln k). For T = 1 it is what one random draw gives, the
    practical meaning of the "random-projection" capacity; to leading order
    :math:`k \approx e^{d\varepsilon^2/4}` (C = 4), larger at finite k. Vectorised over d and ε.

    Examples
    --------
    At Llama 2 7B's (d, ε) = (4096, 0.0645) one random draw keeps about 197 vectors within ε
    (:math:`e^{d\varepsilon^2/4} \approx 71`); and the law inverts :func:`best_of_trials_median`:

    >>> import math
    >>> from repcap.geometry.feasibility import random_count
    >>> from repcap.geometry.null import best_of_trials_median
    >>> round(random_count(4096, 0.0645)), round(math.exp(4096 * 0.0645**2 / 4))
    (197, 71)
    >>> round(random_count(256, best_of_trials_median(2000, 256), trials=1000))
    2000
    """
    d_arr, e_arr = np.broadcast_arrays(np.asarray(d, dtype=float), np.asarray(eps, dtype=float))
    if (e_arr <= 0).any() or (e_arr >= 1).any():
        raise DomainError("eps must lie strictly between 0 and 1")
    if (d_arr < 2).any():
        raise DomainError("d must be at least 2")
    out = np.empty(d_arr.shape)
    for idx in np.ndindex(d_arr.shape):
        dim, e = float(d_arr[idx]), float(e_arr[idx])

        def gap(log_k: float) -> float:
            return float(best_of_trials_median(math.exp(log_k), dim, trials)) - e

        lo, hi = math.log(2.0), 690.0
        if gap(lo) >= 0:
            out[idx] = 2.0
        elif gap(hi) <= 0:
            out[idx] = math.inf
        else:
            out[idx] = math.exp(optimize.brentq(gap, lo, hi, xtol=1e-10))
    return scalar_or_array(out)
