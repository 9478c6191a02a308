"""Chapter 5's figures, each drawn from the findings that hold its numbers.

Every function takes the findings of :mod:`repcap.studies.optimised_packing` (:class:`PackingFindings`,
:class:`FloorComparison`) or :mod:`repcap.studies.objective_comparison` (:class:`ObjectiveFindings`),
with the sweep records or the paper's released sweep where a figure draws them, lays out the panels
with the helpers of :mod:`repcap.book.plots.packing`, writes the labels that hold fitted numbers, adds
the provenance line, and returns the figure. Nothing here computes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from repcap.book.plots import packing as panels
from repcap.book.plots.layout import figure, finish

__all__ = ["OBJECTIVE_LABELS", "convergence_figure", "laws_figure", "eq7_figure", "floor_figure",
           "objectives_figure"]

#: How Figure 5.5 names each packing objective (:mod:`repcap.packing.objectives`).
OBJECTIVE_LABELS = {
    "paper": r"paper's loss $\sum |G_{ij}|^p$",
    "softmax": "smooth max of |cos| (τ = 40)",
    "exp": r"$\sum \exp(\alpha G_{ij}^2)$, α = d/5",
    "anneal": "smooth max, τ 10→1000, + polish",
}
_PAPER_EQ7 = "Eq. 7 with the paper's constants"


def _ours(findings):
    """``(k, d, ε*)`` of the findings' cells as float arrays, in the sweep's order."""
    k, d = np.asarray(findings.cells, dtype=float).T
    return k, d, np.asarray(findings.eps, dtype=float)


def convergence_figure(records: Sequence[Mapping], findings, *, profile: str):
    """Figure 5.1: max |cos| along each cell's optimisation (the ``history`` of each sweep record)."""
    fig, (ax,) = figure(1, height=4.3)
    panels.convergence_panel(ax, [(r["d"], r["k"], r["history"]) for r in records],
                             title="Convergence of every cell (thicker lines: larger k)")
    finish(fig, source=(f"Data: our optimised sweep ({len(records)} cells, {findings.steps} steps, "
                        f"objective {findings.objective}). Profile: {profile}."))
    return fig


def laws_figure(findings, paper, *, profile: str):
    """Figure 5.2: standard JL (left) and Eq. 6 (right), each fitted to our packings, one curve per
    d, with the ``paper``'s released cells at the same d."""
    k, d, eps = _ours(findings)
    fig, (left, right) = figure(2, height=4.6, sharey=True)
    for ax, form, name, law in [(left, "jl", "JL", "Standard JL"),
                                (right, "eq6", "Eq. 6", "Eq. 6 (k/d)")]:
        fit = findings.fits[form]
        panels.eps_curves(ax, k, d, eps, {f"{name}, C = {fit.params['C']:.3f}": fit.predict},
                          reference=(paper.k, paper.d, paper.eps), label_fmt="d = {:g}",
                          title=f"{law}: MAPE {fit.mape:.1f} %")
    right.set_ylabel("")
    finish(fig, source=(f"Data: our optimised packings ({findings.n_cells} cells, {findings.steps} "
                        "steps); curves: each law fitted to them; hollow circles: the paper's "
                        "released cells at the same d, with the curves continued to them. "
                        f"Profile: {profile}."))
    return fig


def eq7_figure(findings, paper, *, profile: str):
    """Figure 5.3: Eq. 7 fitted to our packings (when they determine it) and with the paper's
    constants (left); the paper's released cells with its Eq. 7 and Eq. 6 (right)."""
    fig, axes = figure(2, width=13.0, height=5.4)
    # the constants are in the table above; a short label keeps the legend off the curves
    curves = {_PAPER_EQ7: findings.paper_eq7}
    eq7 = findings.fits.get("eq7")
    if eq7 is not None:
        curves = {"Eq. 7 fitted here": eq7.predict, **curves}
    title = (f"Our packings: Eq. 7 MAPE {eq7.mape:.1f} %" if eq7 is not None
             else "Our packings (too few cells to fit Eq. 7)")
    panels.eps_curves(axes[0], *_ours(findings), curves, styles={_PAPER_EQ7: {"ls": "--"}},
                      label_fmt="d = {:g}", title=title, legend="below")
    refits = findings.paper_refits
    panels.eps_curves(axes[1], paper.k, paper.d, paper.eps,
                      {"Eq. 7, paper's constants": refits["eq7"].predict,
                       "Eq. 6, paper's constant": refits["eq6"].predict},
                      styles={"Eq. 6, paper's constant": {"ls": ":"}},
                      label_fmt="d = {:g}", title="The paper's 166 released cells")
    finish(fig, source=(f"Left: our packings ({findings.n_cells} cells); right: the paper's "
                        f"released optimized_packing.json. Profile: {profile}."))
    return fig


def floor_figure(floors, *, profile: str):
    """Figure 5.4: ε* over the best proven floor against k/d for our packings, one random draw and
    the paper's released packings (a :class:`~repcap.studies.optimised_packing.FloorComparison`)."""
    fig, (ax,) = figure(1, width=9.0, height=4.4)
    panels.floor_ratio_panel(ax, floors.k_over_d, floors.ours, member=floors.d,
                             reference=(floors.paper_k_over_d, floors.paper),
                             reference_label="paper's released packings",
                             random=(floors.k_over_d, floors.random),
                             random_label="one random draw (zero-parameter law)",
                             title="Packings relative to the best proven floor")
    finish(fig, source=("Floors: repcap.geometry.bounds.coherence_floor; data: our packings "
                        f"({floors.steps} steps) and the paper's released cells. Profile: {profile}."))
    return fig


def objectives_figure(comparison, *, seed: int, profile: str):
    """Figure 5.5: each objective's ε* over the floor (left) and over the paper's loss's, cell by
    cell (right), from an :class:`~repcap.studies.objective_comparison.ObjectiveFindings`."""
    fig, (left, right) = figure(2, height=5.2)
    drew_ref = panels.objective_panels(
        left, right, comparison.rows, baseline=comparison.baseline, labels=OBJECTIVE_LABELS,
        title_left="Relative to the best proven floor",
        title_right="Relative to the paper's loss, cell by cell")
    finish(fig, source=(
        f"Data: our optimised packings, {len(comparison.rows)} (k, d) cells × "
        f"{len(comparison.objectives)} objectives, {comparison.steps} Adam steps each, seed {seed}; "
        "floors: repcap.geometry.bounds.coherence_floor"
        + ("; hollow circles: the paper's released values at the same cells" if drew_ref else "")
        + f". Profile: {profile}."))
    return fig
