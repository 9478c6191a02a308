"""Proven bounds on line packings, checked on explicit optimal packings and on packings optimised here."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from conftest import PAPER_DATA

from repcap.geometry.bounds import (
    bounds_band,
    coherence_floor,
    levenshtein_floor,
    log10_greedy_count,
    log10_kl_asymptotic,
    log10_levenshtein_bound,
    log10_moment_bound,
    log10_orthoplex_bound,
    log10_random_sign_count,
    log10_relative_bound,
    log10_tao_bound,
    log10_upper_bound,
    log_moment_constant,
    moment_floor,
    orthoplex_floor,
    welch_floor,
)
from repcap.errors import DomainError
from repcap.geometry.null import pair_tail

DATA = PAPER_DATA  # the paper's released sweeps, vendored in the package


def _gram(x):
    # einsum instead of BLAS: thousands of tiny matmuls crawl when the shared CPU is busy.
    return np.einsum("id,jd->ij", x, x)


def _coherence(x):
    g = np.abs(_gram(x))
    np.fill_diagonal(g, 0.0)
    return float(g.max())


# ------------------------------------------------------------------------------------------
# explicit optimal line packings (root systems: Conway & Sloane, SPLAG ch. 4; equiangular sets:
# Lemmens & Seidel 1973; Sloane's tables of Grassmannian packings, Conway, Hardin & Sloane 1996)
# ------------------------------------------------------------------------------------------

def _lines(vectors):
    """Unit vectors, one per line (drops antipodes), expressed in an orthonormal basis of their span."""
    v = np.asarray(vectors, dtype=float)
    v = v / np.linalg.norm(v, axis=1, keepdims=True)
    keep = []
    for row in v:
        if not any(abs(row @ u) > 1 - 1e-9 for u in keep):
            keep.append(row)
    v = np.array(keep)
    _, s, vt = np.linalg.svd(v, full_matrices=False)
    rank = int(np.sum(s > 1e-9))
    return v @ vt[:rank].T


def _from_seidel(adjacency):
    """Equiangular lines at 1/3 from a graph whose Seidel matrix has smallest eigenvalue −3."""
    a = np.asarray(adjacency, dtype=float)
    n = len(a)
    seidel = np.ones((n, n)) - np.eye(n) - 2 * a
    w, u = np.linalg.eigh(np.eye(n) + seidel / 3)
    pos = w > 1e-9
    return u[:, pos] * np.sqrt(w[pos])


def _e8_roots():
    roots = []
    for i, j in itertools.combinations(range(8), 2):
        for si, sj in itertools.product((1, -1), repeat=2):
            r = np.zeros(8)
            r[i], r[j] = si, sj
            roots.append(r)
    for signs in itertools.product((0.5, -0.5), repeat=8):
        if sum(s < 0 for s in signs) % 2 == 0:
            roots.append(np.array(signs))
    return np.array(roots)


def _packings():
    phi = (1 + math.sqrt(5)) / 2
    e8 = _e8_roots()
    r1 = np.array([1, -1, 0, 0, 0, 0, 0, 0.0])
    r2 = np.array([0, 1, -1, 0, 0, 0, 0, 0.0])
    petersen_v = list(itertools.combinations(range(5), 2))
    petersen = [[float(not set(a) & set(b)) for b in petersen_v] for a in petersen_v]
    cube = list(itertools.product((0, 1), repeat=4))
    clebsch = [[float(sum(x != y for x, y in zip(a, b)) in (1, 4)) for b in cube] for a in cube]
    twenty_eight = [[3.0 if i in pair else -1.0 for i in range(8)]
                    for pair in itertools.combinations(range(8), 2)]
    return {
        "hexagon axes": _lines([[math.cos(a), math.sin(a)] for a in (0, math.pi / 3, 2 * math.pi / 3)]),
        "icosahedron diagonals": _lines([p for c in ((0, 1, phi), (0, 1, -phi))
                                         for p in (c, c[1:] + c[:1], c[2:] + c[:2])]),
        "D4 roots": _lines([r[:4] for r in e8 if np.count_nonzero(r[4:]) == 0 and np.all(r % 1 == 0)]),
        "Petersen Seidel": _from_seidel(petersen),
        "Clebsch Seidel": _from_seidel(clebsch),
        "E6 roots": _lines([r for r in e8 if abs(r @ r1) < 1e-9 and abs(r @ r2) < 1e-9]),
        "28 equiangular lines": _lines(twenty_eight),
        "E7 roots": _lines([r for r in e8 if abs(r @ r1) < 1e-9]),
        "E8 roots": _lines(e8),
    }


PACKINGS = _packings()
# (d, N, ε) and which bounds each packing attains: the relative bound (Welch 1974) at tight
# equiangular sets, Levenshtein's (1983) at the root systems, Rankin's orthoplex bound (Conway,
# Hardin & Sloane 1996) and the real moment bound (Delsarte, Goethals & Seidel 1977) where listed.
EXPECTED = {
    "hexagon axes": (2, 3, 1 / 2, {"relative", "levenshtein", "orthoplex", "moment"}),
    "icosahedron diagonals": (3, 6, 1 / math.sqrt(5), {"relative", "levenshtein", "orthoplex", "moment"}),
    "D4 roots": (4, 12, 1 / 2, {"levenshtein"}),
    "Petersen Seidel": (5, 10, 1 / 3, {"relative", "moment"}),
    "Clebsch Seidel": (6, 16, 1 / 3, {"relative", "moment"}),
    "E6 roots": (6, 36, 1 / 2, {"levenshtein"}),
    "28 equiangular lines": (7, 28, 1 / 3, {"relative", "levenshtein", "orthoplex", "moment"}),
    "E7 roots": (7, 63, 1 / 2, {"levenshtein"}),
    "E8 roots": (8, 120, 1 / 2, {"levenshtein"}),
}
# The best real moment bound at that ε, (1 − ε^{2t})/(c_t(d) − ε^{2t}) at the best t, by hand: D4 15,
# E6 63, E7 128.5, E8 255.
MOMENT = {"D4 roots": 15.0, "E6 roots": 63.0, "E7 roots": 128.55, "E8 roots": 255.0}
GREEDY = {"hexagon axes": 1.5, "icosahedron diagonals": 1.8, "D4 roots": 2.6, "Petersen Seidel": 1.9,
          "Clebsch Seidel": 2.2, "E6 roots": 4.0, "28 equiangular lines": 2.4, "E7 roots": 4.8,
          "E8 roots": 5.9}


@pytest.mark.parametrize("name", list(PACKINGS))
def test_known_packings_respect_and_attain_the_bounds(name):
    x = PACKINGS[name]
    d, n, eps, attained = EXPECTED[name]
    assert x.shape == (n, d)
    assert _coherence(x) == pytest.approx(eps, abs=1e-12)
    eps = _coherence(x)  # the measured value, as a packing found by search would report it
    uppers = {"relative": log10_relative_bound(d, eps), "levenshtein": log10_levenshtein_bound(d, eps),
              "orthoplex": log10_orthoplex_bound(d, eps), "moment": log10_moment_bound(d, eps)}
    for bound, lg in uppers.items():
        value = 10**lg
        assert value >= n * (1 - 1e-9), (bound, value)            # no packing beats an upper bound
        if bound in attained:
            assert value == pytest.approx(n, rel=1e-6), bound      # and each is tight where expected
    if name in MOMENT:
        assert 10 ** uppers["moment"] == pytest.approx(MOMENT[name], rel=1e-3)  # sheet: 4 digits
    assert 10 ** log10_upper_bound(d, eps) == pytest.approx(n, rel=1e-6)
    # No floor exceeds the achieved coherence; the best floor is attained by these optimal packings.
    for floor in (welch_floor, levenshtein_floor, orthoplex_floor, moment_floor, coherence_floor):
        assert floor(n, d) <= eps * (1 + 1e-9), floor.__name__
    assert coherence_floor(n, d) == pytest.approx(eps, rel=1e-9)
    # The existence guarantee is below what these packings achieve.
    greedy = 10 ** log10_greedy_count(d, eps)
    assert greedy == pytest.approx(GREEDY[name], abs=0.051) and greedy < n  # sheet: 1 decimal


def test_276_lines_bounds():
    # 276 equiangular lines in R^23 at 1/5 (bounds only): every closed-form bound equals 276.
    for f in (log10_relative_bound, log10_levenshtein_bound, log10_orthoplex_bound, log10_moment_bound):
        assert 10 ** f(23, 0.2) == pytest.approx(276, rel=1e-9), f.__name__


def test_real_moment_identity_on_designs_and_random_sets():
    def ratio(x, t):
        d = x.shape[1]
        return np.mean(_gram(x) ** (2 * t)) / math.exp(log_moment_constant(d, t))

    e8 = PACKINGS["E8 roots"]
    for t in (1, 2, 3):
        assert ratio(e8, t) == pytest.approx(1.0, abs=1e-12)  # the E8 roots form a 7-design
    assert ratio(e8, 4) == pytest.approx(1.30, abs=0.005)
    for name in ("hexagon axes", "icosahedron diagonals", "D4 roots", "28 equiangular lines", "E6 roots"):
        assert ratio(PACKINGS[name], 2) == pytest.approx(1.0, abs=1e-12), name
    assert ratio(PACKINGS["Clebsch Seidel"], 2) == pytest.approx(1.19, abs=0.01)
    rng = np.random.default_rng(0)
    for _ in range(200):
        d, k = rng.integers(2, 9), rng.integers(2, 40)
        x = rng.standard_normal((k, d))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        assert min(ratio(x, t) for t in range(1, 6)) >= 1 - 1e-12
    # c_t by quadrature over the exact cosine density, and the closed forms c_1 = 1/d, c_2 = 3/(d(d+2)).
    from scipy import integrate

    from repcap.geometry.null import cosine_pdf

    for d, t in [(3, 1), (5, 2), (8, 4), (30, 6)]:
        quad = integrate.quad(lambda u: u ** (2 * t) * cosine_pdf(u, d), -1, 1)[0]
        assert math.exp(log_moment_constant(d, t)) == pytest.approx(quad, rel=1e-9)
    assert math.exp(log_moment_constant(10, 1)) == pytest.approx(0.1)
    assert math.exp(log_moment_constant(10, 2)) == pytest.approx(3 / 120)


# ------------------------------------------------------------------------------------------
# packings optimised in the test: never below the floors, whatever the optimiser reaches
# ------------------------------------------------------------------------------------------

def _optimise(k, d, seed, steps=400):
    """Minimise Σ|G_ij|^p with p annealed 8 → 64, projected gradient steps; return the best set."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((k, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    best, best_c = x, _coherence(x)
    for step in range(steps):
        p = 8 * 8 ** (step / steps)
        g = _gram(x)
        np.fill_diagonal(g, 0.0)
        m = np.abs(g).max()
        w = np.sign(g) * (np.abs(g) / m) ** (p - 1)  # scaled so the largest entry has weight 1
        grad = np.einsum("ij,jd->id", w, x)
        grad -= np.sum(grad * x, axis=1, keepdims=True) * x
        x = x - (0.05 * (1 - step / steps) + 0.002) * grad / np.abs(grad).max()
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        c = _coherence(x)
        if c < best_c:
            best, best_c = x, c
    return best, best_c


