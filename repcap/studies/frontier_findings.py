r"""Chapter 7's conclusions: what fits at each (k, d), and what that says of the paper's claims.

:class:`FrontierFindings` holds the numbers of :mod:`repcap.studies.frontier`: the frontier rows
(every recipe's ε* at each cell and which recipe set it), Adam started from a construction's subset
against a random start, the paper's forms refitted to the frontier, and Table 1's Class 2 capacities
beside the largest explicit set at each model's (d, ε). Its rules:

* our best reaches the release at a shared cell when :math:`\min(\varepsilon_\text{ours},
  \mu_\text{construction}) / \varepsilon_\text{released} \le 1` (:meth:`FrontierFindings.not_reached`);
* Adam *lowered*, *left* or *raised* a construction subset's max |cos| as its end value lies more
  than :data:`SAME_EPS` below, within, or above the subset's own (:func:`adam_effect`); Adam from
  the subset ends :math:`\varepsilon_\text{random start} / \varepsilon_\text{after Adam}` times
  below Adam from a random start (:func:`start_gain`), and the subset itself
  :math:`\varepsilon_\text{random start} / \varepsilon_\text{subset}` times (:func:`subset_gain`):
  each value is credited to what produced it;
* a capacity is exceeded when an explicit set of N vectors in dimension ≤ d holds at the model's ε
  more vectors than Eq. 7 allows, N > k_max (:meth:`FrontierFindings.capacity_exceeded`; the flag
  :func:`repcap.geometry.feasibility.model_band` computes, which chapter 6 lists too), and
  *robustly* exceeded when that also holds with every ε moved by ±:data:`ROBUST_SHIFT`
  (capacity and set both at the moved ε; :meth:`FrontierFindings.robust_exceeded`);
* a refit with a constant at a bound of the optimiser's box is degenerate and not read as a law
  (:attr:`repcap.laws.Fit.at_bound`).

:func:`upper_bound_verdict` decides the paper's claim that Eq. 7's capacity is an upper bound from
this chapter's findings and chapter 5's (the proven floor, the objectives at equal steps).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from repcap import catalog
from repcap.common.formatting import range_median, sci, signed_percent
from repcap.geometry.feasibility import named_band
from repcap.laws import FORMS, PAPER_EQ7, Fit
from repcap.studies import frontier
from repcap.studies.capacity_table import capacity_rows, class2_rows
from repcap.studies.findings import (CAVEAT, FAILS, HOLDS, Findings, Markdown, Table, Verdict,
                                     required)
from repcap.studies.objective_comparison import ObjectiveFindings
from repcap.studies.optimised_packing import PackingFindings

__all__ = ["FrontierFindings", "adam_effect", "start_gain", "subset_gain", "upper_bound_status",
           "upper_bound_verdict", "SAME_EPS", "EPS_SHIFTS", "ROBUST_SHIFT"]

#: Two max |cos| closer than this are the same at the four decimals the chapter prints.
SAME_EPS = 5e-5
#: Relative moves of every Table 1 ε for the robustness of the Class 2 count, ε' = ε (1 + s).
EPS_SHIFTS = (-0.05, -0.01, 0.01, 0.05)
#: A capacity is robustly exceeded when it stays below an explicit set with ε moved by ± this.
ROBUST_SHIFT = 0.01

_ROW_COLUMNS = [("d", "d", "d"), ("k", "k", "d"), ("random (Eq. 5)", "random", ".4f"),
                ("released", "released", ".4f"), ("ours", "ours", ".4f"),
                ("explicit set", "construction", ".4f"), ("family", "construction_family", ""),
                ("frontier by", "frontier_recipe", ""),
                ("ours / released", "ratio_to_released", ".3f")]
_START_COLUMNS = [("k", "k", "d"), ("d", "d", "d"),
                  ("smaller set", lambda r: _set_name(r, "smaller_"), ""),
                  ("set", lambda r: _set_name(r, ""), ""),
                  ("set's μ", "coherence", ".4f"), ("subset's own ε", "start_eps", ".4f"),
                  ("Adam from the subset", "eps", ".4f"), ("Adam", lambda r: adam_effect(r), ""),
                  ("best along the run", "best_history", ".4f"),
                  ("Adam from random", "random_start_eps", ".4f")]
_CLASS2_COLUMNS = [("model", "name", ""), ("d", "d", "d"), ("ε", "eps", ".4f"),
                   ("Eq. 7 capacity", "capacity", sci), ("explicit set", "construction_count", sci),
                   ("family", "family", ""), ("set / capacity", "ratio", ".3g")]


def adam_effect(start: Mapping) -> str:
    """What Adam did to a construction subset's max |cos|: "lowered", "left" or "raised" it, as
    ε after Adam lies more than :data:`SAME_EPS` below, within, or more than it above the start."""
    change = start["eps"] - start["start_eps"]
    return "lowered" if change < -SAME_EPS else "raised" if change > SAME_EPS else "left"


def start_gain(start: Mapping) -> float:
    """How many times lower Adam started from a construction subset ends than Adam from a random
    start (same steps, objective and seed): ε_random start / ε_after Adam (> 1: the subset start
    wins). Adam's own end value, not the subset's: the code's value is :func:`subset_gain`."""
    return start["random_start_eps"] / start["eps"]


