r"""Chapter 6's findings: the representational capacity of models, section by section.

The paper turns its packing law around: a model of width d that tolerates overlap ε has room for
about :math:`k_{\max}(d, \varepsilon)` directions (Eq. 7 solved for k, Guha 2026, §3.4;
:mod:`repcap.studies.capacity_table` computes the rows). Each section of the chapter gets one
findings object here, holding its numbers and the sentences they support:

* :class:`ConstantsFindings`: our Eq. 7 and Eq. 6 constants, fitted to chapter 5's packings
  (:func:`own_constants` reads or computes them);
* :class:`Table1Findings`: the paper's Table 1 recomputed, and how far the laws agree on it;
* :class:`MeasuredFindings`: the same formulas on the models the book measures
  (:func:`measured_capacities`);
* :class:`BudgetFindings`: Eq. 2, the vocabulary's share of the capacity.

The sensitivity examples and the paper's claim that ε is the dominant lever are in
:mod:`repcap.studies.sensitivity_findings`; what is provable about these capacities (the
feasibility band, ε√d) in :mod:`repcap.studies.feasibility_findings`; the untied models of
Appendix C in :mod:`repcap.studies.unembedding`. The chapter writes the union of the sections' records
(:func:`repcap.studies.findings.chapter_record`).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from repcap.common.formatting import log10_sci, sci, signed_percent
from repcap.geometry.feasibility import named_band
from repcap.laws import PAPER_EQ6_C, PAPER_EQ7, fit_all, forms_fittable
from repcap.laws.classes import BETWEEN, CLASS1, CLASS2, CLASS2_BELOW, classify
from repcap.packing.grid import grid_cells, recorded_cells, results_file
from repcap.packing.sweeps import run_sweep
from repcap.studies.capacity_table import (EXPLICIT_SERIES, GREEDY_SERIES, TABLE1_SERIES, budget_rows,
                                           capacity_rows, capacity_series, class2_rows,
                                           series_agreement)
from repcap.studies.findings import Findings, Markdown, Table, required
from repcap.studies.models_table import read_table
from repcap.studies.survey import measure

__all__ = ["CHAPTER", "LARGEST_FITTED_K", "ConstantsFindings", "own_constants", "Table1Findings",
           "MeasuredFindings", "measured_capacities", "BudgetFindings", "source_line"]

CHAPTER = "06_capacity"
#: The largest k among the packings the paper's laws were fitted on.
LARGEST_FITTED_K = 32000


def _bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"* {line}" for line in lines)


# -- our constants ---------------------------------------------------------------------------------

_CONSTANT_COLUMNS = [("constants", "set", ""), ("C", "C", ".4f"), ("a", "a", ".4f"),
                     ("b", "b", ".4f"), ("c", "c", ".4f"), ("Eq. 6 C", "eq6", ".4f")]


@dataclass
class ConstantsFindings(Findings):
    """Eq. 7's four constants and Eq. 6's C fitted to ``n_packings`` of chapter 5's packings.

    ``eq7`` is None when there are too few packings (≤ 4) to fit four constants, ``eq6_C`` when
    there is at most one; ``note`` says where the packings came from when none were computed here.
    """

    chapter = CHAPTER

    n_packings: int
    steps: int
    grid: str
    eq7: dict[str, float] | None
    eq6_C: float | None
    note: str = ""

    def tables(self) -> list[Table]:
        rows = [{"set": "paper (fitted to its 166 packings)", **PAPER_EQ7, "eq6": PAPER_EQ6_C},
                {"set": f"ours ({self.n_packings} packings, {self.steps} steps, grid `{self.grid}`)",
                 **(self.eq7 or {}), "eq6": self.eq6_C}]
        return [Table("Constants of Eq. 7 (and Eq. 6)", rows, _CONSTANT_COLUMNS)]

    def markdown(self) -> Markdown:
        lines = [self.note] if self.note else []
        if self.eq7 is None:
            lines.append("Too few packings to fit Eq. 7's four constants; our column below stays "
                         "empty.")
        return Markdown("\n\n".join(lines))

    def record(self) -> dict[str, Any]:
        return {"our_eq7": self.eq7, "our_eq6_C": self.eq6_C, "n_packings": self.n_packings,
                "packing_steps": self.steps, "packing_grid": self.grid, "packing_note": self.note}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "ConstantsFindings":
        return cls(n_packings=required(record, CHAPTER, "n_packings"),
                   steps=required(record, CHAPTER, "packing_steps"),
                   grid=required(record, CHAPTER, "packing_grid"), eq7=record.get("our_eq7"),
                   eq6_C=record.get("our_eq6_C"), note=record.get("packing_note") or "")


def own_constants(grid: str, d_values: Sequence[int], k_values: Sequence[int], *,
                  sweep_dir: str | os.PathLike, steps: int, objective: str, seed: int,
                  compute: bool = True, device: str | None = None) -> ConstantsFindings:
    r"""Chapter 5's optimised packings of the grid, and Eq. 6 and Eq. 7 fitted to them.

    The packings are read from chapter 5's results file in ``sweep_dir`` (the cells missing there
    are computed first when ``compute``, as :func:`repcap.packing.sweeps.run_sweep` does). With n
    packings the fits are :func:`repcap.laws.fit_all` of the forms n points determine
    (:func:`repcap.laws.forms_fittable`: JL, Eq. 6 and Eq. 7 for n > 4, JL and Eq. 6 for
    1 < n ≤ 4, none otherwise).
    """
    cells = grid_cells("optimised", grid, d_values, k_values)
    sweep_file = results_file(sweep_dir, "optimised", steps=steps, objective=objective, seed=seed)
    note = ""
    if compute:
        records = run_sweep("optimised", cells, sweep_file, steps=steps, seed=seed,
                            objective=objective, device=device, progress=False)
    else:
        records = recorded_cells(sweep_file, cells, kind="optimised", steps=steps,
                                 objective=objective, seed=seed)
        note = (f"{len(records)} of chapter 5's {len(cells)} packings found in {sweep_file.name}; "
                "none computed here.")
    k, d, eps = (np.array([r[key] for r in records], dtype=float) for key in ("k", "d", "eps"))
    fits = fit_all(k, d, eps, forms=forms_fittable(len(records)))
    eq7 = fits.get("eq7")
    return ConstantsFindings(n_packings=len(records), steps=steps, grid=grid,
                             eq7=dict(eq7.params) if eq7 else None,
                             eq6_C=fits["eq6"].params["C"] if fits else None, note=note)


# -- the paper's Table 1 ---------------------------------------------------------------------------

_TABLE1_COLUMNS = [
    ("model", "name", ""),
    ("d_model", "d_model", "d"),
    ("ε (paper)", "eps", ".5f"),
    # Table 1 prints no capacity ("indeterminate") for its Class 1 rows: the word, not "–".
    ("capacity (paper)", lambda r: r["capacity_paper"] or "indeterminate",
     lambda v: v if isinstance(v, str) else sci(v)),
    ("Eq. 7 recomputed", "capacity_eq7_paper", sci),
    ("difference", "rel_diff", functools.partial(signed_percent, digits=2)),
    ("Eq. 7, our constants", "log10_eq7_fitted", log10_sci),
    ("Eq. 6", "log10_eq6", log10_sci),
]


@dataclass
class Table1Findings(Findings):
    """The paper's Table 1 recomputed (``rows``: :func:`capacity_rows` of its models) and
    ``series``, the capacities of its Class 2 rows several ways (:func:`capacity_series`, with the
    greedy existence count), in increasing Table 1 capacity."""

    chapter = CHAPTER
    #: The label of the series that is a proven count, not a law.
    greedy_label: ClassVar[str] = GREEDY_SERIES
    #: The label of the series that counts an explicit set (a construction one can write down).
    explicit_label: ClassVar[str] = EXPLICIT_SERIES

    rows: list[dict]
    series: dict[str, list[float]]

    @classmethod
    def of(cls, paper_rows: Iterable[Any], *, fitted: Mapping | None = None) -> "Table1Findings":
        """Table 1 from the paper's rows, with our Eq. 7 constants ``fitted`` where given."""
        rows = capacity_rows(paper_rows, fitted=fitted)
        class2 = class2_rows(rows)
        series = capacity_series(class2, band=named_band(class2))
        return cls(rows, {label: [float(v) for v in values] for label, values in series.items()})

    @property
    def determinate(self) -> list[dict]:
        """The rows for which the paper prints a capacity."""
        return [r for r in self.rows if r["capacity_paper"]]

    @property
    def class2(self) -> list[dict]:
        """The Class 2 rows, in increasing Table 1 capacity (:func:`class2_rows`)."""
        return class2_rows(self.rows)

    @property
    def max_rel_diff(self) -> float:
        """max |Eq. 7 recomputed − printed| / printed over the printed capacities."""
        return max(abs(r["rel_diff"]) for r in self.determinate)

    def tables(self) -> list[Table]:
        return [Table("Table 1 of the paper, recomputed from its reported ε", self.rows,
                      _TABLE1_COLUMNS)]

    def markdown(self) -> Markdown:
        n = len(self.determinate)
        return Markdown(f"{n} finite capacities reproduced within {100 * self.max_rel_diff:.2f} % "
                        f"({len(self.rows) - n} rows indeterminate).")

    def agreement(self) -> Markdown:
        """How far beyond the fitted range Table 1 reaches, and how the laws agree on it."""
        reach = np.array(self.series[TABLE1_SERIES]) - math.log10(LARGEST_FITTED_K)
        lines = [f"Table 1 capacities lie {reach.min():.1f} to {reach.max():.1f} orders of "
                 f"magnitude above k = {LARGEST_FITTED_K:,}, the largest k the laws were fitted on."]
        lines += [f"{a['label']}: rank correlation with Table 1 {a['rho']:+.2f}; differs from it by "
                  f"{a['gap_min']:+.1f} … {a['gap_max']:+.1f} orders of magnitude."
                  for a in series_agreement(self.series)]
        return Markdown(_bullets(lines))

    def record(self) -> dict[str, Any]:
        return {"n_paper_rows": len(self.rows), "n_determinate": len(self.determinate),
                "max_rel_diff_table1": self.max_rel_diff, "table1_rows": self.rows,
                "class2_series": self.series}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "Table1Findings":
        return cls(required(record, CHAPTER, "table1_rows"),
                   required(record, CHAPTER, "class2_series"))