# (d, k) -> the floor the optimiser reaches (within 0.5 %) in these runs, or None when it stays above.
OPTIMISED = {(3, 4): "welch", (3, 6): "welch", (3, 7): "orthoplex", (4, 12): "levenshtein",
             (5, 16): "orthoplex", (6, 22): "orthoplex", (7, 28): "welch", (3, 10): None, (4, 6): None,
             (6, 12): None, (8, 20): None, (8, 40): None}


@pytest.mark.parametrize("d,k", list(OPTIMISED))
def test_optimised_packings_never_beat_a_bound(d, k):
    x, c = min((_optimise(k, d, seed) for seed in range(3)), key=lambda r: r[1])
    assert c == pytest.approx(_coherence(x))
    floor, which = coherence_floor(k, d, return_name=True)
    assert c >= floor * (1 - 1e-9)                   # never below the best proven floor
    assert c <= 1.2 * floor                          # and close to it: the test has teeth
    if OPTIMISED[(d, k)] is not None:
        assert which == OPTIMISED[(d, k)]
        assert c == pytest.approx(floor, rel=5e-3)
    # The upper bound at the achieved coherence admits at least the k vectors achieved ...
    assert 10 ** log10_upper_bound(d, c) >= k * (1 - 1e-9)
    # ... and the existence guarantee never claims more than the upper bound allows.
    assert log10_greedy_count(d, c) <= log10_upper_bound(d, c)


