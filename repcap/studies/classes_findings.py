r"""Chapter 3's findings: the models surveyed, the paper's two classes, and ε's shift and spread.

The paper measures ε = µ + 2σ across its catalog and finds two classes with nothing in between,
Class 1 (ε > 0.2) and Class 2 (ε < 0.1) (Guha 2026, §2.5, Fig. 5, Table 1; the rule is
:func:`repcap.laws.classify`). Each section of chapter 3 gets one findings object here:

* :class:`SurveyFindings`: the models measured in this run (:func:`survey_models`), their class,
  and where each stands against the isotropic value 2/√d (:func:`isotropic_is_class2`);
* :class:`TwoClassesFindings`: the measured models beside the paper's reported ε (its Figure 5),
  and the claim that no model lies between the classes, decided by one rule,
  :meth:`TwoClassesFindings.gap_status`: **holds with a caveat** when none of the paper's reported
  ε is "between" (the caveat: 2/√d alone is not Class 2 below d = 400, so there the class says as
  much about d as about training), **does not hold** otherwise;
* :class:`PartsFindings`: each ε split into the shift µ and the spread 2σ
  (:mod:`repcap.studies.eps_parts`);
* :class:`CatalogCost`: what measuring the paper's whole catalog downloads.

The width trend within Class 2 is in :mod:`repcap.studies.width_trend_findings`, the models drawn
side by side in :mod:`repcap.studies.survey_examples`. The chapter writes the union of the
sections' records (:func:`repcap.studies.findings.chapter_record`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from repcap import catalog
from repcap.common.formatting import signed_percent
from repcap.errors import DataFileError, ParameterError, StorageError
from repcap.geometry.null import null_eps
from repcap.laws.classes import (BETWEEN, CLASS1, CLASS1_ABOVE, CLASS2, CLASS2_BELOW, UNDECIDED,
                                 classify)
from repcap.studies.findings import CAVEAT, FAILS, Findings, Markdown, Table, Verdict, required
from repcap.studies.models_table import read_table, write_table
from repcap.studies.reported_eps import class2_points, join_reported, reported_points
from repcap.studies.survey import SurveyRow, measure

__all__ = ["CHAPTER", "ISOTROPIC_CLASS2_FROM", "isotropic_is_class2", "source_line",
           "survey_models", "SurveyFindings", "store_table", "TwoClassesFindings", "PartsFindings",
           "CatalogCost"]

CHAPTER = "03_two_classes"
#: The width from which a random matrix's ε = 2/√d can be Class 2: 2/√d < 0.1 for d > 400.
ISOTROPIC_CLASS2_FROM = (2 / CLASS2_BELOW) ** 2


def isotropic_is_class2(d: int) -> bool:
    r"""Whether an isotropic matrix of width ``d`` is Class 2: ``classify(2/√d) == "Class 2"``,
    i.e. :math:`2/\sqrt d < 0.1`, i.e. d > 400. Below that width no matrix, trained or random,
    can be Class 2 by spread alone."""
    return classify(2 / math.sqrt(d)) == CLASS2


def source_line(names: Sequence[str]) -> str:
    """The data the chapter reads, for its provenance line."""
    more = ", …" if len(names) > 6 else ""
    return (f"input embeddings of {len(names)} model(s) ({', '.join(names[:6])}{more}); "
            f"reported values: the paper's Table 1 ({len(catalog.paper_models())} rows, "
            "transcribed in repcap/data/models.csv)")


def _rows_of(record: Mapping[str, Any]) -> list[SurveyRow]:
    return [SurveyRow.from_dict(r) for r in required(record, CHAPTER, "rows")]


# -- the survey ------------------------------------------------------------------------------------

_TIED = {True: "yes", False: "no"}


@dataclass
class SurveyFindings(Findings):
    """The rows measured (:func:`repcap.studies.survey.measure`) and the models that failed, as
    ``(name, message)``."""

    chapter = CHAPTER

    rows: list[SurveyRow]
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def bootstrap(self) -> int:
        """Token-bootstrap replicates behind the rows' intervals (0: none)."""
        return max((r.n_boot for r in self.rows), default=0)

    @property
    def class_counts(self) -> dict[str, int]:
        """How many rows each class has, as far as each row's interval decides it
        (:attr:`SurveyRow.decided_class`)."""
        return {c: sum(r.decided_class == c for r in self.rows)
                for c in (CLASS1, BETWEEN, CLASS2, UNDECIDED)}

    def tables(self) -> list[Table]:
        columns = [("model", "name", ""), ("source", "source", ""), ("V", "vocab_size", ","),
                   ("d", "d_model", ""), ("tied", "tied", lambda t: _TIED.get(t, "–")),
                   ("zero rows", "zero_rows", ","), ("µ", "mean", ".4f"), ("σ", "std", ".4f"),
                   ("ε = µ + 2σ", "eps", ".4f")]
        if self.bootstrap:
            columns.append((f"95% interval ({self.bootstrap} boot.)",
                            lambda r: (r["ci_low"], r["ci_high"]),
                            lambda ci: f"[{ci[0]:.4f}, {ci[1]:.4f}]"))
        columns += [("class", "decided_class", ""), ("time (s)", "seconds", ".1f")]
        return [Table("Accepted deviation of each model (measured in this run)",
                      [{**r.to_dict(), "decided_class": r.decided_class} for r in self.rows],
                      columns)]

    def markdown(self) -> Markdown:
        lines = [f"not measured: {name}: {(message.splitlines() or [''])[0][:160]}"
                 for name, message in self.failures]
        lines.append(f"{len(self.rows)} model(s) measured: "
                     + ", ".join(f"{n} {c}" for c, n in self.class_counts.items()
                                 if n or c != UNDECIDED))
        lines += [f"{r.name}: ε = {r.eps:.4f} is {r.klass} as a point, but its "
                  f"{100 * r.ci_level:.0f}% interval [{r.ci_low:.4f}, {r.ci_high:.4f}] straddles a "
                  f"class threshold: {UNDECIDED}" for r in self.rows
                  if r.decided_class == UNDECIDED]
        return Markdown("\n".join(f"* {line}" for line in lines))

    def isotropy(self) -> Table:
        """Each model against the isotropic value 2/√d of its width (:func:`isotropic_is_class2`)."""
        rows = [{"name": r.name, "d": r.d_model, "null": r.parts.null_eps, "eps": r.eps,
                 "ratio": r.parts.ratio, "klass": r.klass,
                 "random": "is Class 2" if isotropic_is_class2(r.d_model) else "is not Class 2"}
                for r in self.rows]
        return Table("Each measured model against a random matrix of its width",
                     rows, [("model", "name", ""), ("d", "d", ""), ("2/√d", "null", ".4f"),
                            ("an isotropic matrix of this width", "random", ""),
                            ("ε", "eps", ".4f"),
                            ("ε / (2/√d)", "ratio", ".2f"), ("class", "klass", "")])

    def record(self) -> dict[str, Any]:
        return {"models": [r.name for r in self.rows],
                "failures": [n for n, _ in self.failures],
                "rows": [r.to_dict() for r in self.rows],
                "class_counts": self.class_counts,
                "failure_messages": [[n, m] for n, m in self.failures]}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "SurveyFindings":
        failures = record.get("failure_messages") or [[n, ""] for n in record.get("failures", [])]
        return cls(_rows_of(record), [(n, m) for n, m in failures])


