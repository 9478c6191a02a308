"""The (k, d) cells a packing chapter runs, the results file they live in, and how a grid compares.

Chapters name a grid (``smoke``, ``cpu`` or ``paper``, see :func:`repcap.sweeps.default_grid`) and may
override its axes. Every configuration of settings gets its own results file, so that the smoke test,
the CPU build and a GPU run never write to the same file, and a chapter that reads another chapter's
sweep (chapter 6 reads chapter 5's) finds it from the same parameters.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from repcap.errors import PackingError

__all__ = ["grid_cells", "results_file", "grid_summary", "recorded_cells", "late_improvement"]


def grid_cells(kind: str, grid: str, d_values: Sequence[int] = (), k_values: Sequence[int] = ()) -> list[tuple[int, int]]:
    """The cells (k, d) of the named grid, with either axis replaced when a list of values is given.

    With both ``d_values`` and ``k_values`` the grid is their full product (the name is then only a
    label). With one of them, it replaces that axis of the named grid and the other axis keeps the
    grid's values. Cells are ordered by d, then k.
    """
    from repcap.sweeps import default_grid

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
    from repcap.sweeps import load_results

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
