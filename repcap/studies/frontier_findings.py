r"""Chapter 7's conclusions: what fits at each (k, d), and what that says of the paper's claims.

:class:`FrontierFindings` holds the numbers of :mod:`repcap.studies.frontier`: the frontier rows
(every recipe's ε* at each cell and which recipe set it), Adam started from a construction's subset
against a random start, the paper's forms refitted to the frontier, and Table 1's Class 2 capacities
beside the largest explicit set at each model's (d, ε). Its rules:

* our best reaches the release at a shared cell when :math:`\min(\varepsilon_\text{ours},
  \mu_\text{construction}) / \varepsilon_\text{released} \le 1` (:meth:`FrontierFindings.not_reached`);
* a construction start gains :math:`\varepsilon_\text{random start} / \min(\varepsilon_\text{after
  Adam}, \varepsilon_\text{subset})` over the random start (:func:`start_gain`);
* a capacity is exceeded when an explicit set of N vectors in dimension ≤ d holds at the model's ε
  more vectors than Eq. 7 allows, N > k_max (:meth:`FrontierFindings.capacity_exceeded`; the flag
  :func:`repcap.geometry.feasibility.model_band` computes, which chapter 6 lists too).

:func:`upper_bound_verdict` decides the paper's claim that Eq. 7's capacity is an upper bound from
this chapter's findings and chapter 5's (the proven floor, the objectives at equal steps).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from repcap import catalog
from repcap.common.formatting import range_median, sci
from repcap.geometry.feasibility import named_band
from repcap.laws import Fit
from repcap.studies import frontier
from repcap.studies.capacity_table import capacity_rows, class2_rows
from repcap.studies.findings import FAILS, HOLDS, Findings, Markdown, Table, Verdict, required
from repcap.studies.objective_comparison import ObjectiveFindings
from repcap.studies.optimised_packing import PackingFindings

__all__ = ["FrontierFindings", "start_gain", "upper_bound_status", "upper_bound_verdict"]

_ROW_COLUMNS = [("d", "d", "d"), ("k", "k", "d"), ("random (Eq. 5)", "random", ".4f"),
                ("released", "released", ".4f"), ("ours", "ours", ".4f"),
                ("explicit set", "construction", ".4f"), ("family", "construction_family", ""),
                ("frontier by", "frontier_recipe", ""),
                ("ours / released", "ratio_to_released", ".3f")]
_START_COLUMNS = [("k", "k", "d"), ("d", "d", "d"), ("set", "family", ""),
                  ("set's μ", "coherence", ".4f"), ("subset's start ε", "start_eps", ".4f"),
                  ("after Adam", "eps", ".4f"), ("best along the run", "best_history", ".4f"),
                  ("Adam from random", "random_start_eps", ".4f")]
_CLASS2_COLUMNS = [("model", "name", ""), ("d", "d", "d"), ("ε", "eps", ".4f"),
                   ("Eq. 7 capacity", "capacity", sci), ("explicit set", "construction_count", sci),
                   ("family", "family", ""), ("set / capacity", "ratio", ".3g")]


def start_gain(start: Mapping) -> float:
    """How many times lower than Adam from a random start a construction start ends: the random
    start's ε* over the best of the subset's own max |cos| and where Adam took it."""
    return start["random_start_eps"] / min(start["eps"], start["start_eps"])


def _span(values, fmt: str) -> str:
    """"lo–hi" of ``values`` in format ``fmt``, one number when they agree."""
    lo, hi = format(min(values), fmt), format(max(values), fmt)
    return lo if lo == hi else f"{lo}–{hi}"


def _fit(fit: Fit | Mapping | None) -> dict | None:
    """A refit as the record holds it: {params, r2, mape} (None stays None)."""
    if isinstance(fit, Fit):
        return {"params": fit.params, "r2": fit.r2, "mape": fit.mape}
    return None if fit is None else dict(fit)


@dataclass
class FrontierFindings(Findings):
    """Chapter 7's numbers: frontier rows, construction starts, refits and Table 1's Class 2 rows."""

    chapter = "07_packing_frontier"

    rows: list[dict]                  # repcap.studies.frontier.frontier_rows
    starts: list[dict]                # repcap.studies.frontier.construction_starts
    refit: dict[str, dict | None]     # form -> {params, r2, mape}, None where too few points
    class2: list[dict]                # repcap.studies.frontier.table1_vs_constructions
    steps: int

    @classmethod
    def of(cls, d_values: Sequence[int], k_values: Sequence[int], own: Sequence[Mapping],
           released: Any, starts: Sequence[tuple[int, int]], *, steps: int, seed: int = 0,
           device: str | None = None) -> "FrontierFindings":
        """The chapter's numbers: the frontier rows of the grid (``own`` packings from
        :func:`repcap.studies.frontier.own_packings`, ``released`` the paper's sweep), Adam started
        from construction subsets at the cells ``starts``, the paper's forms refitted to the
        frontier, and Table 1's Class 2 capacities beside the largest explicit set at each model's
        (d, ε) (the band of :func:`repcap.geometry.feasibility.named_band`)."""
        rows = frontier.frontier_rows(d_values, k_values, own=own, released=released)
        class2 = class2_rows(capacity_rows(catalog.paper_models()))
        return cls(rows, frontier.construction_starts(starts, steps=steps, seed=seed, device=device),
                   frontier.refit_frontier(rows),
                   frontier.table1_vs_constructions(named_band(class2)), steps=steps)

    def __post_init__(self):
        self.refit = {name: _fit(f) for name, f in self.refit.items()}

    # -- the rules -------------------------------------------------------------------------------
    def shared(self) -> list[dict]:
        """The cells the paper's release also has."""
        return [r for r in self.rows if r["ratio_to_released"] is not None]

    def not_reached(self) -> list[dict]:
        """Shared cells where neither our packing nor an explicit set reaches the released ε*."""
        return [r for r in self.shared() if r["ratio_to_released"] > 1]

    def by_construction(self) -> list[dict]:
        """Cells whose frontier an explicit set sets (no recipe of ours or the paper's beats it)."""
        return [r for r in self.rows if r["frontier_recipe"] == "construction"]

    def capacity_exceeded(self) -> list[dict]:
        """Class 2 models of Table 1 whose Eq. 7 capacity is smaller than an explicit set at the
        model's (d, ε)."""
        return [v for v in self.class2 if v["below"]]

    # -- what the chapter shows ----------------------------------------------------------------
    def frontier_table(self) -> Table:
        return Table("ε* by recipe at every cell", self.rows, _ROW_COLUMNS)

    def frontier_text(self) -> Markdown:
        shared, worse = self.shared(), self.not_reached()
        lines = [f"Cells shared with the paper's release: {len(shared)}; our best (own packing or "
                 f"explicit set) is ≤ the released ε* in {len(shared) - len(worse)} of them."]
        lines += [f"* not reached at k = {r['k']}, d = {r['d']}: ours {r['ours_best']:.4f} vs "
                  f"released {r['released']:.4f} (ratio {r['ratio_to_released']:.3f})"
                  for r in worse]
        lines.append(f"\nThe frontier is set by an explicit set in {len(self.by_construction())} "
                     f"of {len(self.rows)} cells.")
        return Markdown("\n".join(lines))

    def starts_table(self) -> Table:
        return Table(f"Adam from a construction subset vs a random start ({self.steps} steps)",
                     self.starts, _START_COLUMNS)

    def starts_text(self) -> Markdown:
        return Markdown("\n".join(
            f"* k = {s['k']}, d = {s['d']}: best of construction start "
            f"{min(s['eps'], s['start_eps']):.4f}, random start {s['random_start_eps']:.4f} "
            f"({start_gain(s):.2f}× lower from the construction); Adam "
            f"{'lowered' if s['eps'] < s['start_eps'] else 'did not lower'} the subset's own "
            f"max |cos|" for s in self.starts))

    def refit_text(self) -> Markdown:
        lines = []
        for name, fit in self.refit.items():
            if fit is None:
                lines.append(f"* {name}: too few frontier points in this profile to fit")
                continue
            params = ", ".join(f"{k} = {v:.4g}" for k, v in fit["params"].items())
            lines.append(f"* {name}: {params}; R² = {fit['r2']:.3f}, MAPE = {fit['mape']:.1f} %")
        return Markdown("\n".join(lines))

    def class2_table(self) -> Table:
        return Table("Class 2 models of Table 1: capacity against the largest explicit set",
                     self.class2, _CLASS2_COLUMNS)

    def class2_text(self) -> Markdown:
        above = self.capacity_exceeded()
        if not above:
            return Markdown(f"None of the {len(self.class2)} Class 2 capacities is smaller than "
                            f"an explicit set at the model's (d, ε).")
        return Markdown(f"{len(above)} of {len(self.class2)} Class 2 capacities are smaller than "
                        f"an explicit set at the model's (d, ε); ratios of those "
                        f"{range_median(v['ratio'] for v in above)}.")

    def claims_text(self) -> Markdown:
        """The two claims this page's numbers decide, in the words of section (d)."""
        n, gains = len(self.by_construction()), [start_gain(s) for s in self.starts]
        beats = (f"but Adam from a random start is not the frontier: an explicit set beats it in "
                 f"{n} of the {len(self.rows)} cells of the table (and Figure 7.1)" if n else
                 "and no explicit set beats it in any cell of this profile's table")
        if gains and min(gains) > 1:
            beats += (f"; and starting Adam from a code's subset ends {_span(gains, '.2f')}× "
                      f"below the random start at the same number of steps (a)")
        elif gains:
            beats += (f"; starting Adam from a code's subset ends below the random start in "
                      f"{sum(g > 1 for g in gains)} of {len(gains)} cells (a)")
        above = self.capacity_exceeded()
        bound = (f"Not supported: for {len(above)} of the {len(self.class2)} Class 2 models in (c), "
                 f"more vectors provably fit at the model's ε than the capacity allows, by a factor "
                 f"{_span([v['ratio'] for v in above], '.3g')}."
                 if above else
                 f"Not contradicted by the explicit sets: none holds more vectors than the "
                 f"capacity of any of the {len(self.class2)} Class 2 models in (c). (The verdict "
                 f"page weighs chapter 5's proven floor and packing objectives too.)")
        return Markdown(
            f"* *Optimised packing beats random packing by a large factor.* Unchanged for Adam "
            f"against random vectors; {beats}.\n"
            f"* *Representational capacity is an upper bound on the number of near-orthogonal "
            f"directions.* {bound}")

    def tables(self) -> list[Table]:
        return [self.frontier_table(), self.starts_table(), self.class2_table()]

    def markdown(self) -> Markdown:
        return Markdown("\n\n".join([self.frontier_text(), self.starts_text(), self.refit_text(),
                                     self.class2_text(), self.claims_text()]))

    # -- the results record ----------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        shared, above = self.shared(), self.capacity_exceeded()
        return {
            "steps": self.steps,
            "n_cells": len(self.rows),
            "n_shared_with_release": len(shared),
            "n_not_reaching_release": len(self.not_reached()),
            "ratios_to_release": [{"k": r["k"], "d": r["d"], "ratio": r["ratio_to_released"]}
                                  for r in shared],
            "frontier_by_construction": len(self.by_construction()),
            "starts": self.starts,
            "refit": {name: fit for name, fit in self.refit.items() if fit},
            "refit_forms": list(self.refit),
            "n_class2_below_construction": len(above),
            "n_class2": len(self.class2),
            "class2_ratio_median": float(np.median([v["ratio"] for v in above])) if above else None,
            "rows": self.rows,
            "class2": self.class2,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "FrontierFindings":
        fits = required(record, cls.chapter, "refit")
        # JSON has no infinity: a cell with no explicit set was written with construction null
        rows = [{**r, "construction": math.inf if r["construction"] is None else r["construction"]}
                for r in required(record, cls.chapter, "rows")]
        return cls(rows=rows, starts=required(record, cls.chapter, "starts"),
                   refit={name: fits.get(name) for name in record.get("refit_forms", fits)},
                   class2=required(record, cls.chapter, "class2"),
                   steps=required(record, cls.chapter, "steps"))


def upper_bound_status(packing: PackingFindings, objectives: ObjectiveFindings,
                       frontier: FrontierFindings) -> str:
    """The rule for "Eq. 7's capacity is an upper bound on the number of directions": it does not
    hold when an explicit set beats a Table 1 capacity (:meth:`FrontierFindings.capacity_exceeded`),
    when the paper's released packings sit above the proven coherence floor (smallest ratio > 1:
    better packings may exist), or when another objective packs lower than the paper's loss at equal
    steps (:meth:`ObjectiveFindings.winner`): the law then describes a recipe, not the geometry."""
    beaten = bool(frontier.capacity_exceeded())
    above_floor = packing.paper_floor_range[0] > 1
    outpacked = objectives.median_ratio(objectives.winner()) < 1
    return FAILS if beaten or above_floor or outpacked else HOLDS


def upper_bound_verdict(packing: PackingFindings, objectives: ObjectiveFindings,
                        frontier: FrontierFindings) -> Verdict:
    """The verdict page's entry for the claim, with :func:`upper_bound_status`'s status."""
    above = frontier.capacity_exceeded()
    evidence = ""
    if above:
        top = max(above, key=lambda v: v["ratio"])
        evidence = (f"For {len(above)} of the {len(frontier.class2)} Class 2 models of Table 1, an "
                    f"explicit line set built and checked in this book holds more unit vectors at the "
                    f"model's ε, in no more dimensions, than the capacity Eq. 7 assigns (by a factor "
                    f"{range_median(v['ratio'] for v in above)}; the "
                    f"largest, {top['name']}, against a {top['family']} set). ")
    lo, hi = packing.paper_floor_range
    best = objectives.winner()
    ratio = objectives.median_ratio(best)
    evidence += (f"The paper's released packings reach {lo:.2f}–{hi:.2f} times the proven lower "
                 f"bound on max |cos| (the coherence floor), so better packings may exist. At equal "
                 f"steps and learning-rate schedule, the `{best}` objective packs the same cells to "
                 f"a median ε* {abs(100 * (ratio - 1)):.1f} % {'lower' if ratio < 1 else 'higher'} "
                 f"than the paper's loss reaches. Eq. 7 fitted to such packings describes what one "
                 f"recipe reaches, not how many directions can exist.")
    return Verdict("Representational capacity from Eq. 7 is an upper bound on the number of "
                   "distinguishable directions.", "§3.4", evidence,
                   upper_bound_status(packing, objectives, frontier),
                   (packing.chapter, "06_capacity", frontier.chapter))  # 6 lists the same sets
