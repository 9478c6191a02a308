"""Chapter 2's ε findings: the interval rule at its edges, the text deciding by the same call, the
measurements against the similarity engine, and the chapter's record through JSON and back."""

from __future__ import annotations

import json

import numpy as np
import pytest

from repcap.common.jsonsafe import dumps  # JSON as write_results writes it
from repcap.geometry.null import null_eps
from repcap.laws.classes import (BETWEEN, CLASS1, CLASS1_ABOVE, CLASS2, CLASS2_BELOW, UNDECIDED,
                                  classify)
from repcap.similarity import exact_moments, sampled_pairs
from repcap.studies import embedding_findings as ef
from repcap.studies.findings import chapter_record
from repcap.studies.relation_findings import AnalogyFindings, NeighbourFindings, PairFindings
from repcap.studies.sampled_estimate import sampled_eps

SMALL = 1e-4


def _epsilon(eps: float, ci=None, sampled_eps: float | None = None, sampled_ci=None):
    return ef.EpsilonFindings(
        model="m", source="offline", vocab_size=1000, d_model=64, n_rows=990, zero_rows=10,
        pairs=990 * 989 // 2, mean=eps / 2, std=eps / 4, eps=eps, ci=ci, ci_level=0.95,
        n_boot=0 if ci is None else 50,
        sampled={"m": 100, "eps": eps if sampled_eps is None else sampled_eps, "ci": sampled_ci})


@pytest.mark.parametrize("eps, ci, ends", [
    (CLASS1_ABOVE + 2 * SMALL, [CLASS1_ABOVE + SMALL, CLASS1_ABOVE + 3 * SMALL], (CLASS1, CLASS1)),
    (CLASS1_ABOVE + SMALL, [CLASS1_ABOVE, CLASS1_ABOVE + 2 * SMALL], (BETWEEN, CLASS1)),
    (CLASS2_BELOW, [CLASS2_BELOW - SMALL, CLASS2_BELOW + SMALL], (CLASS2, BETWEEN)),
    (CLASS2_BELOW - 2 * SMALL, [CLASS2_BELOW - 3 * SMALL, CLASS2_BELOW - SMALL], (CLASS2, CLASS2)),
    (CLASS2_BELOW - SMALL, None, None),
])
def test_interval_rule_at_the_thresholds(eps, ci, ends):
    f = _epsilon(eps, ci, sampled_ci=None if ci is None else [ci[0] - SMALL, ci[1] + SMALL])
    assert f.interval_classes() == ends
    text = f.sample_text()
    if ends is None:
        assert "interval" not in text and f.record()["ci_classes"] is None
    elif ends[0] == ends[1]:
        assert f"lies within '{ends[0]}'" in text and "straddles" not in text
    else:
        assert f"straddles a class threshold ('{ends[0]}' to '{ends[1]}')" in text
    assert f"exact {classify(eps)}, sampled {classify(eps)}" in text
    assert f.record()["class"] == classify(eps) == f.klass


@pytest.mark.parametrize("decided", [CLASS1, UNDECIDED, CLASS2])
def test_the_text_and_the_record_follow_the_same_call(monkeypatch, decided):
    """Whatever decided_class (the one rule, classify_interval) says is what the chapter's sentence
    and the record say."""
    f = _epsilon(0.3, [0.29, 0.31], sampled_ci=[0.28, 0.33])
    monkeypatch.setattr(ef.EpsilonFindings, "decided_class", property(lambda self: decided))
    text = f.sample_text()
    assert ("straddles" in text) == (decided == UNDECIDED) == ("**undecided**" in text)
    assert f.record()["decided_class"] == decided


def test_minilm_interval_reads_undecided():
    """Chapter 2's MiniLM numbers: ε 0.20136 with the interval [0.19851, 0.20479] straddles 0.2."""
    f = _epsilon(0.20136, [0.19851, 0.20479], sampled_ci=[0.18, 0.22])
    assert f.klass == CLASS1 and f.decided_class == UNDECIDED
    assert _epsilon(0.3, [0.29, 0.31], sampled_ci=[0.28, 0.33]).decided_class == CLASS1