def test_greedy_construction_reaches_the_cap_covering_count():
    # A greedy packing that stops after 3000 consecutive rejected candidates covers ≳ 99.9 % of the
    # sphere with its double caps, so its size times the cap area is about ≥ 1 (the covering argument
    # of Gilbert 1952 / Varshamov 1957 on the sphere).
    rng = np.random.default_rng(4)
    for d, eps in [(3, 0.5), (4, 0.4), (6, 0.35), (8, 0.45)]:
        chosen = np.empty((0, d))
        misses = 0
        while misses < 3000:
            cand = rng.standard_normal((256, d))
            cand /= np.linalg.norm(cand, axis=1, keepdims=True)
            for v in cand:
                if chosen.shape[0] == 0 or np.abs(chosen @ v).max() <= eps:
                    chosen = np.vstack([chosen, v])
                    misses = 0
                else:
                    misses += 1
        n = chosen.shape[0]
        assert _coherence(chosen) <= eps
        assert n * pair_tail(eps, d) >= 0.99, (d, eps, n)
        assert n >= 10 ** log10_greedy_count(d, eps) * 0.99
        assert n <= 10 ** log10_upper_bound(d, eps) * (1 + 1e-9)


def test_random_sign_union_bound():
    # k random ±1/√d vectors: P(some pair has |cos| ≥ ε) ≤ k(k−1)·exp(−dε²/2) (Hoeffding + union).
    rng = np.random.default_rng(6)
    d, eps, trials = 64, 0.55, 400
    k = int(10 ** log10_random_sign_count(d, eps) / 3)  # a third of exp(dε²/4)
    bound = k * (k - 1) * math.exp(-d * eps * eps / 2)
    assert bound < 0.2
    signs = rng.choice([-1.0, 1.0], size=(trials, k, d)) / math.sqrt(d)
    g = np.abs(np.einsum("nid,njd->nij", signs, signs))
    g[:, np.arange(k), np.arange(k)] = 0
    fail = np.mean(g.max(axis=(1, 2)) >= eps)
    assert fail <= bound


