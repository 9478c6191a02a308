"""Figures of chapter 1: random cosines, how many directions fit, and the toy model of superposition.

Every helper draws arrays that :mod:`repcap.studies.collisions` and :mod:`repcap.studies.toy_sweep`
computed, beside the numbers of the chapter's findings (:mod:`repcap.studies.superposition_findings`);
none computes a result. Each writes the provenance line under its axes (which data, which settings,
which profile; :func:`repcap.book.plots.layout.source_line`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm

from repcap.book.plots import COLORS, CYCLE
from repcap.book.plots.layout import finish, source_line
from repcap.studies.feature_geometry import STICKY_FRACTIONS
from repcap.studies.random_packing import LLAMA_D, LLAMA_EPS

__all__ = ["cosine_histograms", "counts_vs_dimension", "toy_model_gallery", "superposition_vs_sparsity",
           "dimensionality_figure", "feature_cosine_histograms"]


def cosine_histograms(panels: Sequence[Mapping], null, *, profile: str):
    """Figure 1.1: histograms of pairwise cosines of random vectors, one panel per dimension, with the
    exact law.

    ``panels`` are :func:`~repcap.studies.collisions.random_cosines`'s (``d``, ``cosines``, ``t``,
    ``pdf``); each panel's title gives d·Var(cos) from the findings ``null``
    (:class:`~repcap.studies.superposition_findings.CosineLawFindings`).
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(3.0 * len(panels) + 0.6, 3.4), squeeze=False)
    for ax, panel, row in zip(axes[0], panels, null.rows):
        d = panel["d"]
        half = min(1.0, 5.0 / np.sqrt(d))  # ±5 standard deviations of the exact law
        ax.hist(panel["cosines"], bins=60, range=(-half, half), density=True, color=COLORS["measured"],
                alpha=0.45, label="sampled pairs")
        ax.plot(panel["t"], panel["pdf"], color=COLORS["bound"], lw=1.6,
                label=r"exact law $\propto (1-t^2)^{(d-3)/2}$")
        title = f"d = {d}  (d·Var = {row['var_times_d']:.3f})"
        ax.set(xlim=(-half, half), title=title, xlabel=r"cosine $t$")
        ax.title.set_fontsize(10)
    axes[0][0].set_ylabel("probability density")
    axes[0][-1].legend(loc="center left", fontsize=8, bbox_to_anchor=(1.02, 0.5))
    source = (f"Data: all {null.rows[0]['pairs']:,} pairwise cosines of {null.vectors} seeded Gaussian"
              f" vectors per dimension (seed {null.seed}); curve: exact density f_d. Profile: {profile}.")
    finish(fig, source,
           title="Cosines between two independent random directions concentrate as the dimension grows")
    return fig