def test_sampled_estimate_text_covers_and_widths():
    f = _epsilon(0.15, [0.14, 0.16], sampled_eps=0.17, sampled_ci=[0.12, 0.18])
    assert f.sample_covers() and f.width_ratio == pytest.approx(3.0)
    text = f.sample_text()
    assert "Sampling error +0.02000; the sample's interval covers the exact value" in text
    assert f"√(V/m) = {np.sqrt(990 / 100):.1f}" in text
    table = f.sample_table()
    assert [r["class"] for r in table.rows] == [BETWEEN, BETWEEN]
    assert [r["how"] for r in table.rows] == ["token bootstrap", "bootstrap within the sample"]
    plain = _epsilon(0.15)
    assert plain.sample_covers() is None and plain.width_ratio is None
    assert [r["how"] for r in plain.sample_table().rows] == ["no bootstrap"] * 2


def test_histogram_tokens_and_source_line(minilm):
    assert ef.histogram_tokens(1500, 50000, 30522) == 1500
    assert ef.histogram_tokens(0, 50000, 30522) == 0  # the vocabulary fits: all pairs
    assert ef.histogram_tokens(0, 20000, 30522) == 20000
    assert ef.histogram_tokens(0, 0, 30522) == 0  # no limit
    assert "histograms over all pairs;" in ef.source_line(minilm, 0, ["a"])
    assert "all pairs of 300 sampled tokens; analogies on 2" in ef.source_line(minilm, 300, ["a", "b"])
    assert ef.matrix_table(minilm).rows == minilm.summary()


@pytest.fixture(scope="module")
def measured(minilm):
    epsilon = ef.EpsilonFindings.measure(minilm, bootstrap=10, sample_tokens=400, seed=3)
    dist = ef.DistributionFindings.measure(minilm, epsilon, hist_tokens=300, bins=50, seed=3)
    return epsilon, dist


def test_measurements_are_the_engines(minilm, measured):
    epsilon, dist = measured
    exact = exact_moments(minilm)
    assert (epsilon.eps, epsilon.pairs, epsilon.n_rows) == (exact.eps, exact.pairs, exact.n_rows)
    est = sampled_eps(minilm, 400, n_boot=10, seed=3)
    assert epsilon.sampled == {"m": 400, "eps": est.eps, "ci": [est.ci_low, est.ci_high]}
    assert epsilon.ci[0] < epsilon.eps < epsilon.ci[1]
    stats = sampled_pairs(minilm, 300, seed=3, bins=50, progress=False)
    assert (dist.hist_pairs, dist.hist_mean, dist.hist_max) == (stats.pairs, stats.mean, stats.max)
    gauss = np.random.default_rng(3).standard_normal(minilm.matrix.shape, dtype=np.float32)
    assert dist.random_eps == exact_moments(gauss).eps
    assert dist.null_eps == null_eps(384) and dist.null_ratio == dist.eps / dist.null_eps
    assert f"{dist.null_ratio:.2f} × the random value" in dist.markdown()
    assert [r["name"] for r in dist.tables()[0].rows] == [dist.label, ef.RANDOM_LABEL]


def test_the_chapter_record_round_trips_through_json(minilm, measured):
    epsilon, dist = measured
    neighbours = NeighbourFindings.measure(minilm, dist.stats, eps=epsilon.eps, hist_tokens=300,
                                           probe_words=["king", "zzzqqq"], token_form="word")
    pairs = PairFindings.measure(minilm, eps=epsilon.eps, token_form="word")
    analogies = AnalogyFindings.survey([minilm])
    sections = [epsilon, dist, neighbours, pairs, analogies]
    record = json.loads(dumps(chapter_record("test", *sections)))
    # the keys the chapter has always written
    for key in ("model", "source", "vocab_size", "d_model", "zero_rows", "pairs", "mean", "std",
                "eps", "class", "ci", "sampled", "hist_pairs", "hist_mean", "hist_std",
                "random_eps", "null_eps", "primary_tokens", "pairs_cos", "analogies",
                "analogy_skipped"):
        assert key in record, key
    assert set(record["sampled"]) == {"m", "eps", "ci"}
    assert set(record["analogies"][0]) == {"model", "form", "query", "kept", "queen_rank"}
    for section in sections:
        back = type(section).from_record(record)
        assert back.record() == json.loads(dumps(section.record()))
        # the exact pass's time is in the record too, so even the first sentence comes back
        assert back.markdown() == section.markdown()
