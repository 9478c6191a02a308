"""repcap.book.plots.embedding_figures: chapter 2's figures draw from its findings (Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from repcap.book.plots import embedding_figures as figures  # noqa: E402
from repcap.sources import Embedding  # noqa: E402
from repcap.studies import embedding_findings as ef  # noqa: E402
from repcap.studies import relation_findings as rf  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.texts] + [ax.get_title() for ax in fig.axes]


def test_histograms_figure_draws_both_series_with_their_eps():
    x = np.random.default_rng(0).standard_normal((300, 16)).astype(np.float32)
    emb = Embedding.from_array(x, name="toy", tokens=[f"t{i}" for i in range(300)])
    epsilon = ef.EpsilonFindings.measure(emb, bootstrap=0, sample_tokens=50, seed=0)
    dist = ef.DistributionFindings.measure(emb, epsilon, hist_tokens=0, bins=40, seed=0)
    fig = figures.histograms_figure(dist, "test")
    full = fig.axes[0]
    assert [line.get_label() for line in full.patches] == [dist.label, ef.RANDOM_LABEL]
    assert sorted(line.get_xdata()[0] for line in full.lines) == sorted([dist.eps,
                                                                          dist.random_eps])
    assert any(f"{dist.hist_pairs:,} pairs each" in t and "Profile: test." in t
               for t in _texts(fig))


def test_lexical_pairs_and_analogy_figures_draw_the_findings():
    neighbours = rf.NeighbourFindings(
        model="m", eps=0.2, hist_tokens=500, convention="words", placeholders=0,
        placeholder_range=[], primary_tokens=[], groups=[["x", 7, [["y", 0.5], ["z", 0.1]]]],
        nn_median=0.3, nn_above_eps=0.9, probes=[])
    fig = figures.lexical_figure(neighbours, "test")
    assert fig.axes[0].get_title() == "Lexical relationships: m"
    assert any("over 500 sampled tokens" in t for t in _texts(fig))
    pairs = rf.PairFindings(model="m", eps=0.2, token_form="bare", missing_words=[],
                            semantic_pairs=[{"label": "a–b", "a": "a", "b": "b", "cos": 0.3,
                                             "control": False}])
    fig = figures.pairs_figure(pairs, "test")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a–b"]
    assert any("bare-form tokens" in t for t in _texts(fig))
    analogies = rf.AnalogyFindings(results=[{"model": "m", "form": "word",
                                             "bars": [["queen", 0.5, True]]}], skipped=[])
    fig = figures.analogies_figure(analogies, "test")
    assert fig.axes[0].get_title() == "m (word tokens)"
    assert figures.analogies_figure(rf.AnalogyFindings(results=[], skipped=[]), "test") is None
