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
    assert c.coherence == pytest.approx(mu_w, abs=1e-12) and c.coherence_is == "exact"


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


# --- exact coherences, checked by an independent brute force -----------------------------------

def _gf_mul(a, b, m, poly):
    """Product in GF(2^m) = GF(2)[x]/(poly): carry-less multiply, then reduce."""
    out = 0
    while b:
        if b & 1:
            out ^= a
        b >>= 1
        a <<= 1
        if a >> m:
            a ^= poly
    return out


def _codewords(m, e, poly):
    """All 2^{me} codewords Tr(sum_i a_i x^{2i-1}), x = alpha^0..alpha^{n-1}, by field arithmetic
    (no trace table, no generator matrix): basis codewords for a_i = x^j, then every XOR."""
    n = 2 ** m - 1
    xs = [1]
    for _ in range(n - 1):
        xs.append(_gf_mul(xs[-1], 2, m, poly))

    def power(y, k):
        out = 1
        for _ in range(k):
            out = _gf_mul(out, y, m, poly)
        return out

    def trace(y):
        t, z = 0, y
        for _ in range(m):
            t ^= z
            z = _gf_mul(z, z, m, poly)
        assert t in (0, 1)
        return t

    basis = []
    for i in range(1, e + 1):
        xp = [power(x, 2 * i - 1) for x in xs]
        for j in range(m):
            basis.append([trace(_gf_mul(1 << j, y, m, poly)) for y in xp])
    basis = np.array(basis, dtype=np.uint8)
    words = np.zeros((1, n), dtype=np.uint8)
    for row in basis:
        words = np.concatenate([words, words ^ row])
    return words


def _gram_coherence_blockwise(v, block=1024):
    best = 0.0
    for i in range(0, v.shape[0], block):
        g = np.abs(v[i:i + block] @ v.T)
        g[np.arange(g.shape[0]), np.arange(i, i + g.shape[0])] = 0.0
        best = max(best, float(g.max()))
    return best


@pytest.mark.parametrize("m,e,poly,expected", [(5, 2, 0b100101, 9 / 31), (7, 2, 0b10001001, 17 / 127)])
def test_exact_coherence_by_brute_force_gram(m, e, poly, expected):
    words = _codewords(m, e, poly)
    v = (1.0 - 2.0 * words.astype(np.float64)) / math.sqrt(2 ** m - 1)
    assert len({w.tobytes() for w in words}) == 2 ** (m * e)  # distinct vectors
    assert _gram_coherence_blockwise(v) == pytest.approx(expected, abs=1e-12)
    c = C.dual_bch(m, e)
    assert (c.count, c.coherence, c.coherence_is) == (2 ** (m * e), pytest.approx(expected), "exact")
    # the package's own vectors are the same set
    own = c.vectors(k=c.count)
    assert {w.tobytes() for w in (own < 0).astype(np.uint8)} == {w.tobytes() for w in words}


def test_exact_coherence_m5_e3_from_field_built_codeword_weights():
    """The code is linear (the sum of two codewords is one), so its coherence is max |n - 2w| over
    the non-zero codewords, here built by field arithmetic, not by the package."""
    words = _codewords(5, 3, 0b100101)
    w = words[1:].sum(axis=1).astype(np.int64)
    assert np.abs(31 - 2 * w).max() == 17 and C.dual_bch(5, 3).coherence == pytest.approx(17 / 31)


def test_issue_reference_coherences():
    """Issue 22: m=5,e=2: 9/31; m=7,e=2: 17/127; m=9,e=2: 33/511; m=7,e=3: about 0.260."""
    assert C.dual_bch(5, 2).coherence == pytest.approx(9 / 31)
    assert C.dual_bch(7, 2).coherence == pytest.approx(17 / 127)
    assert C.dual_bch(9, 2).coherence == pytest.approx(33 / 511)
    assert C.dual_bch(7, 3).coherence == pytest.approx(0.260, abs=5e-4)


def _table_rows():
    import json
    from importlib.resources import files
    return json.loads(files("repcap").joinpath("data", C.EXACT_TABLE).read_text())["rows"]


