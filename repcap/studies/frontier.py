r"""The packing frontier: ε*(k, d) by every recipe the book has, explicit line sets included.

For a cell (k, d) the *frontier* is the smallest max |cos| any recipe reached:

.. math:: \varepsilon_{\text{front}}(k, d) = \min(\varepsilon_{\text{random}}, \varepsilon_{\text{released}},
          \varepsilon_{\text{ours}}, \varepsilon_{\text{construction}}),

where the construction value is the staircase :math:`\min\{\mu_C : C \text{ has } \dim \le d,\ |C| \ge k\}`
(any k vectors of a set of coherence μ keep max |cos| ≤ μ). Random packing is Eq. 5,
:math:`\varepsilon = \sqrt{C \ln k / d}` with the paper's C. This module computes; the book's
:mod:`repcap.book.plots.frontier` draws.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from repcap.errors import DomainError, FitError
from repcap.geometry.constructions import Construction, families_up_to
from repcap.geometry.feasibility import named_band
from repcap.laws import PAPER_JL_RANDOM_C, fit_form, jl_eps
from repcap.packing.optimise import optimise_packing
from repcap.packing.sweeps import RELEASED_CPU_GRID

__all__ = ["construction_eps", "staircase", "random_eps", "own_packings", "construction_starts",
           "frontier_rows", "frontier_panels", "refit_frontier", "table1_vs_constructions",
           "shifted_class2", "best_packings", "frontier_cell", "released_frontier", "rerun_kept"]


def construction_eps(k: int, d: int) -> tuple[float, Construction | None]:
    """Smallest proven coherence of an explicit set with dimension ≤ d and at least k vectors.

    Returns (μ, construction), or (inf, None) when no known set has k vectors in dimension ≤ d.
    """
    k, d = int(k), int(d)
    if k < 1 or d < 1:
        raise DomainError(f"k and d must be ≥ 1, got k = {k}, d = {d}")
    fits = [c for c in families_up_to(d) if c.count >= k]
    if not fits:
        return math.inf, None
    best = min(fits, key=lambda c: (c.coherence, c.dim))
    return best.coherence, best


def staircase(d: int, k_max: int) -> list[dict]:
    """The steps of the construction staircase in R^d up to k_max vectors: one row per step.

    Each row has ``count`` (K), ``coherence`` (μ), ``coherence_is`` ("exact" or "bound"), ``family``
    and ``params``: ε*(k, d) ≤ μ for k ≤ K.
    Only sets that lower the staircase (smaller μ than every larger set) are kept, sorted by K.
    """
    sets = sorted(families_up_to(int(d)), key=lambda c: (c.count, c.coherence))
    rows, best = [], math.inf
    for c in reversed(sets):  # from the largest set down: keep those that improve μ
        if c.coherence < best:
            best = c.coherence
            rows.append({"count": c.count, "coherence": c.coherence, "family": c.family,
                         "params": dict(c.params), "coherence_is": c.coherence_is})
    by_count: dict[int, dict] = {}
    for r in rows:  # equal counts: the smaller coherence is the step
        if r["count"] not in by_count or r["coherence"] < by_count[r["count"]]["coherence"]:
            by_count[r["count"]] = r
    rows = [by_count[n] for n in sorted(by_count)]
    # the first step that reaches k_max bounds everything to its left; larger ones are not needed
    out = []
    for r in rows:
        out.append(r)
        if r["count"] >= k_max:
            break
    return out


def random_eps(k, d, C: float = PAPER_JL_RANDOM_C):
    r"""The paper's Eq. 5 for random packing, :math:`\varepsilon = \sqrt{C \ln k / d}`."""
    return jl_eps(k, d, C)


def source_line(released: Any, steps: int, objective: str = "paper") -> str:
    """The chapter's provenance: what the explicit sets, the release and our packings are."""
    return (f"explicit line sets built here; the paper's released optimised packings "
            f"({len(released)} cells); our packings ({steps} Adam steps, objective {objective}); "
            f"kept packings of released cells (repcap/data/packings/released_cpu.jsonl)")


