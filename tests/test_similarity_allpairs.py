"""The streaming all-pairs pass and the sampled pass (repcap.similarity.all_pairs / sampled_pairs)
against brute force: the full float64 Gram of the normalised rows, upper triangle."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from repcap.errors import DeviceError, EmbeddingError, SimilarityError
from repcap.similarity import PairStats, all_pairs, exact_moments, sampled_pairs
from repcap.similarity.blocks import choose_block, parse_bytes, plan

from realdata import minilm_rows

EDGE = 1e-6  # values closer than this to a bin edge may land on either side in float32


class Brute:
    """Everything the pass reports, computed the slow way in float64."""

    def __init__(self, X: np.ndarray):
        X = np.asarray(X, dtype=np.float64)
        self.keep = np.flatnonzero(np.any(X != 0, axis=1))
        U = X[self.keep] / np.linalg.norm(X[self.keep], axis=1, keepdims=True)
        G = U @ U.T
        self.iu = np.triu_indices(len(U), 1)
        self.values = G[self.iu]
        self.sorted = np.sort(self.values)
        np.fill_diagonal(G, -np.inf)
        self.G = G

    def histogram(self, bins: int, value_range) -> np.ndarray:
        return np.histogram(self.values, bins=bins, range=value_range)[0]

    def near(self, edge: float) -> int:
        """How many cosines lie within EDGE of ``edge``."""
        lo, hi = np.searchsorted(self.sorted, [edge - EDGE, edge + EDGE])
        return int(hi - lo)


def check(stats: PairStats, brute: Brute, *, bins=300, value_range=(-1.0, 1.0), tol=1e-6,
          total_rows=None) -> None:
    v = brute.values
    assert stats.pairs == v.size
    assert stats.counts.dtype == np.int64 and stats.counts.size == bins
    assert int(stats.counts.sum()) + stats.below + stats.above == v.size
    lo, hi = value_range
    assert stats.below == pytest.approx(np.sum(v < lo), abs=brute.near(lo))
    assert stats.above == pytest.approx(np.sum(v > hi), abs=brute.near(hi))
    # Bin by bin: identical except for values within EDGE of one of the bin's two edges.
    ref = brute.histogram(bins, value_range)
    edges = np.linspace(lo, hi, bins + 1)
    np.testing.assert_allclose(stats.edges, edges)
    slack = np.array([brute.near(edges[k]) + brute.near(edges[k + 1]) for k in range(bins)])
    off = np.flatnonzero(np.abs(stats.counts - ref) > slack)
    assert off.size == 0, off
    # Moments: relative 1e-6 (the mean on the scale of σ, as it may be near 0).
    assert abs(stats.mean - v.mean()) <= tol * max(abs(v.mean()), v.std())
    assert stats.std == pytest.approx(v.std(), rel=tol)
    assert stats.eps == pytest.approx(stats.mean + 2 * stats.std)
    assert stats.min == pytest.approx(max(v.min(), -1.0), abs=tol)
    assert stats.max == pytest.approx(min(v.max(), 1.0), abs=tol)
    # Nearest neighbours, per input row.
    rows = total_rows if total_rows is not None else brute.keep.size
    assert stats.nn_index.shape == (rows,) and stats.nn_cos.shape == (rows,)
    best = brute.G.max(axis=1)
    second = np.partition(brute.G, -2, axis=1)[:, -2] if brute.G.shape[1] > 2 else best - 1
    got_cos = stats.nn_cos[brute.keep]
    np.testing.assert_allclose(got_cos, np.minimum(best, 1.0), atol=tol)
    local = np.searchsorted(brute.keep, stats.nn_index[brute.keep])
    assert np.all(brute.keep[local] == stats.nn_index[brute.keep])
    clear = best - second > 1e-5
    np.testing.assert_array_equal(local[clear], brute.G.argmax(axis=1)[clear])
    assert np.all(brute.G[np.arange(local.size), local] >= best - tol)
    # Top pairs: the largest cosines, i < j, in decreasing order.
    top = stats.top_pairs
    order = np.argsort(-v, kind="stable")[:len(top)]
    np.testing.assert_allclose([c for _, _, c in top], np.minimum(v[order], 1.0), atol=tol)
    assert all(i < j for i, j, _ in top)
    assert [c for _, _, c in top] == sorted((c for _, _, c in top), reverse=True)


@pytest.fixture(scope="module")
def gaussian():
    rng = np.random.default_rng(11)
    X = (rng.standard_normal((700, 30)) + 0.1).astype(np.float32)
    return X, Brute(X)


@pytest.mark.parametrize("block_size,workers", [(None, 2), (64, 2), (100, 1), (37, 2)])
def test_random_matrix_all_statistics(gaussian, block_size, workers):
    X, brute = gaussian
    stats = all_pairs(X, block_size=block_size, workers=workers, progress=False)
    check(stats, brute)
    assert stats.clamped == 0 and stats.dtype == "float32" and stats.device == "cpu"


def test_real_minilm_rows_all_statistics():
    X = minilm_rows(2500)
    brute = Brute(X)
    for block_size in (None, 256):  # one symmetric block; 10 block-rows with a short tail
        check(all_pairs(X, block_size=block_size, top_pairs=50, progress=False), brute)


def test_zero_rows_map_back_to_input_rows(gaussian):
    X, _ = gaussian
    Z = np.insert(X[:300], [0, 5, 5, 300], 0.0, axis=0)  # zero rows at 0, 5, 6 and the end
    stats = all_pairs(Z, block_size=64, progress=False)
    brute = Brute(Z)
    check(stats, brute, total_rows=Z.shape[0])
    zero = np.flatnonzero(~Z.any(axis=1))
    assert stats.zero_rows == 4 and stats.n_rows == 300
    assert np.all(stats.nn_index[zero] == -1) and np.all(np.isnan(stats.nn_cos[zero]))
    assert not set(stats.nn_index[stats.nn_index >= 0]) & set(zero)


@pytest.mark.parametrize("block_size", [None, 64, 40])
def test_duplicates_are_clamped_and_counted_never_lost(block_size):
    # Heavy-tailed rows: float32 products of a row with its exact copy land a few ulps above 1
    # (or antipodes below −1) often enough to exercise the clamping.
    rng = np.random.default_rng(0)
    base = rng.standard_normal((200, 512)).astype(np.float32) ** 3
    X = np.vstack([base, base * np.float32(3.5), -base[:50]])
    stats = all_pairs(X, block_size=block_size, top_pairs=5, progress=False)
    n = X.shape[0]
    assert stats.counts.sum() == stats.pairs == n * (n - 1) // 2
    assert 0 < stats.clamped <= 300  # 200 twin pairs and 100 antipodal pairs at most
    assert (stats.max, stats.min) == (1.0, -1.0)
    assert stats.counts[-1] == 200 and stats.counts[0] == 100
    np.testing.assert_array_equal(stats.nn_index[200:400], np.arange(200))
    np.testing.assert_allclose(stats.nn_cos[:400], 1.0, atol=1e-6)
    assert all(c <= 1.0 for _, _, c in stats.top_pairs)
    check(stats, Brute(X))


def test_custom_range_and_bins(gaussian):
    X, brute = gaussian
    for block_size in (None, 64, 40):  # symmetric/triangle and rectangle paths, slow binning
        stats = all_pairs(X, bins=40, value_range=(-0.2, 0.25), block_size=block_size,
                          progress=False)
        check(stats, brute, bins=40, value_range=(-0.2, 0.25))
        assert stats.below > 0 and stats.above > 0
    few = all_pairs(X, bins=7, progress=False)
    check(few, brute, bins=7)
    assert few.percent_per_bin().sum() == pytest.approx(100.0)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_low_precision_products(gaussian, dtype):
    torch = pytest.importorskip("torch")
    X, brute = gaussian
    stats = all_pairs(X, dtype=dtype, block_size=128, progress=False)
    assert stats.dtype == dtype and stats.counts.sum() == stats.pairs
    # Reference: cosines of the rows rounded to the product dtype (what the GEMM multiplies).
    U = X / np.linalg.norm(X.astype(np.float64), axis=1, keepdims=True).astype(np.float32)
    R = torch.from_numpy(U.astype(np.float32)).to(getattr(torch, dtype)).double().numpy()
    v = (R @ R.T)[np.triu_indices(len(R), 1)]
    assert abs(stats.mean - v.mean()) < 1e-6 * v.std()
    step = 2 ** -8 if dtype == "bfloat16" else 2 ** -11  # relative rounding of the outputs
    assert stats.std == pytest.approx(v.std(), rel=step)
    assert stats.max == pytest.approx(brute.values.max(), abs=4 * step)


def test_deterministic_across_runs_and_workers(gaussian):
    X, _ = gaussian
    a = all_pairs(X, block_size=64, workers=2, progress=False)
    b = all_pairs(X, block_size=64, workers=1, progress=False)
    for key in ("counts", "nn_index", "nn_cos"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    assert (a.mean, a.std, a.min, a.max, a.top_pairs) == (b.mean, b.std, b.min, b.max, b.top_pairs)


def test_sampled_pass(gaussian):
    X, _ = gaussian
    Z = X.copy()
    Z[::7] = 0  # zero rows are never sampled
    s1 = sampled_pairs(Z, 250, seed=4, bins=50, block_size=64, progress=False)
    s2 = sampled_pairs(Z, 250, seed=4, bins=50, block_size=64, progress=False)
    s3 = sampled_pairs(Z, 250, seed=5, bins=50, block_size=64, progress=False)
    idx = s1.sample_index
    assert idx.size == 250 and np.all(np.diff(idx) > 0) and np.all(Z[idx].any(axis=1))
    assert s1.zero_rows == len(range(0, 700, 7)) and s1.n_rows == 250
    np.testing.assert_array_equal(idx, s2.sample_index)
    np.testing.assert_array_equal(s1.counts, s2.counts)
    assert not np.array_equal(idx, s3.sample_index)
    # The same statistics as the full pass on those rows, indices mapped back to Z's rows.
    full = all_pairs(Z[idx], bins=50, block_size=64, progress=False)
    np.testing.assert_array_equal(s1.counts, full.counts)
    assert (s1.mean, s1.std) == (full.mean, full.std)
    np.testing.assert_array_equal(s1.nn_index, idx[full.nn_index])
    assert set(s1.nn_index) <= set(idx)
    assert [(i, j) for i, j, _ in s1.top_pairs] == [(idx[i], idx[j]) for i, j, _ in full.top_pairs]
    assert s1.to_dict()["sample"] == 250
    # The sample's mean is near the exact one (sampling error only).
    assert abs(s1.mean - exact_moments(Z).mean) < 0.01


def test_sampled_pass_errors(gaussian):
    X, _ = gaussian
    with pytest.raises(SimilarityError, match="exceeds the 700 non-zero rows"):
        sampled_pairs(X, 701)
    with pytest.raises(SimilarityError, match="m must be ≥ 2, got 1"):
        sampled_pairs(X, 1)
    with pytest.raises(SimilarityError, match="m must be an integer ≥ 2, got 2.5"):
        sampled_pairs(X, 2.5)
    with pytest.raises(SimilarityError, match="unknown option"):
        sampled_pairs(X, 10, colour="red")


def test_results_serialise_to_json_and_csv(gaussian):
    X, _ = gaussian
    stats = all_pairs(X, top_pairs=5, progress=False)
    d = json.loads(json.dumps(stats.to_dict()))
    assert d["pairs"] == stats.pairs and len(d["counts"]) == 300 and len(d["edges"]) == 301
    assert d["top_pairs"][0][:2] == list(stats.top_pairs[0][:2])
    assert "nn_index" not in d and d["class"] in ("Class 1", "Class 2", "between")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["lo", "hi", "count", "percent"])
    writer.writeheader()
    writer.writerows(stats.histogram_rows())
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert sum(int(r["count"]) for r in rows) == stats.pairs
    assert stats.percent_per_bin().sum() == pytest.approx(100.0)
    assert len(stats.top_pair_rows()) == 5
    # Primary tokens: the rows most often chosen as nearest neighbour, with their counts.
    counts = stats.nn_counts()
    prim = stats.primary_tokens(k=3, examples=2)
    assert [p["count"] for p in prim] == sorted(counts, reverse=True)[:3]
    for p in prim:
        assert all(stats.nn_index[e] == p["index"] for e, _ in p["examples"])


def test_bad_input_and_options(gaussian):
    X, _ = gaussian
    bad = X.copy()
    bad[[3, 9], 0] = np.nan
    with pytest.raises(EmbeddingError, match="2 of 700 rows contain NaN or Inf"):
        all_pairs(bad, progress=False)
    with pytest.raises(EmbeddingError, match="1 usable row"):
        all_pairs(np.vstack([X[:1], np.zeros((3, 30))]), progress=False)
    with pytest.raises(EmbeddingError, match="2-D"):
        all_pairs(X[0], progress=False)
    with pytest.raises(EmbeddingError, match="integer dtype"):
        all_pairs(X.astype(np.int32), progress=False)
    cases = [
        (dict(memory_budget="1KB"), "needs at least"),
        (dict(memory_budget="lots"), "cannot read 'lots'"),
        (dict(memory_budget=-5), "positive size"),
        (dict(memory_budget="1MB", block_size=600), "more than memory_budget"),
        (dict(bins=0), "bins must be"),
        (dict(value_range=(1.0, -1.0)), "lo < hi"),
        (dict(value_range=(0, float("nan"))), "lo < hi"),
        (dict(top_pairs=-1), "top_pairs"),
        (dict(dtype="int8"), "dtype must be one of"),
        (dict(workers=0), "workers must be ≥ 1, got 0"),
    ]
    for kwargs, pattern in cases:
        with pytest.raises(SimilarityError, match=pattern):
            all_pairs(X, progress=False, **kwargs)
    with pytest.raises(DeviceError, match="unknown device 'tpu'; use 'cpu', 'cuda' or 'cuda:N'$"):
        all_pairs(X, progress=False, device="tpu")
    with pytest.raises(DeviceError, match="'mps' is not supported here; use 'cpu', 'cuda' or 'cuda:N'"):
        all_pairs(X, progress=False, device="mps")


def test_cuda_request_without_gpu_is_a_clear_error(gaussian):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(DeviceError, match="no CUDA GPU"):
        all_pairs(gaussian[0], device="cuda", progress=False)


@pytest.mark.parametrize("n,b", [(2, 1), (5, 2), (64, 16), (100, 33), (257, 64)])
def test_plan_covers_each_pair_once(n, b):
    seen = np.zeros((n, n), dtype=int)
    for blk in plan(n, b):
        if blk.diagonal:
            assert (blk.r0, blk.r1) == (blk.c0, blk.c1)
            seen[blk.r0:blk.r1, blk.c0:blk.c1] += np.triu(np.ones((blk.r1 - blk.r0,) * 2, int), 1)
        else:
            assert blk.r1 <= blk.c0
            seen[blk.r0:blk.r1, blk.c0:blk.c1] += 1
    np.testing.assert_array_equal(seen, np.triu(np.ones((n, n), int), 1))
    assert sum(blk.pairs for blk in plan(n, b)) == n * (n - 1) // 2


def test_sizes_and_block_choice():
    assert parse_bytes("256MB") == 256 * 10**6
    assert parse_bytes("1.5 GiB") == int(1.5 * 2**30)
    assert parse_bytes(4096) == 4096 and parse_bytes("64k") == 64000
    assert choose_block(30522, parse_bytes("256MB"), in_flight=2, bytes_per_entry=12) == 2048
    assert choose_block(1000, 2 * 100 * 100 * 12, in_flight=2, bytes_per_entry=12) == 100
    assert choose_block(10, 10**9, in_flight=1, bytes_per_entry=12) == 10
