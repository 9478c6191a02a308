"""Chapter 8's findings: summaries from hand-made layer rows, the transfer rule at its edges, and the
chapter text and the verdict page deciding by the same call."""

from __future__ import annotations

import json

import numpy as np
import pytest

from repcap.book import verdict as V
from repcap.laws import classify, log10_capacity
from repcap.studies.activation_findings import ActivationFindings
from repcap.studies.activations import ActivationStudy, LayerRow
from repcap.studies.findings import CAVEAT, FAILS, HOLDS, UNTESTED
from repcap.common.jsonsafe import dumps  # JSON as write_results writes it


def _study(embedding_eps: float, layers: list[tuple[float, float]], name: str = "m",
           d: int = 512, at_positions: float | None = None) -> ActivationStudy:
    """A study of ``name`` whose layers have (ε, mean-removed ε) as given; its embedding has ε
    ``embedding_eps`` over the vocabulary and ``at_positions`` (default: the same) at the layers'
    positions."""
    rows = [LayerRow(layer=i, label=f"block {i}", tokens=100, mean=0.0, std=0.0, eps=eps,
                     eps_sqrt_d=eps * d ** 0.5, eps_centred=centred, mean_norm=0.0,
                     participation_ratio=1.0, effective_rank=1.0, paper_class=classify(eps),
                     log10_capacity_eq7=float(log10_capacity(d, eps)) if eps <= 1 else float("nan"))
            for i, (eps, centred) in enumerate(layers)]
    return ActivationStudy(model=name, d_model=d, n_layers=len(rows) - 1, tokens=100, corpus="c",
                           device="cpu", dtype="float32", embedding_eps=embedding_eps, rows=rows,
                           embedding_eps_at_positions=(embedding_eps if at_positions is None
                                                       else at_positions))


def _findings(*studies: ActivationStudy) -> ActivationFindings:
    return ActivationFindings(list(studies), tokens=4000, corpus="wiki-offline")


def test_summaries_from_hand_made_rows():
    s = _study(0.09, [(0.08, 0.07), (0.3, 0.1), (0.6, 0.2), (1.2, 0.3)])
    assert s.layers_same_class == 1  # only layer 0 is Class 2 like 0.09
    assert s.max_abs_gap == pytest.approx(1.11)
    assert s.median_centred_drop == pytest.approx(np.median([0.01, 0.2, 0.4, 0.9]))
    assert s.layers_without_capacity == 1
    assert s.log10_capacity_span == pytest.approx(
        float(log10_capacity(512, 0.6)) - float(log10_capacity(512, 0.08)))


@pytest.mark.parametrize("layers, status, words", [
    ([(0.32, 0.2), (0.34, 0.2)], HOLDS, "Yes: every one of the 2 layers"),
    ([(0.34, 0.2)], HOLDS, "Yes: the one layer measured"),
    ([(0.32, 0.2), (0.39, 0.2)], CAVEAT, "Only by class: all 2 layers"),
    ([(0.32, 0.2), (0.40, 0.2)], FAILS, "as much as the 0.1 that separates"),  # gap 0.1 (+3e-17)
    ([(0.32, 0.2), (0.15, 0.1)], FAILS, "No: 1 of 2 layers fall in a different class"),
])
def test_layer_reading_at_its_edges(layers, status, words):
    """Class 1 models: the chapter reads their layers, but the verdict is 'not tested'."""
    f = _findings(_study(0.3, layers))
    assert f.layer_reading(f.studies) == status
    assert words in f.markdown()
    assert f.transfer_status() == UNTESTED == f.verdicts()[0].status
    assert f"*{UNTESTED}*" in f.markdown()


@pytest.mark.parametrize("layers, status", [
    ([(0.06, 0.05), (0.09, 0.05)], HOLDS),
    ([(0.06, 0.05), (0.13, 0.05)], FAILS),   # changes class
    ([(0.06, 0.05), (0.0999, 0.05)], HOLDS),
])
def test_verdict_reads_only_the_class2_models(layers, status):
    """With a Class 2 model (by its vocabulary ε) the verdict is its layers' reading; a Class 1
    model beside it, failing badly, does not enter the verdict."""
    class2 = _study(0.07, layers, name="c2", at_positions=0.07)
    class1 = _study(0.3, [(0.9, 0.2)], name="c1")
    f = _findings(class1, class2)
    assert [s.model for s in f.class2_studies] == ["c2"]
    assert f.transfer_status() == status == f.verdicts()[0].status
    assert f.layer_reading(f.studies) == FAILS  # all models together: c1 is 0.6 away
    assert f"*{status}*" in f.markdown() and "1 of the 2 models measured (c2)" in f.markdown()


def test_layers_are_compared_with_the_embedding_at_the_same_positions():
    """Vocabulary ε 0.2 (between), the rows at the positions 0.5: layers at 0.5 have gap 0 and
    share the class of the same-frame value; the vocabulary value is shown, not compared."""
    s = _study(0.2, [(0.5, 0.3), (0.52, 0.3)], at_positions=0.5)
    assert s.max_abs_gap == pytest.approx(0.02) and s.layers_same_class == 2
    f = _findings(s)
    assert f.layer_reading(f.studies) == HOLDS
    assert "embedding ε at the same positions 0.500" in f.markdown()
    assert "over the vocabulary, the paper's frame and a different sample, 0.200" in f.markdown()
    assert "a different frame, 0.200" in f.tables()[0].title


