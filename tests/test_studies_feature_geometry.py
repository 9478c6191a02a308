"""repcap.studies.feature_geometry: the measures of a weight matrix against brute-force float64 loops and
closed forms (uniform polytopes and tight frames, whose dimensionalities are known)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from repcap.studies import feature_geometry as geo
from repcap.errors import EmbeddingError, RepcapError, ToyModelError


# ---------------------------------------------------------------------------------------------
# Brute-force references (loops, float64, straight from the definitions)
# ---------------------------------------------------------------------------------------------

def _dimensionality_loop(W):
    m, n = W.shape
    out = np.zeros(n)
    for i in range(n):
        wi = W[:, i]
        norm2 = sum(float(wi[k]) ** 2 for k in range(m))
        if norm2 == 0:
            continue
        unit = wi / math.sqrt(norm2)
        denom = sum(float(unit @ W[:, j]) ** 2 for j in range(n))
        out[i] = norm2 / denom
    return out


def _interference_loop(W):
    n = W.shape[1]
    out = np.zeros(n)
    for i in range(n):
        norm = math.sqrt(float(W[:, i] @ W[:, i]))
        if norm == 0:
            continue
        out[i] = sum((float(W[:, i] @ W[:, j]) / norm) ** 2 for j in range(n) if j != i)
    return out


def _regular_polygon(count):
    angles = 2 * np.pi * np.arange(count) / count
    return np.vstack([np.cos(angles), np.sin(angles)])  # (2, count)


def _tetrahedron():
    v = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float).T
    return v / np.sqrt(3)


def _cube():
    v = np.array(list(itertools.product([-1.0, 1.0], repeat=3))).T
    return v / np.sqrt(3)


# ---------------------------------------------------------------------------------------------
# Geometry measures
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(4, 9), (7, 7), (3, 2), (1, 5)])
def test_dimensionality_matches_brute_force(shape):
    rng = np.random.default_rng(sum(shape))
    W = rng.standard_normal(shape) * rng.uniform(0.1, 2.0, size=shape[1])
    W[:, 0] = 0.0  # a feature the model dropped
    np.testing.assert_allclose(geo.feature_dimensionality(W), _dimensionality_loop(W), rtol=1e-12, atol=0)
    np.testing.assert_allclose(geo.interference(W), _interference_loop(W), rtol=1e-12, atol=0)
    assert geo.feature_dimensionality(W)[0] == 0.0


def test_measures_broadcast_over_a_stack_of_models():
    rng = np.random.default_rng(1)
    stack = rng.standard_normal((3, 5, 11))
    D = geo.feature_dimensionality(stack)
    assert D.shape == (3, 11)
    for k in range(3):
        np.testing.assert_allclose(D[k], _dimensionality_loop(stack[k]), rtol=1e-12)
        np.testing.assert_allclose(geo.feature_cosines(stack)[k], geo.feature_cosines(stack[k]))
    np.testing.assert_allclose(geo.dimensions_per_feature(stack),
                               [5 / (stack[k] ** 2).sum() for k in range(3)], rtol=1e-12)


@pytest.mark.parametrize("name, vectors, expected", [
    ("antipodal pair", np.array([[1.0, -1.0]]), 1 / 2),
    ("triangle", _regular_polygon(3), 2 / 3),
    ("square (two antipodal pairs)", _regular_polygon(4), 1 / 2),
    ("pentagon", _regular_polygon(5), 2 / 5),
    ("tetrahedron", _tetrahedron(), 3 / 4),
    ("cube vertices (8 lines' worth in R^3)", _cube(), 3 / 8),
])
def test_dimensionality_of_uniform_polytopes(name, vectors, expected):
    """Unit vectors forming a uniform tight frame of n vectors in R^k have D_i = k/n exactly."""
    D = geo.feature_dimensionality(vectors)
    np.testing.assert_allclose(D, expected, rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(D.sum(), vectors.shape[0], rtol=1e-12)  # tight frame: Σ D_i = m


def test_sum_of_dimensionalities_is_at_most_m():
    rng = np.random.default_rng(7)
    for _ in range(200):
        m, n = int(rng.integers(1, 8)), int(rng.integers(1, 30))
        W = rng.standard_normal((m, n)) * rng.exponential(1.0, size=n)
        if rng.random() < 0.3:  # rank-deficient: Σ D_i ≤ rank W < m
            W = np.outer(rng.standard_normal(m), rng.standard_normal(n))
            assert geo.feature_dimensionality(W).sum() <= 1 + 1e-9
        assert geo.feature_dimensionality(W).sum() <= min(m, n) + 1e-9


def test_orthonormal_features_are_dedicated_dimensions():
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    W = np.hstack([Q[:, :4], np.zeros((6, 3))])  # 4 orthonormal features, 3 dropped
    np.testing.assert_allclose(geo.feature_dimensionality(W), [1, 1, 1, 1, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(geo.interference(W), 0, atol=1e-12)
    assert geo.represented(W).tolist() == [True] * 4 + [False] * 3
    assert geo.dimensions_per_feature(W) == pytest.approx(6 / 4)


def test_cosines_and_pairwise_cosines_against_definition():
    rng = np.random.default_rng(5)
    W = rng.standard_normal((4, 6))
    W[:, 2] = 0.0
    C = geo.feature_cosines(W)
    for i, j in itertools.product(range(6), repeat=2):
        if 2 in (i, j):
            assert C[i, j] == 0.0
        else:
            ref = W[:, i] @ W[:, j] / (np.linalg.norm(W[:, i]) * np.linalg.norm(W[:, j]))
            assert C[i, j] == pytest.approx(ref, abs=1e-13)
    V = rng.standard_normal((9, 5))
    flat = geo.pairwise_cosines(V)
    ref = [V[i] @ V[j] / np.linalg.norm(V[i]) / np.linalg.norm(V[j]) for i in range(9) for j in range(i + 1, 9)]
    np.testing.assert_allclose(flat, ref, atol=1e-13)
    # Random directions in R^d: Var(cos) = 1/d (the null law of the chapter).
    big = geo.pairwise_cosines(rng.standard_normal((400, 50)))
    assert big.var() == pytest.approx(1 / 50, rel=0.05)
    assert abs(big.mean()) < 0.003


def test_geometry_inputs_are_checked():
    with pytest.raises(EmbeddingError, match="shape"):
        geo.feature_dimensionality(np.ones(5))
    with pytest.raises(EmbeddingError, match="NaN"):
        geo.feature_norms(np.array([[1.0, np.nan]]))
    with pytest.raises(EmbeddingError, match="zero vector"):
        geo.pairwise_cosines(np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(EmbeddingError, match="k ≥ 2"):
        geo.pairwise_cosines(np.ones((1, 3)))
    with pytest.raises(ToyModelError, match="threshold"):
        geo.represented(np.eye(2), threshold=0)
    assert issubclass(ToyModelError, RepcapError)


def test_polytope_share_against_a_loop():
    fractions = list(geo.STICKY_FRACTIONS.values())
    per_feature = [np.array([0.5, 0.5, 2 / 3 + 0.015, 0.9]),  # D* = 0.6: counted; 3 of 4 near a fraction
                   np.array([0.41, 0.2]),                      # D* = 0.375 exactly: counted; 0.41 is near 2/5
                   np.array([0.5, 0.5, 0.5])]                  # D* = 0.3: below 3/8, left out
    dims = [0.6, 3 / 8, 0.3]
    got = geo.polytope_share(per_feature, dims)
    pooled = [x for D, dstar in zip(per_feature, dims) if dstar >= 3 / 8 for x in D]
    hits = sum(any(abs(x - f) < 0.02 for f in fractions) for x in pooled)
    assert got == {"models": 2, "features": 6, "share": pytest.approx(hits / len(pooled))}
    assert hits == 4
    # a tighter tolerance drops the triangle at 2/3 + 0.015 and the 0.41
    assert geo.polytope_share(per_feature, dims, tol=0.005)["share"] == pytest.approx(2 / 6)
    # only the given fractions count
    assert geo.polytope_share(per_feature, dims, fractions=[0.9])["share"] == pytest.approx(1 / 6)


def test_polytope_share_edge_cases_and_checks():
    empty = geo.polytope_share([np.array([0.5])], [0.2])
    assert empty["models"] == 0 and empty["features"] == 0 and math.isnan(empty["share"])
    no_features = geo.polytope_share([np.array([])], [1.0])
    assert no_features["models"] == 1 and no_features["features"] == 0 and math.isnan(no_features["share"])
    with pytest.raises(ToyModelError, match="one D"):
        geo.polytope_share([np.array([0.5])], [0.5, 0.6])
    with pytest.raises(ToyModelError, match="tol"):
        geo.polytope_share([np.array([0.5])], [0.5], tol=0)
    with pytest.raises(ToyModelError, match="fractions"):
        geo.polytope_share([np.array([0.5])], [0.5], fractions=[])