def survey_models(names: Iterable[str], *, bootstrap: int = 0, seed: int = 0,
                  skip_failures: bool = True) -> SurveyFindings:
    """:func:`repcap.studies.survey.measure` of ``names`` (a model that cannot be loaded is listed
    and skipped when ``skip_failures``); raises :class:`~repcap.errors.ParameterError` when no
    model could be measured."""
    result = measure(names, bootstrap=bootstrap, seed=seed, progress=False,
                     on_error="skip" if skip_failures else "raise")
    if not result.rows:
        raise ParameterError("no model could be measured: "
                             + "; ".join(f"{n}: {m}" for n, m in result.failures))
    return SurveyFindings(result.rows, list(result.failures))


def store_table(rows: Sequence[SurveyRow], path: str | os.PathLike) -> Markdown:
    """Write the rows to the models table that later chapters read
    (:func:`repcap.studies.models_table.write_table`), read it back, and say what happened; a
    folder that cannot be written is reported, not fatal (later chapters then measure again)."""
    if not path:
        return Markdown("table_path is empty: no models table written")
    try:
        written = write_table(rows, path)
    except (DataFileError, StorageError) as exc:  # a read-only folder: the chapter does not need it
        return Markdown(f"The models table was not written ({type(exc).__name__}); later chapters "
                        "will measure the models again.")
    check = read_table(written)
    same = [r.eps for r in check] == [r.eps for r in rows]
    return Markdown(f"Wrote {len(check)} rows to the models table that later chapters read "
                    f"(read back: {'identical ε' if same else 'MISMATCH'}).")


