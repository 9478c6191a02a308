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
from repcap.studies.findings import CAVEAT, FAILS, HOLDS
from repcap.common.jsonsafe import dumps  # JSON as write_results writes it


def _study(embedding_eps: float, layers: list[tuple[float, float]], name: str = "m",
           d: int = 512) -> ActivationStudy:
    """A study of ``name`` whose layers have (ε, mean-removed ε) as given."""
    rows = [LayerRow(layer=i, label=f"block {i}", tokens=100, mean=0.0, std=0.0, eps=eps,
                     eps_sqrt_d=eps * d ** 0.5, eps_centred=centred, mean_norm=0.0,
                     participation_ratio=1.0, effective_rank=1.0, paper_class=classify(eps),
                     log10_capacity_eq7=float(log10_capacity(d, eps)) if eps <= 1 else float("nan"))
            for i, (eps, centred) in enumerate(layers)]
    return ActivationStudy(model=name, d_model=d, n_layers=len(rows) - 1, tokens=100, corpus="c",
                           device="cpu", dtype="float32", embedding_eps=embedding_eps, rows=rows)


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
def test_transfer_rule_at_its_edges(layers, status, words):
    f = _findings(_study(0.3, layers))
    assert f.transfer_status() == status
    assert words in f.markdown() and f"*{status}*" in f.markdown()
    assert f.verdicts()[0].status == status


def test_chapter_and_verdict_page_decide_by_the_same_call(monkeypatch, tmp_path):
    """Whatever transfer_status says is what both the chapter's text and the verdict page say."""
    f = _findings(_study(0.3, [(0.32, 0.2), (0.34, 0.2)]))
    for forced in (FAILS, CAVEAT, HOLDS):
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
    ((0.2, 0.15), "lowers", "m: lowers ε by 0.155. So: the common direction carries"),
    ((0.24, 0.23), "small", "m: lowers ε by 0.095. So: the change is small next to"),
    ((0.45, 0.46), "raises", "m: raises ε by 0.125. So: without the common direction"),
])
def test_mean_removal_reading_follows_the_sign_and_size_of_the_drop(centred, reading, words):
    """Layers at ε 0.32 and 0.34: the median drop ε − ε_centred decides, by its sign and size."""
    f = _findings(_study(0.3, [(0.32, centred[0]), (0.34, centred[1])]))
    assert f.mean_removal() == reading
    assert words in f.markdown()


def test_capacity_spreads_are_compared_only_with_two_models():
    one = _findings(_study(0.3, [(0.32, 0.2), (0.5, 0.2)]))
    assert one.layer_spread_dominates() is None and "needs a second one" in one.markdown()
    two = _findings(_study(0.3, [(0.32, 0.2), (0.5, 0.2)], name="a"),
                    _study(0.07, [(0.08, 0.05)], name="b", d=1024))
    assert two.layer_spread_dominates() == (two.capacity_span_layers > two.capacity_span_models)
    assert "which is what the paper compares" in two.markdown()


def test_the_class1_remark_only_where_every_model_is_class1():
    class1 = _findings(_study(0.3, [(0.32, 0.2)]))
    mixed = _findings(_study(0.3, [(0.32, 0.2)], name="a"), _study(0.07, [(0.08, 0.05)], name="b"))
    assert "every model is Class 1" in class1.verdicts()[0].evidence
    assert "every model is Class 1" not in mixed.verdicts()[0].evidence
