r"""Chapter 8's conclusion: does the embedding matrix's ε describe the hidden states a model computes?

The paper reads ε = µ + 2σ off the token-embedding matrix and treats it as the tolerance of the
features the model computes (Guha 2026, §2.4; §5, limitation 1). :class:`ActivationFindings` holds
the per-layer measurements of :func:`repcap.studies.activations.activation_study` for several models.

**Like with like.** A layer's ε is taken over the corpus's token positions; the paper's embedding ε
over the vocabulary rows. Every comparison here uses the embedding matrix *in the layers' frame*:
its rows looked up at the same positions (:attr:`ActivationStudy.baseline`). The vocabulary value
is shown beside it, labelled as the different frame it is.

**The reading of the layers** (:meth:`ActivationFindings.layer_reading`, over a set of models):

* **holds** when every layer's ε falls in the class of its embedding at the same positions and
  within 0.05 of its ε;
* **holds with a caveat** when every layer shares that class and the largest gap
  :math:`\max_\ell \lvert\varepsilon_\ell - \varepsilon_\text{emb}\rvert` is below the width of the
  paper's gap between the classes (0.2 − 0.1);
* **does not hold** otherwise: some layer changes class, or a layer differs from the embedding by
  as much as the distance between the classes.

**The verdict** (:meth:`ActivationFindings.transfer_status`) applies that reading to the models in
the paper's regime only: the claim is about Class 2 models (the paper calls capacity indeterminate in
Class 1), and a model is Class 2 by its vocabulary ε, the paper's measurement
(:func:`repcap.laws.classes.classify`). With no Class 2 model measured the status is
:data:`~repcap.studies.findings.UNTESTED`, whatever the Class 1 layers show.

Two readings of the numbers go with it: :meth:`ActivationFindings.mean_removal` (does removing the
stream's mean vector move ε by more than :data:`MEAN_REMOVAL_MATTERS`, and which way) and
:meth:`ActivationFindings.layer_spread_dominates` (does ε's spread over one model's layers move Eq. 7's
capacity by more orders of magnitude than the spread over the models' embedding matrices, both in
the positions' frame).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from repcap import catalog
from repcap.common.formatting import missing
from repcap.laws.classes import CLASS1_ABOVE, CLASS2, CLASS2_BELOW, classify
from repcap.studies.activations import ActivationStudy, log10_eq7
from repcap.studies.findings import (CAVEAT, FAILS, HOLDS, UNTESTED, Findings, Markdown, Table,
                                     Verdict, required)
from repcap.studies.massive import MASSIVE_NORM

__all__ = ["ActivationFindings", "CLOSE_GAP", "MEAN_REMOVAL_MATTERS", "CLASS2_PROBE"]

#: A layer within this of its embedding's ε counts as described by it.
CLOSE_GAP = 0.05
#: The width of the paper's gap between Class 2 and Class 1: a layer as far from its embedding's ε
#: as the classes are from each other is not described by it.
CLASS_GAP = CLASS1_ABOVE - CLASS2_BELOW
#: Removing the mean vector matters when it moves a model's median ε by more than this (the width of
#: the gap between the classes: enough to move a model from one class to the other).
MEAN_REMOVAL_MATTERS = CLASS_GAP
#: The Class 2 model of the paper's Table 1 that the chapter's ``paper`` profile measures through the
#: hub (1.1 B parameters: it fits a Colab GPU).
CLASS2_PROBE = "TinyLlama/TinyLlama-1.1B-Chat-v1.0"


def _interval(ci: Sequence[float]) -> str | None:
    """``"[lo, hi]"`` to three decimals, None where there is no interval (no bootstrap)."""
    return None if any(missing(v) for v in ci) else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def _columns(s: ActivationStudy) -> list:
    level = f"{100 * s.level:g} %"
    return [
        ("layer", "label", ""),
        ("µ", "mean", ".3f"),
        ("σ", "std", ".3f"),
        ("ε", "eps", ".3f"),
        (f"ε, {level} interval", lambda r: _interval(r["eps_interval"]), ""),
        # + 0.0 turns a rounded -0.0 (a decoder's embedding output) into 0.0
        ("ε − embedding ε (same positions)", lambda r: round(r["eps"] - s.baseline, 3) + 0.0,
         "+.3f"),
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
    def class2_studies(self) -> list[ActivationStudy]:
        """The models in the paper's regime: Class 2 by their vocabulary ε (the paper's frame)."""
        return [s for s in self.studies if classify(s.embedding_eps) == CLASS2]

    @property
    def embedding_log10_capacities(self) -> list[float]:
        """log10 k_max by Eq. 7 at each model's (d, ε of its embedding rows at the positions)."""
        return [log10_eq7(s.d_model, s.baseline) for s in self.studies]

    @property
    def capacity_span_layers(self) -> float:
        """The largest span of log10 capacity over one model's layers."""
        return max(s.log10_capacity_span for s in self.studies)

    @property
    def capacity_span_models(self) -> float:
        """The span of log10 capacity over the models' embedding matrices (same positions)."""
        caps = [c for c in self.embedding_log10_capacities if np.isfinite(c)]
        return max(caps) - min(caps) if caps else float("nan")

    @property
    def capacity_span_models_vocabulary(self) -> float:
        """The same span at each model's vocabulary ε (the paper's frame)."""
        caps = [c for c in (log10_eq7(s.d_model, s.embedding_eps) for s in self.studies)
                if np.isfinite(c)]
        return max(caps) - min(caps) if caps else float("nan")

    # -- the rules ---------------------------------------------------------------------------------
    @staticmethod
    def layer_reading(studies: Sequence[ActivationStudy]) -> str:
        """HOLDS / CAVEAT / FAILS: do the layers of ``studies`` keep the class and ε of their
        embedding at the same positions (the module docstring states the thresholds)?"""
        same = sum(s.layers_same_class for s in studies)
        gap = max(s.max_abs_gap for s in studies)
        if same < sum(len(s.rows) for s in studies) or gap >= CLASS_GAP:
            return FAILS
        return HOLDS if gap < CLOSE_GAP else CAVEAT

    def transfer_status(self) -> str:
        """The verdict on "the embedding's ε is the tolerance of the hidden states": UNTESTED when no
        measured model is Class 2 (the paper's regime), else :meth:`layer_reading` of the Class 2
        models."""
        class2 = self.class2_studies
        return self.layer_reading(class2) if class2 else UNTESTED

    def answer(self) -> str:
        """The chapter's one-sentence answer for the models measured, in the positions' frame,
        worded from :meth:`layer_reading` of all of them."""
        reading, n, gap = self.layer_reading(self.studies), self.layers, self.max_abs_gap
        other = n - self.layers_same_class
        emb = "its model's embedding rows at the same positions"
        if reading == HOLDS:
            every = "the one layer" if n == 1 else f"every one of the {n} layers"
            return (f"Yes: {every} measured falls in the class of {emb}, within {CLOSE_GAP} of "
                    f"their ε.")
        if reading == CAVEAT:
            return (f"Only by class: all {n} layers fall in the class of {emb}, and layer ε differs "
                    f"from theirs by up to {gap:.3f}, less than the {CLASS_GAP:.1f} between the "
                    f"classes.")
        if other:
            return (f"No: {other} of {n} layers fall in a different class from {emb}, and the "
                    f"largest gap is {gap:.3f}.")
        return (f"No: all {n} layers fall in the class of {emb}, but layer ε differs from theirs by "
                f"up to {gap:.3f}, as much as the {CLASS_GAP:.1f} that separates the paper's two "
                f"classes.")

    def regime_text(self) -> str:
        """Why the verdict is or is not decided by these models (:meth:`transfer_status`)."""
        n, class2 = len(self.studies), self.class2_studies
        if class2:
            names = ", ".join(s.model for s in class2)
            return (f"{len(class2)} of the {n} models measured ({names}) are Class 2 by their "
                    f"vocabulary ε, the paper's regime; the verdict reads their layers.")
        probe = catalog.find(CLASS2_PROBE)
        none = ("The one model measured is not Class 2" if n == 1 else
                f"None of the {n} models measured is Class 2")
        return (f"{none} by its vocabulary ε (the paper's measurement), and the paper calls "
                f"capacity indeterminate in Class 1; hidden states are also sums of features, not "
                f"the feature directions the claim is about. So these layers do not test the claim "
                f"in the paper's regime. The chapter's `paper` profile adds {probe['name']} "
                f"({CLASS2_PROBE}; Table 1: ε = {probe['eps_paper']:.3f}, "
                f"{classify(probe['eps_paper'])}) through the hub.")

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
        over the models' embedding matrices at the same positions; None with a single model."""
        if len(self.studies) < 2:
            return None
        return self.capacity_span_layers > self.capacity_span_models

    # -- what the chapter shows ----------------------------------------------------------------
    def tables(self) -> list[Table]:
        return [Table(f"{s.model} (d = {s.d_model}, {s.dtype} on {s.device}; {s.documents} "
                      f"documents; embedding-matrix ε at these positions "
                      f"{s.baseline:.3f} {_interval(s.embedding_interval) or ''}, over their "
                      f"{s.embedding_types:,} token types {s.embedding_eps_at_types:.3f}, over the "
                      f"vocabulary, a different frame, {s.embedding_eps:.3f})".replace("  ", " "),
                      [vars(r) for r in s.rows], _columns(s))
                for s in self.studies]

    def _model_line(self, s: ActivationStudy) -> str:
        eps = s.layer_eps
        undefined = (f"; undefined at {s.layers_without_capacity} layer(s) with ε > 1"
                     if s.layers_without_capacity else "")
        widths = np.array([hi - lo for lo, hi in (r.eps_interval for r in s.rows)])
        intervals = ("" if np.isnan(widths).all() else
                     f" ({100 * s.level:g} % intervals over {s.documents} documents at most "
                     f"{np.nanmax(widths):.3f} wide; the gap's interval excludes 0 in "
                     f"{s.layers_gap_resolved} of {len(s.rows)} layers)")
        n, raised = len(s.rows), s.layers_raised_by_centring
        flagged = [r.massive for r in s.rows if r.massive]
        massive = (f" (taken without the positions with a massive activation, norm > "
                   f"{MASSIVE_NORM:g}× the median: up to {max(flagged)} per layer, in "
                   f"{len(flagged)} of {n} layers)" if flagged else "")
        return (f"* **{s.model}**: embedding ε at the same positions {s.baseline:.3f} (over its "
                f"{s.embedding_types:,} token types {s.embedding_eps_at_types:.3f}; over the "
                f"vocabulary, the paper's frame and a different sample, {s.embedding_eps:.3f}); "
                f"layers {eps.min():.3f}–{eps.max():.3f} (median {np.median(eps):.3f}); largest gap "
                f"to the same-frame embedding {s.max_abs_gap:.3f}{intervals}; "
                f"{s.layers_same_class}/{n} layers share its class; removing the mean{massive} "
                f"lowers ε in {n - raised} of {n} layers and raises it in {raised} (median change "
                f"{-s.median_centred_drop:+.3f}); Eq. 7's capacity spans "
                f"{s.log10_capacity_span:.1f} orders of magnitude over the layers{undefined}.")

    def markdown(self) -> Markdown:
        lines = [self._model_line(s) for s in self.studies]
        mean = {"lowers": "the common direction carries a large part of what ε measures",
                "raises": "without the common direction the positions spread further apart",
                "small": "the change is small next to the class thresholds"}[self.mean_removal()]
        changes = "; ".join(f"{s.model}: {-s.median_centred_drop:+.3f}, raised in "
                            f"{s.layers_raised_by_centring} of {len(s.rows)} layers"
                            for s in self.studies)
        return Markdown("\n".join(lines) + "\n\n"
                        f"**Does the embedding's ε predict the hidden states'?** {self.answer()} "
                        f"**And the paper's claim?** {self.regime_text()} (Verdict: "
                        f"*{self.transfer_status()}*.) "
                        f"**Does removing the mean matter?** The median change of ε over layers: "
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
        return (f"Across the models' embedding matrices at the same positions Eq. 7's capacity "
                f"spans {self.capacity_span_models:.1f} orders of magnitude (over their vocabulary "
                f"rows, the paper's frame: {self.capacity_span_models_vocabulary:.1f}); {layers}, "
                + ("so which layer one reads ε from matters more than which model one measures."
                   if dominates else "so the choice of model matters more than the choice of layer."))

    def verdicts(self) -> list[Verdict]:
        per_model = "; ".join(
            f"{s.model}: embedding {s.baseline:.3f} at the same positions ({s.embedding_eps:.3f} "
            f"over the vocabulary), layers {s.layer_eps.min():.3f}–{s.layer_eps.max():.3f}"
            for s in self.studies)
        changes = ", ".join(f"{-s.median_centred_drop:+.3f}" for s in self.studies)
        evidence = (
            f"ε over all pairs of {self.tokens:,} token positions of real text, per layer of "
            f"{len(self.studies)} model(s) run forward in this build, compared with the embedding "
            f"rows at the same positions ({per_model}). {self.layers_same_class} of {self.layers} "
            f"layers fall in that embedding's class; the largest gap is {self.max_abs_gap:.3f} "
            f"({self.layer_reading(self.studies)} for these models by the chapter's reading). "
            f"Removing each stream's mean vector changes ε by a median of {changes} per model. "
            f"Eq. 7's capacity spans up to {self.capacity_span_layers:.1f} orders of magnitude over "
            f"one model's layers, against {self.capacity_span_models:.1f} over the models' "
            f"embedding matrices at the same positions. {self.regime_text()}")
        return [Verdict("The ε measured on the token-embedding matrix is the tolerance of the "
                        "features the model computes (offered as a hypothesis).",
                        "§2.4, §5 limitation 1", evidence, self.transfer_status(), (self.chapter,))]

    # -- the results record ----------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        return {
            "tokens": self.tokens,
            "corpus": self.corpus,
            "models": {s.model: {"embedding_eps": s.embedding_eps,
                                 "embedding_eps_at_positions": s.embedding_eps_at_positions,
                                 "embedding_eps_at_types": s.embedding_eps_at_types,
                                 "layer_eps": [r.eps for r in s.rows],
                                 "layer_eps_interval": [list(r.eps_interval) for r in s.rows],
                                 "layer_eps_centred": [r.eps_centred for r in s.rows],
                                 "layers_raised_by_centring": s.layers_raised_by_centring,
                                 "study": s.as_dict()} for s in self.studies},
            "layers_same_class": self.layers_same_class,
            "layers": self.layers,
            "class2_models": [s.model for s in self.class2_studies],
            "layer_reading": self.layer_reading(self.studies),
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

