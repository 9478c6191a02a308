"""Chapter 2's figures, each drawn from the findings that hold its numbers.

Every function takes findings of :mod:`repcap.studies.embedding_findings` or
:mod:`repcap.studies.relation_findings` (passed in: plots draw what they are given), draws with the panels of
:mod:`repcap.book.plots.embeddings`, adds the provenance line, and returns the figure. Nothing here computes.
"""

from __future__ import annotations

from repcap.book.plots.embeddings import (analogy_panels, lexical_groups, relation_bars,
                                          similarity_histograms)

__all__ = ["histograms_figure", "lexical_figure", "pairs_figure", "analogies_figure"]


def histograms_figure(dist, profile: str):
    """Figure 2.1: the model's pairwise cosines beside a Gaussian matrix of its shape, with ε.

    ``dist`` is a :class:`~repcap.studies.embedding_findings.DistributionFindings` that holds its
    histogram passes (one measured in this session, not rebuilt from a record)."""
    series, eps = dist.series()
    return similarity_histograms(
        series, eps=eps, title="Similarities between token embeddings",
        source=(f"Data: {dist.model} token embeddings and a seeded Gaussian matrix; "
                f"{dist.hist_pairs:,} pairs each; dashed lines: ε = µ + 2σ. Profile: {profile}."))


def lexical_figure(neighbours, profile: str):
    """Figure 2.2: the primary tokens of a
    :class:`~repcap.studies.relation_findings.NeighbourFindings`, each with tokens that chose it."""
    return lexical_groups(
        neighbours.groups, eps=neighbours.eps, title=f"Lexical relationships: {neighbours.model}",
        source=(f"Data: {neighbours.model}; nearest neighbours over {neighbours.analysed}; grey "
                f"band: cos ≤ ε = µ + 2σ (exact). Profile: {profile}."))


def pairs_figure(pairs, profile: str):
    """Figure 2.3: the word pairs of a :class:`~repcap.studies.relation_findings.PairFindings`
    against the model's ε."""
    return relation_bars(
        pairs.bars(), eps=pairs.eps, title=f"Semantic relationships: {pairs.model}",
        source=(f"Data: {pairs.model}, {pairs.token_form}-form tokens; bars coloured when "
                f"cos > ε. Profile: {profile}."))


def analogies_figure(analogies, profile: str):
    """Figure 2.4: one panel per model and token form of an
    :class:`~repcap.studies.relation_findings.AnalogyFindings`; None when no model had the words."""
    panels = analogies.panels()
    if not panels:
        return None
    return analogy_panels(
        panels, title="king − man + woman: nearest tokens after the paper's filter",
        source=("Data: token embeddings of the models named in the panels; top 40 by cosine, "
                f"minus tokens containing king/woman/women; magenta: queen. Profile: {profile}."))
