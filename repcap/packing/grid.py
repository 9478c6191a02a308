"""The (k, d) cells a packing chapter runs, the results file they live in, and how a grid compares.

Chapters name a grid (``smoke``, ``cpu`` or ``paper``, see :func:`repcap.packing.sweeps.default_grid`) and may
override its axes. Every configuration of settings gets its own results file, so that the smoke test,
the CPU build and a GPU run never write to the same file, and a chapter that reads another chapter's
sweep (chapter 6 reads chapter 5's) finds it from the same parameters.
"""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from repcap.errors import PackingError
from repcap.packing.sweeps import default_grid, load_results

__all__ = ["grid_cells", "results_file", "grid_summary", "recorded_cells", "late_improvement",
           "compare_objectives", "objective_summary"]


def grid_cells(kind: str, grid: str, d_values: Sequence[int] = (), k_values: Sequence[int] = ()) -> list[tuple[int, int]]:
    """The cells (k, d) of the named grid, with either axis replaced when a list of values is given.

    With both ``d_values`` and ``k_values`` the grid is their full product (the name is then only a
    label). With one of them, it replaces that axis of the named grid and the other axis keeps the
    grid's values. Cells are ordered by d, then k.
    """
    base = default_grid(kind, grid)
    for name, values in (("d_values", d_values), ("k_values", k_values)):
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 2 for v in values):
            raise PackingError(f"{name} must be integers ≥ 2, got {list(values)!r}")
    ds = sorted(set(d_values)) if d_values else sorted({d for _, d in base})
    ks = sorted(set(k_values)) if k_values else sorted({k for k, _ in base})
    if not d_values and not k_values:
        return sorted(base, key=lambda c: (c[1], c[0]))
    return [(k, d) for d in ds for k in ks]


def results_file(sweep_dir: str | os.PathLike, kind: str, *, steps: int | None = None,
                 trials: int | None = None, objective: str | None = None, dtype: str | None = None,
                 seed: int = 0) -> Path:
    """``<sweep_dir>/<kind>_<settings>.jsonl``: the results file of one configuration of settings.

    The name holds the settings that change a cell's value (steps or trials, objective, dtype, seed),
    not the grid: a sweep records and matches each cell separately, so grids that share settings share
    one file (a cell computed for one grid is reused by another), while configurations with different
    settings, such as the smoke test and the CPU build, never write to the same file.
    """
    if kind not in ("random", "optimised"):
        raise PackingError(f"unknown sweep kind {kind!r}; choose 'random' or 'optimised'")
    parts = [kind]
    if steps is not None:
        parts.append(f"steps{steps}")
    if trials is not None:
        parts.append(f"T{trials}")
    if objective:
        parts.append(objective)
    if dtype:
        parts.append(dtype)
    parts.append(f"seed{seed}")
    return Path(sweep_dir) / ("_".join(parts) + ".jsonl")


def _span(values: Iterable[float], fmt: str) -> str:
    values = list(values)
    lo, hi = min(values), max(values)
    return format(lo, fmt) if lo == hi else f"{format(lo, fmt)}–{format(hi, fmt)}"


def grid_summary(cells: Iterable[Sequence[int]]) -> dict:
    """Ranges of d, k, k/d and ln k over a grid, its size, and how many cells have k ≤ d (as text)."""
    cells = [(int(k), int(d)) for k, d in cells]
    if not cells:
        raise PackingError("the grid has no cells")
    return {
        "cells": len(cells),
        "d_range": _span((d for _, d in cells), "d"),
        "k_range": _span((k for k, _ in cells), ",d"),
        "ratio_range": _span((k / d for k, d in cells), ".3g"),
        "lnk_range": _span((math.log(k) for k, _ in cells), ".2f"),
        "k_le_d": sum(k <= d for k, d in cells),
    }


def recorded_cells(results_path: str | os.PathLike, cells: Iterable[Sequence[int]], *, kind: str,
                   steps: int | None = None, trials: int | None = None, objective: str | None = None,
                   seed: int = 0) -> list[dict]:
    """The records of ``cells`` already in a results file, without computing anything.

    A record counts when its kind, (k, d) and seed match and, where given, its settings ``steps``,
    ``trials`` and ``objective``. Cells not yet recorded are left out (an absent file gives ``[]``),
    in the order of ``cells``. For reading another chapter's sweep where running it would be too
    expensive (the paper profile on a laptop).
    """
    path = Path(results_path)
    if not path.exists():
        return []
    wanted = {"steps": steps, "trials": trials, "objective": objective}
    found: dict[tuple[int, int], dict] = {}
    for rec in load_results(path):
        settings = rec.get("settings") or {}
        if rec.get("kind") != kind or int(rec.get("seed", 0)) != seed or rec.get("eps") is None:
            continue
        if any(value is not None and settings.get(name) != value for name, value in wanted.items()):
            continue
        found.setdefault((int(rec["k"]), int(rec["d"])), rec)
    return [found[(int(k), int(d))] for k, d in cells if (int(k), int(d)) in found]


