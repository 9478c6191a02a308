r"""Chapter 8's conclusion: does the embedding matrix's ε describe the hidden states a model computes?

The paper reads ε = µ + 2σ off the token-embedding matrix and treats it as the tolerance of the
features the model computes (Guha 2026, §2.4; §5, limitation 1). :class:`ActivationFindings` holds
the per-layer measurements of :func:`repcap.studies.activations.activation_study` for several models
and decides that claim by one rule, :meth:`ActivationFindings.transfer_status`:

* **holds** when every layer's ε falls in its embedding matrix's class and within 0.05 of its ε;
* **holds with a caveat** when every layer shares the class and the largest gap
  :math:`\max_\ell \lvert\varepsilon_\ell - \varepsilon_\text{emb}\rvert` is below the width of the
  paper's gap between the classes (0.2 − 0.1);
* **does not hold** otherwise: some layer changes class, or a layer differs from the embedding by
  as much as the distance between the classes.

Two readings of the numbers go with it: :meth:`ActivationFindings.mean_removal` (does removing the
stream's mean vector move ε by more than :data:`MEAN_REMOVAL_MATTERS`, and which way) and
:meth:`ActivationFindings.layer_spread_dominates` (does ε's spread over one model's layers move Eq. 7's
capacity by more orders of magnitude than the spread over the models' embedding matrices).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from repcap.laws.capacity import log10_capacity
from repcap.laws.classes import CLASS1_ABOVE, CLASS2, CLASS2_BELOW, classify
from repcap.studies.activations import ActivationStudy
from repcap.studies.findings import (CAVEAT, FAILS, HOLDS, Findings, Markdown, Table, Verdict,
                                     required)

__all__ = ["ActivationFindings", "CLOSE_GAP", "MEAN_REMOVAL_MATTERS"]

#: A layer within this of its embedding's ε counts as described by it.
CLOSE_GAP = 0.05
#: The width of the paper's gap between Class 2 and Class 1: a layer as far from its embedding's ε
#: as the classes are from each other is not described by it.
CLASS_GAP = CLASS1_ABOVE - CLASS2_BELOW
#: Removing the mean vector matters when it moves a model's median ε by more than this (the width of
#: the gap between the classes: enough to move a model from one class to the other).
MEAN_REMOVAL_MATTERS = CLASS_GAP

_LAYER_COLUMNS = [
    ("layer", "label", ""),
    ("µ", "mean", ".3f"),
    ("σ", "std", ".3f"),
    ("ε", "eps", ".3f"),
    ("ε, mean removed", "eps_centred", ".3f"),
    ("ε·√d", "eps_sqrt_d", ".2f"),
    ("participation ratio", "participation_ratio", ".1f"),
    ("effective rank", "effective_rank", ".1f"),
    ("class", "paper_class", ""),
    ("log10 k_max (Eq. 7)", "log10_capacity_eq7", ".1f"),
]


@dataclass
class ActivationFindings(Findings):
    """Per-layer ε of several models' hidden states over ``tokens`` positions of ``corpus``."""

    chapter = "08_inside_the_model"

    studies: list[ActivationStudy]
    tokens: int
    corpus: str

    # -- the numbers the rule reads --------------------------------------------------------------
    @property
    def layers(self) -> int:
        return sum(len(s.rows) for s in self.studies)

    @property
    def layers_same_class(self) -> int:
        return sum(s.layers_same_class for s in self.studies)

    @property
    def max_abs_gap(self) -> float:
        return max(s.max_abs_gap for s in self.studies)

    @property
    def embedding_log10_capacities(self) -> list[float]:
        """log10 k_max by Eq. 7 at each model's (d, ε of its embedding matrix)."""
        return [float(log10_capacity(s.d_model, s.embedding_eps)) for s in self.studies]

    @property
    def capacity_span_layers(self) -> float:
        """The largest span of log10 capacity over one model's layers."""
        return max(s.log10_capacity_span for s in self.studies)

    @property
    def capacity_span_models(self) -> float:
        """The span of log10 capacity over the models' embedding matrices."""
        caps = self.embedding_log10_capacities
        return max(caps) - min(caps)

    # -- the rule ----------------------------------------------------------------------------------
    def transfer_status(self) -> str:
        """HOLDS / CAVEAT / FAILS for "the embedding's ε is the tolerance of the hidden states"
        (the module docstring states the rule)."""
        if self.layers_same_class < self.layers or self.max_abs_gap >= CLASS_GAP:
            return FAILS
        return HOLDS if self.max_abs_gap < CLOSE_GAP else CAVEAT

    def answer(self) -> str:
        """The chapter's one-sentence answer, worded from :meth:`transfer_status`."""
        status, n, gap = self.transfer_status(), self.layers, self.max_abs_gap
        other = n - self.layers_same_class
        if status == HOLDS:
            every = "the one layer" if n == 1 else f"every one of the {n} layers"
            return (f"Yes: {every} measured falls in its embedding matrix's class, within "
                    f"{CLOSE_GAP} of its ε.")
        if status == CAVEAT:
            return (f"Only by class: all {n} layers fall in their embedding matrix's class, and "
                    f"layer ε differs from the embedding's by up to {gap:.3f}, less than the "
                    f"{CLASS_GAP:.1f} between the classes.")
        if other:
            return (f"No: {other} of {n} layers fall in a different class from their model's "
                    f"embedding matrix, and the largest gap is {gap:.3f}.")
        return (f"No: all {n} layers fall in their embedding matrix's class, but layer ε differs "
                f"from the embedding's by up to {gap:.3f}, as much as the {CLASS_GAP:.1f} that "
                f"separates the paper's two classes.")

    def mean_removal(self) -> str:
        """"lowers" when removing the mean vector lowers some model's median ε by more than
        :data:`MEAN_REMOVAL_MATTERS`, "raises" when it raises one by more (and none is lowered
        that much), "small" otherwise."""
        drops = [s.median_centred_drop for s in self.studies]
        if max(drops) > MEAN_REMOVAL_MATTERS:
            return "lowers"
        return "raises" if min(drops) < -MEAN_REMOVAL_MATTERS else "small"

    def layer_spread_dominates(self) -> bool | None:
        """True when Eq. 7's capacity spans more orders of magnitude over one model's layers than
        over the models' embedding matrices; None with a single model (nothing to compare)."""
        if len(self.studies) < 2:
            return None
        return self.capacity_span_layers > self.capacity_span_models

    # -- what the chapter shows ----------------------------------------------------------------
    def tables(self) -> list[Table]:
        return [Table(f"{s.model} (d = {s.d_model}, {s.dtype} on {s.device}; embedding-matrix "
                      f"ε = {s.embedding_eps:.3f})", [vars(r) for r in s.rows], _LAYER_COLUMNS)
                for s in self.studies]

    def markdown(self) -> Markdown:
        lines = []
        for s in self.studies:
            eps = s.layer_eps
            undefined = (f"; undefined at {s.layers_without_capacity} layer(s) with ε > 1"
                         if s.layers_without_capacity else "")
            lines.append(
                f"* **{s.model}**: embedding ε = {s.embedding_eps:.3f}; layers "
                f"{eps.min():.3f}–{eps.max():.3f} (median {np.median(eps):.3f}); largest gap "
                f"{s.max_abs_gap:.3f}; {s.layers_same_class}/{len(s.rows)} layers share the "
                f"embedding's class; removing the mean {_moves(s.median_centred_drop)} ε by a "
                f"median of {abs(s.median_centred_drop):.3f}; Eq. 7's capacity spans "
                f"{s.log10_capacity_span:.1f} orders of magnitude over the layers{undefined}.")
        mean = {"lowers": "the common direction carries a large part of what ε measures",
                "raises": "without the common direction the positions spread further apart",
                "small": "the change is small next to the class thresholds"}[self.mean_removal()]
        changes = "; ".join(f"{s.model}: {_moves(s.median_centred_drop)} ε by "
                            f"{abs(s.median_centred_drop):.3f}" for s in self.studies)
        return Markdown("\n".join(lines) + "\n\n"
                        f"**Does the embedding's ε predict the hidden states'?** {self.answer()} "
                        f"(Verdict on the paper's claim: *{self.transfer_status()}*.) "
                        f"**Does removing the mean matter?** Removing it (median over layers): "
                        f"{changes}. So: {mean}.\n\n{self.spans_text()}")

    def spans_text(self) -> str:
        """Eq. 7's capacity spread over layers against over models, read by
        :meth:`layer_spread_dominates`."""
        layers = (f"over the layers of one model Eq. 7's capacity spans up to "
                  f"{self.capacity_span_layers:.1f} orders of magnitude")
        dominates = self.layer_spread_dominates()
        if dominates is None:
            return (f"One model was measured: {layers}; the spread across models, which is what "
                    f"the paper compares, needs a second one.")
        return (f"Across the models' embedding matrices, which is what the paper compares, Eq. 7's "
                f"capacity spans {self.capacity_span_models:.1f} orders of magnitude; {layers}, "
                + ("so which layer one reads ε from matters more than which model one measures."
                   if dominates else "so the choice of model matters more than the choice of layer."))

    def verdicts(self) -> list[Verdict]:
        per_model = "; ".join(
            f"{s.model}: embedding {s.embedding_eps:.3f}, layers "
            f"{s.layer_eps.min():.3f}–{s.layer_eps.max():.3f}" for s in self.studies)
        n_class2 = sum(classify(s.embedding_eps) == CLASS2 for s in self.studies)
        changes = ", ".join(f"{s.median_centred_drop:.3f}" for s in self.studies)
        all_class1 = n_class2 == 0
        evidence = (
            f"ε over all pairs of {self.tokens:,} token positions of real text, per layer of "
            f"{len(self.studies)} model(s) run forward in this build ({per_model}). "
            f"{self.layers_same_class} of {self.layers} layers fall in their embedding matrix's "
            f"class; the largest gap between a layer's ε and the embedding's is "
            f"{self.max_abs_gap:.3f}. Removing each stream's mean vector changes ε by a median of "
            f"{changes} per model. Eq. 7's capacity spans up to {self.capacity_span_layers:.1f} "
            f"orders of magnitude over one model's layers, against {self.capacity_span_models:.1f} "
            f"over the models' embedding matrices. {n_class2} of the {len(self.studies)} embedding "
            f"matrices measured are Class 2"
            + (", so agreement of classes says little: every model is Class 1." if all_class1
               else "."))
        return [Verdict("The ε measured on the token-embedding matrix is the tolerance of the "
                        "features the model computes (offered as a hypothesis).",
                        "§2.4, §5 limitation 1", evidence, self.transfer_status(), (self.chapter,))]

    # -- the results record ----------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        return {
            "tokens": self.tokens,
            "corpus": self.corpus,
            "models": {s.model: {"embedding_eps": s.embedding_eps,
                                 "layer_eps": [r.eps for r in s.rows],
                                 "layer_eps_centred": [r.eps_centred for r in s.rows],
                                 "study": s.as_dict()} for s in self.studies},
            "layers_same_class": self.layers_same_class,
            "layers": self.layers,
            "predicts": self.transfer_status() == HOLDS,
            "status": self.transfer_status(),
            "capacity_span_layers": self.capacity_span_layers,
            "capacity_span_models": self.capacity_span_models,
            "max_abs_gap": self.max_abs_gap,
            "median_centred_drop": [s.median_centred_drop for s in self.studies],
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> "ActivationFindings":
        models = required(record, cls.chapter, "models")
        studies = [ActivationStudy.from_dict(required(m, cls.chapter, "study"))
                   for m in models.values()]
        return cls(studies=studies, tokens=required(record, cls.chapter, "tokens"),
                   corpus=record.get("corpus", ""))


def _moves(drop: float) -> str:
    """How removing the mean moves ε, from ε − ε_centred."""
    return "lowers" if drop >= 0 else "raises"
