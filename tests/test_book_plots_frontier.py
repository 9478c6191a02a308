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


def test_released_grid_figure_puts_each_cell_in_its_kind():
    cells = [{"k": 2000, "d": 4096, "best_by": "basis"}, {"k": 2000, "d": 64, "best_by": "explicit"},
             {"k": 4000, "d": 64, "best_by": "explicit"}, {"k": 2000, "d": 32, "best_by": "ours"},
             {"k": 32000, "d": 32, "best_by": "released"}]
    fig = plots.released_grid_figure(cells, source="test")
    (ax,) = fig.axes
    drawn = {line.get_label(): list(zip(line.get_xdata(), line.get_ydata())) for line in ax.lines}
    assert drawn == {"orthonormal basis (k ≤ d, ε* = 0): 1": [(4096, 2000)],
                     "explicit line set: 2": [(64, 2000), (64, 4000)],
                     "ours (best recipe): 1": [(32, 2000)],
                     "open: the release is best: 1": [(32, 32000)]}
    assert [t.get_text() for t in fig.legends[0].get_texts()] == list(drawn)