def late_improvement(history: Sequence[Sequence[float]], *, fraction: float = 0.8) -> float:
    r"""How much an optimisation still gained in its last part: :math:`\varepsilon_{t_f} / \varepsilon_{\text{final}} - 1`.

    ``history`` is a cell's ``[(step, eps), ...]`` (steps ascending, the last entry the final step);
    :math:`t_f` is the last logged step at or before ``fraction`` of the final step. 0 means the last
    ``1 − fraction`` of the run changed nothing; 0.02 means it still lowered max |cos| by 2 %.
    """
    if not 0 < fraction < 1:
        raise PackingError(f"fraction must be strictly between 0 and 1, got {fraction!r}")
    hist = [(float(step), float(eps)) for step, eps in history]
    if len(hist) < 2:
        raise PackingError("a history needs at least two logged steps to measure late improvement")
    final_step, final_eps = hist[-1]
    earlier = [e for step, e in hist if step <= fraction * final_step]
    if not earlier or final_eps <= 0:
        raise PackingError("no logged step before the late part of the run, or a final eps of 0")
    return earlier[-1] / final_eps - 1.0


def _cell_records(objective: str, records: Iterable[Mapping]) -> tuple[dict[tuple[int, int], float], set]:
    """{(k, d): ε*} of one objective's optimised records, and the step counts they were run with."""
    found: dict[tuple[int, int], float] = {}
    steps = set()
    for rec in records:
        settings = rec.get("settings") or {}
        if rec.get("kind") != "optimised" or rec.get("eps") is None:
            raise PackingError(f"objective {objective!r}: every record must be a finished optimised cell "
                               f"(kind 'optimised' with an eps), got kind {rec.get('kind')!r}, eps {rec.get('eps')!r}")
        named = settings.get("objective")
        if named is not None and named != objective:
            raise PackingError(f"a record filed under objective {objective!r} was run with objective {named!r}; "
                               "pass each objective's own sweep records")
        steps.add(settings.get("steps"))
        found.setdefault((int(rec["k"]), int(rec["d"])), float(rec["eps"]))
    return found, steps


