"""Explicit line sets: counts and coherences checked against independent computations."""

import math

import numpy as np
import pytest

from repcap.errors import DomainError
from repcap.geometry import constructions as C
from repcap.similarity.allpairs import all_pairs


def _gram_coherence(v):
    v = np.asarray(v, dtype=np.float64)
    g = np.abs(v @ v.T)
    np.fill_diagonal(g, 0.0)
    return g.max()


@pytest.mark.parametrize("d", [4, 16, 64])
def test_kerdock_count_and_exact_coherence(d):
    c = C.kerdock(d)
    assert c.count == d * (d + 2) // 2
    v = c.vectors(k=c.count)
    assert v.dtype == np.float32 and v.shape == (c.count, d)
    np.testing.assert_allclose(np.linalg.norm(v.astype(np.float64), axis=1), 1.0, atol=1e-6)
    g = np.abs(v.astype(np.float64) @ v.T.astype(np.float64))
    np.fill_diagonal(g, np.nan)
    off = g[~np.isnan(g)]
    # only the two angles of mutually unbiased bases: 0 and 1/sqrt(d)
    assert np.all(np.isclose(off, 0.0, atol=1e-6) | np.isclose(off, 1 / math.sqrt(d), atol=1e-6))
    assert off.max() == pytest.approx(1 / math.sqrt(d), abs=1e-6)
    assert c.coherence == pytest.approx(1 / math.sqrt(d))


@pytest.mark.parametrize("m,e", [(3, 2), (4, 2), (5, 2), (6, 2)])
def test_dual_bch_weights_match_bruteforce_gram(m, e):
    c = C.dual_bch(m, e)
    mu_w, _, _ = C.linear_code_coherence(C.bch_generator(m, e))
    v = c.vectors(k=c.count)
    assert v.shape == (2 ** (m * e), 2 ** m - 1)
    assert _gram_coherence(v) == pytest.approx(mu_w, abs=1e-6)
    assert mu_w <= c.coherence + 1e-12


@pytest.mark.slow
def test_dual_bch_m8_e2_all_vectors_by_the_allpairs_pass():
    c = C.dual_bch(8, 2)
    v = c.vectors(k=c.count)
    assert v.shape == (65536, 255)
    stats = all_pairs(v, progress=False, top_pairs=1, memory_budget="128MB")
    measured = max(abs(stats.min), abs(stats.max))
    assert measured == pytest.approx(33 / 255, abs=2e-6)  # Carlitz–Uchiyama bound is attained
    assert c.coherence == pytest.approx(33 / 255)
    assert C.linear_code_coherence(C.bch_generator(8, 2))[0] == pytest.approx(33 / 255)


def test_dual_bch_m10_e2_weights_attain_the_bound():
    mu, wmin, wmax = C.linear_code_coherence(C.bch_generator(10, 2))
    assert (wmin, wmax) == (512 - 32, 512 + 32)
    assert mu == pytest.approx(65 / 1023) == pytest.approx(C.dual_bch(10, 2).coherence)


def test_sampled_and_padded_vectors_are_rows_of_the_full_set():
    c = C.dual_bch(6, 2)
    full = c.vectors(k=c.count)
    sample = c.vectors(k=50, seed=3, pad_to=70)
    assert sample.shape == (50, 70) and not sample[:, 63:].any()
    idx = C._indices(c.count, None, 50, 3)
    np.testing.assert_array_equal(sample[:, :63], full[idx])
    np.testing.assert_array_equal(c.vectors(indices=[5, 7]), full[[5, 7]])


def test_best_construction_issue_examples():
    k64 = C.best_construction(64, 0.125)
    assert (k64.family, k64.count, k64.coherence) == ("kerdock", 2112, 0.125)
    assert C.best_construction(1023, 0.0636).count >= 1_048_576
    big = C.best_construction(4096, 0.0645)
    assert big.count >= 2 ** 36 and big.coherence == pytest.approx(257 / 4095)
    assert C.best_construction(10, 0.0).count == 10  # only the orthonormal basis


def test_best_construction_monotone_in_d():
    for eps in (0.05, 0.13, 0.3):
        counts = [C.best_construction(d, eps).count for d in range(2, 300, 7)]
        assert counts == sorted(counts)


@pytest.mark.parametrize("args", [(0, 0.1), (64, -0.1), (64, float("nan")), (2.5, 0.1)])
def test_bad_input(args):
    with pytest.raises(DomainError):
        C.best_construction(*args)
    with pytest.raises(DomainError):
        C.kerdock(32)
    with pytest.raises(DomainError):
        C.dual_bch(6, 6)
