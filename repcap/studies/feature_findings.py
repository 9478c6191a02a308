r"""Chapter 9's conclusions: do a model's learned features pack more directions than dimensions, and how?

:class:`FeatureFindings` holds the SAEs of :func:`repcap.studies.feature_packing.feature_study` for
several models. An SAE with FVU > :data:`~repcap.studies.feature_packing.BAD_FVU` on held-out tokens
is *bad*: it is shown, never read as the model's features. Its rule,
:meth:`FeatureFindings.premise_status`, decides the paper's premise "a model packs more features than
dimensions, at the tolerance ε of its embedding":

* **holds** when every model has a good SAE (at some layer measured) with more live latents than
  dimensions, and at every such SAE the live directions' ε = µ + 2σ is at most the ε of the model's
  embedding matrix;
* **holds with a caveat** when every model has such an SAE but some of them exceed the embedding's ε,
  each by less than :data:`CLOSE_EPS` (the width of the paper's gap between its classes);
* **does not hold** otherwise: some model has no good SAE with more live latents than dimensions,
  or its features' ε exceeds its embedding's by :data:`CLOSE_EPS` or more.

"Holds" becomes **holds with a caveat** when no model measured is in the paper's regime, Class 2
(embedding ε < 0.1, :func:`repcap.laws.classes.in_class2`): in Class 1 the embedding's tolerance
is loose (0.2 to 0.7 for the offline models), so staying under it says little about the tight
packings the paper's capacities are about (:meth:`FeatureFindings.in_papers_regime`).

Two readings go with it. :meth:`FeatureFindings.packing` places the largest |cos| of the learned
directions (ε*) between the random draw of the same size and the paper's law for optimised packings;
:meth:`FeatureFindings.coactivation` says whether pairs of latents that fire together sit closer to
orthogonal than pairs that never do (what toy models of superposition predict).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from repcap.laws.classes import CLASS1_ABOVE, CLASS2_BELOW, in_class2
from repcap.studies.feature_packing import BAD_FVU, FeatureRow, FeatureStudy
from repcap.studies.findings import (CAVEAT, FAILS, HOLDS, Findings, Markdown, Table, Verdict,
                                     required)

__all__ = ["FeatureFindings", "CLOSE_EPS", "RANDOM_BAND"]

#: Features whose ε exceeds the embedding's by less than the gap between the paper's classes are
#: "at the embedding's tolerance" with a caveat.
CLOSE_EPS = CLASS1_ABOVE - CLASS2_BELOW
#: ε* within this factor of the random draw's median max |cos| counts as "like random vectors".
RANDOM_BAND = 0.1

_SAE = [("width", "width", ",d"), ("k", "k", "d")]
#: The SAE itself: reconstruction, live latents, its directions' ε and ε*, the co-activation check.
_SAE_COLUMNS = _SAE + [
    ("FVU", "fvu", ".3f"),
    ("L0", "l0", ".1f"),
    ("live", "live", ",d"),
    ("live/d", "ratio", ".2f"),
    ("ε", "eps", ".3f"),
    ("2/√d", "null_eps", ".3f"),
    ("ε*", "max_abs_cos", ".3f"),
    ("|cos| co-active", "cos_coactive", ".4f"),
    ("|cos| never", "cos_never", ".4f"),
]
#: The same number of vectors in R^d elsewhere in the book (a second table: one would not fit the
#: page's text column).
_PACKING_COLUMNS = _SAE + [
    ("ε*", "max_abs_cos", ".3f"),
    ("random ε* (1 draw)", "random_max_abs_cos", ".3f"),
    ("Eq. 5 (best of 1000)", "random_eps", ".3f"),
    ("optimised (Eq. 7 law)", "optimised_law", ".3f"),
    ("optimised here", "optimised", ".3f"),
    ("Welch", "welch", ".3f"),
    ("explicit set", "explicit_coherence", ".3f"),
    ("log10 k", "log10_k", ".2f"),
    ("log10 k_max (Eq. 7)", "log10_eq7_capacity", ".1f"),
]


@dataclass
class FeatureFindings(Findings):
    """SAEs of several models, each measured as a packing (module docstring)."""

    chapter = "09_learned_features"

    studies: list[FeatureStudy]

    # -- the numbers the rules read ------------------------------------------------------------
    def good_rows(self, study: FeatureStudy) -> list[FeatureRow]:
        """The study's SAEs with FVU ≤ BAD_FVU."""
        return [r for r in study.rows if not r.bad]

    def over_d(self, study: FeatureStudy) -> list[FeatureRow]:
        """Good SAEs with more live latents than dimensions."""
        return [r for r in self.good_rows(study) if r.live > r.d]

    def eps_excess(self, study: FeatureStudy) -> float:
        """max over :meth:`over_d` of ε_features − ε_embedding (NaN when there is none)."""
        rows = self.over_d(study)
        return max(r.eps - study.embedding_eps for r in rows) if rows else float("nan")

    def by_model(self) -> dict[str, list[FeatureStudy]]:
        """The studies of each model (one per layer measured), in order."""
        out: dict[str, list[FeatureStudy]] = {}
        for s in self.studies:
            out.setdefault(s.model, []).append(s)
        return out

    @property
    def main_studies(self) -> list[FeatureStudy]:
        """The first study of each model (its width sweep)."""
        return [group[0] for group in self.by_model().values()]

    @property
    def rows(self) -> list[FeatureRow]:
        return [r for s in self.studies for r in s.rows]

    @property
    def bad_count(self) -> int:
        return sum(r.bad for r in self.rows)

    # -- the rules -------------------------------------------------------------------------------
    def in_papers_regime(self) -> bool:
        """Whether some model measured is Class 2 by its embedding's ε (the paper's regime)."""
        return any(in_class2(s.embedding_eps) for s in self.studies)

    def measured_status(self) -> str:
        """HOLDS / CAVEAT / FAILS from the SAEs alone (the module docstring's three cases)."""
        groups = self.by_model().values()
        if not groups or any(not any(self.over_d(s) for s in g) for g in groups):
            return FAILS
        worst = max(self.eps_excess(s) for s in self.studies if self.over_d(s))
        if worst <= 0:
            return HOLDS
        return CAVEAT if worst < CLOSE_EPS else FAILS

    def premise_status(self) -> str:
        """:meth:`measured_status`, with "holds" lowered to a caveat outside the paper's regime
        (:meth:`in_papers_regime`; the module docstring states the rule)."""
        status = self.measured_status()
        return CAVEAT if status == HOLDS and not self.in_papers_regime() else status

    def packing(self) -> str:
        """Where the good SAEs' ε* falls, read from the median over them of ε* / (random draw's
        median max |cos|): "looser than random" above 1 + RANDOM_BAND, "like random" within the
        band, "like an optimiser" at or below the paper's optimised law for every such SAE,
        "between random and an optimiser" otherwise; "no good SAE" when there is none."""
        good = [r for s in self.studies for r in self.good_rows(s)]
        if not good:
            return "no good SAE"
        ratio = float(np.median([r.max_random_ratio for r in good]))
        if ratio > 1 + RANDOM_BAND:
            return "looser than random"
        if ratio >= 1 - RANDOM_BAND:
            return "like random"
        if all(r.max_abs_cos <= r.optimised_law for r in good):
            return "like an optimiser"
        return "between random and an optimiser"

    def coactivation(self) -> str:
        """"closer" when, at every good SAE, pairs that fire together have a smaller mean |cos|
        than pairs that never do; "further" when at every one it is larger; "mixed" otherwise
        (or "untested" without a good SAE with both kinds of pair)."""
        diffs = [r.cos_coactive - r.cos_never for s in self.studies for r in self.good_rows(s)
                 if np.isfinite(r.cos_coactive) and np.isfinite(r.cos_never)]
        if not diffs:
            return "untested"
        if all(x < 0 for x in diffs):
            return "closer"
        return "further" if all(x > 0 for x in diffs) else "mixed"

    # -- what the chapter shows ----------------------------------------------------------------
    def tables(self) -> list[Table]:
        tables = []
        for s in self.studies:
            dropped = max((r.massive_dropped for r in s.rows), default=0)
            massive = (f", {dropped} with a massive activation left out" if dropped else "")
            title = (f"{s.model} (d = {s.d}, layer {s.layer} of {s.n_layers}, {s.tokens:,} token "
                     f"positions{massive}; embedding-matrix ε = {s.embedding_eps:.3f})")
            rows = [r.as_dict() for r in s.rows]
            tables += [Table(f"{title}: the SAEs", rows, _SAE_COLUMNS),
                       Table(f"{title}: the same number of vectors elsewhere", rows,
                             _PACKING_COLUMNS)]
        return tables

    def answer(self) -> str:
        """The premise in one sentence, worded from :meth:`premise_status`."""
        status = self.premise_status()
        parts = []
        for group in self.by_model().values():
            s = group[0]
            rows = [r for g in group for r in self.over_d(g)]
            if not rows:
                parts.append(f"{s.model} has no SAE with FVU ≤ {BAD_FVU} and more live latents "
                             f"than its d = {s.d}")
                continue
            most = max(rows, key=lambda r: r.live)
            parts.append(f"{s.model} keeps up to {most.live:,} live features in d = {s.d} "
                         f"({most.ratio:.1f} per dimension, FVU {most.fvu:.3f}) at ε "
                         f"{min(r.eps for r in rows):.3f}–{max(r.eps for r in rows):.3f} against "
                         f"its embedding's {s.embedding_eps:.3f}")
        lead = {HOLDS: "Yes", CAVEAT: "More features than dimensions, yes; at the embedding's "
                "tolerance only approximately", FAILS: "No"}[status]
        regime = ""
        if self.measured_status() == HOLDS and status == CAVEAT:
            lead = "Yes for the models measured"
            regime = (f" The caveat: none of them is Class 2 (embedding ε < {CLASS2_BELOW}), the "
                      "paper's regime, where the embedding's tolerance is tight; theirs is loose, "
                      "so staying under it says little about the packings the paper's capacities "
                      "describe.")
        return f"{lead}: " + "; ".join(parts) + "." + regime

    def packing_text(self) -> str:
        reading = self.packing()
        good = [r for s in self.studies for r in self.good_rows(s)]
        if not good:
            return "No SAE reconstructs well enough for its directions to be read as features."
        ratios = [r.max_random_ratio for r in good]
        null = [r.eps_null_ratio for r in good]
        words = {"looser than random": "pack *less* tightly than random vectors would",
                 "like random": "pack like random vectors",
                 "like an optimiser": "pack as tightly as an optimised packing",
                 "between random and an optimiser": "pack tighter than random vectors but not "
                                                     "as tightly as an optimiser"}[reading]
        return (f"Over the {len(good)} good SAEs, the largest |cos| between learned features is "
                f"{min(ratios):.2f}–{max(ratios):.2f} times that of one random draw of the same "
                f"size, and their ε is {min(null):.2f}–{max(null):.2f} times the random 2/√d: "
                f"learned features {words}.")

    def coactivation_text(self) -> str:
        reading = self.coactivation()
        good = [r for s in self.studies for r in self.good_rows(s)
                if np.isfinite(r.cos_coactive) and np.isfinite(r.cos_never)]
        if not good:
            return "No good SAE has both co-active and never co-active pairs to compare."
        # the layer too: the layer sweep repeats a model's width and k at other layers
        pairs = "; ".join(f"{r.model} layer {r.layer}, W = {r.width:,}, k = {r.k}: "
                          f"{r.cos_coactive:.4f} vs {r.cos_never:.4f}" for r in good)
        verdict = {"closer": "co-active features sit closer to orthogonal, as toy models predict",
                   "further": "co-active features sit *further* from orthogonal, against what "
                              "toy models predict",
                   "mixed": "the difference changes sign between SAEs: no systematic effect at "
                            "this scale"}[reading]
        return (f"Mean |cos| of pairs that fire together on a held-out token against pairs that "
                f"never do: {pairs}. So {verdict}.")

    def markdown(self) -> Markdown:
        bad = [f"{r.model} W = {r.width:,}, k = {r.k} (FVU {r.fvu:.3f})"
               for r in self.rows if r.bad]
        bad_text = (f"**Bad SAEs** (FVU > {BAD_FVU}; shown, not read as features): "
                    + "; ".join(bad) + ".\n\n") if bad else ""
        return Markdown(f"{bad_text}**More features than dimensions, at the embedding's ε?** "
                        f"{self.answer()} (Verdict: *{self.premise_status()}*.)\n\n"
                        f"**Random, optimised or code?** {self.packing_text()}\n\n"
                        f"**Co-activation.** {self.coactivation_text()}")

    def verdicts(self) -> list[Verdict]:
        per_model = ". ".join(
            f"{s.model} (d = {s.d}, layer {s.layer}): embedding ε {s.embedding_eps:.3f}; "
            + "; ".join(f"W = {r.width:,}, k = {r.k}: {r.live:,} live, FVU {r.fvu:.3f}, "
                        f"ε {r.eps:.3f}" for r in s.rows) for s in self.studies)
        evidence = (f"TopK sparse autoencoders trained in this build on hidden states of real text; "
                    f"live latents and FVU on held-out documents; ε of the live decoder directions "
                    f"over all pairs. {per_model}. {self.bad_count} of {len(self.rows)} SAEs have "
                    f"FVU > {BAD_FVU} and are not read. {self.packing_text()}")
        return [Verdict("A model packs more features than dimensions, at the tolerance ε of its "
                        "embedding (the premise).", "§1, §2.4", evidence, self.premise_status(),
                        (self.chapter,))]

    # -- the results record ----------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        return {"feature_studies": [s.as_dict() for s in self.studies],
                "feature_status": self.premise_status(),
                "feature_packing": self.packing(),
                "feature_coactivation": self.coactivation()}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> "FeatureFindings":
        studies = required(record, cls.chapter, "feature_studies")
        return cls(studies=[FeatureStudy.from_dict(s) for s in studies])
