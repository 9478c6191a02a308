r"""Chapter 3's reading of the width trend: does ε fall with d within Class 2 faster than chance?

The paper reads the negative correlation between d and ε among its Class 2 models as larger models
keeping tighter near-orthogonality, trading raw capacity for stability (Guha 2026, §2.5, §3.5,
Fig. 5b). Any isotropic matrix already has ε = 2/√d, so the width-free measure is ε√d.
:class:`WidthTrendFindings` holds :func:`repcap.studies.width_trend.trend` of the paper's reported
Class 2 values and of its Figure 5b subset, and decides the claim by one rule,
:meth:`WidthTrendFindings.trend_status`:

* **does not hold** unless ε falls with d: Spearman's ρ(d, ε) < 0 with p < 0.05;
* **holds with a caveat** when it falls but ρ(d, ε√d) > 0: the fall is the width effect of
  concentration of measure, and relative to it wider models are *less* near-orthogonal;
* **holds** when it falls and ρ(d, ε√d) ≤ 0.

The chapter's sentence about each subset and the verdict page's status both come from that rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from repcap.common.jsonsafe import nan_from_null
from repcap.laws.classes import CLASS2_BELOW
from repcap.studies.findings import (CAVEAT, FAILS, HOLDS, Findings, Markdown, Table, Verdict,
                                     required)
from repcap.studies.reported_eps import class2_points, figure5b_subset
from repcap.studies.width_trend import Trend, trend

__all__ = ["ALPHA", "SUBSETS", "WidthTrendFindings"]

#: The significance level of both rank correlations.
ALPHA = 0.05
#: The subsets of the paper's Table 1 the chapter reads, as (record key, label in the table).
SUBSETS = {"class2": ("trend_class2_reported", f"Class 2 (ε < {CLASS2_BELOW})"),
           "fig5b": ("trend_fig5b_reported", "the paper's Figure 5b subset")}

_COLUMNS = [
    ("reported models", "subset", ""),
    ("n", "n", "d"),
    ("slope of ln ε on ln d", "slope", "+.3f"),
    ("ρ(d, ε)", "rho", "+.2f"),
    ("p", "p", ".2g"),
    ("ρ(d, ε√d)", "rho_s", "+.2f"),
    ("p ", "p_s", ".2g"),
]
#: The record's keys of a trend (``intercept`` last: it joined the six the results file always had).
_RECORD_KEYS = ("n", "slope", "spearman", "p_value", "spearman_scaled", "p_value_scaled",
                "intercept")


def _falls(t: Trend) -> bool:
    """ε falls with d, significantly: ρ(d, ε) < 0 with p < ALPHA (False when either is NaN)."""
    return t.spearman < 0 and t.p_value < ALPHA


def _less_orthogonal(t: Trend) -> bool:
    """Relative to 2/√d, wider models are less near-orthogonal: ρ(d, ε√d) > 0."""
    return t.spearman_scaled > 0


@dataclass
class WidthTrendFindings(Findings):
    """The trend of ε with d over the paper's reported Class 2 models and its Figure 5b subset."""

    chapter = "03_two_classes"

    class2: Trend
    fig5b: Trend

    @classmethod
    def of(cls, reported: Iterable[Mapping[str, Any]]) -> "WidthTrendFindings":
        """The trends of the reported points (:func:`repcap.studies.reported_eps.reported_points`)."""
        reported = list(reported)
        return cls(class2=trend(class2_points(reported)), fig5b=trend(figure5b_subset(reported)))

    # -- the rule ----------------------------------------------------------------------------------
    def trend_status(self, subset: str = "class2") -> str:
        """HOLDS / CAVEAT / FAILS for "ε falls with d within Class 2" on ``subset`` (``"class2"``,
        the claim's own; or ``"fig5b"``); the module docstring states the rule."""
        t = getattr(self, subset)
        if not _falls(t):
            return FAILS
        return CAVEAT if _less_orthogonal(t) else HOLDS

    def reading(self, subset: str) -> str:
        """What ``subset``'s two correlations say, worded from :meth:`trend_status`."""
        t, status = getattr(self, subset), self.trend_status(subset)
        if status != FAILS:
            fall = "wider models have lower ε"
        elif t.spearman < 0:
            fall = "wider models have lower ε, though not significantly at 5 %"
        else:
            fall = "ε does not fall with width"
        rel = ("*less* near-orthogonal than a random matrix of their width" if _less_orthogonal(t)
               else "*more* near-orthogonal than a random matrix")
        sig = "significant" if t.p_value_scaled < ALPHA else "not significant at 5 %"
        return (f"ρ(d, ε) = {t.spearman:+.2f} (p = {t.p_value:.2g}): {fall}; but "
                f"ρ(d, ε√d) = {t.spearman_scaled:+.2f} (p = {t.p_value_scaled:.2g}, {sig}): "
                f"relative to the isotropic value, wider models are {rel}")

    # -- what the chapter shows --------------------------------------------------------------------
    def tables(self) -> list[Table]:
        rows = [{"subset": label, "n": t.n, "slope": t.slope, "rho": t.spearman, "p": t.p_value,
                 "rho_s": t.spearman_scaled, "p_s": t.p_value_scaled}
                for t, (_, label) in ((self.class2, SUBSETS["class2"]),
                                      (self.fig5b, SUBSETS["fig5b"]))]
        return [Table("Width against ε in the paper's Table 1 (isotropic family: slope −0.5)",
                      rows, _COLUMNS)]

    def markdown(self) -> Markdown:
        status = self.trend_status()
        why = {FAILS: "its own Class 2 values show no significant fall of ε with d",
               CAVEAT: "ε falls with d, but more slowly than a random matrix's 2/√d",
               HOLDS: "ε falls with d at least as fast as a random matrix's 2/√d"}[status]
        return Markdown(
            f"**What the paper's numbers say.** On its {self.class2.n} Class 2 models, "
            f"{self.reading('class2')}. On the {self.fig5b.n} models of its Figure 5b, "
            f"{self.reading('fig5b')}. Verdict on the paper's claim that larger models keep "
            f"tighter near-orthogonality: *{status}* ({why}).")

    def verdicts(self) -> list[Verdict]:
        t, t5 = self.class2, self.fig5b
        evidence = (f"On the paper's {t.n} Class 2 models, ρ(d, ε) = {t.spearman:+.2f} "
                    f"(p = {t.p_value:.2g}); on the {t5.n} models of its Fig. 5b, "
                    f"{t5.spearman:+.2f} (p = {t5.p_value:.2g}). A random matrix already has "
                    f"ε = 2/√d; relative to that, ρ(d, ε√d) = {t.spearman_scaled:+.2f} "
                    f"(p = {t.p_value_scaled:.2g}) and {t5.spearman_scaled:+.2f} "
                    f"(p = {t5.p_value_scaled:.2g}).")
        return [Verdict("Larger models keep tighter near-orthogonality (ε falls with d within "
                        "Class 2), trading raw capacity for stability.", "§2.5, §3.5, Fig. 5b",
                        evidence, self.trend_status(), (self.chapter,))]

    # -- the results record ------------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        out = {}
        for subset in ("fig5b", "class2"):
            t = asdict(getattr(self, subset))
            out[SUBSETS[subset][0]] = {k: t[k] for k in _RECORD_KEYS}
        return out

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "WidthTrendFindings":
        def back(subset: str) -> Trend:
            t = required(record, cls.chapter, SUBSETS[subset][0])
            # NaN (a constant series) comes back from JSON as None
            return Trend(**nan_from_null({k: t.get(k) for k in _RECORD_KEYS}))

        return cls(class2=back("class2"), fig5b=back("fig5b"))