# -- the models the book measures ------------------------------------------------------------------

_CLASS_SHORT = {CLASS1: "1", CLASS2: "2", BETWEEN: "between"}
_MEASURED_COLUMNS = [
    ("model", "name", ""),
    ("d_model", "d_model", "d"),
    ("V", "vocab_size", ",d"),
    ("ε = µ + 2σ", "eps", ".4f"),
    ("ε√d", lambda r: r["eps"] * math.sqrt(r["d_model"]), ".2f"),
    ("class", lambda r: _CLASS_SHORT[r["paper_class"]], ""),
    ("Eq. 7, paper's constants", "log10_eq7_paper", log10_sci),
    ("Eq. 7, ours", "log10_eq7_fitted", log10_sci),
    ("Eq. 6", "log10_eq6", log10_sci),
]


@dataclass
class MeasuredFindings(Findings):
    """Capacities (:func:`capacity_rows`) of the models the book measured, ``source`` saying how
    they were obtained and ``failures`` the ``[name, why]`` of models that could not be measured."""

    chapter = CHAPTER

    rows: list[dict]
    source: str
    failures: list[list[str]] = field(default_factory=list)

    def tables(self) -> list[Table]:
        return [Table("Capacity of the models measured in this book", self.rows,
                      _MEASURED_COLUMNS)]

    def markdown(self) -> Markdown:
        n_det = sum(r["determinate"] for r in self.rows)
        lines = [f"not measured: {name}: {why}" for name, why in self.failures]
        lines += [f"{len(self.rows)} models {self.source}.",
                  f"{n_det} of {len(self.rows)} have ε < {CLASS2_BELOW:g}, where the paper's code reports a "
                  "capacity; for the others the numbers are the formula's output, which the paper "
                  "calls indeterminate."]
        return Markdown(_bullets(lines))

    def record(self) -> dict[str, Any]:
        return {"measured_models": [r["name"] for r in self.rows], "measured_source": self.source,
                "measured_rows": self.rows, "measured_failures": self.failures}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "MeasuredFindings":
        return cls(required(record, CHAPTER, "measured_rows"),
                   required(record, CHAPTER, "measured_source"),
                   [list(f) for f in record.get("measured_failures") or []])