def counts_vs_dimension(counts, lines: Mapping[str, np.ndarray], band_d: np.ndarray,
                        band: Mapping[float, Mapping[str, np.ndarray]], *, profile: str):
    """Figure 1.2: how many directions fit with every |cos| ≤ ε, as the dimension grows.

    Left: at the findings' ε (``counts``, :class:`~repcap.studies.superposition_findings.CollisionFindings`),
    the measured number of random directions before the first collision (median and quartiles over
    its trials) with its predicted median, and the proven guarantees and ceiling (``lines`` of
    :func:`~repcap.studies.collisions.count_curves`; counts, log scale). Right: log10 of the proven
    band (greedy guarantee to best upper bound) for several ε over a wide range of d (``band_d``,
    ``band`` of :func:`~repcap.studies.collisions.proven_band`), with Llama 2 7B's range as a bar.
    """
    eps, trials = counts.eps, counts.trials
    dims, measured_median = np.asarray(counts.dims), np.asarray(counts.median)
    measured_low, measured_high = np.asarray(counts.q25), np.asarray(counts.q75)
    d_grid, predicted_median = lines["d"], lines["predicted_median"]
    greedy, random_sign, upper = lines["greedy"], lines["random_sign"], lines["upper"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 6.2))
    left.fill_between(d_grid, greedy, upper, color=COLORS["bound"], alpha=0.08, lw=0)
    left.plot(d_grid, upper, color=COLORS["bound"], lw=1.4, ls="--", label="best proven upper bound")
    left.plot(d_grid, greedy, color=COLORS["bound"], lw=1.6, label=r"greedy guarantee $1/p$")
    left.plot(d_grid, random_sign, color=COLORS["fit"], lw=1.2, ls="-.",
              label=r"random-sign guarantee $e^{d\varepsilon^2/4}$")
    left.plot(d_grid, predicted_median, color=COLORS["random"], lw=1.6,
              label=r"random directions, predicted median $\approx\sqrt{2\ln 2/p}$")
    left.errorbar(dims, measured_median, yerr=[measured_median - measured_low, measured_high - measured_median],
                  fmt="o", ms=5, color=COLORS["measured"], capsize=3,
                  label=f"random directions, measured (median, quartiles of {trials})")
    top = max(float(np.max(measured_high)), float(np.max(greedy))) * 3
    left.set(yscale="log", ylim=(1, top), xlim=(float(d_grid[0]), float(d_grid[-1])), xlabel="dimension d",
             ylabel=f"number of directions with all |cos| ≤ {eps:g}",
             title=f"ε = {eps:g}: measured random directions and proven bounds")
    # under the panels, not in them: the upper bound climbs through every corner of the left one
    left.legend(fontsize=7.8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1)

    band_colors = [c for c in CYCLE if c != COLORS["paper"]]  # orange is kept for the paper's marker
    for i, (e, curves) in enumerate(band.items()):
        color = band_colors[i % len(band_colors)]
        right.fill_between(band_d, curves["greedy"], curves["upper"], color=color, alpha=0.12, lw=0)
        right.plot(band_d, curves["greedy"], color=color, lw=1.6, label=f"ε = {e:g}: greedy guarantee")
        right.plot(band_d, curves["upper"], color=color, lw=1.2, ls="--", label=f"ε = {e:g}: upper bound")
    low, high = counts.llama_log10
    right.plot([LLAMA_D, LLAMA_D], [low, high], color=COLORS["paper"], lw=2.5, marker="_", ms=12,
               label=f"d = {LLAMA_D}, ε = {LLAMA_EPS} (Llama 2 7B in the paper)")
    # The count N itself spans 10^0.1 to 10^1000 over this range of d, so the axis shows its number
    # of decimal digits, log10 N, and spaces those logarithmically to keep every ε readable.
    right.set(xscale="log", yscale="log", xlabel="dimension d",
              ylabel="decimal digits of N, $\\log_{10} N$",
              title="Proven range: greedy guarantee to upper bound")
    top_band = max(float(np.nanmax(curves["upper"])) for curves in band.values())
    right.set_ylim(0.1, top_band * 3)
    right.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    finish(fig, f"Data: left, {trials} seeded sequences of Gaussian directions per dimension, counted"
                f" until the first pair with |cos| > {eps}; curves and right panel: closed-form bounds"
                " (repcap.geometry.bounds) and the Poisson–beta prediction (repcap.geometry.null)."
                f" Profile: {profile}.")
    return fig