def test_vendored_table_re_enumerates_the_small_codes():
    rows = [r for r in _table_rows() if r["m"] * r["e"] + r["m"] <= 26]
    assert len(rows) >= 15
    for r in rows:
        assert C.enumerate_dual_bch(r["m"], r["e"]) == r


def test_table_within_the_proven_bound_and_closed_forms():
    for r in _table_rows():
        m, e, delta = r["m"], r["e"], r["max_deviation"]
        bound = C.dual_bch_deviation_bound(m, e)
        assert delta <= bound <= 2 * (e - 1) * 2 ** (m / 2) + 1 + 1e-9  # never above Carlitz-Uchiyama
        if e == 1:
            assert delta == 1  # the simplex code: every weight 2^{m-1}
        if e == 2:  # Kasami: the closed form the package uses beyond the table
            assert delta == (2 ** ((m + 1) // 2) + 1 if m % 2 else 2 ** (m // 2 + 1) + 1) == bound
    covered = {(r["m"], r["e"]) for r in _table_rows()}
    assert {(5, 2), (7, 2), (9, 2), (7, 3), (8, 3), (12, 2)} <= covered


def test_exact_or_bound_label():
    assert C.dual_bch_max_deviation(11, 2) == (65, "exact")   # closed form, enumerated too
    assert C.dual_bch_max_deviation(13, 2) == (129, "exact")  # closed form (Kasami), not enumerated
    assert C.dual_bch_max_deviation(11, 3) == (129, "bound")  # sharpened bound: 0.0630 < C-U 0.0889
    assert C.dual_bch(11, 3).to_dict()["coherence_is"] == "bound"
    assert C.kerdock(64).coherence_is == C.orthonormal_basis(3).coherence_is == "exact"


@pytest.mark.parametrize("m", range(3, 17))
def test_codewords_distinct_up_to_the_largest_e_and_not_beyond(m):
    """Cyclotomic cosets of 1, 3, ..., 2e-1 are distinct and of size m for e <= 2^(ceil(m/2)-1)
    (the 2^{me} codewords are distinct); the next odd exponent breaks that."""
    n = 2 ** m - 1

    def coset(j):
        return frozenset(j * 2 ** s % n for s in range(m))

    top = C._max_e(m)
    cosets = [coset(2 * i - 1) for i in range(1, top + 1)]
    assert all(len(c) == m for c in cosets) and len(set(cosets)) == top
    nxt = coset(2 * top + 1)
    assert len(nxt) < m or nxt in cosets
    with pytest.raises(DomainError):
        C.dual_bch(m, top + 1)


def test_leech_etf_is_276_lines_at_the_welch_bound_in_float64():
    from repcap.geometry.bounds import coherence_floor, welch_floor
    from repcap.geometry.constructions import best_construction, golay_code, leech_etf

    code = golay_code()
    # a [24, 12, 8] code: 4096 distinct words closed under addition, minimum weight 8
    assert len({tuple(r) for r in code}) == 4096
    assert ((code[1:2] + code[5:6]) % 2).tolist()[0] in code.tolist()
    assert code[1:].sum(axis=1).min() == 8
    c = leech_etf()
    v = c.vectors(k=c.count).astype(np.float64)
    g = v @ v.T
    assert np.allclose(np.diag(g), 1.0, atol=1e-6)
    off = np.abs(g[~np.eye(276, dtype=bool)])
    assert off.min() > 0.2 - 1e-6 and off.max() < 0.2 + 1e-6  # equiangular
    # tight: the frame operator is (k/d) I, and the coherence is Welch's floor, the optimum
    assert np.allclose(v.T @ v, 276 / 23 * np.eye(23), atol=1e-4)
    assert c.coherence == pytest.approx(float(welch_floor(276, 23)), abs=1e-12)
    assert c.coherence == pytest.approx(float(coherence_floor(276, 23)), abs=1e-12)
    assert best_construction(23, 0.2).family == "leech_etf"
    assert best_construction(31, 0.25).count == 276  # dual-BCH in R^31 needs 9/31 = 0.29
    assert best_construction(22, 0.2).family == "orthonormal"