def compare_objectives(records_by_objective: Mapping[str, Iterable[Mapping]], *, baseline: str = "paper",
                       reference: Callable[[int, int], float | None] | None = None) -> list[dict]:
    r"""Cell-by-cell comparison of packing objectives run at equal steps: one row per shared (k, d).

    ``records_by_objective`` maps an objective's name to its sweep records (:func:`repcap.packing.sweeps.run_sweep`);
    only cells that every objective has are compared, ordered by d, then k. For objective o at cell
    (k, d), with :math:`F(k, d)` = :func:`repcap.geometry.bounds.coherence_floor` (no packing goes below it),

    .. math:: \text{eps}_o = \varepsilon^*_o, \qquad
              \text{vs\_baseline}_o = \frac{\varepsilon^*_o}{\varepsilon^*_{\text{baseline}}}, \qquad
              \text{vs\_floor}_o = \frac{\varepsilon^*_o}{F(k, d)}, \qquad
              \text{vs\_reference}_o = \frac{\varepsilon^*_o}{\varepsilon_{\text{ref}}(k, d)}

    (``vs_floor`` is NaN where k ≤ d, since F = 0 there; ``vs_reference`` only where ``reference(k, d)``,
    e.g. :meth:`repcap.packing.released.PaperSweep.lookup`, returns a value, else NaN). Each row also names
    ``best`` = :math:`\arg\min_o \varepsilon^*_o` and gives ``margin`` = :math:`\varepsilon^*_{\text{best}} /
    \min_{o \ne \text{best}} \varepsilon^*_o - 1` (≤ 0: how far ahead the winner is), ``floor`` = F and
    ``reference`` = :math:`\varepsilon_{\text{ref}}` (NaN when absent), ``reference_vs_floor`` =
    :math:`\varepsilon_{\text{ref}} / F`.

    Raises :class:`PackingError` when the baseline is missing, fewer than two objectives are given,
    a record is not a finished optimised cell or carries another objective's name, the objectives were
    run with different numbers of steps (the comparison would not be at equal cost), or no cell is
    shared by all of them.
    """
    from repcap.geometry.bounds import coherence_floor  # scipy: only this comparison needs it

    if baseline not in records_by_objective:
        raise PackingError(f"the baseline objective {baseline!r} is not among {sorted(records_by_objective)}; "
                           "run its sweep too or choose another baseline")
    if len(records_by_objective) < 2:
        raise PackingError("comparing objectives needs at least two of them")
    cells_by: dict[str, dict[tuple[int, int], float]] = {}
    steps_by: dict[str, set] = {}
    for name, records in records_by_objective.items():
        cells_by[name], steps_by[name] = _cell_records(name, records)
    all_steps = set().union(*steps_by.values())
    if len(all_steps) > 1:
        raise PackingError(f"the objectives were run with different numbers of steps "
                           f"({ {n: sorted(s, key=str) for n, s in steps_by.items()} }); compare them at equal steps")
    shared = set.intersection(*(set(c) for c in cells_by.values()))
    if not shared:
        raise PackingError("no (k, d) cell is in every objective's records; run the same cells for each")
    names = list(records_by_objective)
    rows = []
    for k, d in sorted(shared, key=lambda c: (c[1], c[0])):
        floor = float(coherence_floor(k, d))
        ref = reference(k, d) if reference is not None else None
        ref = math.nan if ref is None else float(ref)
        eps = {n: cells_by[n][(k, d)] for n in names}
        base = eps[baseline]
        best = min(names, key=lambda n: eps[n])
        runner_up = min(eps[n] for n in names if n != best)
        rows.append({
            "k": k, "d": d, "floor": floor, "reference": ref,
            "reference_vs_floor": ref / floor if floor > 0 else math.nan,
            "eps": eps,
            "vs_baseline": {n: (eps[n] / base if base > 0 else math.nan) for n in names},
            "vs_floor": {n: (eps[n] / floor if floor > 0 else math.nan) for n in names},
            "vs_reference": {n: eps[n] / ref for n in names},
            "best": best,
            "margin": eps[best] / runner_up - 1 if runner_up > 0 else math.nan,
        })
    return rows


def _median(values: Iterable[float]) -> float:
    values = [v for v in values if math.isfinite(v)]
    return statistics.median(values) if values else math.nan


def objective_summary(rows: Sequence[Mapping], *, baseline: str = "paper") -> list[dict]:
    r"""One row per objective of a :func:`compare_objectives` table: how it fared over all cells.

    With :math:`r_j = \varepsilon^*_{o,j} / \varepsilon^*_{\text{baseline},j}` over the n cells j,
    returns ``{"objective", "n", "median_vs_baseline" = median_j r_j, "min_vs_baseline", "max_vs_baseline",
    "better" = #{j: r_j < 1}, "worse" = #{j: r_j > 1}, "wins" = #{j: o is the row's best},
    "median_vs_floor"`` (over cells with k > d), ``"median_vs_reference", "n_reference"`` (over cells
    with a reference value; NaN and 0 when none)``}``, in the rows' objective order.
    """
    if not rows:
        raise PackingError("no comparison rows to summarise; run compare_objectives on shared cells first")
    names = list(rows[0]["eps"])
    if baseline not in names:
        raise PackingError(f"the baseline {baseline!r} is not among the compared objectives {names}")
    out = []
    for name in names:
        ratios = [r["eps"][name] / r["eps"][baseline] for r in rows if r["eps"][baseline] > 0]
        refs = [r["vs_reference"][name] for r in rows if math.isfinite(r["vs_reference"][name])]
        out.append({
            "objective": name, "n": len(rows),
            "median_vs_baseline": _median(ratios),
            "min_vs_baseline": min(ratios) if ratios else math.nan,
            "max_vs_baseline": max(ratios) if ratios else math.nan,
            "better": sum(x < 1 for x in ratios), "worse": sum(x > 1 for x in ratios),
            "wins": sum(r["best"] == name for r in rows),
            "median_vs_floor": _median(r["vs_floor"][name] for r in rows),
            "median_vs_reference": _median(refs), "n_reference": len(refs),
        })
    return out
