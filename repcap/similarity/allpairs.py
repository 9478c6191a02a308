r"""One streaming pass over all pairs of rows, for what needs the cosines themselves.

The exact moments (µ, σ, ε) need no pairs (:mod:`repcap.similarity.moments`), but the histogram of
the paper's Figures 1–2, the extremes, each token's nearest neighbour (Figure 3's "primary
tokens") and the most similar pairs do. :func:`all_pairs` computes them in one pass over the
strict upper triangle of :math:`C = \hat X\hat X^\top`, block by block
(:mod:`repcap.similarity.blocks`, :mod:`repcap.similarity.kernel`), never holding more than a few
blocks; :func:`sampled_pairs` does the same over all pairs among *m* random rows.

On the CPU, each worker thread runs whole blocks single-threaded (products by NumPy's BLAS for
float32, by torch for bfloat16/float16); on CUDA one stream runs them in turn. Block results are
merged in the fixed block order, so the pass is deterministic: the same input, block size and
dtype give the same numbers whatever the thread timing or the number of workers.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from repcap.common.checks import check_int
from repcap.common.devices import resolve_device
from repcap.common.progress import bar
from repcap.errors import SimilarityError
from repcap.similarity.blocks import MAX_BLOCK, choose_block, parse_bytes, plan
from repcap.similarity.inputs import (UnitRows, as_matrix, chunk_rows, label, raise_bad_rows,
                                      require_two, scan_chunk, unit_rows)
from repcap.similarity.kernel import MAX_INT16_BINS, BlockPass
from repcap.similarity.parallel import default_workers, ordered_map
from repcap.similarity.results import PairStats

CUDA_MAX_BLOCK = 8192  # a GPU wants big blocks; the memory budget still applies
DTYPES = {"float32": "float32", "fp32": "float32", "bfloat16": "bfloat16", "bf16": "bfloat16",
          "float16": "float16", "fp16": "float16", "half": "float16"}


def _check_options(bins, value_range, top_pairs, dtype):
    """``(bins, (lo, hi), top_pairs, dtype name)`` checked, or :class:`SimilarityError`."""
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or not 1 <= bins <= 10**7:
        raise SimilarityError(f"bins must be an integer between 1 and 10**7, got {bins!r}")
    try:
        lo, hi = (float(v) for v in value_range)
    except (TypeError, ValueError) as exc:
        raise SimilarityError(
            f"value_range must be two numbers (lo, hi), got {value_range!r}") from exc
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise SimilarityError(
            f"value_range must satisfy lo < hi (both finite), got {value_range!r}")
    top_pairs = check_int("top_pairs", top_pairs, 0, error=SimilarityError, integral_floats=False)
    key = str(dtype).replace("torch.", "").lower()
    if key not in DTYPES:
        raise SimilarityError(f"dtype must be one of float32, bfloat16, float16 (or fp32, bf16, "
                              f"fp16), got {dtype!r}")
    return int(bins), (lo, hi), int(top_pairs), DTYPES[key]


def bytes_per_entry(dtype: str, device, bins: int = 300) -> int:
    """Bytes of block working memory per cosine (what ``memory_budget`` is divided by): float32
    cosines (4), float32 bin coordinates (4), bin indices (2 as int16; 4 as int32 on CUDA or past
    32766 bins), transient masks and row selections (about 2), and the low-precision product
    itself unless it is float32 (2)."""
    wide_index = device.type == "cuda" or bins > MAX_INT16_BINS
    return 12 + (2 if dtype != "float32" else 0) + (2 if wide_index else 0)


_OPTIONS = {"bins": 300, "value_range": (-1.0, 1.0), "top_pairs": 20, "dtype": "float32",
            "device": None, "memory_budget": "256MB", "progress": True, "workers": None,
            "block_size": None}


def _run(rows: UnitRows, options: dict[str, Any], *, total_rows: int, zero_rows: int,
         sample_index: np.ndarray | None, desc: str) -> PairStats:
    """Plan the blocks, run them (merging in order) and assemble the :class:`PairStats`."""
    bins, value_range, top_pairs, dtype = _check_options(
        options["bins"], options["value_range"], options["top_pairs"], options["dtype"])
    dev = resolve_device(options["device"], allowed=("cpu", "cuda"))
    unit = rows.unit
    n = unit.shape[0]
    workers = options["workers"]
    workers = (default_workers() if dev.type == "cpu" else 1) if workers is None else workers
    workers = check_int("workers", workers, 1, error=SimilarityError, integral_floats=False)
    side = choose_block(n, parse_bytes(options["memory_budget"]), in_flight=int(workers),
                        bytes_per_entry=bytes_per_entry(dtype, dev, bins),
                        block_size=options["block_size"],
                        cap=MAX_BLOCK if dev.type == "cpu" else CUDA_MAX_BLOCK)
    state = BlockPass(unit, bins=bins, value_range=value_range, top_n=top_pairs, dtype=dtype,
                      device=dev, block=side, workers=int(workers))
    start, cpu = time.perf_counter(), time.process_time()
    with bar(n * (n - 1) // 2, desc, unit="pair", unit_scale=True,
             enabled=options["progress"]) as pbar:
        for part in ordered_map(state.run, plan(n, side), int(workers)):
            state.merge(part)
            pbar.update(part.block.pairs)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu

    mean, std, eps = state.moments()
    keep = rows.keep
    local_best = state.best_idx.cpu().numpy()
    best_cos = state.best_val.cpu().numpy().astype(np.float32)
    if sample_index is None:  # per input row; dropped zero rows get −1 / NaN
        nn_index = np.full(total_rows, -1, dtype=np.int64)
        nn_cos = np.full(total_rows, np.nan, dtype=np.float32)
        nn_index[keep] = keep[local_best]
        nn_cos[keep] = best_cos
    else:  # per sampled row
        nn_index, nn_cos = keep[local_best], best_cos
    top = [(int(keep[i]), int(keep[j]), float(v))
           for v, i, j in zip(state.top_v, state.top_i, state.top_j)]
    return PairStats(
        pairs=n * (n - 1) // 2, counts=state.hist.copy(),
        edges=np.linspace(state.lo, state.hi, state.bins + 1), mean=mean, std=std, eps=eps,
        min=float(state.vmin), max=float(state.vmax), nn_index=nn_index, nn_cos=nn_cos,
        top_pairs=top, clamped=int(state.clamped), seconds=seconds, cpu_seconds=cpu,
        device=str(dev), dtype=dtype, n_rows=n, zero_rows=zero_rows, below=int(state.below),
        above=int(state.above), block_size=side, workers=int(workers), sample_index=sample_index)


def all_pairs(X: Any, *, bins: int = 300, value_range: tuple[float, float] = (-1.0, 1.0),
              top_pairs: int = 20, dtype: str = "float32", device=None,
              memory_budget: int | str = "256MB", progress: bool = True, workers: int | None = None,
              block_size: int | None = None) -> PairStats:
    r"""Histogram, extremes, nearest neighbours and top pairs of the cosines of all row pairs.

    For the n non-zero rows :math:`\hat x_i` (normalised) and every pair *i < j*, with
    :math:`c_{ij} = \hat x_i\cdot\hat x_j` computed in ``dtype``:

    .. math::

        \text{counts}_k = \#\{i<j : e_k \le c_{ij} < e_{k+1}\},\quad
        e_k = \ell + k\,\frac{h-\ell}{B}\quad(\text{last bin closed}),

    .. math::

        \mu = \frac{1}{N}\sum_{i<j} c_{ij},\quad \sigma^2 = \frac{1}{N}\sum_{i<j} c_{ij}^2 - \mu^2,
        \quad \operatorname{nn}(i) = \operatorname*{arg\,max}_{j\ne i} c_{ij},

    plus min, max and the ``top_pairs`` largest :math:`c_{ij}`. Only blocks on or above the
    diagonal are multiplied (the strict upper triangle inside diagonal blocks), so each pair is
    computed once; memory stays within ``memory_budget`` for the blocks (plus the n × d matrix and
    O(n) per-row state), never n × n.

    Parameters
    ----------
    X : array, torch tensor or Embedding (``.matrix``); all-zero rows are dropped, NaN/Inf rows and
        non-float or non-2-D input are errors.
    bins, value_range : the histogram: ``bins`` equal bins on ``value_range`` (default: the paper's
        300 bins on [−1, 1]). Values outside are counted in ``below``/``above``.
    top_pairs : how many most-similar pairs to keep (0 for none).
    dtype : precision of the products: ``"float32"`` (default), ``"bfloat16"`` or ``"float16"``
        (rows are rounded to it, products accumulate as the backend does and are rounded to it;
        what the paper's GPU code did with bf16 checkpoints).
    device : ``None`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:N"``.
    memory_budget : bytes for the blocks in flight, e.g. ``"256MB"``; decides the block size.
    progress : show a tqdm bar with the pair rate.
    workers : CPU threads (default: all cores), each running whole blocks single-threaded.
    block_size : force the block side (must fit the budget); mainly for tests.

    Returns
    -------
    PairStats
        indices refer to the rows of ``X`` as given (zero rows: ``nn_index`` −1, ``nn_cos`` NaN).
    """
    options = dict(bins=bins, value_range=value_range, top_pairs=top_pairs, dtype=dtype,
                   device=device, memory_budget=memory_budget, progress=progress, workers=workers,
                   block_size=block_size)
    _check_options(bins, value_range, top_pairs, dtype)  # before reading the matrix
    rows = unit_rows(X, dtype=np.float32)
    return _run(rows, options, total_rows=rows.total_rows, zero_rows=rows.zero_rows,
                sample_index=None, desc="all pairs")


def nonzero_rows(X: Any) -> tuple[np.ndarray, int]:
    """``(indices of the usable rows, total rows)``, checking every row (NaN/Inf is an error)."""
    what = label(X)
    matrix = as_matrix(X, what)
    n, d = matrix.shape
    step = chunk_rows(d)
    keeps, bad = [], 0
    for lo in range(0, n, step):
        nbad, nonzero = scan_chunk(np.asarray(matrix[lo:lo + step]))
        bad += nbad
        if not bad:
            keeps.append(lo + np.flatnonzero(nonzero))
    raise_bad_rows(bad, n, what)
    keep = np.concatenate(keeps) if keeps else np.zeros(0, dtype=np.int64)
    require_two(keep.size, n - keep.size, what)
    return keep, n


def sampled_pairs(X: Any, m: int, *, seed: int = 0, **all_pairs_kwargs: Any) -> PairStats:
    r"""The all-pairs statistics over the :math:`m(m-1)/2` pairs among *m* random rows.

    The *m* rows are drawn without replacement, uniformly among the non-zero rows, by NumPy's
    ``default_rng(seed)``, and sorted; ``sample_index`` lists them. Every statistic of
    :func:`all_pairs` is then computed on those rows only (``nn_index`` is the nearest neighbour
    *within the sample*, as a row index of ``X``). The sample's mean is an unbiased estimate of µ;
    its histogram estimates the full one with a relative error of order :math:`1/\sqrt{m}` per bin
    mass (pairs sharing a row are dependent, so the error is that of *m* rows, not of the pairs).

    ``all_pairs_kwargs`` are those of :func:`all_pairs` (bins, value_range, top_pairs, dtype,
    device, memory_budget, progress, workers, block_size).
    """
    m = check_int("sampled_pairs: m", m, 2, error=SimilarityError, integral_floats=False)
    unknown = sorted(set(all_pairs_kwargs) - set(_OPTIONS))
    if unknown:
        raise SimilarityError(f"sampled_pairs: unknown option(s) {unknown}; the options are "
                              f"{', '.join(_OPTIONS)}")
    options = {**_OPTIONS, **all_pairs_kwargs}
    _check_options(options["bins"], options["value_range"], options["top_pairs"], options["dtype"])
    keep, total = nonzero_rows(X)
    if m > keep.size:
        raise SimilarityError(
            f"sampled_pairs: m={m} exceeds the {keep.size} non-zero rows; use all_pairs for every "
            "pair, or a smaller m")
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(keep, size=int(m), replace=False))
    rows = unit_rows(X, dtype=np.float32, rows=sample)
    return _run(rows, options, total_rows=total, zero_rows=total - keep.size,
                sample_index=rows.keep, desc=f"pairs of {m} rows")
