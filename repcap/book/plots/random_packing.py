"""Figures of chapter 4 (JL and random packing), drawn from what :mod:`repcap.studies.random_packing`
computed: the guarantees at Llama 2 7B, the random sweep beside both laws, the implied constant.
Nothing here computes a result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from repcap.book.plots import capacity, packing
from repcap.book.plots.layout import figure, finish
from repcap.laws import PAPER_JL_RANDOM_C
from repcap.studies.random_packing import LLAMA_D, LLAMA_EPS, LLAMA_VOCAB, PAPER_TRIALS

__all__ = ["guarantees_figure", "sweep_figure", "paper_residuals_figure", "implied_c_figure"]


def guarantees_figure(eps_grid, curves: Mapping[str, np.ndarray], findings, *, profile: str):
    """Figure 4.1: log10 of the directions each construction guarantees at d = 4096, against ε
    (``curves`` of :func:`~repcap.studies.random_packing.guarantee_curves`), with the paper's two
    evaluations at Llama 2 7B's ε (from the chapter's ``findings``)."""
    k8, k3 = findings.llama_k_C8, findings.llama_k_C3029
    fig, (ax,) = figure(1, width=7.5, height=4.4)
    ax.axvline(LLAMA_EPS, color="#bbbbbb", lw=0.8)
    capacity.log_count_curves(
        ax, eps_grid, curves, styles={"greedy, exact count": {"color": "#7570b3", "ls": "--"}},
        hlines={"Llama 2 vocabulary, 32,000 tokens": math.log10(LLAMA_VOCAB)},
        # labels in the free corner under the C = 8 curve: beside the dots, curves cross them
        marks=[(LLAMA_EPS, math.log10(k8), f"Llama 2 7B, C = 8: k = {k8:.1f}", (0.084, 0.3)),
               (LLAMA_EPS, math.log10(k3), f"C = 3.03: k = {k3:.0f}", (0.1, 0.95))],
        title=f"Directions that JL-type constructions guarantee at d = {LLAMA_D}")
    ax.set_ylim(0, 8)
    finish(fig, source="Computed from k = exp(dε²/C) and the greedy bound "
                               "1/I_(1-ε²)((d-1)/2, 1/2); Llama 2 7B values from the paper's "
                               f"Table 1. Profile: {profile}.")
    return fig


def sweep_figure(sweep, *, profile: str):
    """Figure 4.2: our cells (a :class:`~repcap.studies.random_packing.RandomSweep`) against the
    fitted JL law and the zero-parameter law, one curve per d, and each law's relative error."""
    fig, (left, right) = figure(2, height=4.6)
    p = sweep.paper
    packing.eps_curves(
        left, sweep.k, sweep.d, sweep.eps,
        {f"JL fit, C = {sweep.fit.params['C']:.3f}": sweep.fit.predict,
         "zero-parameter law": sweep.law},
        styles={"zero-parameter law": {"ls": "--"}}, reference=(p.k, p.d, p.eps),
        label_fmt="d = {:g}", title=f"Best of T = {sweep.trials} random draws")
    res = sweep.residuals()
    packing.residual_panel(
        right, sweep.k, {"JL fit (1 parameter)": res["fit"],
                         "extreme-value law (0 parameters)": res["law"]},
        xlabel="number of vectors k", title="Measured / predicted − 1")
    finish(fig, source=f"Data: our random sweep ({len(sweep.records)} cells, grid "
                               f"`{sweep.grid}`, T = {sweep.trials}, {sweep.dtype}); hollow circles: "
                               f"the paper's released cells at the same d. Profile: {profile}.")
    return fig


def paper_residuals_figure(sweep, *, profile: str):
    """Figure 4.3: both laws' relative errors on the paper's released cells, against ln k / d."""
    p, res = sweep.paper, sweep.paper_residuals()
    fig, (ax,) = figure(1, height=4.2)
    packing.residual_panel(
        ax, np.log(p.k) / p.d, {f"JL fit, C = {sweep.paper_fit.params['C']:.3f}": res["fit"],
                                "extreme-value law, nothing fitted": res["law"]},
        xlabel="ln k / d", logx=False, title=f"The paper's {len(p)} released random cells")
    finish(fig, source="Data: the paper's released random_packing.json, "
                               f"T = {PAPER_TRIALS}, float16. Profile: {profile}.")
    return fig


def implied_c_figure(k_grid, series: Mapping[str, np.ndarray], *, profile: str):
    """Figure 4.4: the JL constant implied by the law along k (``series`` of
    :func:`~repcap.studies.random_packing.implied_c_curves`), with its limit 4 and the paper's fit."""
    fig, (ax,) = figure(1, height=4.2)
    packing.effective_c_curves(ax, k_grid, series, constants={
        "C = 4 (k → ∞)": 4.0, "C = 3.03 (paper's fit)": PAPER_JL_RANDOM_C})
    ax.set_ylim(2.4, 4.2)
    finish(fig, source="Computed from the Poisson–beta law of the largest random cosine "
                               f"(repcap.geometry.null); no data. Profile: {profile}.")
    return fig
