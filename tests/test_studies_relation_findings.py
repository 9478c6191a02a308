"""Chapter 2's neighbour, pair and analogy findings: the pair rule at ε, the table and the sentence
deciding by the same call, the text of hand-made findings, and the real measurements."""

from __future__ import annotations

import json

import numpy as np
import pytest

from repcap.common.jsonsafe import dumps  # JSON as write_results writes it
from repcap.similarity import sampled_pairs
from repcap.sources import Embedding
from repcap.studies import relation_findings as rf
from repcap.studies.neighbours import nearest_tokens
from repcap.studies.relations import pair_cosines, primary_tokens
from repcap.studies.token_lookup import placeholder_mask

EPS = 0.2


def _pairs(*cosines: float, control: float | None = None, missing=()) -> rf.PairFindings:
    pairs = [{"label": f"a{i}–b{i}", "a": f"a{i}", "b": f"b{i}", "cos": c, "control": False}
             for i, c in enumerate(cosines)]
    if control is not None:
        pairs.append({"label": "quick–un", "a": "quick", "b": "un", "cos": control,
                      "control": True})
    return rf.PairFindings(model="m", eps=EPS, token_form="word", semantic_pairs=pairs,
                           missing_words=list(missing))


def test_pair_rule_at_eps():
    f = _pairs(EPS, EPS + 1e-12, control=EPS)  # strictly above: ε itself is the unrelated side
    assert [f.above(p["cos"]) for p in f.semantic_pairs] == [False, True, False]
    assert (f.related_above, f.controls_below) == (1, 1)
    assert [r["side"] for r in f.tables()[0].rows] == ["below ε", "above ε", "below ε"]
    assert f.markdown().startswith(f"1 of 2 related pairs lie above ε = {EPS:.3f}; 1 of 1 control")
    assert f.bars()[-1] == ("quick–un (control)", EPS)


def test_pair_text_without_control_and_with_missing_words():
    f = _pairs(0.5, missing=["quick", "un"])
    assert "no control pair in this vocabulary" in f.markdown()
    assert "Not in this vocabulary (pairs skipped): `quick`, `un`." in f.markdown()


@pytest.mark.parametrize("side", [True, False])
def test_pair_table_and_sentence_follow_the_same_call(monkeypatch, side):
    f = _pairs(0.5, 0.01, control=0.0)
    monkeypatch.setattr(rf.PairFindings, "above", lambda self, cos: side)
    assert {r["side"] for r in f.tables()[0].rows} == {"above ε" if side else "below ε"}
    related, controls = (2, 0) if side else (0, 1)
    assert f.markdown().startswith(f"{related} of 2 related pairs lie above")
    assert f"{controls} of 1 control pair(s) below it" in f.markdown()
    assert (f.record()["related_above"], f.record()["controls_below"]) == (related, controls)


def test_code_span_shows_any_token_as_typed():
    assert rf.code_span("<pad>") == "`<pad>`"
    assert rf.code_span("a`b") == "``a`b``"
    assert rf.code_span("`") == "`` ` ``"


def test_neighbour_text_from_hand_made_findings():
    f = rf.NeighbourFindings(
        model="m", eps=EPS, hist_tokens=0, convention="wordpiece", placeholders=2,
        placeholder_range=["[PAD]", "[unused1]"],
        primary_tokens=[{"token": "x", "count": 7, "examples": [["y", 0.5]]}],
        groups=[["x", 7, [["y", 0.5], ["z", 0.25]]]], nn_median=0.3, nn_above_eps=0.985,
        probes=[{"word": "king", "neighbours": [["kings", 0.69]], "error": None},
                {"word": "zzz", "neighbours": [], "error": "not a token"}])
    text = f.markdown()
    assert "2 placeholder tokens (`[PAD]` … `[unused1]`)" in text
    assert "median 0.300; 98.5% of the analysed tokens" in text
    assert "* closest to `king`: `kings` (0.690)\n* `zzz`: not a token" in text
    assert f.tables()[0].rows == [{"label": "x", "count": 7, "examples": "y (0.500), z (0.250)"}]
    assert f.analysed == "all tokens"
    assert rf.NeighbourFindings.from_record({**f.record(), "model": "m", "eps": EPS,
                                             "hist_tokens": 0}) == f


def test_analogy_text_without_results_says_there_is_no_figure():
    f = rf.AnalogyFindings(results=[], skipped=[{"model": "x", "reason": "not loaded: gone"}])
    assert f.tables() == [] and f.panels() == []
    assert f.markdown() == ("Skipped x: not loaded: gone.\n\nNo model of `analogy_models` has the "
                            "tokens king, man and woman: no figure.")
    record = json.loads(dumps(f.record()))
    assert record["analogy_skipped"] == ["x"] and rf.AnalogyFindings.from_record(record) == f


def test_measured_neighbours_and_pairs_are_the_studies(minilm):
    stats = sampled_pairs(minilm, 400, seed=1, bins=20, progress=False)
    f = rf.NeighbourFindings.measure(minilm, stats, eps=EPS, hist_tokens=400,
                                     probe_words=["dog", "zzzqqq"], token_form="word")
    primaries = primary_tokens(minilm, stats, top=3, examples=3,
                               skip=placeholder_mask(minilm.tokens))
    assert [p["token"] for p in f.primary_tokens] == [p.token for p in primaries]
    assert f.placeholders == int(placeholder_mask(minilm.tokens).sum())
    dog = nearest_tokens(minilm, "dog", k=5)
    assert f.probes[0]["neighbours"] == [[n.token, n.cos] for n in dog]
    assert f.probes[1]["error"] and "zzzqqq" in f.probes[1]["error"]
    assert f.analysed == "400 sampled tokens"
    pairs = rf.PairFindings.measure(minilm, eps=EPS, token_form="word")
    assert [p["cos"] for p in pairs.semantic_pairs] == [p.cos for p in pair_cosines(minilm)]
    assert pairs.record()["pairs_cos"]["yes–no"] == pairs.semantic_pairs[0]["cos"]


def test_analogies_on_two_vocabularies(minilm, smol):
    tiny = Embedding.from_array(np.eye(4, dtype=np.float32), name="tiny", tokens=list("abcd"))
    f = rf.AnalogyFindings.survey([minilm, smol, tiny])
    assert [(r["model"], r["form"]) for r in f.results] == [
        ("all-MiniLM-L6-v2", "word"), ("SmolLM2-135M-Instruct", "word"),
        ("SmolLM2-135M-Instruct", "bare")]
    word = f.results[1]
    assert word["query"] == ["Ġking", "Ġman", "Ġwoman"] and len(word["kept"]) <= 16
    assert word["queen_rank"] >= 1 and word["top_kept"][0].startswith("␣")
    assert [s["model"] for s in f.skipped] == ["tiny"]  # once: both forms look up "king"
    assert f.skipped[0]["reason"].startswith("word form: tiny: 'king' is not a token")
    assert f.panels()[2][0] == "SmolLM2-135M-Instruct (bare tokens)"
    assert f.tables()[0].columns[4][1](word).startswith(f"rank {word['queen_rank']:,} of ")
    record = json.loads(dumps(f.record()))
    assert set(record["analogies"][0]) == {"model", "form", "query", "kept", "queen_rank"}
    assert rf.AnalogyFindings.from_record(record).record() == record