def own_packings(d_values: Iterable[int], k_values: Iterable[int], *, steps: int, seed: int = 0,
                 device=None, objective: str = "paper") -> list[dict]:
    """Adam from a random start at every (k, d), with ``objective`` (default the paper's recipe;
    ``"anneal"`` the book's best): rows {k, d, eps, seconds}."""
    rows = []
    for d in d_values:
        for k in k_values:
            r = optimise_packing(int(k), int(d), steps=steps, seed=seed, progress=False, device=device,
                                 objective=objective)
            rows.append({"k": int(k), "d": int(d), "eps": r.eps, "seconds": r.seconds})
    return rows


def construction_starts(cells: Iterable[tuple[int, int]], *, steps: int, seed: int = 0,
                        device=None, own: Sequence[Mapping] = (), objective: str = "paper") -> list[dict]:
    """Adam started from k vectors of the best explicit set (seeded sample, zero-padded to d),
    against the same recipe (steps, objective, seed) from a random start.

    For each (k, d) with a known set of ≥ k vectors: ``start_eps`` (the subset's own max |cos|,
    ≤ μ, measured in float64), ``eps`` after ``steps`` Adam steps of ``objective`` from the
    subset, ``best_history`` (the lowest logged max |cos| along that run), ``random_start_eps`` the
    same recipe from a random start (taken from ``own``, :func:`own_packings` rows made with the same
    ``steps``, ``seed`` and ``objective``, where it has the cell), ``family``, ``params`` and
    ``coherence`` (μ) of the set, its ``count``, and ``smaller_count``, ``smaller_family``, ``smaller_coherence``: the staircase step
    below it (the largest set of lower coherence, too small to hold k), or None. Cells with no set
    are skipped.
    """
    done = {(int(r["k"]), int(r["d"])): r["eps"] for r in own}
    rows = []
    for k, d in cells:
        k, d = int(k), int(d)
        mu, c = construction_eps(k, d)
        if c is None or c.count < k:
            continue
        init = c.vectors(k=k, seed=seed, pad_to=d)
        gram = np.abs(init.astype(np.float64) @ init.T.astype(np.float64))
        np.fill_diagonal(gram, 0.0)
        warm = optimise_packing(k, d, steps=steps, init=init, progress=False, device=device,
                                objective=objective)
        cold = done.get((k, d))
        if cold is None:
            cold = optimise_packing(k, d, steps=steps, seed=seed, progress=False, device=device,
                                    objective=objective).eps
        below = [s for s in staircase(d, k) if s["count"] < k and s["coherence"] < mu]
        smaller = below[-1] if below else None
        rows.append({"k": k, "d": d, "family": c.family, "params": dict(c.params),
                     "count": c.count, "coherence": mu, "start_eps": float(gram.max()) if k > 1 else 0.0,
                     "eps": warm.eps, "random_start_eps": float(cold),
                     "best_history": min(e for _, e in warm.history),
                     "smaller_count": smaller["count"] if smaller else None,
                     "smaller_family": smaller["family"] if smaller else None,
                     "smaller_coherence": smaller["coherence"] if smaller else None})
    return rows


