r"""Chapter 6's sensitivity: how the capacity responds to ε and to d, and the paper's "lever" claim.

The paper (Guha 2026, §3.5, §4) illustrates the Eq. 7 capacity
:math:`k_{\max}(d, \varepsilon) = \big(d\exp((d^c\varepsilon^2/C)^{1/b})\big)^{1/a}` with examples:
at ε = 0.09, widening d from 2048 to 3072 multiplies it about thirtyfold; at d = 8192, loosening ε
from 0.05 to 0.09 adds about six orders of magnitude; hence "overlap tolerance, not dimension, is
the dominant lever". :class:`SensitivityFindings` recomputes them and decides that claim by one
rule, :meth:`SensitivityFindings.lever_status`:

* **holds** when the factor of loosening ε (0.05 → 0.09 at d = 8192) exceeds the factor of
  widening d (2048 → 3072 at ε = 0.09) under Eq. 7 *and* under both proven limits of the true
  maximum N(d, ε), which do not depend on Eq. 7's fitted constants: the greedy / Gilbert–Varshamov
  existence count (:func:`repcap.geometry.bounds.log10_greedy_count`,
  :math:`\log N \gtrsim d\varepsilon^2/2`: the ε² in the exponent) and the best rigorous upper
  bound (:func:`repcap.geometry.bounds.log10_upper_bound`);
* **holds with a caveat** when Eq. 7 says so but a proven limit does not (then the lever rests on
  Eq. 7's constants alone);
* **does not hold** when Eq. 7 itself does not say so.

The chapter's sentence (:meth:`SensitivityFindings.markdown`) and the verdict page
(:meth:`SensitivityFindings.verdicts`) both call that rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from repcap.common.formatting import factor, sci, signed_percent
from repcap.geometry.bounds import log10_greedy_count, log10_upper_bound
from repcap.laws import log10_capacity
from repcap.studies.capacity_findings import CHAPTER
from repcap.studies.capacity_table import (capacity_grid, doubling_factor, elasticities,
                                           sensitivity_examples)
from repcap.studies.findings import CAVEAT, FAILS, HOLDS, Findings, Markdown, Table, Verdict, required

__all__ = ["WIDEN", "LOOSEN", "LLAMA2_7B", "NUDGE", "PROVEN_LIMITS", "bound_levers",
           "SensitivityFindings"]

#: The paper's two levers (§3.5): widen d at fixed ε, loosen ε at fixed d, as (d, d', ε, ε').
WIDEN, LOOSEN = (2048, 3072, 0.09, 0.09), (8192, 8192, 0.05, 0.09)
#: Llama 2 7B's (d, ε) and an uncertainty of ε of the size that separates ε estimators.
LLAMA2_7B, NUDGE = (4096, 0.0645), 0.005

#: The proven limits of N(d, ε) the lever is also read from: name -> log10 of the limit.
PROVEN_LIMITS = {"greedy / Gilbert–Varshamov existence count": log10_greedy_count,
                 "best rigorous upper bound": log10_upper_bound}


def bound_levers() -> dict[str, dict[str, float]]:
    r"""The paper's two levers read from each of :data:`PROVEN_LIMITS` instead of Eq. 7: for a limit
    :math:`L(d, \varepsilon)` (log10), ``widen`` = :math:`L(3072, 0.09) - L(2048, 0.09)` and
    ``loosen`` = :math:`L(8192, 0.09) - L(8192, 0.05)`, both log10 factors.

    Examples
    --------
    >>> {name: {k: round(v, 1) for k, v in lv.items()} for name, lv in bound_levers().items()}
    ... # doctest: +NORMALIZE_WHITESPACE
    {'greedy / Gilbert–Varshamov existence count': {'widen': 1.9, 'loosen': 10.3},
     'best rigorous upper bound': {'widen': 23.6, 'loosen': 117.9}}
    """
    (wd, wd2, weps, _), (ld, _, leps, leps2) = WIDEN, LOOSEN
    return {name: {"widen": float(f(wd2, weps) - f(wd, weps)),
                   "loosen": float(f(ld, leps2) - f(ld, leps))}
            for name, f in PROVEN_LIMITS.items()}


_SENSITIVITY_COLUMNS = [
    ("d", "d", "d"),
    ("ε", "eps", ".2f"),
    ("paper prints", "printed", sci),
    ("Eq. 7 recomputed", "capacity", sci),
    ("difference", "rel_diff", signed_percent),
]


@dataclass
class SensitivityFindings(Findings):
    """How the Eq. 7 capacity (paper's constants) responds to d and to ε.

    ``examples`` are :func:`sensitivity_examples`; ``widen`` and ``loosen`` the factors of
    :data:`WIDEN` and :data:`LOOSEN` (:func:`doubling_factor`); ``nudge`` the factor of ε + 0.005
    at Llama 2 7B; ``elasticity`` :func:`elasticities` there; ``proven`` the same two levers read
    from the proven limits (:func:`bound_levers`, log10 factors).
    """

    chapter = CHAPTER

    examples: list[dict]
    widen: float
    loosen: float
    nudge: float
    elasticity: dict[str, float]
    proven: dict[str, dict[str, float]]

    @classmethod
    def of_paper(cls) -> "SensitivityFindings":
        """The paper's examples and levers, recomputed with its Eq. 7 constants."""
        d, eps = LLAMA2_7B
        return cls(sensitivity_examples(), doubling_factor(*WIDEN), doubling_factor(*LOOSEN),
                   doubling_factor(d, d, eps, eps + NUDGE), elasticities(d, eps),
                   bound_levers())

    # -- the rule ----------------------------------------------------------------------------------
    def lever_status(self) -> str:
        """HOLDS when loosening ε multiplies the capacity by more than widening d under Eq. 7 and
        under every proven limit; CAVEAT when only under Eq. 7; FAILS when not under Eq. 7."""
        if not self.loosen > self.widen:
            return FAILS
        return HOLDS if all(lv["loosen"] > lv["widen"] for lv in self.proven.values()) else CAVEAT

    def proven_text(self) -> str:
        """The two levers read from the proven limits, which do not use Eq. 7's constants."""
        parts = [f"the {name} × 10^{lv['widen']:.1f} for widening and × 10^{lv['loosen']:.1f} "
                 f"for loosening" for name, lv in self.proven.items()]
        agree = all(lv["loosen"] > lv["widen"] for lv in self.proven.values())
        return (f"Without Eq. 7, the proven limits on the true maximum give {' and '.join(parts)}"
                + (": both move far more with ε than with d (the existence count grows like "
                   "exp(dε²/2), quadratic in ε in the exponent), so the lever does not rest on "
                   "Eq. 7's fitted constants." if agree else
                   ": they do not both favour ε, so the lever rests on Eq. 7's constants alone."))

    def answer(self) -> str:
        """The chapter's sentence on the paper's claim, worded from :meth:`lever_status`."""
        if self.lever_status() == HOLDS:
            return (f"Loosening ε multiplies the capacity by more (× {factor(self.loosen)}) "
                    f"than widening d does (× {self.widen:.1f}): ε is the dominant lever.")
        return (f"Widening d multiplies the capacity at least as much (× {self.widen:.1f}) as "
                f"loosening ε does (× {factor(self.loosen)}): ε is not the dominant lever "
                "here.")

    # -- what the chapter shows --------------------------------------------------------------------
    def tables(self) -> list[Table]:
        return [Table("The paper's sensitivity examples", self.examples, _SENSITIVITY_COLUMNS)]

    def markdown(self) -> Markdown:
        el = self.elasticity
        (wd, wd2, weps, _), (ld, _, leps, leps2) = WIDEN, LOOSEN
        d, eps = LLAMA2_7B
        lines = [f"d {wd} → {wd2} at ε = {weps}: × {self.widen:.1f}; ε {leps} → {leps2} at "
                 f"d = {ld}: × {factor(self.loosen)}.",
                 f"ε {eps} → {eps + NUDGE:.4g} at d = {d} (Llama 2 7B, +{NUDGE}): × "
                 f"{self.nudge:.1f}.",
                 f"At Llama 2 7B: +1 % in ε multiplies k_max by {math.exp(0.01 * el['e_eps']):.3f}, "
                 f"+1 % in d by {math.exp(0.01 * el['e_d']):.3f}; per relative change ε is the "
                 f"stronger lever by a factor {el['ratio']:.2f}."]
        bullets = "\n".join(f"* {line}" for line in lines)
        return Markdown(f"{bullets}\n\n{self.answer()} {self.proven_text()} (Verdict on the "
                        f"paper's claim: *{self.lever_status()}*.)")

    def curves(self) -> dict[str, Any]:
        """Figure 6.2's curves: log10 k_max by Eq. 7 on a grid of ε for six widths, and on a grid
        of d for three values of ε, with the examples as ``(ε, log10 k, label)`` marks."""
        eps_grid = np.linspace(0.02, 0.11, 200)
        d_list = [1024, 2048, 3072, 4096, 8192, 16384]
        d_grid = np.geomspace(512, 32768, 200)
        return {"eps_grid": eps_grid, "d_list": d_list, "by_eps": capacity_grid(d_list, eps_grid),
                "d_grid": d_grid,
                "by_d": {f"ε = {e}": log10_capacity(d_grid, e) for e in (0.05, 0.07, 0.09)},
                "marks": [(r["eps"], r["log10_capacity"], f"d={r['d']}, ε={r['eps']}")
                          for r in self.examples]}

    def verdicts(self) -> list[Verdict]:
        (wd, wd2, weps, _), (ld, _, leps, leps2) = WIDEN, LOOSEN
        evidence = (f"With the paper's Eq. 7 constants, widening d from {wd} to {wd2} at "
                    f"ε = {weps} multiplies capacity by {self.widen:.1f}; loosening ε from {leps} "
                    f"to {leps2} at d = {ld} multiplies it by {factor(self.loosen)}. "
                    f"{self.proven_text()}")
        return [Verdict("Capacity is exponentially sensitive to ε, which is the dominant lever.",
                        "§3.5, §4", evidence, self.lever_status(), (self.chapter,))]

    # -- the results record ------------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        return {"sensitivity": self.examples, "widen_factor": self.widen,
                "loosen_factor": self.loosen, "nudge_factor": self.nudge,
                "elasticity_ratio": self.elasticity["ratio"], "elasticities": self.elasticity,
                "proven_levers": self.proven}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "SensitivityFindings":
        return cls(required(record, CHAPTER, "sensitivity"),
                   required(record, CHAPTER, "widen_factor"),
                   required(record, CHAPTER, "loosen_factor"),
                   required(record, CHAPTER, "nudge_factor"),
                   required(record, CHAPTER, "elasticities"),
                   required(record, CHAPTER, "proven_levers"))
