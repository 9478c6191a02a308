"""The chapter 7 frontier panel draws what it is given."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from repcap.book.plots import frontier as plots  # noqa: E402
from repcap.book.plots.layout import figure, finish  # noqa: E402


def test_frontier_panel_draws_every_series_and_the_staircase():
    fig, (ax,) = figure(1)
    k = np.geomspace(100, 2000, 10)
    steps = [{"count": 64, "coherence": 0.0, "family": "orthonormal"},
             {"count": 2112, "coherence": 0.125, "family": "kerdock"}]
    plots.frontier_panel(ax, 64, (k, 0.2 + 0 * k), released=([2000], [0.2363]),
                         ours=((500, 2000), (0.2, 0.3)), steps=steps, k_max=2000)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["random packing (Eq. 5)", "paper's optimised (released)",
                      "ours, Adam from random start", "explicit sets (staircase)"]
    segs = [c for c in ax.collections if len(c.get_segments())]
    assert segs and np.allclose(segs[-1].get_segments()[0][:, 1], 0.125)
    finish(fig, source="test")


def test_frontier_figure_draws_one_panel_per_dimension():
    from repcap.studies import frontier

    own = [{"k": 500, "d": 32, "eps": 0.3}, {"k": 500, "d": 64, "eps": 0.2}]
    fig = plots.frontier_figure(frontier.frontier_panels([32, 64], [250, 500], own=own),
                                source="test")
    assert [ax.get_title() for ax in fig.axes] == ["d = 32", "d = 64"]
