"""repcap.book.plots.legibility: figures drawn at the width they are shown, and the report each PNG carries."""

import matplotlib

matplotlib.use("Agg")

import io  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from repcap.book.plots import legibility as lg  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.mark.parametrize("width_in, expected", [
    (3.0, 140.0),                     # small: the book's dpi, 420 px
    (7.5, 782 / 7.5),                 # the 784 px column, 2 px to spare
    (8.6, 782 / 8.6),                 # still a column figure
    (11.2, 1064 / 11.2),              # full width, 1066 px
])
def test_display_dpi_closed_form(width_in, expected):
    assert lg.display_dpi(width_in) == pytest.approx(expected, rel=1e-12)


def _fig(width=7.5):
    fig, ax = plt.subplots(figsize=(width, 4.0))
    ax.plot([0, 1], [0, 1], label="rising")
    ax.plot([0, 1], [1, 0], label="falling")
    ax.set(xlabel="x", ylabel="y", title="two lines")
    return fig, ax


def test_a_clean_figure_has_no_problems_and_its_smallest_font():
    fig, ax = _fig()
    ax.legend(loc="upper center", fontsize=7)
    r = lg.report(fig)
    assert r["problems"] == []
    assert r["min_font_pt"] == pytest.approx(7.0)
    assert r["min_font_px"] == pytest.approx(7.0 * r["dpi"] / 72, rel=1e-3)
    assert r["dpi"] == pytest.approx(lg.display_dpi(r["width_in"]), rel=1e-3)


def test_each_defect_is_reported():
    fig, ax = _fig()
    ax.legend(loc="center")                                        # over both lines
    ax.add_artist(ax.legend(["again"], loc="center"))              # on top of the first legend
    ax.text(0.98, 0.2, "a long clipped label", clip_on=True)       # runs past the axes
    ax.annotate("note", xy=(0.5, 0.5), xytext=(-0.1, 0.8))         # straddles the left spine
    problems = "\n".join(lg.report(fig)["problems"])
    assert "a legend overlaps a legend" in problems
    assert "a legend covers 'rising'" in problems
    assert "'a long clipped label' is clipped by its axes" in problems
    assert "'note' crosses the edge of its axes" in problems


def test_reference_lines_may_carry_their_label():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 0.2])
    ax.axhline(0.5, ls=":")
    ax.text(0.1, 0.5, "threshold")
    assert lg.report(fig)["problems"] == []


def test_attach_saves_the_inline_png_at_the_display_dpi_with_its_report():
    from IPython.core.pylabtools import print_figure

    fig, ax = _fig(width=11.2)
    lg.attach(fig)
    data = print_figure(fig, "png")
    r = lg.read_png_report(data)
    width = Image.open(io.BytesIO(data)).size[0]
    assert r is not None and r["dpi"] < 140
    assert width == pytest.approx(r["width_in"] * r["dpi"], abs=24)  # text extents vary with dpi
    assert width <= lg.FULL_WIDTH_PX + 24 and width > lg.COLUMN_PX
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50)  # an explicit savefig keeps its own dpi, no report
    assert lg.read_png_report(buf.getvalue()) is None


def test_a_leader_may_cross_a_curve_but_its_label_may_not():
    fig, ax = _fig()
    # the leader from (0.5, 0.5) to the label crosses the falling line; the label sits clear of both
    ax.annotate("clear", xy=(0.5, 0.5), xytext=(0.05, 0.45), arrowprops={"arrowstyle": "-"})
    assert lg.report(fig)["problems"] == []
    ax.annotate("on it", xy=(0.5, 0.5), xytext=(0.45, 0.5), arrowprops={"arrowstyle": "-"})
    assert "text 'on it' covers 'rising'" in lg.report(fig)["problems"]
