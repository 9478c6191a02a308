"""Chapter 6's figures, each drawn from the findings that hold its numbers.

Every function takes findings of :mod:`repcap.studies.capacity_findings`,
:mod:`repcap.studies.sensitivity_findings`, :mod:`repcap.studies.feasibility_findings` or
:mod:`repcap.studies.unembedding` (or the curves a study helper returned), lays out the panels with
the helpers of :mod:`repcap.book.plots.capacity`, adds the provenance line, and returns the figure.
Nothing here computes.
"""

from __future__ import annotations

from collections.abc import Sequence

from repcap.book.plots import capacity as panels
from repcap.book.plots.layout import figure, finish, source_line

__all__ = ["table1_figure", "sensitivity_figure", "band_figure", "scaling_figure",
           "unembedding_figure"]

#: The greedy existence count is a tick on each row, not a dot: it is a bound, not a law.
_GREEDY_STYLE = {"marker": "|", "ms": 12, "color": "#7570b3"}
#: The largest explicit set is a star: a set one can write down, the chapter's point.
_EXPLICIT_STYLE = {"marker": "*", "ms": 10, "color": "#e7298a", "zorder": 5}


def table1_figure(table1, constants, profile: str):
    """Figure 6.1: the capacity of each Class 2 model of Table 1, several ways, and the largest
    explicit set at its (d, ε), one row each."""
    class2 = table1.class2
    fig, (ax,) = figure(width=10.0, height=0.27 * len(class2) + 2.4)
    panels.capacity_dots(
        ax, [f"{r['name']} (d={r['d_model']}, ε={r['eps']:.3f})" for r in class2], table1.series,
        styles={table1.greedy_label: _GREEDY_STYLE, table1.explicit_label: _EXPLICIT_STYLE},
        title="Capacity of the paper's Class 2 models: laws, guarantee and explicit sets",
        xlabel="log10 of the number of directions", xlim=(0, 20))
    finish(fig, source=(f"ε from the paper's Table 1; our constants from {constants.n_packings} "
                        f"packings ({constants.steps} steps); explicit sets: "
                        f"repcap.geometry.constructions.best_construction. Profile: {profile}."))
    return fig


def sensitivity_figure(sensitivity, profile: str):
    """Figure 6.2: log10 k_max by Eq. 7 against ε for six widths, and against d for three ε."""
    c = sensitivity.curves()
    fig, (left, right) = figure(2, height=4.4)
    panels.sensitivity_panel(left, c["eps_grid"], c["d_list"], c["by_eps"], marks=c["marks"],
                             title="Eq. 7 capacity against ε")
    panels.log_count_curves(right, c["d_grid"], c["by_d"], xlabel="d_model",
                            ylabel="log10 capacity k_max (Eq. 7)", title="… and against d_model",
                            logx=True)
    finish(fig, source=("Eq. 7 with the paper's constants; dots: the paper's sensitivity examples."
                        f" Profile: {profile}."))
    return fig


def band_figure(band_panels: Sequence[dict], profile: str):
    """Figure 6.3: the feasibility band at each width of
    :func:`repcap.geometry.feasibility.band_panels`, with the Table 1 models of that width (dots,
    unnamed: at the crowded small-ε end their names covered the curves and each other)."""
    fig, axes = figure(len(band_panels), height=5.4)
    for ax, p in zip(axes, band_panels):
        panels.band_panel(ax, p["curves"], models=p["models"], exit_eps=p["exit_eps"], d=p["d"],
                          ylim=(0, 60), legend=False, label_models=False,
                          title=f"d = {p['d']}")
    # one legend for all panels (the same curves), under them: two side by side collided
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, bbox_to_anchor=(0.5, 0.0))
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    source_line(fig, ("Bounds: repcap.geometry.bounds (rigorous at every d; the KL rate is "
                      "asymptotic only). Laws: the paper's constants. Models: Table 1 ε. "
                      f"Profile: {profile}."))
    return fig


def scaling_figure(scaling, band, profile: str, *, at: int = 4096):
    """Figure 6.4: ε and ε√d of the Class 2 models against d, with the random matrix's 2/√d and
    (right) the ε√d where Eq. 7 leaves the band at width ``at``."""
    fig, (left, right) = figure(2, height=4.6)
    panels.eps_sqrt_d_panel(left, scaling.d, scaling.eps, groups=scaling.groups,
                            curves={"random matrix, 2/√d": scaling.random_curve()},
                            ylabel="ε = µ + 2σ", title="ε against d_model (the paper's Fig. 5b)")
    exit_ = band.exit_at(at)
    panels.eps_sqrt_d_panel(
        right, scaling.d, scaling.eps_sqrt_d, groups=scaling.groups,
        labels=[n if d >= 8192 or v > 6 else ""
                for n, d, v in zip(scaling.names, scaling.d, scaling.eps_sqrt_d)],
        hlines={"random matrix: 2": 2.0,
                f"Eq. 7 leaves the band (≈ {exit_:.1f} at d = {at})": exit_},
        title="ε√d against d_model (scale-free)")
    right.set_ylim(0, 10)
    finish(fig, source=f"ε from the paper's Table 1 (Class 2 rows). Profile: {profile}.")
    return fig


def unembedding_figure(appendix, profile: str):
    """Appendix C: a token's two rows (the paper's Fig. 9) and pairs among sampled tokens of U and
    of E (its Fig. 10), one curve per model; None (no figure) when no untied model was measured."""
    models = appendix.models
    if not models:
        return None
    fig, (left, right) = figure(2, height=4.2)
    panels.cosine_histograms(left, {n: _hist(a["hist"]) for n, a in models.items()},
                             xlabel="cos(embedding_i, unembedding_i)",
                             title="A token's two rows (paper, Fig. 9)")
    pairs = {f"{n}: U": _hist(a["pairs_U"]) for n, a in models.items()}
    pairs.update({f"{n}: E": _hist(a["pairs_E"]) for n, a in models.items()})
    panels.cosine_histograms(right, pairs, xlabel="pairwise cosine", xlim=(-0.3, 0.6),
                             title=f"Pairs among {appendix.pairs_sample} sampled tokens "
                                   "(paper, Fig. 10)")
    finish(fig, source=f"Models: {', '.join(models)}. Profile: {profile}.")
    return fig


def _hist(h: dict) -> tuple:
    return h["counts"], h["edges"]