# -- the paper's Figure 5 and its two classes ------------------------------------------------------

def _decided(row: SurveyRow) -> str:
    """A row's class for a list, with the interval when the interval leaves it undecided."""
    if row.decided_class != UNDECIDED:
        return row.decided_class
    return f"{UNDECIDED}: interval [{row.ci_low:.4f}, {row.ci_high:.4f}]"


_JOINED_COLUMNS = [("model", "name", ""), ("d", "d_model", ""), ("ε measured", "eps", ".5f"),
                   ("ε reported", "eps_paper", ".5f"), ("difference", "diff", "+.5f"),
                   ("relative", "rel_diff", "+.2%"), ("class (ours)", "klass", ""),
                   ("class (paper)", "class_paper", lambda c: f"Class {c}")]


@dataclass
class TwoClassesFindings(Findings):
    """The measured ``rows`` beside the paper's ``reported`` ε
    (:func:`repcap.studies.reported_eps.reported_points`); ``joined``: the models both have
    (:func:`repcap.studies.reported_eps.join_reported`)."""

    chapter = CHAPTER

    rows: list[SurveyRow]
    reported: list[dict[str, Any]]
    joined: list[dict[str, Any]]

    @classmethod
    def of(cls, rows: Sequence[SurveyRow]) -> "TwoClassesFindings":
        return cls(list(rows), reported_points(), join_reported(rows))

    @property
    def reported_between(self) -> list[dict[str, Any]]:
        """The paper's reported ε that fall between the classes."""
        return [p for p in self.reported if classify(p["eps"]) == BETWEEN]

    @property
    def reported_narrow(self) -> list[dict[str, Any]]:
        """The paper's Class 1 models too narrow for even a random matrix to be Class 2."""
        return [p for p in self.reported
                if classify(p["eps"]) == CLASS1 and not isotropic_is_class2(p["d_model"])]

    # -- the rule ----------------------------------------------------------------------------------
    def gap_status(self) -> str:
        """CAVEAT when none of the paper's reported ε lies between the classes, FAILS otherwise
        (the module docstring states the rule and its caveat)."""
        return FAILS if self.reported_between else CAVEAT

    def null_curve(self, lo: float = 16, hi: float = 16384, n: int = 200):
        """``(d, 2/√d)`` on ``n`` geometrically spaced widths from ``lo`` to ``hi``, for Figure 5."""
        grid = np.geomspace(lo, hi, n)
        return grid, null_eps(grid)

    # -- what the chapter shows --------------------------------------------------------------------
    def tables(self) -> list[Table]:
        if not self.joined:
            return []
        return [Table("Models measured here that the paper also reports", self.joined,
                      _JOINED_COLUMNS)]

    def markdown(self) -> Markdown:
        lines = [f"{j['name']} is the paper's {j['paper_name']}: measured here {j['eps']:.5f}, "
                 f"reported {j['eps_paper']:.5f} ({signed_percent(j['rel_diff'], 2)})."
                 for j in self.joined]
        if not self.joined:
            lines.append("None of this run's models is in the paper's table; the 'paper' profile "
                         "measures the paper's own models.")
        widths = [r.d_model for r in self.rows]
        paper = [p["d_model"] for p in self.reported]
        lines.append(f"measured widths: d = {min(widths)} to {max(widths)}; the paper's table: "
                     f"d = {min(paper)} to {max(paper)}")
        return Markdown("\n".join(f"* {line}" for line in lines) + "\n\n" + self.answer())

    def answer(self) -> str:
        """The chapter's sentence on the paper's claim, worded from :meth:`gap_status`."""
        status, n, gap = self.gap_status(), len(self.reported), len(self.reported_between)
        if status == FAILS:
            head = (f"{gap} of the paper's {n} reported ε lie between the classes, so its own "
                    "numbers do not separate them.")
        else:
            n1 = sum(classify(p["eps"]) == CLASS1 for p in self.reported)
            here = sum(not isotropic_is_class2(r.d_model) for r in self.rows)
            head = (f"None of the paper's {n} reported ε lies between the classes. The caveat "
                    f"is width: below d = {ISOTROPIC_CLASS2_FROM:.0f} not even a random matrix "
                    "is Class 2, so there a class says as much about d as about training "
                    f"({len(self.reported_narrow)} of the paper's {n1} Class 1 models are that "
                    f"narrow, and {here} of the {len(self.rows)} models measured here).")
        return (f"**Two classes, nothing between?** {head} (Verdict on the paper's claim: "
                f"*{status}*.)")

    def verdicts(self) -> list[Verdict]:
        classes = ", ".join(f"{r.name} ({_decided(r)})" for r in self.rows)
        evidence = (f"Of the {len(self.reported)} ε values in the paper's Table 1, "
                    f"{len(self.reported_between)} lie between {CLASS2_BELOW} and {CLASS1_ABOVE}. "
                    f"This build measured {len(self.rows)} model(s): {classes}. An isotropic "
                    f"matrix already has ε = 2/√d, above {CLASS2_BELOW} for every "
                    f"d < {ISOTROPIC_CLASS2_FROM:.0f}, so below that width the class says "
                    f"as much about d as about training; {len(self.reported_narrow)} of the "
                    f"paper's Class 1 models are that narrow.")
        return [Verdict("Models fall into two classes, ε > 0.2 and ε < 0.1, with no intermediate "
                        "cases.", "§2.5, Fig. 5", evidence, self.gap_status(), (self.chapter,))]

    # -- the results record (the rows are the survey's) ------------------------------------------
    def record(self) -> dict[str, Any]:
        return {"joined": self.joined, "reported": self.reported}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "TwoClassesFindings":
        return cls(_rows_of(record), list(required(record, CHAPTER, "reported")),
                   list(record.get("joined") or []))