def measured_capacities(models_csv: str | os.PathLike, measure_models: Sequence[str], *,
                        fitted: Mapping | None = None) -> MeasuredFindings:
    """The capacities of the models in chapter 3's table ``models_csv``; when that file does not
    exist, of ``measure_models`` measured here (a model that fails to load is listed, not fatal)."""
    table = Path(models_csv)
    if table.exists():
        rows, failures = read_table(table), []
        source = f"read from chapter 3's table ({table.name})"
    else:
        survey = measure(measure_models, on_error="skip", progress=False)
        rows, failures = survey.rows, [[name, str(why)] for name, why in survey.failures]
        source = "measured here, because chapter 3's table was not found"
    return MeasuredFindings(capacity_rows(rows, fitted=fitted), source, failures)


def source_line(paper_rows: Sequence, models_csv: str | os.PathLike,
                measure_models: Sequence[str], steps: int) -> str:
    """The data the chapter reads, for its provenance line."""
    table = Path(models_csv)
    measured = (f"measured models from `{table.name}` (chapter 3)" if table.exists()
                else f"models measured here ({', '.join(measure_models)})")
    return (f"the paper's Table 1 ({len(paper_rows)} rows, reported ε); {measured}; "
            f"our Eq. 7 constants from chapter 5's packings ({steps} steps)")