# ------------------------------------------------------------------------------------------
# consistency of the family and values at LLM sizes
# ------------------------------------------------------------------------------------------

def test_lower_bounds_below_upper_bounds_everywhere():
    d = np.array([2, 3, 5, 10, 30, 100, 300, 1000, 4096, 16384], dtype=float)[:, None]
    eps = np.linspace(0.01, 0.99, 50)[None, :]
    greedy = log10_greedy_count(d, eps)
    upper = log10_upper_bound(d, eps)
    assert np.all(greedy <= upper) and np.all(log10_random_sign_count(d, eps) <= upper)
    # 1/I ≥ exp(dε²/2) on this grid (so greedy beats random signs, C = 2 vs 4); checked numerically.
    assert np.all(greedy * math.log(10) - d * eps**2 / 2 > 0)
    # Tao's corollary is rigorous but never better than the real moment bound.
    assert np.all(log10_tao_bound(d, eps) >= log10_moment_bound(d, eps) - 1e-12)


def test_floors_invert_the_upper_bounds():
    for k, d in [(10, 5), (40, 6), (5000, 64), (32000, 4096)]:
        assert 10 ** log10_relative_bound(d, welch_floor(k, d)) == pytest.approx(k, rel=1e-9)
        assert welch_floor(k, d) == pytest.approx(moment_floor(k, d, t=1), rel=1e-12)
        for t in (2, 3):
            if moment_floor(k, d, t=t) > 0:
                lg = log10_moment_bound(d, moment_floor(k, d, t=t), t=t)
                assert 10**lg == pytest.approx(k, rel=1e-7)
    for d in (3, 8, 50):
        k = d * (d + 1) // 2
        assert levenshtein_floor(k, d) == pytest.approx(welch_floor(k, d), rel=1e-12)  # both 1/√(d+2)
        k2 = 3 * k
        assert 10 ** log10_levenshtein_bound(d, levenshtein_floor(k2, d)) == pytest.approx(k2, rel=1e-9)
    assert welch_floor(5, 8) == 0.0 and orthoplex_floor(6, 3) == 0.0 and orthoplex_floor(7, 3) > 0


def test_best_moment_t_matches_a_brute_force_scan():
    for d, eps in [(768, 0.0722), (4096, 0.0645), (64, 0.3), (3, 0.9)]:
        scan = [log10_moment_bound(d, eps, t=t) for t in range(1, 1500)]
        best, t = log10_moment_bound(d, eps, return_t=True)
        assert best == pytest.approx(min(scan), rel=1e-12) and t == 1 + int(np.argmin(scan))