def frontier_rows(d_values: Sequence[int], k_values: Sequence[int], *, own: Sequence[Mapping],
                  released=None) -> list[dict]:
    """One row per (k, d): every recipe's ε*, the frontier, and which recipe set it.

    ``own`` are :func:`own_packings` rows; ``released`` a :class:`repcap.packing.released.PaperSweep`
    of the paper's optimised packings (or None). Keys: ``k``, ``d``, ``random`` (Eq. 5),
    ``released`` (None where the paper has no cell), ``ours``, ``construction`` (inf where none),
    ``construction_family``, ``frontier``, ``frontier_recipe``, ``ours_best`` (min of ours and the
    construction, i.e. what this project itself reached) and ``ratio_to_released`` (ours_best / released).
    """
    ours = {(r["k"], r["d"]): r["eps"] for r in own}
    rel = {}
    if released is not None:
        rel = {(int(k), int(d)): float(e) for k, d, e in zip(released.k, released.d, released.eps)}
    rows = []
    for d in d_values:
        for k in k_values:
            mu, c = construction_eps(k, d)
            rec = {"random": float(random_eps(k, d)), "released": rel.get((k, d)),
                   "ours": ours.get((k, d)), "construction": mu}
            finite = {n: v for n, v in rec.items() if v is not None and math.isfinite(v)}
            name = min(finite, key=finite.get)
            own_vals = [v for v in (rec["ours"], mu) if v is not None and math.isfinite(v)]
            ours_best = min(own_vals) if own_vals else None
            rows.append({"k": int(k), "d": int(d), **rec,
                         "construction_family": c.family if c else None,
                         "frontier": finite[name], "frontier_recipe": name, "ours_best": ours_best,
                         "ratio_to_released": (ours_best / rec["released"]
                                               if ours_best is not None and rec["released"] else None)})
    return rows


def frontier_panels(d_values: Sequence[int], k_values: Sequence[int], *, own: Sequence[Mapping],
                    released=None) -> list[dict]:
    """What the frontier figure draws at each d, as keyword arguments of
    :func:`repcap.book.plots.frontier.frontier_panel`.

    Per d: ``random_curve`` (Eq. 5 over 60 k from max(d + 1, 10) to the largest k of ``k_values`` and
    of the release at this d), ``released`` (the release's (k, ε*) at this d, or None), ``ours``
    (:func:`own_packings` rows at this d as (k…, ε…)), ``steps`` (the :func:`staircase` up to that k)
    and ``k_max``.
    """
    panels = []
    for d in d_values:
        at_d = released is not None
        k_top = max(list(k_values) + ([int(k) for k, dd in zip(released.k, released.d) if dd == d]
                                      if at_d else []))
        k_line = np.geomspace(max(d + 1, 10), k_top, 60)
        mine = [(r["k"], r["eps"]) for r in own if r["d"] == d]
        panels.append({"d": d, "random_curve": (k_line, random_eps(k_line, d)),
                       "released": ((released.k[released.d == d], released.eps[released.d == d])
                                    if at_d else None),
                       "ours": tuple(zip(*mine)), "steps": staircase(d, k_top), "k_max": k_top})
    return panels


def refit_frontier(rows: Sequence[Mapping], forms: Sequence[str] = ("jl", "eq6", "eq7")) -> dict:
    """Fit the JL, Eq. 6 and Eq. 7 forms to the frontier points (k, d, ε_front) with k > d.

    Points with k ≤ d are left out (ε* = 0 there). Returns form -> Fit (None where the points are
    too few for the form's parameters).
    """
    pts = [(r["k"], r["d"], r["frontier"]) for r in rows if r["k"] > r["d"] and r["frontier"] > 0]
    if len(pts) < 4:
        raise DomainError(f"need at least 4 frontier points with k > d to fit, got {len(pts)}")
    k, d, e = (np.array(v, dtype=float) for v in zip(*pts))
    out = {}
    for f in forms:
        try:
            out[f] = fit_form(f, k, d, e)
        except FitError:  # too few points for this form's parameters: reported as None
            out[f] = None
    return out


def table1_vs_constructions(band_rows: Sequence[Mapping]) -> list[dict]:
    """Table 1 capacities beside the largest explicit set at each model's (d, ε).

    ``band_rows`` are :func:`repcap.geometry.feasibility.named_band` rows. Returns rows with ``name``,
    ``d``, ``eps``, ``capacity`` (10^log10_eq7), ``construction_count``, ``family``, ``params`` and
    ``ratio`` (construction / capacity) and ``below`` (the band's ``eq7_below_construction``: the
    capacity is smaller than the set, the one test chapters 6 and 7 both show), sorted by ratio,
    largest first.
    """
    out = [{"name": v.get("name", "?"), "d": v["d"], "eps": v["eps"],
            "capacity": 10.0 ** v["log10_eq7"], "construction_count": v["construction_count"],
            "family": v["construction_family"], "params": v["construction_params"],
            "ratio": v["construction_over_eq7"], "below": bool(v["eq7_below_construction"])}
           for v in band_rows]
    return sorted(out, key=lambda r: -r["ratio"])


