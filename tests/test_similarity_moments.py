"""Exact closed-form moments (repcap.similarity.exact_moments) and the class rule, against brute
force: the full float64 Gram of the normalised rows, upper triangle."""

from __future__ import annotations

import json

import numpy as np
import pytest

from repcap.errors import DomainError, EmbeddingError, RepcapError, SimilarityError
from repcap.laws import classify
from repcap.similarity import Moments, exact_moments
from repcap.similarity import inputs

from realdata import minilm_rows


def brute(X: np.ndarray) -> tuple[float, float, int]:
    """Mean, population std and count of the cosines of all pairs i < j of non-zero rows."""
    X = np.asarray(X, dtype=np.float64)
    X = X[np.any(X != 0, axis=1)]
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    v = (U @ U.T)[np.triu_indices(len(U), 1)]
    return float(v.mean()), float(v.std()), v.size


def assert_matches(m: Moments, X: np.ndarray, rtol: float = 1e-12) -> None:
    mean, std, pairs = brute(X)
    assert m.pairs == pairs
    # Means near zero are compared on the scale of σ (a relative error of ~0 is ill-posed there).
    assert abs(m.mean - mean) <= rtol * max(abs(mean), std)
    assert abs(m.std - std) <= rtol * std
    assert m.eps == pytest.approx(mean + 2 * std, rel=rtol, abs=rtol * std)


@pytest.mark.parametrize("shape,shift,dtype", [
    ((400, 7), 0.0, np.float64), ((1500, 40), 0.3, np.float32), ((700, 300), -0.05, np.float32),
    ((50, 2), 1.0, np.float16)])
def test_random_matrices_match_brute_force(shape, shift, dtype):
    rng = np.random.default_rng(sum(shape))
    X = (rng.standard_normal(shape) + shift).astype(dtype)
    m = exact_moments(X)
    assert (m.n_rows, m.zero_rows, m.dim) == (shape[0], 0, shape[1])
    assert_matches(m, X)


def test_real_minilm_rows_match_brute_force():
    X = minilm_rows(3000)
    m = exact_moments(X)
    assert_matches(m, X)
    # Sanity: these are real, structured rows (the [unused] block), not noise.
    assert m.mean > 0.05


def test_strongly_anisotropic_rows_keep_sigma_accurate():
    # µ ≈ 0.98, σ ≈ 0.01: the subtraction S₂/N − µ² must not lose σ.
    rng = np.random.default_rng(5)
    X = np.ones((800, 64)) + 0.02 * rng.standard_normal((800, 64))
    m = exact_moments(X)
    assert m.mean > 0.95 and m.std < 0.05
    assert_matches(m, X)


def test_zero_rows_are_dropped_and_counted():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((300, 16)).astype(np.float32)
    X[[0, 17, 299]] = 0
    m = exact_moments(X)
    assert (m.n_rows, m.zero_rows, m.pairs) == (297, 3, 297 * 296 // 2)
    assert_matches(m, X)
    with pytest.raises(EmbeddingError, match="row 0 is all zeros"):
        exact_moments(X, drop_zero_rows=False)


def test_many_chunks_merge_in_order(monkeypatch):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((2001, 12)) + 0.2
    whole = exact_moments(X)
    monkeypatch.setattr(inputs, "CHUNK_ELEMENTS", 12 * 97)  # 21 chunks of 97 rows
    chunked = exact_moments(X)
    assert chunked.mean == pytest.approx(whole.mean, rel=1e-13)
    assert chunked.std == pytest.approx(whole.std, rel=1e-13)
    assert exact_moments(X).eps == chunked.eps  # deterministic


def test_torch_and_embedding_like_inputs():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    X = rng.standard_normal((200, 24)).astype(np.float32)
    ref = exact_moments(X)
    assert exact_moments(torch.from_numpy(X)).eps == pytest.approx(ref.eps, rel=1e-14)

    class Emb:
        matrix = X

    assert exact_moments(Emb()).eps == pytest.approx(ref.eps, rel=1e-14)
    bf = torch.from_numpy(X).to(torch.bfloat16)
    assert_matches(exact_moments(bf), bf.float().numpy())


def test_tiny_and_huge_magnitudes_are_normalised_safely():
    X = np.array([[1e-200, 2e-200, 0.0], [3e200, -1e200, 2e200], [1.0, 1.0, 1.0]])
    m = exact_moments(X)
    assert m.n_rows == 3 and np.isfinite(m.eps)
    U = X / np.abs(X).max(axis=1, keepdims=True)
    assert_matches(m, U)


def test_to_dict_is_plain_json():
    m = exact_moments(np.random.default_rng(0).standard_normal((50, 5)))
    d = json.loads(json.dumps(m.to_dict()))
    assert d["pairs"] == 1225 and d["class"] == classify(m.eps)
    assert set(d) >= {"n_rows", "zero_rows", "pairs", "mean", "std", "eps", "class", "seconds"}


@pytest.mark.parametrize("bad,count", [(1, 1), (5, 5)])
def test_nan_and_inf_rows_are_counted_in_the_error(bad, count):
    X = np.random.default_rng(0).standard_normal((100, 8))
    X[:bad, 3] = np.nan
    X[50, 0] = np.inf
    with pytest.raises(EmbeddingError, match=f"{count + 1} of 100 rows contain NaN or Inf"):
        exact_moments(X)


@pytest.mark.parametrize("X,pattern", [
    (np.zeros((5, 3)), "0 usable row"),
    (np.eye(3)[:1], "1 usable row"),
    (np.vstack([np.ones((1, 3)), np.zeros((4, 3))]), "after dropping 4 all-zero"),
    (np.ones(5), "2-D"),
    (np.ones((2, 3, 4)), "2-D"),
    (np.ones((5, 3), dtype=np.int64), "integer dtype"),
    (np.ones((5, 3), dtype=bool), "boolean dtype"),
    (np.ones((5, 3), dtype=np.complex64), "complex dtype"),
    (np.ones((5, 0)), "at least one column"),
])
def test_bad_matrices_raise_clear_errors(X, pattern):
    with pytest.raises(EmbeddingError, match=pattern):
        exact_moments(X)


def test_integer_torch_tensor_is_rejected():
    torch = pytest.importorskip("torch")
    with pytest.raises(EmbeddingError, match="token ids"):
        exact_moments(torch.arange(12).reshape(4, 3))


@pytest.mark.parametrize("eps,label", [
    (0.99918, "Class 1"), (0.20164, "Class 1"), (0.2000001, "Class 1"), (0.2, "between"),
    (0.15, "between"), (0.1, "between"), (0.09962, "Class 2"), (0.04413, "Class 2"),
    (-0.01, "Class 2"),
])
def test_class_rule(eps, label):
    # Values from the paper's Table 1 (Gemma 7B, Gemma 3 1B, Llama 2 70B, Llama 3.1 70B) and the
    # two thresholds, which are strict on both sides.
    assert classify(eps) == label


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "high", None])
def test_class_rule_rejects_non_numbers(value):
    with pytest.raises(DomainError):
        classify(value)
    assert issubclass(DomainError, RepcapError)