def subset_gain(start: Mapping) -> float:
    """How many times lower the construction subset itself is than Adam from a random start:
    ε_random start / ε_subset (no optimisation at all on the subset's side)."""
    return start["random_start_eps"] / start["start_eps"]


def _set_name(row: Mapping, prefix: str) -> str:
    """"4,096-vector dual_bch" for a starts row's set (``prefix`` "") or the step below it ("smaller_")."""
    count, family = row.get(f"{prefix}count"), row.get(f"{prefix}family")
    return "–" if count is None else f"{count:,}-vector {family}"


def _versus(value: float, reference: float) -> str:
    """"1.85× below" / "1.08× above" / "level with": ``value`` against ``reference`` (max |cos|,
    the same within :data:`SAME_EPS`)."""
    if value < reference - SAME_EPS:
        return f"{reference / value:.2f}× below"
    return f"{value / reference:.2f}× above" if value > reference + SAME_EPS else "level with"


def _span(values, fmt: str) -> str:
    """"lo–hi" of ``values`` in format ``fmt``, one number when they agree."""
    lo, hi = format(min(values), fmt), format(max(values), fmt)
    return lo if lo == hi else f"{lo}–{hi}"


def _fit(fit: Fit | Mapping | None) -> dict | None:
    """A refit as the record holds it: {params, r2, mape, at_bound} (None stays None)."""
    if isinstance(fit, Fit):
        return {"params": fit.params, "r2": fit.r2, "mape": fit.mape,
                "at_bound": list(fit.at_bound)}
    return None if fit is None else {"at_bound": [], **fit}


def _bound_of(form: str, name: str, value: float) -> float:
    """The bound of the optimiser's box (:data:`repcap.laws.FORMS`) that ``value`` sits at."""
    spec = FORMS[form]
    i = spec.params.index(name)
    lo, hi = spec.lower[i], spec.upper[i]
    return lo if abs(value - lo) <= abs(hi - value) else hi


def _percent(shift: float) -> str:
    return signed_percent(shift, 0)