def shifted_class2(models: Sequence[Mapping], shifts: Sequence[float]) -> list[dict]:
    r"""Table 1's Class 2 comparison with every ε moved by a relative amount s: ε' = ε (1 + s).

    ``models`` are :func:`repcap.studies.capacity_table.class2_rows` rows (``name``, ``d_model``,
    ``eps``). For each s, the Eq. 7 capacity (the paper's constants) and the largest explicit set
    are both taken at (d, ε'), as :func:`table1_vs_constructions` does at ε. Returns one row per s:
    ``shift``, ``n`` and ``below``, the sorted names whose capacity at ε' is smaller than the set.
    """
    out = []
    for shift in shifts:
        moved = [{**m, "eps": float(m["eps"]) * (1.0 + float(shift))} for m in models]
        rows = table1_vs_constructions(named_band(moved))
        out.append({"shift": float(shift), "n": len(rows),
                    "below": sorted(r["name"] for r in rows if r["below"])})
    return out


def released_frontier(released, packings: Iterable[Mapping] = (), *, cpu_cells=None) -> dict:
    r"""Every cell of the paper's released optimised sweep beside the best this project can show.

    For each released cell (k, d, ε_rel) the candidates are: the orthonormal basis when k ≤ d
    (ε* = 0); the best explicit set of dimension ≤ d holding ≥ k vectors, :func:`construction_eps`
    (any k of its vectors keep max |cos| ≤ its coherence μ); and our packing, the smallest ε* among
    ``packings`` records (``k``, ``d``, ``eps``; failed records with ``eps`` None are skipped) at
    that cell. The cell's best is

    .. math:: \varepsilon_\text{best}(k, d) = \min(\varepsilon_\text{basis}, \mu_\text{explicit},
              \varepsilon_\text{ours}),

    and the cell is *settled* when ε_best ≤ ε_rel. An unsettled cell is open ``"on": "cpu"`` when it
    is in ``cpu_cells`` (default :data:`repcap.packing.sweeps.RELEASED_CPU_GRID`, the released cells
    the cost model lets 2 cores run in about 30 minutes), else ``"gpu"``: only a GPU run of the
    optimiser can settle it.

    Returns ``{"cells": [...], "n_cells", "n_best_le_released", "n_explicit_le_released" (basis or
    explicit set alone), "n_ours_le_released", "n_ours", "open_cpu": [(k, d)...], "open_gpu":
    [(k, d)...]}``; each cell has ``k``, ``d``, ``released_eps``, ``basis_eps`` (0.0 or None),
    ``explicit_family``, ``explicit_params``, ``explicit_eps``, ``explicit_is`` ("exact" or "bound",
    for the whole set), ``ours_eps``, ``best_eps``, ``best_by`` ("basis", "explicit", "ours" or
    "released" when nothing here reaches it), ``best_le_released`` and ``open_on`` (None, "cpu" or
    "gpu").
    """
    cpu = {(int(k), int(d)) for k, d in (RELEASED_CPU_GRID if cpu_cells is None else cpu_cells)}
    ours = best_packings(packings)
    cells = [frontier_cell(k, d, rel, ours.get((k, d)), cpu=(k, d) in cpu)
             for k, d, rel in released.cells()]
    alone = [r for r in cells if (r["basis_eps"] is not None)
             or (r["explicit_eps"] is not None and r["explicit_eps"] <= r["released_eps"])]
    return {"cells": cells, "n_cells": len(cells),
            "n_best_le_released": sum(r["best_le_released"] for r in cells),
            "n_explicit_le_released": len(alone),
            "n_ours": sum(r["ours_eps"] is not None for r in cells),
            "n_ours_le_released": sum(r["ours_eps"] is not None and r["ours_eps"] <= r["released_eps"]
                                      for r in cells),
            "open_cpu": [(r["k"], r["d"]) for r in cells if r["open_on"] == "cpu"],
            "open_gpu": [(r["k"], r["d"]) for r in cells if r["open_on"] == "gpu"]}


