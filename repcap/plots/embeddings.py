"""Figures of the embedding chapters: pairwise-cosine distributions, ε lines, classes."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np

from repcap.plots import COLORS, CYCLE


def _percent(stats) -> tuple[np.ndarray, np.ndarray]:
    counts = np.asarray(stats.counts, dtype=float)
    return np.asarray(stats.edges), 100.0 * counts / max(counts.sum(), 1.0)


def similarity_histograms(series: Mapping[str, object], *, eps: Mapping[str, float] | None = None,
                          zoom: tuple[float, float] = (-0.2, 0.2), title: str = "",
                          source: str = ""):
    """The paper's Figures 1–2: percentage of pairs per bin, full range and zoomed, as step lines.

    ``series`` maps a label to a result with ``counts`` and ``edges`` (a
    :class:`repcap.similarity.PairStats`); ``eps`` maps labels to an ε to mark with a dashed line.
    """
    fig, (full, near) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1, 1]})
    for i, (label, stats) in enumerate(series.items()):
        edges, pct = _percent(stats)
        color = COLORS["random"] if "random" in label.lower() else CYCLE[i % len(CYCLE)]
        for ax in (full, near):
            ax.stairs(pct, edges, color=color, lw=1.4, label=label)
        if eps and label in eps:
            for ax in (full, near):
                ax.axvline(eps[label], color=color, ls="--", lw=1)
    full.set(xlim=(-1, 1), xlabel="cosine similarity", ylabel="% of pairs per bin",
             title="all pairs, full range")
    near.set(xlim=zoom, xlabel="cosine similarity", title=f"zoom on [{zoom[0]}, {zoom[1]}]")
    near.legend(loc="upper right", fontsize=8.5)
    if title:
        fig.suptitle(title)
    if source:
        fig.text(0.01, -0.02, source, fontsize=8, color="#555555", ha="left", va="top")
    fig.tight_layout()
    return fig


def relation_bars(rows: list[tuple[str, float]], *, eps: float, title: str, source: str = ""):
    """Horizontal bars of cosine similarity with the grey 'unrelated' band [0, ε] (paper Figure 3)."""
    labels = [r[0] for r in rows][::-1]
    values = [r[1] for r in rows][::-1]
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(rows) + 1.4))
    ax.axvspan(0, eps, color="#dddddd", zorder=0, label=f"unrelated: cos ≤ ε = {eps:.3f}")
    ax.axvline(eps, color=COLORS["eps"], ls="--", lw=1)
    ax.barh(labels, values, color=[COLORS["measured"] if v > eps else COLORS["random"] for v in values])
    ax.set(xlabel="cosine similarity", title=title)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="y", visible=False)
    if source:
        fig.text(0.01, -0.02, source, fontsize=8, color="#555555", ha="left", va="top")
    fig.tight_layout()
    return fig