# -- shift and spread ------------------------------------------------------------------------------

_PARTS_COLUMNS = [("model", "name", ""), ("d", "d", ""), ("µ (shift)", "mean", ".4f"),
                  ("2σ (spread)", "spread", ".4f"), ("ε", "eps", ".4f"),
                  ("µ/ε", "shift_share", ".0%"), ("2/√d", "null", ".4f"),
                  ("ε√d/2", "ratio", ".2f"), ("σ√d", "sigma_ratio", ".2f"),
                  ("class", "klass", "")]


@dataclass
class PartsFindings(Findings):
    r"""Each measured ε split into shift µ and spread 2σ (:attr:`SurveyRow.parts`), and the range of
    ε√d/2 = ε/(2/√d) over the paper's reported Class 2 models: ``class2_ratio`` = ``[(ratio, name)
    of the lowest, (ratio, name) of the highest]``."""

    chapter = CHAPTER

    rows: list[SurveyRow]
    class2_ratio: list[tuple[float, str]]

    @classmethod
    def of(cls, rows: Sequence[SurveyRow],
           reported: Iterable[Mapping[str, Any]]) -> "PartsFindings":
        ratios = sorted((p["eps"] * math.sqrt(p["d_model"]) / 2, p["name"])
                        for p in class2_points(reported))
        return cls(list(rows), [ratios[0], ratios[-1]])

    def tables(self) -> list[Table]:
        # ε − 2/√d and 2(σ − 1/√d) are ε√d/2 and σ√d on another scale: the table keeps the ratios.
        rows = [{"name": r.name, "d": r.d_model, "mean": p.mean, "spread": 2 * p.std, "eps": p.eps,
                 "shift_share": p.shift_share, "null": p.null_eps, "ratio": p.ratio,
                 "sigma_ratio": p.sigma_ratio, "klass": r.klass}
                for r, p in ((r, r.parts) for r in self.rows)]
        return [Table("ε split into shift and spread (measured in this run)", rows,
                      _PARTS_COLUMNS)]

    def markdown(self) -> Markdown:
        parts = [(r, r.parts) for r in self.rows]
        most = max(parts, key=lambda rp: rp[1].shift_share)
        least = min(parts, key=lambda rp: rp[1].shift_share)
        ratios = [p.ratio for _, p in parts]
        (lo, lo_name), (hi, hi_name) = self.class2_ratio
        random = ("even the most orthogonal of them is further from orthogonal than a random "
                  "matrix of its width: \"strictly near-orthogonal\" does not mean \"as "
                  "orthogonal as random\"" if lo > 1 else
                  "the most orthogonal of them is at least as orthogonal as a random matrix")
        lines = [f"largest shift share: {most[0].name} (µ/ε = {most[1].shift_share:.0%}); "
                 f"smallest: {least[0].name} ({least[1].shift_share:.0%})",
                 f"ε exceeds the isotropic value by a factor {min(ratios):.2f} to "
                 f"{max(ratios):.2f} across the measured models",
                 f"the paper's reported Class 2 models: ε√d/2 from {lo:.2f} ({lo_name}) to "
                 f"{hi:.2f} ({hi_name}); {random}"]
        return Markdown("\n".join(f"* {line}" for line in lines))

    def record(self) -> dict[str, Any]:
        return {"parts": {r.name: {"shift_share": r.parts.shift_share, "excess": r.parts.excess,
                                   "ratio": r.parts.ratio} for r in self.rows},
                "class2_reported_ratio": [self.class2_ratio[0][0], self.class2_ratio[1][0]],
                "class2_reported_ratio_models": [self.class2_ratio[0][1], self.class2_ratio[1][1]]}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "PartsFindings":
        ratio = required(record, CHAPTER, "class2_reported_ratio")
        names = required(record, CHAPTER, "class2_reported_ratio_models")
        return cls(_rows_of(record), [(ratio[0], names[0]), (ratio[1], names[1])])


