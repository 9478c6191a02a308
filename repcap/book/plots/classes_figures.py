"""Chapter 3's figures, each drawn from the findings that hold its numbers.

Every function takes findings of :mod:`repcap.studies.classes_findings` or
:mod:`repcap.studies.survey_examples`, lays out the panels with the helpers of
:mod:`repcap.book.plots.embeddings`, adds the provenance line, and returns the figure. Nothing here
computes.
"""

from __future__ import annotations

from repcap.book.plots.embeddings import class_distributions, eps_parts, eps_vs_dmodel

__all__ = ["figure5", "examples_figure", "parts_figure"]

_RANDOM = "random N(0,1), same d"


def figure5(classes, profile: str):
    """Figure 3.1 (the paper's Figure 5): the reported ε against d, with this run's models as stars
    and the isotropic 2/√d."""
    measured = [{"name": r.name, "d_model": r.d_model, "eps": r.eps, "family": r.family}
                for r in classes.rows]
    return eps_vs_dmodel(
        measured, classes.reported, null_curve=classes.null_curve(),
        source=(f"Data: dots, ε as reported in the paper's Table 1 ({len(classes.reported)} "
                f"models); stars, ε measured exactly in this run ({len(classes.rows)} models). "
                f"Profile: {profile}."))


def examples_figure(examples, profile: str):
    """Figure 3.2: each example model's pair histogram beside a Gaussian matrix of its width."""
    panels = []
    for ex in examples.examples:
        r, label = ex.row, f"{ex.row.name} (ε = {ex.row.eps:.3f})"
        panels.append((f"{r.klass}: {r.name}\n{ex.why}", {label: ex.model, _RANDOM: ex.gauss},
                       {label: (r.mean, r.eps), _RANDOM: (0.0, r.null_eps)}))
    return class_distributions(
        panels, zoom=(-0.5, 1.0),
        source=(f"Data: all pairs among {examples.tokens:,} random tokens of each model and of a"
                " Gaussian matrix of the same width; dotted: mean µ, dashed: ε = µ + 2σ (exact"
                f" moments; 2/√d for the Gaussian). Profile: {profile}."))


def parts_figure(parts, profile: str):
    """Figure 3.3: each measured ε as shift µ plus spread 2σ, with the isotropic 2/√d."""
    return eps_parts(
        [{"name": r.name, "mean": r.mean, "std": r.std, "null_eps": r.null_eps}
         for r in parts.rows],
        source=("Data: exact µ and σ of every measured model; tick: 2/√d of the model's width."
                f" Profile: {profile}."))