def best_packings(packings: Iterable[Mapping]) -> dict[tuple[int, int], float]:
    """The smallest ε* of ``packings`` records (``k``, ``d``, ``eps``) at each (k, d); failed records
    (``eps`` None) are skipped."""
    ours: dict[tuple[int, int], float] = {}
    for r in packings:
        if r.get("eps") is not None:
            key = (int(r["k"]), int(r["d"]))
            ours[key] = min(float(r["eps"]), ours.get(key, math.inf))
    return ours


def frontier_cell(k: int, d: int, released_eps: float | None = None, ours_eps: float | None = None, *,
                  cpu: bool = False) -> dict:
    """One cell of :func:`released_frontier`: the basis, the best explicit set, our packing and the
    released ε* (None where the release has no such cell) at (k, d), and who sets the best.

    ``best_le_released`` is None when there is no released value; ``open_on`` is then None too.
    """
    k, d = int(k), int(d)
    mu, c = construction_eps(k, d)
    basis = 0.0 if k <= d else None
    candidates = {"basis": basis, "explicit": mu if c is not None else None, "ours": ours_eps,
                  "released": released_eps}
    finite = {n: float(v) for n, v in candidates.items() if v is not None}
    # ties go to what this project shows (basis, explicit set, ours) before the release
    order = ("basis", "explicit", "ours", "released")
    by = min(finite, key=lambda n: (finite[n], order.index(n))) if finite else None
    settled = None if released_eps is None else by != "released"
    return {"k": k, "d": d, "released_eps": released_eps, "basis_eps": basis,
            "explicit_family": c.family if c else None,
            "explicit_params": dict(c.params) if c else None,
            "explicit_eps": mu if c else None, "explicit_is": c.coherence_is if c else None,
            "ours_eps": ours_eps, "best_eps": finite[by] if by else None, "best_by": by,
            "best_le_released": settled,
            "open_on": None if settled in (None, True) else ("cpu" if cpu else "gpu")}


def rerun_kept(kept: Sequence[Mapping], cell: Sequence[int], *, device=None) -> dict:
    """Run one kept packing's cell again, with the steps, objective and seed its record names.

    ``kept`` are records of ``repcap sweep`` (:func:`repcap.packing.sweeps.load_results`); ``cell``
    is (k, d). Returns ``{k, d, kept, rerun, seconds, kept_seconds, same_settings}``, where
    ``same_settings`` says that the rerun recorded the same settings as the kept record (so the
    two differ only by the machine's rounding order).
    """
    k, d = (int(v) for v in cell)
    hits = [r for r in kept if (int(r["k"]), int(r["d"])) == (k, d) and r.get("eps") is not None]
    if not hits:
        raise DomainError(f"no kept packing at k = {k}, d = {d} to rerun; kept cells: "
                          f"{sorted((int(r['k']), int(r['d'])) for r in kept)}")
    rec = hits[-1]
    settings = rec.get("settings", {})
    options = {name: settings[name] for name in ("objective", "sharpness", "lr", "lr_schedule", "dtype")
               if settings.get(name) is not None}
    if settings.get("objective") == "paper" and settings.get("exponent") is not None:
        options["exponent"] = settings["exponent"]
    result = optimise_packing(k, d, steps=int(settings.get("steps", 5000)), seed=int(rec.get("seed", 0)),
                              progress=False, device=device, **options)
    return {"k": k, "d": d, "kept": float(rec["eps"]), "rerun": float(result.eps),
            "seconds": float(result.seconds), "kept_seconds": rec.get("seconds"),
            "same_settings": json.loads(json.dumps(result.settings)) == settings}