def toy_model_gallery(arrays: Mapping[str, Sequence[np.ndarray]], toy, *, profile: str):
    """Figure 1.3: Elhage et al.'s picture of the trained toy models, one column per sparsity.

    ``arrays`` are :func:`~repcap.studies.toy_sweep.gallery`'s; ``toy`` the findings
    (:class:`~repcap.studies.superposition_findings.ToyModelFindings`). Top row: ``WᵀW`` (n × n; the
    diagonal is ‖W_i‖², off-diagonal entries are the overlaps between features). Bottom row: ‖W_i‖
    for every feature (most important at the top), coloured by the interference
    ``Σ_{j≠i}(Ŵ_i·W_j)²`` it suffers (pale: a dimension of its own; dark: shared).
    """
    grams, norms, interference = arrays["grams"], arrays["norms"], arrays["interference"]
    sparsities, n_hidden = [row["sparsity"] for row in toy.table], toy.m
    cols = len(grams)
    fig, axes = plt.subplots(2, cols, figsize=(1.75 * cols + 1.6, 5.2), layout="constrained",
                             gridspec_kw={"height_ratios": [1, 1.25]}, squeeze=False)
    norm = TwoSlopeNorm(vmin=-1, vcenter=0, vmax=1)
    cmap = plt.get_cmap("Blues")
    for k in range(cols):
        top, bottom = axes[0][k], axes[1][k]
        im = top.imshow(np.clip(grams[k], -1, 1), cmap="RdBu_r", norm=norm)
        top.set_xticks([])
        top.set_yticks([])
        top.grid(False)
        for spine in top.spines.values():
            spine.set_visible(False)
        top.set_title(f"S = {sparsities[k]:g}", fontsize=10)
        n = len(norms[k])
        shade = np.clip(np.asarray(interference[k]) / max(float(np.max(norms[k]) ** 2), 1e-12), 0, 1)
        bottom.barh(np.arange(n), norms[k], color=cmap(0.15 + 0.85 * shade), edgecolor="#333333", lw=0.3)
        bottom.set_ylim(n - 0.5, -0.5)
        bottom.set_xlim(0, 1.25)
        bottom.set_yticks([])
        bottom.grid(axis="y", visible=False)
        bottom.set_xlabel(r"$\|W_i \|$", fontsize=9)
    axes[0][0].set_ylabel(r"$W^\top W$", fontsize=10)
    # two lines: on one the label is taller than the panel and runs into the tick labels
    axes[1][0].set_ylabel("features\n(most important on top)", fontsize=9)
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.9, pad=0.01, label=r"$W_i \cdot W_j$")
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1))
    fig.colorbar(sm, ax=axes[1].tolist(), shrink=0.9, pad=0.01,
                 label="interference\n" + r"$\sum_{j\ne i}(\hat W_i\cdot W_j)^2 / \max_i\|W_i\|^2$")
    n_feat = len(norms[0])
    fig.suptitle(f"{n_feat} features in {n_hidden} dimensions: sparser features, more of them kept")
    source_line(fig, f"Data: toy models trained here, n = {toy.n} features (importance"
                     f" {toy.importance_decay}^i) in m = {toy.m} dimensions, {toy.steps} Adam steps of"
                     f" {toy.batch} seeded inputs, seed {toy.seed}. Profile: {profile}.")
    return fig


