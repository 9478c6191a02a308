r"""The block kernel of the all-pairs pass: everything computed from one block of cosines.

A block is rows *R* × columns *K* of :math:`C = \hat X\hat X^\top`
(:mod:`repcap.similarity.blocks`), computed by one matrix product in the pass's dtype and read
as float32. From it the kernel takes

* the histogram: bin :math:`k = \lfloor (c - \ell)\,B/(h - \ell) \rfloor`, the last bin closed at
  *h* (NumPy's convention), counted by ``bincount`` on int16 indices;
* :math:`\sum c = (\sum_R \hat x_i)\cdot(\sum_K \hat x_j)`, exact in float64 without reading the
  block, and :math:`\sum (c - \mu_0)^2` around the exact mean :math:`\mu_0` (float32 row norms
  added in float64), so σ stays accurate even when µ is near 1;
* per row and per column the block maximum; the argmax is taken only for the rows/columns whose
  maximum reaches their running best (a lower bound that only grows), so most of the block is
  reduced without index bookkeeping; the column argmax goes through maxima of 32-row groups,
  because torch's ``argmax(dim=0)`` is an order of magnitude slower than a row reduction;
* the minimum only when the block's lowest bin reaches the lowest bin seen so far (binning is
  monotone, so no other block can hold the minimum), the maximum from the row maxima;
* the top-N candidates: entries at least the running N-th best value, from the rows that reach it.

For a range covering [−1, 1] the row maxima, column-group maxima, row norms and bin indices come
from one sweep over row chunks of 512 KB, so that each chunk is fetched from memory once.
Rounding can push the cosine of two (near-)identical rows just outside [−1, 1]; such values are
clamped onto the interval and counted, never dropped.

A diagonal block (I, I) is processed as the full symmetric matrix: every pair appears twice, the
diagonal is set to µ₀ (which adds nothing to the squared deviations and sits in a known bin), and
counts are halved. NumPy's :math:`AA^\top` (a BLAS syrk) is exactly symmetric; for other backends
the upper triangle is mirrored first.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from repcap.similarity.blocks import Block

MAX_INT16_BINS = 32766
GROUP = 32  # rows per group in the two-step column argmax
SWEEP_ENTRIES = 1 << 17  # cosines per chunk of the sweep (512 KB: stays in a core's L2)


@dataclass
class BlockPart:
    """What one block contributes; merged in block order by :class:`BlockPass`."""

    block: Block
    hist: np.ndarray | None = None
    below: int = 0
    above: int = 0
    clamped: int = 0
    s1: float = 0.0
    s2: float = 0.0
    vmin: float = math.inf
    vmax: float = -math.inf
    row_pos: Any = None   # local row positions whose argmax was taken
    row_val: Any = None
    row_arg: Any = None   # global column index of each such row's block maximum
    col_pos: Any = None
    col_val: Any = None
    col_arg: Any = None
    top: tuple | None = None  # (values, i, j) candidates
    low_bin: int = 1 << 62    # lowest non-empty histogram bin of the block


class BlockPass:
    """State and block kernel of one all-pairs pass over the rows of ``unit`` (n × d)."""

    def __init__(self, unit: np.ndarray, *, bins: int, value_range: tuple[float, float],
                 top_n: int, dtype: str, device, block: int, workers: int):
        import torch

        self.torch = torch
        self.n, self.dim = unit.shape
        self.bins = bins
        self.lo, self.hi = value_range
        self.scale = bins / (self.hi - self.lo)
        self.top_n = top_n
        self.device = device
        self.block = block
        self.workers = workers
        self.dtype = dtype
        self.product_dtype = getattr(torch, dtype)
        # float32 on the CPU multiplies with NumPy's BLAS (measured faster here than torch's for
        # these shapes); lower precisions and CUDA multiply with torch.
        self.numpy_gemm = device.type == "cpu" and dtype == "float32"
        self.unit_np = unit
        self.unit = torch.from_numpy(unit).to(device=device, dtype=self.product_dtype)
        # Running nearest neighbour per row. On the CPU the arrays are NumPy (cheap small updates
        # in the merging thread) and the workers read them through zero-copy torch views.
        self.on_cpu = device.type == "cpu"
        if self.on_cpu:
            self.best_val_np = np.full(self.n, -np.inf, dtype=np.float32)
            self.best_idx_np = np.full(self.n, -1, dtype=np.int64)
            self.best_val = torch.from_numpy(self.best_val_np)
            self.best_idx = torch.from_numpy(self.best_idx_np)
        else:
            self.best_val = torch.full((self.n,), -math.inf, dtype=torch.float32, device=device)
            self.best_idx = torch.full((self.n,), -1, dtype=torch.int64, device=device)
        self.top_thr = -math.inf
        self.top_v = np.zeros(0, dtype=np.float32)
        self.top_i = np.zeros(0, dtype=np.int64)
        self.top_j = np.zeros(0, dtype=np.int64)
        self.hist = np.zeros(bins, dtype=np.int64)
        self.below = self.above = self.clamped = 0
        self.sums: list[tuple[float, float]] = []
        self.vmin, self.vmax = math.inf, -math.inf
        self.low_bin = bins  # lowest non-empty bin so far (only decreases)
        self.bias = torch.tensor(-self.lo * self.scale, dtype=torch.float32, device=device)
        # The exact mean cosine, from Σ x̂_i alone: squares are summed around it (Σ (c − µ₀)²), so
        # σ stays accurate however close µ is to 1.
        total = unit.sum(axis=0, dtype=np.float64)
        norms2 = float(np.einsum("ij,ij->", unit, unit, dtype=np.float64))
        self.mu0 = (float(total @ total) - norms2) / (self.n * (self.n - 1)) if self.n > 1 else 0.0
        self.mu0_t = torch.tensor(self.mu0, dtype=torch.float32, device=device)
        self.bias_c = torch.tensor((self.mu0 - self.lo) * self.scale, dtype=torch.float32,
                                   device=device)
        # Bin of a diagonal entry set to µ₀ by the sweep (same float32 arithmetic).
        diag_y = float(torch.add(self.bias_c, self.mu0_t - self.mu0_t, alpha=self.scale))
        self.diag_bin = min(int(diag_y), bins - 1)
        narrow = bins <= MAX_INT16_BINS and device.type == "cpu"
        self.index_dtype = torch.int16 if narrow else torch.int32
        self._local = threading.local()
        self._triu: dict[int, tuple] = {}
        self._sums: dict[tuple[int, int], Any] = {}
        self._lock = threading.Lock()
        self._numpy_symmetric: bool | None = None

    # -- buffers -----------------------------------------------------------------------------
    def _buffers(self):
        """Per-thread reusable buffers (allocating 10-20 MB per block would cost page faults)."""
        local = self._local
        if getattr(local, "cos", None) is None:
            torch = self.torch
            size = self.block * self.block
            if self.numpy_gemm:
                local.cos_np = np.empty(size, dtype=np.float32)
                local.cos = torch.from_numpy(local.cos_np)
            else:
                local.cos = torch.empty(size, dtype=torch.float32, device=self.device)
                local.low = (None if self.product_dtype == torch.float32 else
                             torch.empty(size, dtype=self.product_dtype, device=self.device))
            local.y = torch.empty(size, dtype=torch.float32, device=self.device)
            local.index = torch.empty(size, dtype=self.index_dtype, device=self.device)
        return local

    def product(self, blk: Block):
        """The float32 cosines of the block's rows × columns, in this thread's buffer."""
        buf = self._buffers()
        nr, nc = blk.r1 - blk.r0, blk.c1 - blk.c0
        if self.numpy_gemm:
            out = buf.cos_np[:nr * nc].reshape(nr, nc)
            np.matmul(self.unit_np[blk.r0:blk.r1], self.unit_np[blk.c0:blk.c1].T, out=out)
            return buf.cos[:nr * nc].view(nr, nc)
        a, b = self.unit[blk.r0:blk.r1], self.unit[blk.c0:blk.c1]
        cos = buf.cos[:nr * nc].view(nr, nc)
        if buf.low is None:
            return self.torch.mm(a, b.T, out=cos)
        low = buf.low[:nr * nc].view(nr, nc)
        self.torch.mm(a, b.T, out=low)
        return cos.copy_(low)

    def bare(self, blk: Block) -> int:
        """Only the block's matrix product (the benchmark's baseline over the same blocks)."""
        self.product(blk)
        return blk.products

    # -- kernel --------------------------------------------------------------------------------
    def run(self, blk: Block) -> BlockPart:
        if not blk.diagonal:
            return self._rectangle(blk)
        if self._fast(blk.r1 - blk.r0):
            return self._diagonal(blk)
        return self._triangle(blk)

    def _fast(self, rows: int) -> bool:
        """The chunked sweep applies: a range covering [−1, 1] and at least two row groups."""
        return self.lo <= -1.0 and self.hi >= 1.0 and rows >= 2 * GROUP

    def _rectangle(self, blk: Block) -> BlockPart:
        torch = self.torch
        cos = self.product(blk)
        part = BlockPart(blk)
        nr, nc = cos.shape
        vmin = None
        fast = self._fast(nr)
        if fast:
            # One sweep over row chunks small enough to stay in cache: row maxima, column-group
            # maxima, row norms and the bin indices, each chunk read from memory once.
            rmax, groups, norms = self._sweep(cos)
            vmax = float(rmax.max())
            if vmax > 1.0:  # rounding on (near-)duplicate rows: clamp, then sweep again
                part.clamped += int((cos > 1.0).sum())
                cos.clamp_(max=1.0)
                rmax, groups, norms = self._sweep(cos)
                vmax = 1.0
            cmax = groups.amax(dim=0)
        else:
            rmax = cos.amax(dim=1)
            vmax = float(rmax.max())
            if vmax > 1.0:
                part.clamped += int((cos > 1.0).sum())
                cos.clamp_(max=1.0)
                rmax.clamp_(max=1.0)
                vmax = 1.0
            if self.lo > -1.0:  # values below a custom range must be known before binning
                vmin = self._block_min(cos, part)
            groups, cmax = self._column_groups(cos)
            norms = torch.linalg.vector_norm(cos - self.mu0_t, dim=1)

        # Nearest neighbours. best_val only grows, so a row whose block maximum is below its
        # best *now* cannot win at merge time; ">=" keeps ties for the smallest-index rule.
        rows = torch.nonzero(rmax >= self.best_val[blk.r0:blk.r1]).squeeze(1)
        if rows.numel():
            sub = cos if rows.numel() == nr else cos.index_select(0, rows)
            part.row_pos, part.row_val = rows, rmax.index_select(0, rows)
            part.row_arg = self._row_argmax(sub) + blk.c0
        cols = torch.nonzero(cmax >= self.best_val[blk.c0:blk.c1]).squeeze(1)
        if cols.numel():
            part.col_pos, part.col_val = cols, cmax.index_select(0, cols)
            part.col_arg = self._column_argmax(cos, groups, cols) + blk.r0

        # Σ c over the block is (Σ_R x̂_i)·(Σ_K x̂_j): exact in float64, no pass over the block.
        # Σ (c − µ₀)² needs the values: float32 row norms, squared and added in float64.
        part.s1 = float(torch.dot(self._row_sum(blk.r0, blk.r1), self._row_sum(blk.c0, blk.c1)))
        part.s2 = float(norms.double().square().sum())

        if self.top_n:
            part.top = self._top_rect(cos, rmax, blk)
        if fast:
            part.hist = self._count(nr * nc)
        else:
            part.hist, part.below, part.above = self._histogram(cos, vmin, vmax)
        lowest = int(np.argmax(part.hist > 0)) if part.hist.any() else self.bins
        # The block can hold the overall minimum only if its lowest bin is at or below the lowest
        # bin seen so far (binning is monotone); only then is its exact minimum needed. Values
        # below −1 (rounding) can only sit in bin 0, so a non-empty bin 0 is checked as well.
        if vmin is None and (part.hist[0] > 0 or lowest <= self.low_bin):
            vmin = self._block_min(cos, part)
        part.vmax = vmax
        part.vmin = math.inf if vmin is None else vmin
        part.low_bin = lowest
        return part

    def _sweep(self, cos, groups: bool = True):
        """Row maxima, column-group maxima (or None), the row norms of ``cos − µ₀``, and the bin
        indices of ``cos`` written to this thread's index buffer, chunk by chunk (for a range that
        covers [−1, 1])."""
        torch = self.torch
        buf = self._buffers()
        nr, nc = cos.shape
        step = max(GROUP, (SWEEP_ENTRIES // max(nc, 1)) // GROUP * GROUP)
        rmax = torch.empty(nr, dtype=torch.float32, device=cos.device)
        norms = torch.empty(nr, dtype=torch.float32, device=cos.device)
        gmax = (torch.empty((-(-nr // GROUP), nc), dtype=torch.float32, device=cos.device)
                if groups else None)
        for r in range(0, nr, step):
            chunk = cos[r:r + step]
            m = chunk.shape[0]
            torch.amax(chunk, dim=1, out=rmax[r:r + m])
            g0, whole = r // GROUP, m // GROUP
            if groups and whole:
                torch.amax(chunk[:whole * GROUP].view(whole, GROUP, nc), dim=1,
                           out=gmax[g0:g0 + whole])
            if groups and m % GROUP:
                torch.amax(chunk[whole * GROUP:], dim=0, out=gmax[g0 + whole])
            y = buf.y[:m * nc].view(m, nc)
            torch.sub(chunk, self.mu0_t, out=y)
            torch.linalg.vector_norm(y, dim=1, out=norms[r:r + m])
            # y = (c − µ₀)·s + (µ₀ − lo)·s = (c − lo)·B/(h − lo) ≥ 0 up to rounding at c = lo;
            # integer conversion truncates, i.e. floors it (and sends −1 < y < 0 to bin 0 too).
            torch.add(self.bias_c, y, alpha=self.scale, out=y)
            buf.index[r * nc:(r + m) * nc].copy_(y.view(-1))
        return rmax, gmax, norms

    def _count(self, size: int) -> np.ndarray:
        """Histogram of the first ``size`` bin indices in this thread's index buffer."""
        counts = self.torch.bincount(self._buffers().index[:size], minlength=self.bins + 1)
        counts = counts.cpu().numpy().astype(np.int64)
        hist = counts[:self.bins].copy()
        hist[-1] += counts[self.bins:].sum()  # c = 1 exactly falls on the closed right edge
        return hist

    def _block_min(self, cos, part: BlockPart, copies: int = 1) -> float:
        """Exact block minimum; values below −1 (rounding) are clamped and counted (a symmetric
        diagonal block holds each pair ``copies`` = 2 times)."""
        vmin = float(cos.amin())
        if vmin < -1.0:
            part.clamped += int((cos < -1.0).sum()) // copies
            cos.clamp_(min=-1.0)
            vmin = -1.0
        return vmin

    def _row_sum(self, lo: int, hi: int):
        """Σ_{lo ≤ i < hi} x̂_i in float64 (cached: every block-row recurs in many blocks)."""
        return self._row_stats(lo, hi)[0]

    def _row_stats(self, lo: int, hi: int):
        """(Σ x̂_i, Σ ‖x̂_i‖²) over rows lo ≤ i < hi, in float64, cached."""
        key = (lo, hi)
        cached = self._sums.get(key)
        if cached is None:
            rows = self.unit[lo:hi].double()
            cached = (rows.sum(dim=0), float(rows.square().sum()))
            with self._lock:
                self._sums[key] = cached
        return cached

    def _column_groups(self, cos):
        """Column maxima of ``cos`` and the maxima of its groups of GROUP consecutive rows.

        torch's ``argmax(dim=0)`` on a C-ordered block is about ten times slower than a reduction
        along rows, so the column argmax is found in two cheap steps: the group holding each
        column's maximum (from these group maxima), then the row inside that group."""
        nr = cos.shape[0]
        full = nr - nr % GROUP
        if full < 2 * GROUP:
            return None, cos.amax(dim=0)
        groups = cos[:full].view(full // GROUP, GROUP, cos.shape[1]).amax(dim=1)
        if full < nr:
            groups = self.torch.cat([groups, cos[full:].amax(dim=0, keepdim=True)])
        return groups, groups.amax(dim=0)

    def _row_argmax(self, sub):
        """First column of the maximum of each row of ``sub``: the group of GROUP consecutive
        columns holding it (a vectorised reduction), then the column inside that group; about
        three times faster than ``argmax(dim=1)`` on CPU blocks."""
        torch = self.torch
        k, nc = sub.shape
        full = nc - nc % GROUP
        if full < 2 * GROUP or sub.device.type != "cpu":
            return sub.argmax(dim=1)
        groups = sub[:, :full].reshape(k, full // GROUP, GROUP).amax(dim=2)
        if full < nc:
            groups = torch.cat([groups, sub[:, full:].amax(dim=1, keepdim=True)], dim=1)
        first = groups.argmax(dim=1) * GROUP
        cols = (first[:, None] + torch.arange(GROUP, device=sub.device)[None, :]).clamp_(max=nc - 1)
        return first + sub.gather(1, cols).argmax(dim=1)

    def _column_argmax(self, cos, groups, cols):
        """First row of the maximum of each column in ``cols`` (see :meth:`_column_groups`)."""
        torch = self.torch
        if groups is None:
            return cos.index_select(1, cols).argmax(dim=0)
        first = groups.index_select(1, cols).T.contiguous().argmax(dim=1) * GROUP
        offsets = torch.arange(GROUP, device=cos.device)
        rows = (first[None, :] + offsets[:, None]).clamp_(max=cos.shape[0] - 1)
        # Row indices past the end are clamped onto the last row: repeats come after the real
        # one, so the first maximum found is still the smallest row index.
        inside = cos[rows, cols[None, :]].T.contiguous().argmax(dim=1)
        return first + inside

    def _top_rect(self, cos, rmax, blk: Block, upper_only: bool = False):
        """Candidates for the top pairs: entries ≥ the running N-th best value (and ≥ this block's
        own N-th best), from the rows whose maximum reaches it. ``upper_only``: a symmetric
        diagonal block, where only j > i counts and each pair appears twice."""
        torch = self.torch
        # This block adds at most N pairs. A pair is the maximum of at most one row of a
        # rectangle (two of a symmetric block, where it also appears twice), so the k-th largest
        # row maximum and the k-th largest selected entry, k = N (2N), lie at or below the N-th
        # largest pair of the block: entries below them cannot enter the top N.
        k = self.top_n * (2 if upper_only else 1)
        thr = self.top_thr
        if rmax.numel() > k:
            thr = max(thr, float(torch.topk(rmax, k, sorted=False).values.min()))
        rows = torch.nonzero(rmax >= thr).squeeze(1)
        if not rows.numel():
            return None
        sub = cos if rows.numel() == cos.shape[0] else cos.index_select(0, rows)
        flat = sub.reshape(-1)
        if flat.numel() > k:
            thr = max(thr, float(torch.topk(flat, k, sorted=False).values.min()))
        hit = torch.nonzero(sub >= thr)
        i = rows[hit[:, 0]]
        j = hit[:, 1]
        if upper_only:
            keep = j > i
            hit, i, j = hit[keep], i[keep], j[keep]
        values = sub[hit[:, 0], hit[:, 1]]
        return (values.cpu().numpy(), (blk.r0 + i).cpu().numpy(), (blk.c0 + j).cpu().numpy())

    def _histogram(self, values, vmin: float | None, vmax: float):
        """Counts of ``values`` in the pass's bins, and the numbers below/above the range.

        ``values`` is left intact (the bin coordinates go to a separate buffer). ``vmin`` may be
        None only for a range starting at −1 or lower, where nothing can fall below it."""
        torch = self.torch
        buf = self._buffers()
        flat = values.reshape(-1)
        y = buf.y[:flat.numel()]
        # y = (c − lo)·B/(h − lo); converting y ≥ 0 to an integer truncates, i.e. floors it, and
        # the −1 < y < 0 that rounding can give at c = lo also lands in bin 0.
        torch.add(self.bias, flat, alpha=self.scale, out=y)
        below = above = 0
        if vmax > self.hi:
            above = int((flat > self.hi).sum())
            y.clamp_(max=float(self.bins))
        if vmin is not None and vmin < self.lo:
            below = int((flat < self.lo).sum())
            y.clamp_(min=0.0)
        index = buf.index[:flat.numel()]
        index.copy_(y)
        counts = torch.bincount(index, minlength=self.bins + 1).cpu().numpy().astype(np.int64)
        hist = counts[:self.bins].copy()
        hist[-1] += counts[self.bins:].sum()  # c = h exactly, and values above h (clamped to h)
        hist[0] -= below
        hist[-1] -= above
        return hist, below, above

    def _diagonal(self, blk: Block) -> BlockPart:
        """A diagonal block as a full symmetric matrix: each pair i ≠ j appears twice. The diagonal
        is set to µ₀ (adds nothing to Σ (c − µ₀)², sits in a known bin that is then emptied);
        a row whose maximum is that diagonal entry is recomputed without it."""
        torch = self.torch
        cos = self.product(blk)
        m = blk.r1 - blk.r0
        if not self._symmetric(cos):
            # NumPy computes A·Aᵀ with a BLAS syrk, which is exactly symmetric; other backends
            # need not be, so the strict upper triangle is mirrored: one value per pair.
            upper = torch.triu(cos, diagonal=1)
            cos.copy_(upper + upper.T)
        cos.fill_diagonal_(self.mu0)
        part = BlockPart(blk)
        rmax, _, norms = self._sweep(cos, groups=False)
        if float(rmax.max()) > 1.0:
            part.clamped += int((cos > 1.0).sum()) // 2
            cos.clamp_(max=1.0)
            rmax, _, norms = self._sweep(cos, groups=False)
        rows = torch.nonzero(rmax >= self.best_val[blk.r0:blk.r1]).squeeze(1)
        if rows.numel():
            sub = cos if rows.numel() == m else cos.index_select(0, rows)
            arg = self._row_argmax(sub)
            for k in torch.nonzero(arg == rows).squeeze(1).tolist():
                row = sub[k].clone()  # every other cosine of this row is ≤ µ₀: skip the diagonal
                row[int(rows[k])] = -math.inf
                arg[k] = row.argmax()
                rmax[int(rows[k])] = row[int(arg[k])]
            part.row_pos, part.row_val = rows, rmax.index_select(0, rows)
            part.row_arg = arg + blk.c0
        total, sq = self._row_stats(blk.r0, blk.r1)
        part.s1 = (float(total @ total) - sq) / 2.0
        part.s2 = float(norms.double().square().sum()) / 2.0
        if self.top_n:
            part.top = self._top_rect(cos, rmax, blk, upper_only=True)
        counts = self._count(m * m)
        counts[self.diag_bin] -= m
        part.hist = counts // 2
        lowest = int(np.argmax(part.hist > 0)) if part.hist.any() else self.bins
        vmin = math.inf
        if part.hist[0] > 0 or lowest <= self.low_bin:
            cos.fill_diagonal_(2.0)
            vmin = self._block_min(cos, part, copies=2)
        # The global maximum is at least the mean µ₀, so a diagonal µ₀ never decides it.
        part.vmax, part.vmin, part.low_bin = min(float(rmax.max()), 1.0), vmin, lowest
        return part

    def _symmetric(self, cos) -> bool:
        """Whether this backend's A·Aᵀ blocks are exactly symmetric (checked once, on NumPy)."""
        if not self.numpy_gemm:
            return False
        if self._numpy_symmetric is None:
            self._numpy_symmetric = bool(self.torch.equal(cos, cos.T))
        return self._numpy_symmetric

    def _triu_mask(self, m: int):
        with self._lock:
            if m not in self._triu:
                ones = self.torch.ones((m, m), dtype=self.torch.bool, device=self.device)
                self._triu[m] = self.torch.triu(ones, diagonal=1)
            return self._triu[m]

    def _triangle(self, blk: Block) -> BlockPart:
        """A diagonal block through its strict upper triangle (small blocks, custom ranges)."""
        torch = self.torch
        cos = self.product(blk)
        m = blk.r1 - blk.r0
        mask = self._triu_mask(m)
        values = cos.masked_select(mask)  # row-major: pairs (i, j), i < j
        part = BlockPart(blk)
        vmax, vmin = float(values.max()), float(values.min())
        if vmax > 1.0 or vmin < -1.0:
            part.clamped = int((values > 1.0).sum()) + int((values < -1.0).sum())
            values.clamp_(-1.0, 1.0)
            cos.clamp_(-1.0, 1.0)
            vmax, vmin = min(vmax, 1.0), max(vmin, -1.0)
        part.vmax, part.vmin = vmax, vmin
        # Symmetric matrix taken from the upper triangle only, so each pair has one value.
        sym = torch.where(mask, cos, cos.T)
        sym.fill_diagonal_(-math.inf)
        best, arg = sym.max(dim=1)
        part.row_pos = torch.arange(m, device=cos.device)
        part.row_val, part.row_arg = best, arg + blk.c0
        wide = values.double()
        part.s1 = float(wide.sum())
        part.s2 = float((wide - self.mu0).square().sum())
        if self.top_n:
            hit = torch.nonzero((cos >= self.top_thr) & mask)
            if hit.numel():
                part.top = (cos[hit[:, 0], hit[:, 1]].cpu().numpy(),
                            (blk.r0 + hit[:, 0]).cpu().numpy(), (blk.c0 + hit[:, 1]).cpu().numpy())
        part.hist, part.below, part.above = self._histogram(values, vmin, vmax)
        part.low_bin = int(np.argmax(part.hist > 0)) if part.hist.any() else self.bins
        return part

    # -- merge ----------------------------------------------------------------------------------
    def merge(self, part: BlockPart) -> None:
        self.hist += part.hist
        self.below += part.below
        self.above += part.above
        self.clamped += part.clamped
        self.sums.append((part.s1, part.s2))
        self.vmin = min(self.vmin, part.vmin)
        self.vmax = max(self.vmax, part.vmax)
        self.low_bin = min(self.low_bin, part.low_bin)
        blk = part.block
        if part.row_pos is not None:
            self._update(blk.r0 + part.row_pos, part.row_val, part.row_arg)
        if part.col_pos is not None:
            self._update(blk.c0 + part.col_pos, part.col_val, part.col_arg)
        if part.top is not None:
            self._merge_top(*part.top)

    def _update(self, pos, val, arg) -> None:
        """best(i) ← (val, arg) where val is larger, or equal with a smaller index."""
        if self.on_cpu:
            pos, val, arg = pos.numpy(), val.numpy(), arg.numpy()
            cur_v, cur_i = self.best_val_np[pos], self.best_idx_np[pos]
            better = (val > cur_v) | ((val == cur_v) & (arg < cur_i))
            if better.any():
                where = pos[better]
                self.best_val_np[where] = val[better]
                self.best_idx_np[where] = arg[better]
            return
        cur_v, cur_i = self.best_val[pos], self.best_idx[pos]
        better = (val > cur_v) | ((val == cur_v) & (arg < cur_i))
        if bool(better.any()):
            where = pos[better]
            self.best_val[where] = val[better]
            self.best_idx[where] = arg[better]

    def _merge_top(self, values, rows, cols) -> None:
        v = np.concatenate([self.top_v, values.astype(np.float32)])
        i = np.concatenate([self.top_i, rows.astype(np.int64)])
        j = np.concatenate([self.top_j, cols.astype(np.int64)])
        order = np.lexsort((j, i, -v))[:self.top_n]
        self.top_v, self.top_i, self.top_j = v[order], i[order], j[order]
        if self.top_v.size == self.top_n:
            self.top_thr = float(self.top_v[-1])

    def moments(self) -> tuple[float, float, float]:
        """µ = ΣS₁/N and σ² = Σ (c − µ₀)²/N − (µ − µ₀)², with float64 block sums added exactly."""
        pairs = self.n * (self.n - 1) / 2
        mean = math.fsum(s for s, _ in self.sums) / pairs
        var = math.fsum(s for _, s in self.sums) / pairs - (mean - self.mu0) ** 2
        std = math.sqrt(max(var, 0.0))
        return mean, std, mean + 2.0 * std
