"""Chapter 9's figures: learned feature directions measured like packings, drawn from
:class:`repcap.studies.feature_findings.FeatureFindings`. Nothing here computes.
"""

from __future__ import annotations

from repcap.book.plots import COLORS, legible
from repcap.book.plots.layout import figure, legend_below, log_ticks, source_line

__all__ = ["packing_figure", "quality_figure"]


def _sweep(study):
    """The width sweep's rows (the k of the first SAE), in order of live/d."""
    k = study.rows[0].k
    return sorted((r for r in study.rows if r.k == k), key=lambda r: r.ratio)


def _line(ax, rows, key, label, **style):
    ax.plot([r.ratio for r in rows], [getattr(r, key) for r in rows], label=label, **style)


def _ratio_ticks(ax, ratios) -> None:
    """Ticks at the measured live/d, two significant figures (the log-2 axis alone labels only
    the powers of two, often one tick or none)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    ax.xaxis.set_major_locator(FixedLocator(sorted(set(ratios))))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def packing_figure(findings, profile: str):
    """Figure 9.1: per model, ε and ε* of the live decoder directions against live/d, beside random
    vectors, the paper's optimised law, packings optimised here, the Welch floor and the explicit
    sets at the same (k, d), and the embedding matrix's ε; bad SAEs (FVU > 0.5) hollow."""
    studies = findings.main_studies
    fig, axes = figure(len(studies), height=4.6)
    for ax, s in zip(axes, studies):
        rows = _sweep(s)
        good = [r for r in rows if not r.bad]
        bad = [r for r in rows if r.bad]
        _line(ax, rows, "eps", "ε of the features", color=COLORS["measured"], marker="o", ms=4)
        _line(ax, rows, "max_abs_cos", "ε* of the features", color=COLORS["eps"], marker="s",
              ms=4)
        if bad:
            for key, c in (("eps", COLORS["measured"]), ("max_abs_cos", COLORS["eps"])):
                _line(ax, bad, key, None, ls="none", marker="o", ms=9, mfc="none", color=c)
        _line(ax, rows, "null_eps", "random: ε = 2/√d", color=COLORS["random"], ls="--")
        _line(ax, rows, "random_max_abs_cos", "random: ε* (one draw)", color=COLORS["random"],
              ls=":")
        _line(ax, rows, "random_eps", "random: Eq. 5 (best of 1000)", color=COLORS["random"],
              ls="-.")
        _line(ax, rows, "optimised_law", "optimised: paper's Eq. 7 law", color=COLORS["paper"],
              ls="--")
        opt = [r for r in rows if r.optimise_steps]
        if opt:
            _line(ax, opt, "optimised", "optimised here", color=COLORS["paper"], ls="none",
                  marker="x", ms=7)
        _line(ax, rows, "explicit_coherence", "best explicit set", color=COLORS["bound"],
              ls="none", marker="^", ms=5)
        _line(ax, rows, "welch", "Welch floor", color=COLORS["bound"], ls="-", lw=1)
        ax.axhline(s.embedding_eps, color=COLORS["fit"], lw=1, label="embedding-matrix ε")
        ax.set_xscale("log", base=2)
        _ratio_ticks(ax, [r.ratio for r in rows])
        ax.set_xlabel("live latents per dimension, k/d")
        ax.set_ylabel("ε (µ + 2σ) and ε* (max |cos|)")
        ax.set_title(f"{s.model}, layer {s.layer} (d = {s.d})" + ("" if good else ": no good SAE"),
                     fontsize=10)
        ax.set_ylim(bottom=0)
    legible(fig)  # the final text sizes, before the legend's room is measured
    legend_below(fig, axes, ncol=3)  # eleven entries: inside the axes they cover the curves
    source_line(fig, f"SAEs trained in this build; hollow: FVU > 0.5. Profile: {profile}.")
    return fig


def quality_figure(findings, profile: str):
    """Figure 9.2: held-out FVU and the fraction of latents alive against the width (in units of
    d), one line per model, layer and k."""
    fig, (a, b) = figure(2, height=4.0)
    for s in findings.studies:
        for k in sorted({r.k for r in s.rows}):
            rows = sorted((r for r in s.rows if r.k == k), key=lambda r: r.width)
            x = [r.width / r.d for r in rows]
            label = f"{s.model}, layer {s.layer}, k = {k}"
            a.plot(x, [r.fvu for r in rows], marker="o", ms=4, label=label)
            b.plot(x, [1 - r.dead_fraction for r in rows], marker="o", ms=4, label=label)
    a.axhline(0.5, color=COLORS["random"], ls="--", lw=1, label="FVU = 0.5 (bad above)")
    widths = [r.width / r.d for s in findings.studies for r in s.rows]
    for ax in (a, b):
        ax.set_xscale("log", base=2)
        log_ticks(ax.xaxis, widths)  # "2, 4, 8", not "2^1, 2^2, 2^3"
        ax.set_xlabel("SAE width / d")
    a.set_ylabel("FVU on held-out tokens")
    b.set_ylabel("fraction of latents live on held-out tokens")
    a.set_ylim(bottom=0)
    b.set_ylim(0, 1.05)
    legible(fig)
    legend_below(fig, (a, b), ncol=3)  # one line per model, layer and k: too many to sit inside
    source_line(fig, f"SAEs trained in this build. Profile: {profile}.")
    return fig
