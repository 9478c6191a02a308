r"""Explicit line sets: unit vectors in R^d that can be built and whose max |cos| is proven.

A construction of K unit vectors at coherence μ (max pairwise |cos|) in dimension n ≤ d shows
N(d, μ) ≥ K (pad with zeros), and any k ≤ K of its vectors have max |cos| ≤ μ, so it also gives
ε*(k, d) ≤ μ for every k ≤ K. Families:

* **orthonormal basis**: d vectors at coherence 0 in R^d;
* **Kerdock line sets (real mutually unbiased bases)**, d = 4^s: d/2 + 1 orthonormal bases whose
  vectors meet at |cos| ∈ {0, 1/√d}, d(d+2)/2 lines at exactly 1/√d (Cameron & Seidel 1973;
  Calderbank, Cameron, Kantor & Seidel, Proc. LMS 75, 1997);
* **dual-BCH trace codes**, n = 2^m − 1: the 2^{me} codewords
  c_a = (Tr(Σ_{i≤e} a_i x^{2i−1}))_{x ∈ GF(2^m)*} mapped to (−1)^c/√n, at coherence
  max_{c ≠ 0} |n − 2w(c)|/n. That maximum is *exact* where every codeword was enumerated (a table
  vendored with repcap, :data:`EXACT_TABLE`, written by ``tools/dual_bch_table.py``) or the weights
  are known in closed form (e = 1: the simplex code; e = 2: Kasami 1969), and otherwise a *bound*:
  the Carlitz–Uchiyama (Weil) bound |w − 2^{m−1}| ≤ (e−1)·2^{m/2} (MacWilliams & Sloane, ch. 9
  §8) sharpened by McEliece's theorem that every weight is a multiple of 2^{ℓ−1}
  (:func:`dual_bch_deviation_bound`). :attr:`Construction.coherence_is` says which;
* **276 equiangular lines in R^23** (:func:`leech_etf`): the equiangular tight frame of the
  McLaughlin two-graph, at exactly 1/5, the Welch bound for 276 lines in R^23 (Lemmens & Seidel
  1973), built from the Leech lattice.

Counts and coherences come from the theorems (or the table) without materialising anything;
vectors are drawn as any index range or seeded sample, float32, zero-padded to a requested
dimension.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from repcap.common.checks import MAX_DIMENSION
from repcap.errors import DomainError

__all__ = [
    "Construction",
    "orthonormal_basis",
    "kerdock",
    "dual_bch",
    "leech_etf",
    "golay_code",
    "families_up_to",
    "best_construction",
    "linear_code_coherence",
    "dual_bch_deviation_bound",
    "dual_bch_max_deviation",
    "enumerate_dual_bch",
    "EXACT_TABLE",
]

# Primitive polynomials over GF(2) (bit i = coefficient of x^i), one per degree m.
_PRIMITIVE = {2: 0b111, 3: 0b1011, 4: 0b10011, 5: 0b100101, 6: 0b1000011, 7: 0b10001001,
              8: 0b100011101, 9: 0b1000010001, 10: 0b10000001001, 11: 0b100000000101,
              12: 0b1000001010011, 13: 0b10000000011011, 14: 0b100010001000011,
              15: 0b1000000000000011, 16: 0b10001000000001011}
# Largest m whose vectors can be generated (field tables of 2^m entries); counts go further.
_MAX_M_VECTORS = max(_PRIMITIVE)
_MAX_M_COUNT = 40
_TOL = 1e-12
#: The vendored table of exact dual-BCH coherences (every codeword enumerated), in repcap/data.
EXACT_TABLE = "dual_bch_coherence.json"


@dataclass(frozen=True)
class Construction:
    """One explicit line set: family, parameters, size, proven coherence and its dimension.

    Examples
    --------
    >>> from repcap.geometry.constructions import kerdock
    >>> c = kerdock(16)
    >>> c.family, c.count, c.coherence, c.dim, round(c.log10_count, 4)
    ('kerdock', 144, 0.25, 16, 2.1584)
    >>> v = c.vectors(k=20, seed=0, pad_to=20)
    >>> v.shape, str(v.dtype)
    ((20, 20), 'float32')
    """

    family: str
    params: dict
    count: int
    coherence: float
    dim: int
    theorem: str = field(default="", compare=False)
    #: "exact" when ``coherence`` is the set's max |cos| itself, "bound" when it is a proven upper
    #: bound on it (either way any k of the vectors keep max |cos| ≤ ``coherence``).
    coherence_is: str = field(default="exact", compare=False)

    @property
    def log10_count(self) -> float:
        return math.log10(self.count)

    def to_dict(self) -> dict:
        return {"family": self.family, "params": dict(self.params), "count": self.count,
                "log10_count": self.log10_count, "coherence": self.coherence,
                "coherence_is": self.coherence_is, "dim": self.dim, "theorem": self.theorem}

    def vectors(self, indices=None, *, k=None, seed=None, pad_to=None) -> np.ndarray:
        """Unit vectors (float32, rows) of the given indices, a seeded sample of k, or the first k.

        ``indices`` wins over ``k``; with ``k`` and ``seed`` a uniform sample without replacement is
        drawn, with ``k`` alone the first k. ``pad_to`` ≥ dim pads with zero columns.
        """
        idx = _indices(self.count, indices, k, seed)
        if self.family == "orthonormal":
            out = np.zeros((idx.size, self.dim), dtype=np.float32)
            out[np.arange(idx.size), idx] = 1.0
        elif self.family == "kerdock":
            out = _kerdock_vectors(self.params["m"], idx)
        elif self.family == "dual_bch":
            out = _bch_vectors(self.params["m"], self.params["e"], idx)
        elif self.family == "leech_etf":
            out = _leech_etf_vectors()[idx]
        else:  # pragma: no cover - the dataclass is only built by this module
            raise DomainError(f"unknown family {self.family!r}")
        if pad_to is not None:
            if pad_to < self.dim:
                raise DomainError(f"pad_to={pad_to} is below the construction's dimension {self.dim}")
            out = np.pad(out, ((0, 0), (0, int(pad_to) - self.dim)))
        return out


def _indices(count, indices, k, seed) -> np.ndarray:
    if indices is not None:
        idx = np.asarray(indices, dtype=np.int64).ravel()
    elif k is None:
        raise DomainError("give indices or k")
    else:
        k = int(k)
        if k < 0 or k > count:
            raise DomainError(f"k must be in [0, {count}], got {k}")
        if seed is None:
            idx = np.arange(k, dtype=np.int64)
        elif count <= 1 << 24:
            idx = np.sort(np.random.default_rng(seed).choice(count, size=k, replace=False))
        else:
            rng = np.random.default_rng(seed)
            seen: set[int] = set()
            while len(seen) < k:
                seen.update(int(v) for v in rng.integers(0, count, size=k - len(seen)))
            idx = np.array(sorted(seen), dtype=np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= count):
        raise DomainError(f"indices must be in [0, {count})")
    return idx


# --------------------------------------------------------------------------------------------
# families
# --------------------------------------------------------------------------------------------

def orthonormal_basis(d) -> Construction:
    """The standard basis of R^d: d vectors at coherence 0 (trivially N(d, ε) ≥ d).

    The vectors are e_1, …, e_d with ⟨e_i, e_j⟩ = δ_ij, so μ = 0 and K = d.

    Examples
    --------
    >>> from repcap.geometry.constructions import orthonormal_basis
    >>> c = orthonormal_basis(5)
    >>> c.count, c.coherence, c.dim
    (5, 0.0, 5)
    """
    d = _check_dim(d)
    return Construction("orthonormal", {"d": d}, d, 0.0, d, "standard basis e_1..e_d")


def kerdock(d) -> Construction:
    r"""Real MUB / Kerdock line set in R^d, d = 4^s: d(d+2)/2 lines at coherence exactly 1/√d.

    With m = log2 d and a Kerdock set {A_S} of 2^{m−1} alternating m × m binary matrices whose
    pairwise differences are non-singular, U_S the strict upper triangle of A_S and
    Q_S(x) = xᵀU_S x mod 2, each basis {(−1)^{Q_S(x) + b·x}/√d : b ∈ F_2^m} is orthonormal, two of
    them meet at |cos| = 1/√d (|Σ_x (−1)^{quadratic of rank r}| = 2^{m − r/2}, r = m), and the
    standard basis completes the d/2 + 1 bases. Source: Calderbank, Cameron, Kantor & Seidel,
    "Z4-Kerdock codes, orthogonal spreads, and extremal Euclidean line-sets", Proc. LMS 75 (1997).
    Vectors are generated for m ≤ 6 (Kerdock set found by a seeded randomised greedy search and
    checked); larger d give count and coherence only.

    Examples
    --------
    In R^64: 2,112 lines at exactly 1/8, just above the Welch floor 0.1231 for that many lines. In
    R^16 every pair of the 144 vectors meets at |cos| 0 or 1/4:

    >>> import math
    >>> import numpy as np
    >>> from repcap.geometry.constructions import kerdock
    >>> c = kerdock(64)
    >>> c.count, c.coherence, round(math.sqrt((c.count - 64) / (64 * (c.count - 1))), 4)
    (2112, 0.125, 0.1231)
    >>> v = kerdock(16).vectors(np.arange(144))
    >>> sorted(set(np.round(np.abs(v @ v.T)[~np.eye(144, dtype=bool)], 6).tolist()))
    [0.0, 0.25]
    """
    d = _check_dim(d)
    m = int(round(math.log2(d)))
    if 2 ** m != d or m % 2 or m < 2:
        raise DomainError(f"Kerdock line sets exist for d = 4^s (4, 16, 64, ...), got d = {d}")
    return Construction("kerdock", {"m": m}, d * (d + 2) // 2, 1.0 / math.sqrt(d), d,
                        "real MUBs from a Kerdock set (Calderbank-Cameron-Kantor-Seidel 1997)")


#: Dimension and size of the Leech-lattice equiangular set (:func:`leech_etf`).
LEECH_ETF_DIM, LEECH_ETF_COUNT = 23, 276


def leech_etf() -> Construction:
    r"""276 equiangular lines in R^23 at |cos| exactly 1/5: an optimal packing (Welch-tight).

    In the Leech lattice Λ (coordinates scaled by √8, so minimal vectors have norm 32), fix the
    vector w = (5, 1^23) of norm 48. Exactly 552 minimal vectors v have ⟨v, w⟩ = 24; they come in
    pairs {v, w − v}, and their projections p = v − w/2 onto w^⊥ (a 23-dimensional space) have
    ‖p‖² = 20 and ⟨p, p'⟩ = ⟨v, v'⟩ − 12 ∈ {±4} for two lines, so the 276 lines meet at
    |cos| = 4/20 = 1/5, which is the Welch bound :math:`\sqrt{(276 - 23)/(23 \cdot 275)}`:
    the equiangular tight frame of the McLaughlin two-graph (Lemmens & Seidel, "Equiangular lines",
    J. Algebra 24, 1973; Conway & Sloane, SPLAG, ch. 4). Λ is built from the extended binary Golay
    code (:func:`golay_code`): x ∈ Z^24 lies in Λ when all x_i have the parity m of x_1,
    Σ x_i ≡ 4m (mod 8), and {i : x_i ≡ 1 (mod 4)} (m = 1) or {i : x_i ≡ 2 (mod 4)} (m = 0) is a
    codeword. The vectors are checked when built (every |cos| = 1/5 to 1e-12).

    Examples
    --------
    >>> import numpy as np
    >>> from repcap.geometry.constructions import leech_etf
    >>> c = leech_etf()
    >>> c.count, c.coherence, c.dim
    (276, 0.2, 23)
    >>> v = c.vectors(k=276).astype(np.float64)
    >>> sorted(set(np.round(np.abs(v @ v.T)[~np.eye(276, dtype=bool)], 5).tolist()))
    [0.2]
    """
    return Construction("leech_etf", {"k": LEECH_ETF_COUNT, "d": LEECH_ETF_DIM}, LEECH_ETF_COUNT, 0.2,
                        LEECH_ETF_DIM, "276 equiangular lines from the Leech lattice (Lemmens-Seidel 1973)")


@functools.lru_cache(maxsize=1)
def golay_code() -> np.ndarray:
    """The 4096 codewords (rows of 0/1, length 24) of the extended binary Golay code.

    The cyclic [23, 12, 7] code generated by g(x) = 1 + x² + x⁴ + x⁵ + x⁶ + x¹⁰ + x¹¹ (a factor of
    x²³ − 1 over GF(2)), each codeword extended by a parity bit: a [24, 12, 8] code whose weights
    are 0, 8, 12, 16 and 24 (759 octads).

    Examples
    --------
    >>> import numpy as np
    >>> from repcap.geometry.constructions import golay_code
    >>> w = golay_code().sum(axis=1)
    >>> dict(zip(*np.unique(w, return_counts=True)))  # doctest: +NORMALIZE_WHITESPACE
    {np.int64(0): np.int64(1), np.int64(8): np.int64(759), np.int64(12): np.int64(2576),
     np.int64(16): np.int64(759), np.int64(24): np.int64(1)}
    """
    g = np.zeros(23, dtype=np.int64)
    g[[0, 2, 4, 5, 6, 10, 11]] = 1
    gen = np.stack([np.roll(g, i) for i in range(12)])  # x^i g(x) mod x^23 - 1
    msgs = (np.arange(4096)[:, None] >> np.arange(12)) & 1
    words = (msgs @ gen) % 2
    code = np.hstack([words, words.sum(axis=1, keepdims=True) % 2])
    code.setflags(write=False)  # cached: every caller gets this one array
    return code


@functools.lru_cache(maxsize=1)
def _leech_etf_vectors() -> np.ndarray:
    """The 276 unit vectors of :func:`leech_etf` (float32, 276 × 23, read-only), built once and
    checked."""
    code = golay_code()
    w = np.ones(24, dtype=np.int64)
    w[0] = 5
    found = []
    # shape (4, 4, 0^22): 4 at position 0 and at one other
    for j in range(1, 24):
        v = np.zeros(24, dtype=np.int64)
        v[0] = v[j] = 4
        found.append(v)
    # shape (2^8, 0^16) on an octad through position 0, every sign + (⟨v, w⟩ = 24 forces it)
    for c in code[(code.sum(axis=1) == 8) & (code[:, 0] == 1)]:
        found.append(2 * c)
    # shape (∓3, ±1^23): x_i ≡ 1 (mod 4) exactly on a codeword c, one coordinate of size 3
    for c in code:
        base = np.where(c == 1, 1, -1)
        for j in range(24):
            v = base.copy()
            v[j] = -3 if c[j] else 3
            if v.sum() % 8 == 4 and v @ w == 24:
                found.append(v)
    v = np.array(found, dtype=np.float64)
    if v.shape[0] != 2 * LEECH_ETF_COUNT or not np.all((v * v).sum(axis=1) == 32):
        raise DomainError(f"Leech construction found {v.shape[0]} vectors, expected 552")  # pragma: no cover
    p = v - w / 2.0  # projections onto w⊥, norm² 20; p and −p (v and w − v) are one line
    p = p[np.array([tuple(r) > tuple(-r) for r in p])]
    q, _ = np.linalg.qr(np.column_stack([w, np.eye(24)[:, 1:]]).astype(np.float64))
    rows = (p @ q[:, 1:]) / math.sqrt(20.0)  # coordinates in an orthonormal basis of w⊥
    gram = np.abs(rows @ rows.T)
    np.fill_diagonal(gram, 0.2)
    if rows.shape != (LEECH_ETF_COUNT, LEECH_ETF_DIM) or np.abs(gram - 0.2).max() > 1e-12:
        raise DomainError("the Leech construction did not give 276 lines at 1/5")  # pragma: no cover
    rows = rows.astype(np.float32)
    rows.setflags(write=False)
    return rows


def dual_bch(m, e) -> Construction:
    r"""Dual-BCH trace code of length n = 2^m − 1 as 2^{me} unit vectors (−1)^c/√n in R^n.

    Codewords c_a(x) = Tr(Σ_{i=1}^{e} a_i x^{2i−1}), x ∈ GF(2^m)*, a ∈ GF(2^m)^e. For a linear code
    ⟨v_a, v_b⟩ = (n − 2 w(c_a + c_b))/n, so the coherence is

    .. math:: \mu = \max_{c \ne 0} \frac{|n - 2 w(c)|}{n} = \frac{\Delta(m, e)}{2^m - 1},

    with Δ from :func:`dual_bch_max_deviation`: exact where every codeword was enumerated or the
    weights are known (e ≤ 2), a proven bound otherwise (``coherence_is`` says which). For
    1 ≤ e ≤ 2^{⌈m/2⌉−1} the cyclotomic cosets of 1, 3, …, 2e − 1 are distinct and of size m, so the
    2^{me} codewords are distinct and the Carlitz–Uchiyama bound applies (MacWilliams & Sloane, The
    Theory of Error-Correcting Codes, ch. 9 §§3, 8); larger e are refused.

    Examples
    --------
    m = 8, e = 2: 65,536 vectors in R^255 at coherence (2·16 + 1)/255 = 33/255; m = 7, e = 2 (odd
    m, Kasami's weights 64 ± 8): 16,384 vectors at 17/127, where the Carlitz–Uchiyama bound alone
    gives 0.186:

    >>> from repcap.geometry.constructions import dual_bch
    >>> c = dual_bch(8, 2)
    >>> c.count, c.dim, round(c.coherence, 5), round(33 / 255, 5), c.coherence_is
    (65536, 255, 0.12941, 0.12941, 'exact')
    >>> c = dual_bch(7, 2)
    >>> c.count, c.coherence == 17 / 127, c.coherence_is
    (16384, True, 'exact')
    """
    m, e = int(m), int(e)
    if not 3 <= m <= _MAX_M_COUNT:
        raise DomainError(f"dual-BCH codes are tabulated for 3 ≤ m ≤ {_MAX_M_COUNT}, got m = {m}")
    if e < 1 or e > _max_e(m):
        raise DomainError(f"dual-BCH codes are built for 1 ≤ e ≤ 2^(⌈m/2⌉−1) = {_max_e(m)} (distinct "
                          f"codewords, Carlitz–Uchiyama bound), got m = {m}, e = {e}")
    n = 2 ** m - 1
    delta, kind, how = _dual_bch_delta(m, e)
    if delta >= n:
        raise DomainError(f"the coherence bound is vacuous at m = {m}, e = {e}")
    return Construction("dual_bch", {"m": m, "e": e}, 2 ** (m * e), delta / n, n,
                        f"dual-BCH trace code, {how}", kind)


def _max_e(m) -> int:
    """Largest e whose odd exponents 1, 3, …, 2e − 1 ≤ 2^{⌈m/2⌉} − 1 lie in distinct full cosets."""
    return 2 ** (math.ceil(m / 2) - 1)


def dual_bch_deviation_bound(m, e) -> int:
    r"""A proven bound on Δ = max_{c ≠ 0} |n − 2w(c)| for the dual-BCH code (m, e), n = 2^m − 1.

    Carlitz–Uchiyama: |w − 2^{m−1}| ≤ (e − 1)·2^{m/2}. McEliece (1972): every weight of a binary
    cyclic code is a multiple of 2^{ℓ−1}, ℓ the least number of its non-zeros whose product is 1;
    the non-zeros here are α^{j·2^s}, j odd ≤ 2e − 1, whose exponents have at most
    W = max popcount(j) binary ones, and exponents summing to a multiple of 2^m − 1 (m ones) need
    ℓ·W ≥ m, so ℓ ≥ ⌈m/W⌉ and D = 2^{⌈m/W⌉−1} divides every w and 2^{m−1}. Hence

    .. math:: |w - 2^{m-1}| \le B = D \left\lfloor \frac{(e-1)\,2^{m/2}}{D} \right\rfloor,
              \qquad \Delta \le 2B + 1.

    For e = 2 this is Kasami's exact value (2^{(m+1)/2} + 1 at odd m, 2^{m/2+1} + 1 at even m).

    Examples
    --------
    >>> from repcap.geometry.constructions import dual_bch_deviation_bound
    >>> [dual_bch_deviation_bound(m, 2) for m in (5, 7, 8, 9)]
    [9, 17, 33, 33]
    >>> dual_bch_deviation_bound(7, 3), dual_bch_deviation_bound(11, 3)
    (33, 129)
    """
    m, e = int(m), int(e)
    top = 2 * e - 1
    w_max = max(bin(top).count("1"), top.bit_length() - 1)
    step = 2 ** (-(-m // w_max) - 1)
    # floor((e−1)·2^{m/2}) in integers: isqrt((e−1)²·2^m)
    b = (math.isqrt((e - 1) ** 2 * 2 ** m) // step) * step
    return 2 * b + 1


_EXACT: dict[tuple[int, int], int] | None = None


def _exact_table() -> dict[tuple[int, int], int]:
    """(m, e) -> Δ from the vendored enumeration table (read once)."""
    global _EXACT
    if _EXACT is None:
        text = resources.files("repcap").joinpath("data", EXACT_TABLE).read_text(encoding="utf-8")
        _EXACT = {(r["m"], r["e"]): int(r["max_deviation"]) for r in json.loads(text)["rows"]}
    return _EXACT


def _dual_bch_delta(m, e) -> tuple[int, str, str]:
    """(Δ, "exact" | "bound", how it is known) for the dual-BCH code (m, e)."""
    exact = _exact_table().get((m, e))
    if exact is not None:
        return exact, "exact", "every codeword enumerated"
    if e == 1:
        return 1, "exact", "simplex code (every weight 2^(m-1))"
    if e == 2:
        return dual_bch_deviation_bound(m, e), "exact", "weights known (Kasami 1969)"
    return (dual_bch_deviation_bound(m, e), "bound",
            "Carlitz-Uchiyama bound with McEliece's weight divisibility")


def dual_bch_max_deviation(m, e) -> tuple[int, str]:
    """Δ(m, e) = max_{c ≠ 0} |n − 2w(c)| of the dual-BCH code and whether it is "exact" or a "bound".

    Exact from the vendored enumeration (:func:`enumerate_dual_bch`) or the closed forms for e ≤ 2
    (the simplex code's Δ = 1; Kasami's weights for e = 2), else :func:`dual_bch_deviation_bound`.

    Examples
    --------
    >>> from repcap.geometry.constructions import dual_bch_max_deviation
    >>> dual_bch_max_deviation(5, 2), dual_bch_max_deviation(7, 3), dual_bch_max_deviation(13, 3)
    ((9, 'exact'), (33, 'exact'), (257, 'bound'))
    """
    delta, kind, _ = _dual_bch_delta(int(m), int(e))
    return delta, kind


def enumerate_dual_bch(m, e) -> dict:
    """Every codeword of the dual-BCH code (m, e) weighed: {m, e, n, w_min, w_max, max_deviation}.

    Δ = max(|n − 2 w_min|, |n − 2 w_max|) over the 2^{me} − 1 non-zero codewords
    (:func:`linear_code_coherence`); this is what ``tools/dual_bch_table.py`` vendors.

    Examples
    --------
    m = 5, e = 2: weights 16 ± 4 (Kasami), so Δ = |31 − 2·20| = 9 and μ = 9/31:

    >>> from repcap.geometry.constructions import enumerate_dual_bch
    >>> enumerate_dual_bch(5, 2)
    {'m': 5, 'e': 2, 'n': 31, 'w_min': 12, 'w_max': 20, 'max_deviation': 9}
    """
    _, w_min, w_max = linear_code_coherence(bch_generator(m, e))
    n = 2 ** int(m) - 1
    return {"m": int(m), "e": int(e), "n": n, "w_min": w_min, "w_max": w_max,
            "max_deviation": max(abs(n - 2 * w_min), abs(n - 2 * w_max))}


def families_up_to(d) -> list[Construction]:
    """Every construction this module knows with dimension ≤ d (orthonormal basis of R^d first).

    That is the orthonormal basis of R^d, the Kerdock sets of dimension 4^s ≤ d and the dual-BCH
    codes of length 2^m − 1 ≤ d for every e with distinct codewords and a coherence below 1. d is
    at most :data:`repcap.common.checks.MAX_DIMENSION` (2^20).

    Examples
    --------
    >>> from repcap.geometry.constructions import families_up_to
    >>> [(c.family, c.count, round(c.coherence, 4))
    ...  for c in families_up_to(16)]  # doctest: +NORMALIZE_WHITESPACE
    [('orthonormal', 16, 0.0), ('kerdock', 12, 0.5), ('kerdock', 144, 0.25),
     ('dual_bch', 8, 0.1429), ('dual_bch', 64, 0.7143), ('dual_bch', 16, 0.0667),
     ('dual_bch', 256, 0.6)]
    """
    d = _check_dim(d)
    if d > MAX_DIMENSION:  # past it the (m, e) pairs alone take minutes to list
        raise DomainError(f"explicit line sets are listed for d ≤ {MAX_DIMENSION:,} (2^20), got "
                          f"d = {d:,}")
    out = [orthonormal_basis(d)]
    if d >= LEECH_ETF_DIM:
        out.append(leech_etf())
    m = 2
    while 4 ** (m // 2) <= d and m <= 2 * _MAX_M_COUNT:
        out.append(kerdock(4 ** (m // 2)))
        m += 2
    for m in range(3, _MAX_M_COUNT + 1):
        if 2 ** m - 1 > d:
            break
        for e in range(1, _max_e(m) + 1):
            try:
                out.append(dual_bch(m, e))
            except DomainError:  # the coherence bound is vacuous at this e
                pass
    return out


def best_construction(d, eps) -> Construction:
    """The largest known explicit set with dimension ≤ d and proven coherence ≤ ε.

    Ties in count go to the smaller coherence. Always at least the orthonormal basis (d vectors):
    the set returned maximises K over {constructions c : dim_c ≤ d, μ_c ≤ ε}.

    Examples
    --------
    In R^1024 at ε = 0.0645 a dual-BCH code holds 2^20 vectors at 0.0635, where the paper's released
    optimised packing reached 0.0644 with 32,000:

    >>> from repcap.geometry.constructions import best_construction
    >>> c = best_construction(1024, 0.0645)
    >>> c.family, c.params, c.count, round(c.coherence, 4), c.dim
    ('dual_bch', {'m': 10, 'e': 2}, 1048576, 0.0635, 1023)
    """
    d = _check_dim(d)
    eps = float(eps)
    if not math.isfinite(eps) or eps < 0:
        raise DomainError(f"eps must be a finite number ≥ 0, got {eps}")
    fits = [c for c in families_up_to(d) if c.coherence <= eps + _TOL]
    return max(fits, key=lambda c: (c.count, -c.coherence, -c.dim))


def _check_dim(d) -> int:
    try:
        df = float(d)
    except (TypeError, ValueError) as exc:
        raise DomainError(f"d must be a whole number ≥ 1, got {d!r}") from exc
    if not math.isfinite(df) or df < 1 or df != int(df):
        raise DomainError(f"d must be a whole number ≥ 1, got {d}")
    return int(df)


# --------------------------------------------------------------------------------------------
# dual-BCH vectors
# --------------------------------------------------------------------------------------------

_TRACE_CACHE: dict[int, np.ndarray] = {}


def _trace_table(m) -> np.ndarray:
    """tr[k] = Tr(α^k) ∈ {0, 1} for k = 0..n−1, α a root of the tabulated primitive polynomial."""
    if m in _TRACE_CACHE:
        return _TRACE_CACHE[m]
    if m not in _PRIMITIVE:
        raise DomainError(f"vectors are generated for m ≤ {_MAX_M_VECTORS}, got m = {m}")
    n, poly = 2 ** m - 1, _PRIMITIVE[m]
    exp = np.empty(n, dtype=np.int64)
    x = 1
    for k in range(n):
        exp[k] = x
        x <<= 1
        if x >> m:
            x ^= poly
    ks = np.arange(n, dtype=np.int64)
    acc = np.zeros(n, dtype=np.int64)
    for i in range(m):  # Tr(y) = Σ_i y^{2^i}; y^{2^i} = α^{k 2^i}
        acc ^= exp[(ks * (2 ** i)) % n]
    if not np.isin(acc, (0, 1)).all():  # pragma: no cover - a wrong polynomial would show here
        raise DomainError(f"trace table for m = {m} is not F_2-valued")
    _TRACE_CACHE[m] = acc.astype(np.uint8)
    return _TRACE_CACHE[m]


def bch_generator(m, e) -> np.ndarray:
    """Generator matrix (me × n, uint8) of the dual-BCH trace code: row (i, j) = Tr(α^j x^{2i−1}).

    Row (i, j) lists Tr(α^j x^{2i−1}) over x = α^0, …, α^{n−1}, n = 2^m − 1.

    Examples
    --------
    m = 3, e = 1 is the simplex code of length 7 (every non-zero codeword has weight 4):

    >>> from repcap.geometry.constructions import bch_generator
    >>> bch_generator(3, 1).tolist()
    [[1, 0, 0, 1, 0, 1, 1], [0, 0, 1, 0, 1, 1, 1], [0, 1, 0, 1, 1, 1, 0]]
    """
    tr = _trace_table(m)
    n = 2 ** m - 1
    t = np.arange(n, dtype=np.int64)
    rows = [tr[(j + t * (2 * i - 1)) % n] for i in range(1, e + 1) for j in range(m)]
    return np.array(rows, dtype=np.uint8)


def _bits(idx, width) -> np.ndarray:
    return ((idx[:, None] >> np.arange(width, dtype=np.int64)) & 1).astype(np.float32)


def _bch_vectors(m, e, idx) -> np.ndarray:
    gen = bch_generator(m, e).astype(np.float32)
    n = gen.shape[1]
    parity = np.mod(_bits(idx, m * e) @ gen, 2.0)
    return ((1.0 - 2.0 * parity) / np.float32(math.sqrt(n))).astype(np.float32)


def linear_code_coherence(gen) -> tuple[float, int, int]:
    """Exact coherence of the ±1 image of a binary linear code, from codeword weights.

    .. math:: \\mu = \\max_{c \\ne 0} |n - 2 w(c)| / n

    over all 2^r − 1 non-zero codewords of the r × n generator ``gen`` (no Gram matrix). The r rows
    are split in two halves; every codeword is L_i XOR H_j of the two halves' span tables (bit-packed),
    so weights are popcounts. Returns (μ, min weight, max weight); practical for r ≤ ~26.

    Examples
    --------
    The simplex code (all weights 4, μ = 1/7) and the dual-BCH code m = 5, e = 2, whose weights are
    16 ± 4 (Kasami 1969), so μ = 9/31, below the Carlitz–Uchiyama bound 0.397:

    >>> from repcap.geometry.constructions import bch_generator, linear_code_coherence
    >>> mu, wmin, wmax = linear_code_coherence(bch_generator(3, 1))
    >>> round(mu, 6), wmin, wmax
    (0.142857, 4, 4)
    >>> mu, wmin, wmax = linear_code_coherence(bch_generator(5, 2))
    >>> round(mu, 6), round(9 / 31, 6), wmin, wmax
    (0.290323, 0.290323, 12, 20)
    """
    gen = np.asarray(gen, dtype=np.uint8) & 1
    r, n = gen.shape
    packed = np.packbits(gen, axis=1)
    words = -(-packed.shape[1] // 8)
    packed = np.pad(packed, ((0, 0), (0, words * 8 - packed.shape[1]))).view(np.uint64)

    def span(rows):
        table = np.zeros((1 << len(rows), words), dtype=np.uint64)
        for b, row in enumerate(rows):
            table[1 << b: 2 << b] = table[: 1 << b] ^ row
        return table

    low, high = span(packed[: r // 2]), span(packed[r // 2:])
    wmin, wmax = n, 0
    for j in range(high.shape[0]):
        w = np.bitwise_count(low ^ high[j]).sum(axis=1, dtype=np.int64)
        if j == 0:
            w = w[1:]  # the zero codeword
        if w.size:
            wmin, wmax = min(wmin, int(w.min())), max(wmax, int(w.max()))
    mu = max(abs(n - 2 * wmin), abs(n - 2 * wmax)) / n
    return mu, wmin, wmax


# --------------------------------------------------------------------------------------------
# Kerdock vectors
# --------------------------------------------------------------------------------------------

_KERDOCK_CACHE: dict[int, np.ndarray] = {}


def _gf2_rank(rows) -> int:
    rows, rank = list(rows), 0
    while rows:
        pivot = rows.pop()
        if pivot:
            rank += 1
            low = pivot & -pivot
            rows = [r ^ pivot if r & low else r for r in rows]
    return rank


def kerdock_set(m, seed=0) -> np.ndarray:
    """2^{m−1} alternating m × m binary matrices with pairwise non-singular differences (m even).

    Found by a seeded randomised greedy search over all 2^{m(m−1)/2} alternating matrices, coded
    as bit masks of the strict upper triangle (so a difference is an XOR); restarts until the set is
    complete. Returns an array (2^{m−1}, m, m) of 0/1 and checks every pairwise difference:
    rank_GF(2)(A_S + A_T) = m for all S ≠ T.

    Examples
    --------
    >>> import numpy as np
    >>> from repcap.geometry.constructions import kerdock_set
    >>> a = kerdock_set(4)
    >>> a.shape, bool((a == a.transpose(0, 2, 1)).all()), int(np.trace(a, axis1=1, axis2=2).sum())
    ((8, 4, 4), True, 0)
    """
    if m in _KERDOCK_CACHE:
        return _KERDOCK_CACHE[m]
    if m % 2 or not 2 <= m <= 6:
        raise DomainError(f"Kerdock sets are built here for m = 2, 4, 6, got m = {m}")
    pairs = [(i, j) for i in range(m) for j in range(i + 1, m)]
    codes = np.arange(1 << len(pairs), dtype=np.int64)
    mats = np.zeros((codes.size, m, m), dtype=np.uint8)
    for b, (i, j) in enumerate(pairs):
        bit = ((codes >> b) & 1).astype(np.uint8)
        mats[:, i, j] = bit
        mats[:, j, i] = bit
    row_masks = (mats.astype(np.int64) << np.arange(m, dtype=np.int64)).sum(axis=2)
    nonsingular = np.array([_gf2_rank(r) == m for r in row_masks.tolist()])
    rng = np.random.default_rng(seed)
    target = 1 << (m - 1)
    for _ in range(10_000):
        chosen = [0]
        ok = nonsingular.copy()
        while len(chosen) < target:
            cand = np.flatnonzero(ok)
            if cand.size == 0:
                break
            c = int(rng.choice(cand))
            chosen.append(c)
            ok &= nonsingular[codes ^ c]
        if len(chosen) == target:
            break
    else:  # pragma: no cover
        raise DomainError(f"no Kerdock set found for m = {m}")
    for a in chosen:
        for b in chosen:
            if a != b and not nonsingular[a ^ b]:  # pragma: no cover - guarded by construction
                raise DomainError("Kerdock search returned a singular difference")
    _KERDOCK_CACHE[m] = mats[chosen]
    return _KERDOCK_CACHE[m]


def _kerdock_vectors(m, idx) -> np.ndarray:
    """Index layout: [0, d) standard basis, then basis s ≥ 1 at [s·d, (s+1)·d), vector b."""
    d = 1 << m
    aset = kerdock_set(m)
    x = _bits(np.arange(d, dtype=np.int64), m).astype(np.int64)  # (d, m)
    out = np.zeros((idx.size, d), dtype=np.float32)
    basis, b = idx // d, idx % d
    std = basis == 0
    out[np.flatnonzero(std), b[std]] = 1.0
    for s in np.unique(basis[~std]):
        upper = np.triu(aset[s - 1].astype(np.int64), 1)
        q = np.einsum("xi,ij,xj->x", x, upper, x) % 2
        rows = np.flatnonzero(basis == s)
        bx = (_bits(b[rows], m).astype(np.int64) @ x.T) % 2  # (rows, d)
        out[rows] = (1.0 - 2.0 * ((q[None, :] + bx) % 2)) / np.float32(math.sqrt(d))
    return out