# -- the cost of the paper's catalog ---------------------------------------------------------------

@dataclass
class CatalogCost(Findings):
    """What measuring the paper's catalog reads: ``n_models`` with known V × d, ``gbytes`` of bf16
    embedding weights (2 bytes per entry), and the largest matrix, ``largest`` (V, d)."""

    chapter = CHAPTER

    n_models: int
    gbytes: float
    largest_name: str
    largest: tuple[int, int]

    @classmethod
    def of(cls, paper_models: Iterable[Mapping[str, Any]]) -> "CatalogCost":
        r"""From the catalog's rows: :math:`\sum V d \cdot 2` bytes over the rows with V and d."""
        rows = [m for m in paper_models if m.get("vocab_size") and m.get("d_model")]
        big = max(rows, key=lambda m: m["vocab_size"] * m["d_model"])
        return cls(len(rows), sum(m["vocab_size"] * m["d_model"] * 2 for m in rows) / 1e9,
                   big["name"], (big["vocab_size"], big["d_model"]))

    def markdown(self) -> Markdown:
        v, d = self.largest
        return Markdown(
            f"* {self.n_models} catalogued models with known V × d: about {self.gbytes:.0f} GB of "
            f"bf16 embedding weights to download; the largest, {self.largest_name} ({v:,} × "
            f"{d:,}), needs {v * d * 4 / 1e9:.1f} GB as float32 in memory\n"
            "* gated repositories (Llama, Gemma, ...) need HF_TOKEN; with skip_failures they are "
            "listed and skipped")
