"""FeatureFindings: the premise rule at its edges, the two readings, the record round trip."""

from __future__ import annotations

import json

import pytest

from repcap.common.jsonsafe import dumps
from repcap.studies.feature_findings import CLOSE_EPS, FeatureFindings
from repcap.studies.feature_packing import BAD_FVU, FeatureRow, FeatureStudy
from repcap.studies.findings import CAVEAT, FAILS, HOLDS


def row(eps=0.15, live=800, d=384, fvu=0.3, width=1536, k=32, max_abs_cos=0.4,
        random_max=0.25, law=0.06, co=0.05, never=0.06, model="m") -> FeatureRow:
    return FeatureRow(model=model, layer=3, d=d, width=width, k=k, tokens_train=1000,
                      tokens_heldout=200, fvu=fvu, l0=float(k), live=live,
                      dead_fraction=1 - live / width, mean=0.0, std=eps / 2, eps=eps,
                      max_abs_cos=max_abs_cos, cos_coactive=co, cos_never=never,
                      coactive_pairs=10, never_pairs=20, null_eps=2 / d ** 0.5,
                      random_max_abs_cos=random_max, random_eps=random_max * 0.9, welch=0.03,
                      levenshtein=0.0, optimised_law=law, explicit_coherence=0.0625,
                      explicit_family="kerdock", explicit_count_at_max_abs_cos=10 ** 6,
                      log10_k=3.0, log10_eq7_capacity=5.0)


def study(*rows, model="m", emb=0.2, d=384) -> FeatureStudy:
    return FeatureStudy(model=model, layer=3, n_layers=6, d=d, tokens=1200, corpus="c", seed=0,
                        embedding_eps=emb, rows=list(rows))


def findings(*studies) -> FeatureFindings:
    return FeatureFindings(list(studies))


#: A Class 2 embedding ε (the paper's regime) and features' ε under it.
C2_EMB, C2_EPS = 0.09, 0.08


@pytest.mark.parametrize("eps, status", [
    (C2_EMB, HOLDS),                          # exactly the embedding's ε
    (C2_EMB + CLOSE_EPS / 2, CAVEAT),         # above it, within the gap between the classes
    (C2_EMB + CLOSE_EPS, FAILS),              # a whole gap above
])
def test_premise_rule_at_the_embedding_eps(eps, status):
    assert findings(study(row(eps=eps), emb=C2_EMB)).premise_status() == status


def test_holds_is_a_caveat_outside_the_papers_regime():
    """The same SAEs under a Class 1 embedding (0.2, loose) hold only with a caveat, and the
    chapter's sentence says why; one Class 2 model measured lifts the cap."""
    class1 = findings(study(row(eps=0.15), emb=0.2))
    assert class1.measured_status() == HOLDS and not class1.in_papers_regime()
    assert class1.premise_status() == CAVEAT
    assert "none of them is Class 2" in class1.answer() and class1.answer().startswith(
        "Yes for the models measured")
    both = findings(study(row(eps=0.15), emb=0.2),
                    study(row(model="s", eps=C2_EPS), model="s", emb=C2_EMB))
    assert both.in_papers_regime() and both.premise_status() == HOLDS
    assert findings(study(row(eps=0.5), emb=0.2)).premise_status() == FAILS  # not raised


@pytest.mark.parametrize("live, fvu, status", [
    (385, BAD_FVU, HOLDS),      # FVU exactly 0.5 is still good; one latent more than d
    (384, 0.3, FAILS),          # as many features as dimensions is not more
    (800, BAD_FVU + 1e-9, FAILS),  # more features, but a bad SAE is not read
    (800, float("nan"), FAILS),
])
def test_premise_needs_a_good_sae_with_more_features_than_d(live, fvu, status):
    f = findings(study(row(live=live, fvu=fvu, eps=C2_EPS), emb=C2_EMB))
    assert f.premise_status() == status


def test_every_model_needs_one_and_layers_count_for_their_model():
    good = study(row(eps=C2_EPS), model="a", emb=C2_EMB)
    short = study(row(live=300, model="b", eps=C2_EPS), model="b", emb=C2_EMB)
    assert findings(good, short).premise_status() == FAILS
    other_layer = study(row(live=900, model="b", eps=C2_EPS), model="b", emb=C2_EMB)
    assert findings(good, short, other_layer).premise_status() == HOLDS
    assert findings().premise_status() == FAILS


def test_bad_saes_are_named_and_not_read():
    f = findings(study(row(eps=C2_EPS), row(fvu=0.7, width=6144, eps=0.9), emb=C2_EMB))
    assert f.bad_count == 1 and f.premise_status() == HOLDS
    text = f.markdown()
    assert "**Bad SAEs**" in text and "W = 6,144, k = 32 (FVU 0.700)" in text


@pytest.mark.parametrize("max_abs_cos, law, reading", [
    (0.30, 0.06, "looser than random"),    # 1.2 × the random draw
    (0.25 * 1.1, 0.06, "like random"),     # the band's edge
    (0.20, 0.06, "between random and an optimiser"),
    (0.05, 0.06, "like an optimiser"),
])
def test_packing_reading(max_abs_cos, law, reading):
    assert findings(study(row(max_abs_cos=max_abs_cos, law=law))).packing() == reading


@pytest.mark.parametrize("pairs, reading", [
    ([(0.05, 0.06), (0.04, 0.05)], "closer"),
    ([(0.07, 0.06), (0.06, 0.05)], "further"),
    ([(0.05, 0.06), (0.06, 0.05)], "mixed"),
    ([(0.05, 0.05)], "mixed"),
])
def test_coactivation_reading(pairs, reading):
    rows = [row(co=c, never=n, width=768 * (i + 1)) for i, (c, n) in enumerate(pairs)]
    assert findings(study(*rows)).coactivation() == reading
    assert findings(study(row(fvu=0.9))).coactivation() == "untested"


def test_record_round_trip_and_verdict_agree():
    f = findings(study(row(eps=0.25), row(width=3072, live=2000, eps=0.18)),
                 study(row(model="s", d=576, live=1000, eps=0.09), model="s", emb=0.07, d=576))
    back = FeatureFindings.from_record(json.loads(dumps(f.record())))
    assert back.premise_status() == f.premise_status() == CAVEAT
    assert back.markdown() == f.markdown()
    (verdict,) = back.verdicts()
    assert verdict.status == CAVEAT and "embedding ε 0.070" in verdict.evidence
    assert "m keeps up to 2,000 live features in d = 384" in f.answer()


def test_coactivation_text_names_the_layer_and_the_reading():
    text = findings(study(row(co=0.05, never=0.06), row(co=0.06, never=0.05, width=768))).coactivation_text()
    assert ("m layer 3, W = 1,536, k = 32: 0.0500 vs 0.0600; m layer 3, W = 768, k = 32: 0.0600 vs "
            "0.0500. So the difference changes sign between SAEs: no systematic effect at this "
            "scale.") in text


def test_verdict_evidence_names_width_and_k_of_each_sae():
    evidence = findings(study(row(), row(k=16))).verdicts()[0].evidence
    assert ("m (d = 384, layer 3): embedding ε 0.200; W = 1,536, k = 32: 800 live, FVU 0.300, "
            "ε 0.150; W = 1,536, k = 16: 800 live") in evidence
