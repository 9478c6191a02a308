r"""Chapter 6's sensitivity: how the capacity responds to ε and to d, and the paper's "lever" claim.

The paper (Guha 2026, §3.5, §4) illustrates the Eq. 7 capacity
:math:`k_{\max}(d, \varepsilon) = \big(d\exp((d^c\varepsilon^2/C)^{1/b})\big)^{1/a}` with examples:
at ε = 0.09, widening d from 2048 to 3072 multiplies it about thirtyfold; at d = 8192, loosening ε
from 0.05 to 0.09 adds about six orders of magnitude; hence "overlap tolerance, not dimension, is
the dominant lever". :class:`SensitivityFindings` recomputes them and decides that claim by one
rule, :meth:`SensitivityFindings.lever_status`:

* **holds** when the factor of loosening ε (0.05 → 0.09 at d = 8192) exceeds the factor of
  widening d (2048 → 3072 at ε = 0.09);
* **does not hold** otherwise.

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
from repcap.laws import log10_capacity
from repcap.studies.capacity_findings import CHAPTER
from repcap.studies.capacity_table import (capacity_grid, doubling_factor, elasticities,
                                           sensitivity_examples)
from repcap.studies.findings import FAILS, HOLDS, Findings, Markdown, Table, Verdict, required

__all__ = ["WIDEN", "LOOSEN", "LLAMA2_7B", "NUDGE", "SensitivityFindings"]

#: The paper's two levers (§3.5): widen d at fixed ε, loosen ε at fixed d, as (d, d', ε, ε').
WIDEN, LOOSEN = (2048, 3072, 0.09, 0.09), (8192, 8192, 0.05, 0.09)
#: Llama 2 7B's (d, ε) and an uncertainty of ε of the size that separates ε estimators.
LLAMA2_7B, NUDGE = (4096, 0.0645), 0.005

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
    at Llama 2 7B; ``elasticity`` :func:`elasticities` there.
    """

    chapter = CHAPTER

    examples: list[dict]
    widen: float
    loosen: float
    nudge: float
    elasticity: dict[str, float]

    @classmethod
    def of_paper(cls) -> "SensitivityFindings":
        """The paper's examples and levers, recomputed with its Eq. 7 constants."""
        d, eps = LLAMA2_7B
        return cls(sensitivity_examples(), doubling_factor(*WIDEN), doubling_factor(*LOOSEN),
                   doubling_factor(d, d, eps, eps + NUDGE), elasticities(d, eps))

    # -- the rule ----------------------------------------------------------------------------------
    def lever_status(self) -> str:
        """HOLDS when loosening ε multiplies the capacity by more than widening d, else FAILS."""
        return HOLDS if self.loosen > self.widen else FAILS

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
        return Markdown(f"{bullets}\n\n{self.answer()} (Verdict on the paper's claim: "
                        f"*{self.lever_status()}*.)")

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
                    f"to {leps2} at d = {ld} multiplies it by {factor(self.loosen)}.")
        return [Verdict("Capacity is exponentially sensitive to ε, which is the dominant lever.",
                        "§3.5, §4", evidence, self.lever_status(), (self.chapter,))]

    # -- the results record ------------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        return {"sensitivity": self.examples, "widen_factor": self.widen,
                "loosen_factor": self.loosen, "nudge_factor": self.nudge,
                "elasticity_ratio": self.elasticity["ratio"], "elasticities": self.elasticity}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "SensitivityFindings":
        return cls(required(record, CHAPTER, "sensitivity"),
                   required(record, CHAPTER, "widen_factor"),
                   required(record, CHAPTER, "loosen_factor"),
                   required(record, CHAPTER, "nudge_factor"),
                   required(record, CHAPTER, "elasticities"))