@dataclass
class FrontierFindings(Findings):
    """Chapter 7's numbers: frontier rows, construction starts, refits, Table 1's Class 2 rows and
    the same comparison with every ε moved (``shifted``)."""

    chapter = "07_packing_frontier"

    rows: list[dict]                  # repcap.studies.frontier.frontier_rows
    starts: list[dict]                # repcap.studies.frontier.construction_starts
    refit: dict[str, dict | None]     # form -> {params, r2, mape, at_bound}, None: too few points
    class2: list[dict]                # repcap.studies.frontier.table1_vs_constructions
    steps: int
    shifted: list[dict] = field(default_factory=list)  # repcap.studies.frontier.shifted_class2

    @classmethod
    def of(cls, d_values: Sequence[int], k_values: Sequence[int], own: Sequence[Mapping],
           released: Any, starts: Sequence[tuple[int, int]], *, steps: int, seed: int = 0,
           device: str | None = None, shifts: Sequence[float] = EPS_SHIFTS) -> "FrontierFindings":
        """The chapter's numbers: the frontier rows of the grid (``own`` packings from
        :func:`repcap.studies.frontier.own_packings`, ``released`` the paper's sweep), Adam started
        from construction subsets at the cells ``starts`` (against the same recipe from a random
        start), the paper's forms refitted to the frontier, Table 1's Class 2 capacities beside the
        largest explicit set at each model's (d, ε) (the band of
        :func:`repcap.geometry.feasibility.named_band`), and that comparison again with every ε
        moved by each relative amount of ``shifts``."""
        rows = frontier.frontier_rows(d_values, k_values, own=own, released=released)
        models = class2_rows(capacity_rows(catalog.paper_models()))
        return cls(rows, frontier.construction_starts(starts, steps=steps, seed=seed, device=device,
                                                      own=own),
                   frontier.refit_frontier(rows),
                   frontier.table1_vs_constructions(named_band(models)), steps=steps,
                   shifted=frontier.shifted_class2(models, shifts))

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

    def below_at(self, shift: float) -> set[str] | None:
        """Names of the Class 2 models below an explicit set with every ε moved by ``shift``
        (None when that move was not computed)."""
        for row in self.shifted:
            if abs(row["shift"] - shift) < 1e-12:
                return set(row["below"])
        return None

    def robust_exceeded(self, shift: float = ROBUST_SHIFT) -> list[dict]:
        """The :meth:`capacity_exceeded` models that stay below an explicit set with every ε moved
        by −``shift`` and +``shift`` (the moves not computed constrain nothing)."""
        keep = [self.below_at(s) for s in (-shift, shift)]
        return [v for v in self.capacity_exceeded()
                if all(names is None or v["name"] in names for names in keep)]

    def within_all_shifts(self) -> list[dict]:
        """The :meth:`capacity_exceeded` models below an explicit set at every computed move."""
        return [v for v in self.capacity_exceeded()
                if all(v["name"] in row["below"] for row in self.shifted)]

    def degenerate_fits(self) -> dict[str, list[str]]:
        """Refitted forms with a constant at a bound of the optimiser's box: form -> names."""
        return {name: list(fit["at_bound"]) for name, fit in self.refit.items()
                if fit and fit.get("at_bound")}

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
        return Table(f"Adam from a construction subset vs a random start ({self.steps} steps, the "
                     f"paper's objective, same seed)", self.starts, _START_COLUMNS)

    def _start_line(self, s: Mapping) -> str:
        where = (f"between the {_set_name(s, 'smaller_')} set at μ {s['smaller_coherence']:.4f} and "
                 f"the {_set_name(s, '')} set at μ {s['coherence']:.4f}"
                 if s.get("smaller_count") is not None else f"inside the {_set_name(s, '')} set")
        effect = adam_effect(s)
        did = (f"Adam left the subset's max |cos| at {s['start_eps']:.4f}" if effect == "left" else
               f"Adam {effect} the subset's max |cos| from {s['start_eps']:.4f} to {s['eps']:.4f}")
        return (f"* k = {s['k']}, d = {s['d']} ({where}): {did} (best along the run "
                f"{s['best_history']:.4f}); from a random start Adam reaches "
                f"{s['random_start_eps']:.4f}. Adam from the subset ends "
                f"{_versus(s['eps'], s['random_start_eps'])} Adam from a random start; the subset "
                f"itself is {_versus(s['start_eps'], s['random_start_eps'])} it.")

    def starts_text(self) -> Markdown:
        if not self.starts:
            return Markdown("No cell of this profile has an explicit set to start from.")
        lines = [self._start_line(s) for s in self.starts]
        wins = sum(s["eps"] < s["random_start_eps"] - SAME_EPS for s in self.starts)
        effects = [adam_effect(s) for s in self.starts]
        counts = ", ".join(f"{e} it in {effects.count(e)}"
                           for e in ("lowered", "left", "raised") if effects.count(e))
        lines.append(f"\nAdam started from k vectors of the set ends below Adam from a random start "
                     f"in {wins} of {len(self.starts)} cells; of the subsets' own max |cos|, Adam "
                     f"{counts}.")
        return Markdown("\n".join(lines))

    def refit_text(self) -> Markdown:
        lines = []
        for name, fit in self.refit.items():
            if fit is None:
                lines.append(f"* {name}: too few frontier points in this profile to fit")
                continue
            params = ", ".join(f"{k} = {v:.4g}" for k, v in fit["params"].items())
            line = f"* {name}: {params}; R² = {fit['r2']:.3f}, MAPE = {fit['mape']:.1f} %"
            pinned = fit.get("at_bound") or []
            if pinned:
                at = ", ".join(f"{p} at its bound {_bound_of(name, p, fit['params'][p]):g}"
                               for p in pinned)
                line += f". Degenerate: {at}; not read as a law"
            lines.append(line)
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

    def shift_table(self) -> Table:
        point = {v["name"] for v in self.capacity_exceeded()}
        rows = [{"shift": r["shift"], "n_below": len(r["below"]), "n": r["n"],
                 "lost": ", ".join(sorted(point - set(r["below"]))) or "–",
                 "gained": ", ".join(sorted(set(r["below"]) - point)) or "–"}
                for r in sorted(self.shifted, key=lambda r: r["shift"])]
        return Table("Class 2 capacities below an explicit set with every ε moved (capacity and set "
                     "both at the moved ε)", rows,
                     [("ε moved by", "shift", _percent), ("below a set", "n_below", "d"),
                      ("of", "n", "d"), ("no longer below", "lost", ""),
                      ("newly below", "gained", "")])

    def shift_text(self) -> Markdown:
        if not self.shifted:
            return Markdown("No moved ε was computed in this build.")
        n, point = len(self.class2), len(self.capacity_exceeded())
        robust, every = self.robust_exceeded(), self.within_all_shifts()
        moves = ", ".join(_percent(r["shift"]) for r in sorted(self.shifted, key=lambda r: r["shift"]))
        return Markdown(
            f"At Table 1's ε, {point} of {n} Class 2 capacities are below an explicit set. "
            f"{len(robust)} stay below with every ε moved by {_percent(-ROBUST_SHIFT)} and by "
            f"{_percent(ROBUST_SHIFT)}; {len(every)} stay below at every move computed "
            f"({moves}).")

    def claims_text(self) -> Markdown:
        """The claims this page's numbers decide, in the words of section (d)."""
        n = len(self.by_construction())
        beats = (f"but Adam from a random start is not the frontier: an explicit set beats it in "
                 f"{n} of the {len(self.rows)} cells of the table (and Figure 7.1)" if n else
                 "and no explicit set beats it in any cell of this profile's table")
        if self.starts:
            own = [subset_gain(s) for s in self.starts
                   if s["start_eps"] < s["random_start_eps"] - SAME_EPS]
            wins = sum(s["eps"] < s["random_start_eps"] - SAME_EPS for s in self.starts)
            raised = sum(adam_effect(s) == "raised" for s in self.starts)
            n = len(self.starts)
            by = f" (by {_span(own, '.2f')}×)" if own else ""
            beats += (f"; a code's own subset sits below Adam from a random start at the same k in "
                      f"{len(own)} of {n} cells{by}, and Adam started from the subset ends below "
                      f"Adam from a random start in {wins} of {n}, while raising the subset's own "
                      f"max |cos| in {raised} (a)")
        above, robust = self.capacity_exceeded(), self.robust_exceeded()
        moved = (f"; {len(robust)} of them stay below with every ε moved by ±"
                 f"{100 * ROBUST_SHIFT:g} % (c)" if self.shifted else "")
        bound = (f"Not supported: for {len(above)} of the {len(self.class2)} Class 2 models in (c), "
                 f"more vectors provably fit at the model's ε than the capacity allows, by a factor "
                 f"{_span([v['ratio'] for v in above], '.3g')}{moved}."
                 if above else
                 f"Not contradicted by the explicit sets: none holds more vectors than the "
                 f"capacity of any of the {len(self.class2)} Class 2 models in (c). (The verdict "
                 f"page weighs chapter 5's proven floor and packing objectives too.)")
        return Markdown(
            f"* *Eq. 7 fits the optimised packings.* {self.fits_claim()}\n"
            f"* *Optimised packing beats random packing by a large factor.* Unchanged for Adam "
            f"against random vectors; {beats}.\n"
            f"* *Representational capacity is an upper bound on the number of near-orthogonal "
            f"directions.* {bound}")

    def fits_claim(self) -> str:
        """What (b) says of Eq. 7 as a law of the frontier."""
        eq7 = self.refit.get("eq7")
        if eq7 is None:
            return ("True of the recipe it was fitted to (chapter 5); this profile has too few "
                    "frontier points to refit it (b).")
        pinned = eq7.get("at_bound") or []
        if pinned:
            return (f"True of the recipe it was fitted to (chapter 5). Refitted on the frontier (b) "
                    f"the fit is degenerate ({', '.join(pinned)} at the edge of the optimiser's "
                    f"box, the paper's), so no law is read from it: the box, not the frontier, "
                    f"fixed that constant.")
        ours = ", ".join(f"{k} = {v:.3g}" for k, v in eq7["params"].items())
        paper = ", ".join(f"{v:.3g}" for v in PAPER_EQ7.values())
        return (f"True of the recipe it was fitted to (chapter 5). Refitted on the frontier (b): "
                f"{ours} (the paper's: {paper}), MAPE {eq7['mape']:.1f} %.")

    def tables(self) -> list[Table]:
        return [self.frontier_table(), self.starts_table(), self.class2_table(),
                self.shift_table()]

    def markdown(self) -> Markdown:
        return Markdown("\n\n".join([self.frontier_text(), self.starts_text(), self.refit_text(),
                                     self.class2_text(), self.shift_text(), self.claims_text()]))

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
            "refit_degenerate": self.degenerate_fits(),
            "n_class2_below_construction": len(above),
            "n_class2_below_robust": len(self.robust_exceeded()),
            "n_class2": len(self.class2),
            "class2_ratio_median": float(np.median([v["ratio"] for v in above])) if above else None,
            "rows": self.rows,
            "class2": self.class2,
            "shifted": self.shifted,
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
                   steps=required(record, cls.chapter, "steps"),
                   shifted=record.get("shifted", []))


