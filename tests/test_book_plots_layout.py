"""repcap.book.plots.layout: the book's figure widths, the finish, and the provenance line under a figure."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from repcap.book.plots.layout import figure, finish, source_line  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.mark.parametrize("ncols, width, expected", [(1, None, 7.5), (2, None, 11.2), (3, None, 16.8), (2, 13.0, 13.0)])
def test_figure_width_rule(ncols, width, expected):
    fig, axes = figure(ncols, width=width, height=4.6)
    assert len(axes) == ncols and all(ax.figure is fig for ax in axes)
    assert tuple(fig.get_size_inches()) == pytest.approx((expected, 4.6))


def test_figure_passes_subplot_options():
    fig, (left, right) = figure(2, sharey=True)
    left.set_ylim(0, 5)
    assert right.get_ylim() == (0, 5)


def test_finish_and_source_line():
    fig, (ax,) = figure()
    finish(fig, source="Data: x. Profile: smoke.", title="T")
    assert fig.get_suptitle() == "T"
    (text,) = [t for t in fig.texts if t.get_text() != "T"]
    assert text.get_text() == "Data: x. Profile: smoke." and text.get_position() == (0.01, -0.01)
    assert (text.get_fontsize(), text.get_color(), text.get_wrap()) == (8, "#555555", True)
    fig, (ax,) = figure()
    finish(fig)
    assert fig.get_suptitle() == "" and not fig.texts
    source_line(fig, "low", y=-0.02, wrap=False)
    assert fig.texts[0].get_position() == (0.01, -0.02) and not fig.texts[0].get_wrap()