def superposition_vs_sparsity(runs: Mapping[str, Mapping[str, np.ndarray]], geo, *, profile: str):
    """Figure 1.4. Per run (label -> arrays ``inverse_density``, ``represented_per_dim``, ``loss_ratio``
    of :func:`~repcap.studies.toy_sweep.sparsity_curves`): features kept per hidden dimension, and the
    loss relative to the best model without superposition; ``geo`` is the equal-importance sweep's
    findings (:class:`~repcap.studies.superposition_findings.GeometrySweepFindings`)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.0))
    for i, (label, r) in enumerate(runs.items()):
        color = CYCLE[i % len(CYCLE)]
        left.plot(r["inverse_density"], r["represented_per_dim"], "o-", color=color, ms=4, label=label)
        right.plot(r["inverse_density"], r["loss_ratio"], "o-", color=color, ms=4, label=label)
    left.axhline(1, color=COLORS["random"], ls="--", lw=1, label="one feature per dimension")
    left.set(xscale="log", xlabel=r"inverse feature density $1/(1-S)$",
             ylabel=r"features represented per dimension ($\|W_i\| > 0.5$)",
             title="Sparser features: more of them than dimensions")
    right.axhline(1, color=COLORS["random"], ls="--", lw=1, label="best model without superposition")
    right.set(xscale="log", xlabel=r"inverse feature density $1/(1-S)$",
              ylabel="loss / loss without superposition",
              title="...and it pays: the loss drops below the no-superposition optimum")
    # the curves' shapes depend on the run (profile, seed): let matplotlib find the emptiest corner
    left.legend(fontsize=8, loc="best")
    right.legend(fontsize=8, loc="best")
    finish(fig, f"Data: the toy models of Figure 1.3 and a sweep of {geo.models} models trained here"
                f" ({geo.steps} Adam steps, {geo.batch} seeded inputs per step); losses on fresh inputs"
                f" (≥ 20,000 inputs and ≥ 20,000 active features per model). Profile: {profile}.")
    return fig


def dimensionality_figure(per_feature: Sequence[np.ndarray], geo, *, profile: str):
    """Figure 1.5: Elhage et al.'s feature-dimensionality plot of the equal-importance sweep ``geo``
    (:class:`~repcap.studies.superposition_findings.GeometrySweepFindings`).

    Top: dimensions per feature ``D* = m/‖W‖_F²`` against ``1/(1−S)``. Bottom: the dimensionality
    ``D_i`` of every represented feature of every model (``per_feature``, of
    :func:`~repcap.studies.toy_sweep.represented_dimensionalities`; small horizontal jitter), with
    the fractions of uniform polytopes (:data:`~repcap.studies.feature_geometry.STICKY_FRACTIONS`)
    as reference lines.
    """
    inverse_density, dims_per_feature = geo.column("inverse_density"), geo.column("dimensions_per_feature")
    sticky, n_features, n_hidden = STICKY_FRACTIONS, geo.n, geo.m
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8.5, 7.0), sharex=True,
                                      gridspec_kw={"height_ratios": [1, 1.4]})
    top.plot(inverse_density, dims_per_feature, "o-", color=COLORS["measured"], ms=4)
    top.set(ylabel="dimensions per feature\n" + r"$D^* = m/\|W\|_F^2$", ylim=(0, 1.1),
            title=f"Feature geometry of {n_features} equally important features in {n_hidden} dimensions")
    rng = np.random.default_rng(0)  # jitter only, so that overlapping points stay visible
    for x, values in zip(inverse_density, per_feature):
        jitter = x * np.exp(rng.uniform(-0.035, 0.035, size=len(values)))
        bottom.scatter(jitter, values, s=9, color=COLORS["measured"], alpha=0.55, lw=0)
    placed: list[float] = []
    for label, value in sorted(sticky.items(), key=lambda kv: kv[1]):
        for ax in (top, bottom):
            ax.axhline(value, color=COLORS["paper"], lw=0.8, ls=":", alpha=0.9)
        # labels of nearby fractions (2/5 and 3/8) would overlap: nudge each above the previous one
        y = max(value, placed[-1] + 0.05) if placed else value
        placed.append(y)
        # in the margin right of the axes, at the line's height: inside, the longest label ran
        # past the axes' edge whatever room the x-axis left it
        bottom.text(1.01, y, label, fontsize=7.5, va="center", color=COLORS["paper"],
                    transform=bottom.get_yaxis_transform(), clip_on=False)
    bottom.set(xscale="log", ylim=(0, 1.1), xlabel=r"inverse feature density $1/(1-S)$",
               ylabel="feature dimensionality $D_i$\n(represented features)")
    bottom.set_xlim(float(inverse_density[0]) / 1.15, float(inverse_density[-1]) * 1.15)
    fig.align_ylabels([top, bottom])
    finish(fig, f"Data: the equal-importance sweep of Figure 1.4 ({geo.models} toy models, n = {geo.n},"
                f" m = {geo.m}, trained here, seed {geo.seed}); dotted lines: polytope fractions from"
                f" Elhage et al. (2022). Profile: {profile}.")
    return fig


def feature_cosine_histograms(panels: Sequence[Mapping], geo, *, profile: str):
    """Figure 1.6: cosines between the directions of represented features, one panel per model.

    ``panels`` are :func:`~repcap.studies.toy_sweep.cosine_panels`'s (``cosines`` of pairs of
    represented features, ``t``/``pdf``: the random-direction law in R^m, for reference), one per
    model of ``geo.cosines`` (:class:`~repcap.studies.superposition_findings.GeometrySweepFindings`),
    whose rows title the panels.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(3.3 * len(panels) + 0.4, 3.5), squeeze=False,
                             sharey=False)
    for ax, panel, row in zip(axes[0], panels, geo.cosines):
        cos = np.asarray(panel["cosines"])
        weights = np.full(cos.shape, 100.0 / max(len(cos), 1))
        ax.hist(cos, bins=80, range=(-1, 1), weights=weights, color=COLORS["measured"], alpha=0.75,
                label="pairs of learned features")
        # the reference density, rescaled to % of pairs per bin of width 2/80
        ax.plot(panel["t"], np.asarray(panel["pdf"]) * 100 * 2 / 80, color=COLORS["random"], lw=1.4,
                label="random directions in the same $\\mathbb{R}^m$")
        title = f"1/(1−S) = {row['inverse_density']:.1f}: {row['represented']} features"
        ax.set(xlim=(-1.05, 1.05), title=title, xlabel="cosine between feature directions")
    axes[0][0].set_ylabel("% of pairs per bin")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="upper center", ncol=len(labels), bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    source_line(fig, f"Data: cosines between represented feature directions (norm > {geo.threshold}) of"
                     f" three toy models of the equal-importance sweep (m = {geo.m}); grey: random"
                     f" directions in R^{geo.m}. Profile: {profile}.")
    return fig
