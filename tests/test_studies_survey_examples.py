"""repcap.studies.survey_examples: which rows are drawn side by side, and their histograms against
brute force."""

from __future__ import annotations

import json

import math

import numpy as np
import pytest

from references import brute_pairs, survey_row
from repcap.common.jsonsafe import dumps
from repcap.errors import DomainError
from repcap.studies import survey as S
from repcap.studies import survey_examples as X
from repcap.sources import load_embedding


def test_pick_examples():
    rows = [survey_row("a", 0.5), survey_row("b", 0.3), survey_row("c", 0.25), survey_row("x", 0.05),
            survey_row("y", 0.07)]
    picked = X.pick_examples(rows)
    assert [(r.name, r.klass) for _, r in picked] == [("b", "Class 1"), ("x", "Class 2")]
    one_class = [survey_row("s", 0.7, mean=0.44, d=576), survey_row("m", 0.2014, mean=0.018, d=384),
                 survey_row("g", 0.48, mean=0.11, d=50)]
    reasons, names = zip(*[(why, r.name) for why, r in X.pick_examples(one_class)])
    assert names == ("s", "g")  # g: ε√d = 0.48·7.07 = 3.39 < m's 0.2014·19.6 = 3.95
    assert "shift" in reasons[0] and "isotropic" in reasons[1]
    assert len(X.pick_examples([survey_row("only", 0.3)])) == 1
    with pytest.raises(DomainError):
        X.pick_examples([])


def test_choose_examples_honours_compare_and_names_unknown_models():
    from repcap.errors import ParameterError

    rows = [survey_row("a", 0.5), survey_row("b", 0.3), survey_row("x", 0.05)]
    assert X.choose_examples(rows) == X.pick_examples(rows)
    picked = X.choose_examples(rows, ["x", "a"])
    assert [(why, r.name) for why, r in picked] == [("chosen with compare", "x"), ("chosen with compare", "a")]
    with pytest.raises(ParameterError, match=r"\['nope'\] not among"):
        X.choose_examples(rows, ["a", "nope"])


def test_example_histograms_against_brute_force_pairs():
    emb = load_embedding("all-MiniLM-L6-v2", progress=False)
    row = S.measure_model(emb)
    (ex,) = X.example_histograms([("test", row)], tokens=300, bins=50, seed=3)
    assert ex.why == "test" and ex.row is row and ex.m == 300
    c = brute_pairs(emb.matrix[ex.model.sample_index])
    assert ex.model.pairs == c.size == 300 * 299 // 2
    assert (ex.model.mean, ex.model.eps) == pytest.approx((c.mean(), c.mean() + 2 * c.std()), abs=1e-6)
    np.testing.assert_array_equal(ex.model.counts, np.histogram(c, bins=50, range=(-1, 1))[0])
    gauss = np.random.default_rng(3).standard_normal((300, row.d_model), dtype=np.float32)
    g = brute_pairs(gauss[ex.gauss.sample_index])
    assert ex.gauss.mean == pytest.approx(g.mean(), abs=1e-6)
    assert ex.gauss.std == pytest.approx(1 / math.sqrt(row.d_model), rel=0.05)  # the isotropic null
    with pytest.raises(DomainError, match="tokens"):
        X.example_histograms([("test", row)], tokens=1, bins=50)


def test_examples_findings_say_why_and_round_trip_through_their_record():
    class Stats:
        mean, eps = 0.1234, 0.4567

    rows = [survey_row("a", 0.5), survey_row("x", 0.05)]
    f = X.ExamplesFindings.from_examples([X.ExampleHistograms(why, r, 1200, Stats(), Stats())
                                          for why, r in X.pick_examples(rows)], tokens=1200)
    assert f.markdown().splitlines() == [
        "* Class 1 (median ε of 1): a (Class 1); sample of 1,200 tokens: µ = 0.1234, ε = 0.4567 "
        "(exact 0.1250, 0.5000)",
        "* Class 2 (median ε of 1): x (Class 2); sample of 1,200 tokens: µ = 0.1234, ε = 0.4567 "
        "(exact 0.0125, 0.0500)"]
    assert f.record()["examples"] == ["a", "x"]
    back = X.ExamplesFindings.from_record(json.loads(dumps(f.record())))
    assert back.markdown() == f.markdown() and back.examples == []  # histograms are not recorded