# -- the shared budget (Eq. 2) ---------------------------------------------------------------------

_BUDGET_COLUMNS = [
    ("model", "name", ""),
    ("V", "vocab_size", ",d"),
    ("tied", "tied", ""),
    ("vocabulary directions", "vocab_directions", ",d"),
    ("capacity", "log10_capacity", log10_sci),
    ("vocabulary share", "vocab_share", lambda v: f"{100 * v:.3g} %"),
    ("left for features", "log10_features", log10_sci),
]


@dataclass
class BudgetFindings(Findings):
    """Eq. 2 (:func:`budget_rows`) for the Class 2 models of Table 1 whose vocabulary and tying
    are known, largest vocabulary share first."""

    chapter = CHAPTER

    rows: list[dict]

    @classmethod
    def of(cls, paper_rows: Iterable[Mapping]) -> "BudgetFindings":
        """The budget of the paper's Class 2 models (reported ε)."""
        class2 = [m for m in paper_rows
                  if m["eps_paper"] is not None and classify(m["eps_paper"]) == CLASS2]
        return cls(sorted(budget_rows(class2), key=lambda r: -r["vocab_share"]))

    def tables(self) -> list[Table]:
        return [Table("Eq. 2: the vocabulary's share of the capacity (Eq. 7, paper's constants)",
                      self.rows, _BUDGET_COLUMNS)]

    def markdown(self) -> Markdown:
        top = self.rows[0]
        median = 100 * np.median([r["vocab_share"] for r in self.rows])
        return Markdown(f"Largest share: {top['name']}, {100 * top['vocab_share']:.1f} % of its "
                        f"capacity; median share {median:.3f} %.")

    def record(self) -> dict[str, Any]:
        top = self.rows[0]
        return {"largest_vocab_share": {"name": top["name"], "share": top["vocab_share"]},
                "budget_rows": self.rows}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "BudgetFindings":
        return cls(required(record, CHAPTER, "budget_rows"))