def upper_bound_status(packing: PackingFindings, objectives: ObjectiveFindings,
                       frontier: FrontierFindings) -> str:
    """The rule for "Eq. 7's capacity is an upper bound on the number of directions": it does not
    hold when an explicit set beats a Table 1 capacity even with every ε moved by
    ±:data:`ROBUST_SHIFT` (:meth:`FrontierFindings.robust_exceeded`), when the paper's released
    packings sit above the proven coherence floor (smallest ratio > 1: better packings may exist),
    or when another objective packs lower than the paper's loss at equal steps
    (:meth:`ObjectiveFindings.winner`): the law then describes a recipe, not the geometry. A set that
    beats a capacity only at the printed ε, not robustly, leaves the claim standing with a caveat."""
    beaten = bool(frontier.robust_exceeded())
    above_floor = packing.paper_floor_range[0] > 1
    outpacked = objectives.median_ratio(objectives.winner()) < 1
    if beaten or above_floor or outpacked:
        return FAILS
    return CAVEAT if frontier.capacity_exceeded() else HOLDS


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
        if frontier.shifted:
            robust = frontier.robust_exceeded()
            evidence += (f"Table 1's ε are point values: with every ε moved by ±"
                         f"{100 * ROBUST_SHIFT:g} % (capacity and set both at the moved ε), "
                         f"{len(robust)} of the {len(above)} stay below an explicit set, "
                         f"{len(frontier.within_all_shifts())} at each move chapter 7 computes "
                         f"({', '.join(_percent(r['shift']) for r in frontier.shifted)}). ")
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