def test_magnitudes_at_llm_sizes_match_independent_values():
    # log10 counts computed independently of this package: greedy, best upper (t), Tao's corollary,
    # bare KL, at the (d, ε) of some Table 1 models (Guha 2026, App. D).
    sheet = [((768, 0.0722), 1.34, 13.54, 6, 24.5, 3.33),
             ((4096, 0.025), 0.96, 7.58, None, 21.9, 2.72),
             ((4096, 0.0645), 4.44, 55.95, 23, 108.8, 14.60),
             ((8192, 0.09962), 18.80, 224.7, 112, 444.3, 62.19),
             ((16384, 0.04813), 9.15, 137.1, 52, 268.3, 34.89)]
    for (d, eps), greedy, upper, t, tao, kl in sheet:
        band = bounds_band(d, eps)
        assert band["bounds"]["greedy"]["log10_count"] == pytest.approx(greedy, abs=0.006)
        assert band["log10_upper"] == pytest.approx(upper, abs=0.06)
        if t is not None:
            assert band["best_upper"] == "moment" and band["bounds"]["moment"]["t"] == t
        else:
            assert band["best_upper"] == "levenshtein"
        assert band["bounds"]["tao"]["log10_count"] == pytest.approx(tao, abs=0.06)
        assert band["bounds"]["kl_asymptotic"]["log10_count"] == pytest.approx(kl, abs=0.006)
        lowers = [band["bounds"][n]["log10_count"] for n in ("greedy", "random_sign", "construction")]
        assert band["log10_lower"] == max(lowers) >= band["bounds"]["greedy"]["log10_count"]


def test_kl_rate_is_not_a_finite_d_bound():
    # The paper's optimised packing reached k = 32000 at ε = 0.0250 in d = 4096; the bare KL formula
    # allows about 519 there, the rigorous family does not forbid it.
    assert 10 ** log10_kl_asymptotic(4096, 0.0250) == pytest.approx(519, abs=1)
    band = bounds_band(4096, 0.0250)
    assert band["bounds"]["kl_asymptotic"]["rigorous"] is False
    assert all(b["rigorous"] for n, b in band["bounds"].items() if n != "kl_asymptotic")
    assert 10 ** band["log10_upper"] >= 32000
    assert "ASYMPTOTIC ONLY" in log10_kl_asymptotic.__doc__


def test_llama2_70b_table_entry_is_below_the_existence_guarantee():
    # Table 1 (Guha 2026, App. D) gives 8.15e15 at (8192, 0.09962); the greedy bound is ≥ 10^18.8.
    assert log10_greedy_count(8192, 0.09962) > math.log10(8.15e15) + 2.5


def test_papers_optimised_sweep_sits_above_every_floor():
    cells = np.array(json.loads((DATA / "optimized_packing.json").read_text()), dtype=float)
    k, d, eps = cells[k_gt_d := cells[:, 0] > cells[:, 1]].T
    assert k_gt_d.sum() == 160
    floor, which = coherence_floor(k, d, return_name=True)
    ratio = eps / floor
    # Over the 160 released cells with k > d: ratios 1.30–2.55, median 1.74; Welch best in 117 cells,
    # Levenshtein in 43 (recomputed from the author's optimized_packing.json).
    assert ratio.min() == pytest.approx(1.30, abs=0.01) and ratio.max() == pytest.approx(2.55, abs=0.01)
    assert np.median(ratio) == pytest.approx(1.74, abs=0.01)
    assert (np.sum(which == "welch"), np.sum(which == "levenshtein")) == (117, 43)
    assert np.all(log10_greedy_count(d, eps) < np.log10(k))
    assert np.all(log10_upper_bound(d, eps) >= np.log10(k))
    assert np.sum(log10_kl_asymptotic(d, eps) < np.log10(k)) == 159


def test_bad_input():
    for bad in (lambda: log10_relative_bound(1, 0.1), lambda: log10_greedy_count(10, -0.1),
                lambda: log10_upper_bound(10, 1.5), lambda: welch_floor(1, 3),
                lambda: bounds_band([10, 20], 0.1), lambda: moment_floor(10, 3, t=0.5),
                lambda: log10_moment_bound(10, 0.1, t=0), lambda: log_moment_constant(5, 0)):
        with pytest.raises(DomainError):
            bad()
    # ε = 0 and ε = 1 are the edges of the domain, not errors.
    assert 10 ** log10_upper_bound(5, 0.0) == pytest.approx(5)
    assert log10_upper_bound(5, 1.0) == math.inf and log10_greedy_count(5, 0.0) == 0.0


