"""The chapter 2–3 figure helpers draw what they are given, with every label renderable."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from repcap.book.plots import embeddings as P  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_safe_label_keeps_drawable_text_and_names_other_scripts():
    assert P.safe_label("Ġking ␣queen ß é Ω ж") == "Ġking ␣queen ß é Ω ж"
    assert P.safe_label("▁জেট") == "▁‹Bengali×3›"
    assert P.safe_label("##良人") == "##‹CJK×2›"
    assert P.safe_label("a良b") == "a‹CJK×1›b"


def test_lexical_and_analogy_figures_render_without_glyph_warnings():
    groups = [("##？", 44, [("##良", 0.877), ("##人", 0.873)]), ("[unused1]", 3, [("[unused2]", 0.12)])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = P.lexical_groups(groups, eps=0.2, source="test")
        fig.canvas.draw()
        labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert labels[0].startswith("##‹") and "nearest of 44" in labels[0]
        assert len(fig.axes[0].containers) == 3  # one bar per example
        panels = [("a (word tokens)", [("queen", 0.5, True), ("▁জেট", 0.4, False)]),
                  ("b (bare tokens)", [("ked", 0.57, False)])]
        fig = P.analogy_panels(panels, eps={"a (word tokens)": 0.2})
        fig.canvas.draw()
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 2
    colours = [tuple(np.round(b.get_facecolor(), 3)) for b in visible[0].patches]
    assert colours[0] != colours[1]  # the highlighted bar stands out


def test_fig5_class_and_parts_figures():
    measured = [{"name": "m1", "d_model": 384, "eps": 0.2, "family": "BERT"},
                {"name": "m2", "d_model": 4096, "eps": 0.06, "family": "Llama"}]
    reported = [{"name": "r1", "d_model": 4096, "eps": 0.0645, "family": "Llama"},
                {"name": "r2", "d_model": 2880, "eps": 0.28, "family": "GPT-OSS"},
                {"name": "r3", "d_model": 2048, "eps": 0.063, "family": "TinyLlama"}]
    d = np.geomspace(16, 16384, 50)
    fig = P.eps_vs_dmodel(measured, reported, null_curve=(d, 2 / np.sqrt(d)))
    full, zoom = fig.axes[:2]
    assert full.get_xscale() == "log"
    assert zoom.get_ylim()[1] < 0.1  # only ε < 0.1 in the zoom
    assert P.family_color("GPT-OSS") == P.FAMILY_COLORS["gpt"]
    assert P.family_color("TinyLlama") == P.OTHER_FAMILY
    assert P.family_color("Llama") == P.FAMILY_COLORS["llama"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "measured in this run" in legend and any("(reported)" in t for t in legend)

    class Stats:
        counts = np.array([1, 2, 3, 4])
        edges = np.linspace(-1, 1, 5)

    fig = P.class_distributions([("Class 1: x", {"x": Stats()}, {"x": (0.1, 0.4)}),
                                 ("Class 2: y", {"y": Stats(), "random N(0,1)": Stats()}, {})])
    assert len(fig.axes) == 2
    fig = P.eps_parts([{"name": "a", "mean": 0.1, "std": 0.15, "null_eps": 0.1},
                       {"name": "b", "mean": 0.4, "std": 0.1, "null_eps": 0.08}])
    widths = sorted(round(p.get_width(), 6) for p in fig.axes[0].patches)
    assert widths == [0.1, 0.2, 0.3, 0.4]  # µ and 2σ of each model