def test_chapter_and_verdict_page_decide_by_the_same_call(monkeypatch, tmp_path):
    """Whatever transfer_status says is what both the chapter's text and the verdict page say."""
    f = _findings(_study(0.3, [(0.32, 0.2), (0.34, 0.2)]))
    for forced in (FAILS, CAVEAT, HOLDS, UNTESTED):
        monkeypatch.setattr(ActivationFindings, "transfer_status", lambda self, s=forced: s)
        assert f"*{forced}*" in f.markdown()
        record = json.loads(json.dumps(f.record()))  # through JSON, as the build does
        assert V._embedding_transfer({f.chapter: record}).status == forced


def test_record_round_trips_through_json():
    f = _findings(_study(0.3, [(0.32, 0.2), (1.3, float("nan"))], name="a"),
                  _study(0.07, [(0.08, 0.05)], name="b", d=1024))
    back = ActivationFindings.from_record(json.loads(dumps(f.record())))
    assert back.markdown() == f.markdown() and back.verdicts() == f.verdicts()
    assert back.record()["max_abs_gap"] == pytest.approx(f.max_abs_gap)


@pytest.mark.parametrize("centred, reading, words", [
    ((0.2, 0.15), "lowers", "m: -0.155, raised in 0 of 2 layers. So: the common direction carries"),
    ((0.24, 0.23), "small", "m: -0.095, raised in 0 of 2 layers. So: the change is small next to"),
    ((0.45, 0.46), "raises", "m: +0.125, raised in 2 of 2 layers. So: without the common direction"),
])
def test_mean_removal_reading_follows_the_sign_and_size_of_the_drop(centred, reading, words):
    """Layers at ε 0.32 and 0.34: the median drop ε − ε_centred decides, by its sign and size."""
    f = _findings(_study(0.3, [(0.32, centred[0]), (0.34, centred[1])]))
    assert f.mean_removal() == reading
    assert words in f.markdown()


def test_the_layers_where_removing_the_mean_raises_eps_are_counted():
    """A median drop can hide layers that go the other way: each model's line counts them."""
    s = _study(0.3, [(0.5, 0.2), (0.5, 0.3), (0.5, 0.4), (0.5, 0.7), (0.5, 0.9)])
    assert s.layers_raised_by_centring == 2 and s.median_centred_drop == pytest.approx(0.1)
    assert "removing the mean lowers ε in 3 of 5 layers and raises it in 2" in \
        _findings(s).markdown()


def test_capacity_spreads_are_compared_only_with_two_models():
    one = _findings(_study(0.3, [(0.32, 0.2), (0.5, 0.2)]))
    assert one.layer_spread_dominates() is None and "needs a second one" in one.markdown()
    two = _findings(_study(0.3, [(0.32, 0.2), (0.5, 0.2)], name="a"),
                    _study(0.07, [(0.08, 0.05)], name="b", d=1024))
    assert two.layer_spread_dominates() == (two.capacity_span_layers > two.capacity_span_models)
    assert "Across the models' embedding matrices at the same positions" in two.markdown()
    # the spread over models is read in the layers' frame, the vocabulary one only shown
    framed = _findings(_study(0.3, [(0.32, 0.2), (0.5, 0.2)], name="a", at_positions=0.5),
                       _study(0.07, [(0.08, 0.05)], name="b", d=1024, at_positions=0.5))
    assert framed.capacity_span_models == pytest.approx(
        float(log10_capacity(1024, 0.5)) - float(log10_capacity(512, 0.5)))
    assert framed.capacity_span_models_vocabulary == pytest.approx(
        float(log10_capacity(512, 0.3)) - float(log10_capacity(1024, 0.07)))


def test_untested_only_where_no_model_is_class2():
    class1 = _findings(_study(0.3, [(0.32, 0.2)]), _study(0.15, [(0.16, 0.1)], name="b"))
    mixed = _findings(_study(0.3, [(0.32, 0.2)], name="a"), _study(0.07, [(0.08, 0.05)], name="b"))
    assert class1.transfer_status() == UNTESTED and mixed.transfer_status() != UNTESTED
    assert "do not test the claim in the paper's regime" in class1.verdicts()[0].evidence
    assert "TinyLlama 1.1B" in class1.verdicts()[0].evidence  # the model the paper profile adds
    assert "do not test the claim" not in mixed.verdicts()[0].evidence
    one = _findings(_study(0.3, [(0.32, 0.2)]))
    assert "The one model measured is not Class 2" in one.markdown()


def test_massive_positions_are_counted_in_the_text_only_where_present():
    sinks = _study(0.3, [(0.32, 0.2), (0.34, 0.25), (0.36, 0.22)], name="sinks")
    sinks.rows[1].massive, sinks.rows[2].massive = 43, 40
    plain = _study(0.3, [(0.32, 0.2), (0.34, 0.25)], name="plain")
    f = _findings(sinks, plain)
    text = str(f.markdown())
    line = next(x for x in text.splitlines() if x.startswith("* **sinks**"))
    assert ("removing the mean (taken without the positions with a massive activation, norm > "
            "10× the median: up to 43 per layer, in 2 of 3 layers) lowers ε") in line
    assert "massive" not in next(x for x in text.splitlines() if x.startswith("* **plain**"))
    # the per-layer counts stay out of the table: a thirteenth column would not fit the page
    assert all(len(t.columns) == 12 for t in f.tables())
    # the count survives the results record (old records without it read as 0)
    back = ActivationStudy.from_dict(json.loads(dumps(sinks.as_dict())))
    assert [r.massive for r in back.rows] == [0, 43, 40]
    old = sinks.as_dict()
    for r in old["layers"]:
        del r["massive"]
    assert [r.massive for r in ActivationStudy.from_dict(old).rows] == [0, 0, 0]