# ------------------------------------------------------------------------------------------
# the closed forms are Delsarte linear-programming certificates (independent re-derivation)
# ------------------------------------------------------------------------------------------

def _gegenbauer_coefficients(f, d, degree):
    """Coefficients f_k of f(u) = Σ f_k P_k(u), P_k the Gegenbauer polynomials of S^{d−1}, P_k(1) = 1.

    By quadrature with the weight (1 − u²)^{(d−3)/2}; P_k from (k+d−2) P_{k+1} = (2k+d−2) u P_k − k P_{k−1}.
    """
    from scipy import integrate

    def p(k, u):
        prev, cur = 1.0, u
        if k == 0:
            return prev
        for j in range(1, k):
            prev, cur = cur, ((2 * j + d - 2) * u * cur - j * prev) / (j + d - 2)
        return cur

    def w(u):
        return (1 - u * u) ** ((d - 3) / 2)

    out = []
    for k in range(degree + 1):
        num = integrate.quad(lambda u: f(u) * p(k, u) * w(u), -1, 1, limit=200)[0]
        den = integrate.quad(lambda u: p(k, u) ** 2 * w(u), -1, 1, limit=200)[0]
        out.append(num / den)
    return np.array(out)


@pytest.mark.parametrize("d,eps", [(3, 0.3), (6, 0.45), (8, 0.45), (20, 0.2), (40, 0.1)])
def test_bounds_are_delsarte_certificates(d, eps):
    # If f is even, f(u) ≤ 0 on [−ε, ε], f_0 > 0 and f_k ≥ 0 for k ≥ 1, then N(d, ε) ≤ f(1)/f_0:
    # Σ_ij f(<x_i, x_j>) ≥ f_0 N² (each P_k is positive definite) and ≤ N f(1) (off-diagonal ≤ 0).
    candidates = {
        "relative": (lambda u: u**2 - eps**2, 2, log10_relative_bound),
        "levenshtein": (lambda u: u**2 * (u**2 - eps**2), 4, log10_levenshtein_bound),
        "moment t=3": (lambda u: u**6 - eps**6, 6, lambda dd, ee: log10_moment_bound(dd, ee, t=3)),
    }
    checked = 0
    for name, (f, degree, closed_form) in candidates.items():
        coef = _gegenbauer_coefficients(f, d, degree)
        assert np.all(coef[1::2] == pytest.approx(0, abs=1e-10))   # even polynomial
        assert np.all(coef[2:] >= -1e-12), name                     # the LP's positivity condition
        if coef[0] <= 0:
            assert not np.isfinite(closed_form(d, eps)), name       # no certificate, no bound
            continue
        assert f(1.0) / coef[0] == pytest.approx(10 ** closed_form(d, eps), rel=1e-7), name
        checked += 1
    assert checked >= 2


def test_floors_are_exactly_zero_when_the_lines_fit_orthogonally():
    """k ≤ d lines can be an orthonormal set, so every floor is 0 (no log-gamma residue at k = d)."""
    from repcap.geometry.bounds import coherence_floor, moment_floor

    for d in (3, 64, 4096):
        for k in (2, d - 1, d):
            assert coherence_floor(k, d) == 0.0 and moment_floor(k, d) == 0.0
        assert coherence_floor(d + 1, d) > 0.0


def test_band_lower_edge_includes_explicit_sets_and_is_monotone_in_d():
    from repcap.geometry.bounds import log10_construction_count

    band = bounds_band(1023, 0.0636)
    assert band["best_lower"] == "construction" and band["bounds"]["construction"]["count"] == 2 ** 20
    assert band["log10_lower"] == pytest.approx(math.log10(2 ** 20))
    assert bounds_band(4096, 0.0645)["bounds"]["construction"]["count"] >= 2 ** 36
    lows = [bounds_band(d, 0.13)["log10_lower"] for d in (60, 63, 64, 100, 255, 256)]
    assert lows == sorted(lows)
    np.testing.assert_allclose(log10_construction_count([64, 10], [0.125, 0.0]),
                               [math.log10(2112), 1.0])
