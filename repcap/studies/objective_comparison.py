r"""Chapter 5's comparison of packing objectives at equal steps, and the rule that names a winner.

Every objective packs the same cells (k, d) from the same random start for the same number of Adam
steps and learning-rate schedule (:func:`repcap.packing.grid.compare_objectives`), so what differs is
the loss alone. With :math:`r_{o,j} = \varepsilon^*_{o,j} / \varepsilon^*_{\text{baseline},j}` at cell
j, :class:`ObjectiveFindings` reads the cells by two rules:

* :meth:`ObjectiveFindings.winner`: the objective with the smallest :math:`\operatorname{median}_j
  r_{o,j}` (the first named on a tie; the baseline wins when no alternative is lower);
* :meth:`ObjectiveFindings.standing`: an alternative is lower than the baseline in **every** cell
  when no cell has :math:`r_{o,j} \ge 1`, in **no** cell when every cell has, and in **some** cells
  otherwise (the cells where it is not lower are named).

It also refits Eq. 6, :math:`\varepsilon = \sqrt{C\ln(k/d)/d}`, to each objective's packings: at
fixed d and ε the capacity exponent :math:`\ln(k/d) = d\varepsilon^2/C` scales with 1/C.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from repcap.common.formatting import signed_percent
from repcap.common.jsonsafe import nan_from_null
from repcap.laws import fit_all
from repcap.laws.fitting import Fit
from repcap.packing.cost import format_duration, gpu_estimates, grid_flops
from repcap.packing.grid import compare_objectives, objective_summary
from repcap.studies.findings import Findings, Markdown, Table, required
from repcap.studies.optimised_packing import fits_from_record

__all__ = ["ObjectiveFindings", "EVERY", "NONE", "SOME"]

#: How an alternative objective stands against the baseline over the compared cells.
EVERY, NONE, SOME = "every", "none", "some"

_SUMMARY_COLUMNS = [
    ("objective", "objective", ""), ("cells", "n", "d"),
    ("median ε*/ε*(paper)", "median_vs_baseline", ".3f"), ("min", "min_vs_baseline", ".3f"),
    ("max", "max_vs_baseline", ".3f"), ("cells better", "better", "d"),
    ("cells worse", "worse", "d"), ("best of all", "wins", "d"),
    ("median ε*/floor", "median_vs_floor", ".2f")]
_EQ6_COLUMNS = [
    ("objective", "objective", ""), ("Eq. 6 constant C", "C", ".4f"),
    ("C / C(paper's loss)", "ratio", ".3f"), ("MAPE %", "mape", ".2f"),
    ("factor on ln(k/d) at fixed d, ε", "lnk", ".3f")]


@dataclass
class ObjectiveFindings(Findings):
    """Objectives compared cell by cell (``rows``: :func:`compare_objectives`'s), their Eq. 6 fits,
    compute ``seconds`` and ``recorded`` cells per objective, at ``steps`` steps on ``schedule``.

    Its record is the ``objective_comparison`` entry of chapter 5's results."""

    chapter = "05_optimised_packing"
    key = "objective_comparison"

    steps: int
    schedule: str
    rows: list[dict]
    eq6: dict[str, Fit]
    seconds: dict[str, float]
    recorded: dict[str, int]
    baseline: str = "paper"

    @classmethod
    def from_sweeps(cls, compared: Mapping[str, Sequence[Mapping]], *, steps: int, schedule: str,
                    baseline: str = "paper",
                    reference: Callable[[int, int], float | None] | None = None) -> "ObjectiveFindings":
        """The findings of each objective's sweep records ``compared`` (``{name: records}``);
        ``reference(k, d)`` gives the paper's released ε* where it has the cell."""
        rows = compare_objectives(compared, baseline=baseline, reference=reference)
        ck = np.array([r["k"] for r in rows], dtype=float)
        cd = np.array([r["d"] for r in rows], dtype=float)
        eq6 = {n: fit_all(ck, cd, np.array([r["eps"][n] for r in rows]), forms=("eq6",))["eq6"]
               for n in compared}
        return cls(steps=steps, schedule=schedule, rows=rows, eq6=eq6,
                   seconds={n: float(sum(r["seconds"] for r in recs)) for n, recs in compared.items()},
                   recorded={n: len(recs) for n, recs in compared.items()}, baseline=baseline)

    # -- numbers the rules read ------------------------------------------------------------------
    @property
    def objectives(self) -> list[str]:
        return list(self.rows[0]["eps"])

    @property
    def others(self) -> list[str]:
        return [n for n in self.objectives if n != self.baseline]

    @property
    def cells(self) -> list[list[int]]:
        return [[r["k"], r["d"]] for r in self.rows]

    def overview(self) -> list[dict]:
        """One row per objective over all cells (:func:`repcap.packing.grid.objective_summary`)."""
        return objective_summary(self.rows, baseline=self.baseline)

    def _summary(self, name: str) -> dict:
        return next(s for s in self.overview() if s["objective"] == name)

    # -- the rules -------------------------------------------------------------------------------
    def winner(self) -> str:
        """The objective with the smallest median ε* relative to the baseline's."""
        return min(self.overview(), key=lambda s: s["median_vs_baseline"])["objective"]

    def median_ratio(self, name: str) -> float:
        """The median over cells of ``name``'s ε* divided by the baseline's."""
        return self._summary(name)["median_vs_baseline"]

    def not_lower(self, name: str) -> list[tuple[int, int]]:
        """The cells (k, d) where ``name``'s ε* is not below the baseline's."""
        return [(r["k"], r["d"]) for r in self.rows if r["vs_baseline"][name] >= 1]

    def standing(self, name: str) -> str:
        """EVERY, NONE or SOME: in how many cells ``name`` packs lower than the baseline."""
        behind = self.not_lower(name)
        if not behind:
            return EVERY
        return NONE if len(behind) == len(self.rows) else SOME

    # -- what the chapter shows ------------------------------------------------------------------
    def run_text(self) -> Markdown:
        """What each objective's sweep cost, and the work of all of them."""
        flops = grid_flops("optimised", self.cells, steps=self.steps) * len(self.objectives)
        lines = [f"* `{n}`: {self.recorded[n]} cells, {self.steps} steps each, {self.schedule} "
                 f"schedule, {format_duration(self.seconds[n])} of compute" for n in self.objectives]
        lines += [f"* cells: d = {sorted({d for _, d in self.cells})}, "
                  f"k = {sorted({k for k, _ in self.cells})}; cells already recorded in a sweep "
                  f"file were read, not recomputed",
                  f"* work: {flops:.2e} FLOP for all objectives (6·k²·d per step)",
                  *(f"  * {line}" for line in gpu_estimates(flops))]
        return Markdown("\n".join(lines))

    def cell_table(self) -> Table:
        names, others = self.objectives, self.others
        rows = [{"k": r["k"], "d": r["d"], "floor": r["floor"], "best": r["best"],
                 "ref": r["reference"], **{f"eps_{n}": r["eps"][n] for n in names},
                 **{f"vs_{n}": r["vs_baseline"][n] for n in others}} for r in self.rows]
        has_ref = any(np.isfinite(r["reference"]) for r in self.rows)
        columns = ([("k", "k", "d"), ("d", "d", "d"), ("floor", "floor", ".4f")]
                   + [(f"ε* {n}", f"eps_{n}", ".4f") for n in names]
                   + [(f"{n} / {self.baseline}", f"vs_{n}", ".3f") for n in others]
                   + [("best", "best", "")]
                   + ([("paper released", "ref", ".4f")] if has_ref else []))
        return Table(f"ε* of each objective after {self.steps} steps, cell by cell", rows, columns)

    def summary_table(self) -> Table:
        return Table("Summary over the compared cells (ratios below 1: better than the paper's "
                     "loss)", self.overview(), _SUMMARY_COLUMNS)

    def eq6_table(self) -> Table:
        c_base = self.eq6[self.baseline].params["C"]
        rows = [{"objective": n, "C": f.params["C"], "ratio": f.params["C"] / c_base,
                 "mape": f.mape, "lnk": c_base / f.params["C"]} for n, f in self.eq6.items()]
        return Table(f"Eq. 6 fitted to each objective's packings ({len(self.rows)} cells, "
                     f"{self.steps} steps)", rows, _EQ6_COLUMNS)

    def tables(self) -> list[Table]:
        return [self.cell_table(), self.summary_table(), self.eq6_table()]

    def markdown(self) -> Markdown:
        """Each alternative against the baseline (:meth:`standing`), then :meth:`winner`."""
        lines = []
        for name in self.others:
            s = self._summary(name)
            standing = self.standing(name)
            where = ("lower in every cell" if standing == EVERY else "lower in no cell"
                     if standing == NONE else
                     f"lower in {s['better']} of {s['n']} cells; not lower at "
                     f"{', '.join(f'({k}, {d})' for k, d in self.not_lower(name))}")
            lines.append(f"* `{name}`: median ε* {signed_percent(s['median_vs_baseline'] - 1)} "
                         f"against the paper's loss (cells {signed_percent(s['min_vs_baseline'] - 1)} "
                         f"to {signed_percent(s['max_vs_baseline'] - 1)}), {where}")
        winner = self.winner()
        lines.append(f"\n**Winner by median ratio:** `{winner}`"
                     + ("" if winner != self.baseline else
                        " (no alternative beats the paper's loss on the median cell)"))
        return Markdown("\n".join(lines))

    # -- the results record ----------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        """``{"objective_comparison": {...}}``: merged into chapter 5's results."""
        overview = self.overview()
        return {self.key: {
            "steps": self.steps, "schedule": self.schedule, "cells": self.cells,
            "winner": self.winner(),
            "median_ratio_to_paper": {s["objective"]: s["median_vs_baseline"] for s in overview},
            "max_ratio_to_paper": {s["objective"]: s["max_vs_baseline"] for s in overview},
            "cells_better_than_paper": {s["objective"]: s["better"] for s in overview},
            "median_floor_ratio": {s["objective"]: s["median_vs_floor"] for s in overview},
            "eq6_C": {n: f.params["C"] for n, f in self.eq6.items()},
            "seconds": self.seconds,
            # the rest rebuilds the findings (from_record)
            "baseline": self.baseline, "rows": self.rows, "recorded": self.recorded,
            "eq6": {n: f.to_dict() for n, f in self.eq6.items()},
            "standing": {n: self.standing(n) for n in self.others},
        }}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "ObjectiveFindings":
        """The findings back from chapter 5's results (or :meth:`record`'s dict)."""
        comp = required(record, cls.chapter, cls.key)

        def get(key):
            return required(comp, cls.chapter, key)

        return cls(steps=get("steps"), schedule=get("schedule"), rows=_rows(get("rows")),
                   eq6=fits_from_record(get("eq6")), seconds=get("seconds"),
                   recorded=get("recorded"), baseline=comp.get("baseline", "paper"))


def _rows(rows: Iterable[Mapping]) -> list[dict]:
    """Comparison rows back from JSON: nulls (NaN: no floor, no reference) become NaN again."""
    return [nan_from_null(dict(r)) for r in rows]
