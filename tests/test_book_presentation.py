"""repcap.book.presentation: the tags the staged copy of a chapter gets, and never its source."""

from __future__ import annotations

import base64
import copy
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from repcap.book.presentation import WIDE_PX, png_width, presentable  # noqa: E402


def _png(width_in: float, dpi: int = 140) -> str:
    fig = plt.figure(figsize=(width_in, 2.0), dpi=dpi)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _code(source: str, tags=(), outputs=()) -> dict:
    return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": source,
            "outputs": list(outputs), "execution_count": 1}


@pytest.mark.parametrize("width_in", [3.0, 7.5, 13.0])
def test_png_width_reads_the_header(width_in):
    assert png_width(_png(width_in)) == round(width_in * 140)


def test_tags_added_to_a_copy_only():
    # as the book draws them (plots.legibility.display_dpi): a column figure is at most 782 px wide
    wide = {"output_type": "display_data", "data": {"image/png": _png(11.0, dpi=96)}, "metadata": {}}
    narrow = {"output_type": "display_data", "data": {"image/png": _png(7.5, dpi=104)}, "metadata": {}}
    nb = {"cells": [
        _code("x = 1", tags=["parameters"]),
        _code("x = 2", tags=["injected-parameters"]),
        _code("check_parameters(globals())", tags=["check-parameters"]),
        _code("plot()", outputs=[wide]),
        _code("plot()", outputs=[narrow]),
        _code("  write_results(results_path, {})"),
        _code("print(write_results)"),
        {"cell_type": "markdown", "metadata": {}, "source": "text"},
    ]}
    before = copy.deepcopy(nb)
    out = presentable(nb)
    assert nb == before  # the source notebook is untouched
    tags = [c["metadata"].get("tags", []) for c in out["cells"]]
    assert tags[0] == ["parameters", "hide-cell"]
    assert tags[1] == ["injected-parameters", "remove-cell"]
    assert tags[2] == ["check-parameters", "remove-cell"]
    assert tags[3] == ["full-width"] and 11.0 * 96 > WIDE_PX
    assert tags[4] == [] and 7.5 * 104 < WIDE_PX
    assert tags[5] == ["remove-cell"]
    assert tags[6] == []  # mentions write_results but is not the plumbing call
    assert tags[7] == []


def test_idempotent():
    nb = {"cells": [_code("x = 1", tags=["parameters", "hide-cell"])]}
    assert presentable(presentable(nb)) == presentable(nb)
    assert presentable(nb)["cells"][0]["metadata"]["tags"] == ["parameters", "hide-cell"]


@pytest.mark.parametrize("width_in, expected", [
    (4.0, 9 * 96 / 140),            # drawn at 140 dpi: 9 pt of CSS = 6.17 pt
    (7.5, 9 * 96 * 7.5 / 782),      # drawn at 782/7.5 dpi to fit the 784 px column
    (13.0, 9 * 96 * 13.0 / 1064),   # wider than 8.6 in: full width, 1066 px
])
def test_min_font_pt_closed_form(width_in, expected):
    from repcap.book.plots import min_font_pt

    assert min_font_pt(width_in) == pytest.approx(expected, rel=1e-12)


def test_book_style_raises_small_text_when_a_figure_is_drawn():
    from repcap.book.plots import min_font_pt, use_style

    use_style()
    try:
        fig, ax = plt.subplots(figsize=(13.0, 3.0), dpi=140)
        small = ax.text(0.5, 0.5, "small", fontsize=5)
        big = ax.set_title("big", fontsize=20)
        fig.savefig(io.BytesIO(), format="png")
        assert small.get_fontsize() == pytest.approx(min_font_pt(13.0))
        assert big.get_fontsize() == 20
        plt.close(fig)
    finally:
        matplotlib.rcdefaults()
        matplotlib.use("Agg")
