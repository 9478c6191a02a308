"""Which blocks of the n × n cosine matrix the all-pairs pass computes, and how big they may be.

Only pairs i < j are wanted. The rows are cut into block-rows of ``b`` rows, and the pass visits
block (I, J) for I ≤ J only: an off-diagonal block (I < J) holds wanted pairs only, a diagonal
block (I, I) is symmetric and holds each of its pairs twice (its strict upper triangle is what
counts; see :mod:`repcap.similarity.allpairs`). Every unordered pair is therefore covered exactly
once. Block-rows are visited from the last to the first: a token's blocks as a row then come
before its blocks as a column, which makes the nearest-neighbour bookkeeping cheaper, and does
not change any result.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from repcap.common.checks import check_int
from repcap.errors import SimilarityError, option

_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9,
          "gb": 10**9, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
MIN_BLOCK = 16
MAX_BLOCK = 2048


@dataclass(frozen=True)
class Block:
    """Rows [r0, r1) × columns [c0, c1); a ``diagonal`` block (r0 = c0, r1 = c1) counts only the
    pairs above its diagonal."""

    r0: int
    r1: int
    c0: int
    c1: int
    diagonal: bool

    @property
    def pairs(self) -> int:
        m = self.r1 - self.r0
        return m * (m - 1) // 2 if self.diagonal else m * (self.c1 - self.c0)

    @property
    def products(self) -> int:
        """Entries the matrix product computes for this block."""
        return (self.r1 - self.r0) * (self.c1 - self.c0)


def parse_bytes(value: int | float | str, what: str = "memory_budget") -> int:
    """Bytes in ``value``: an int/float, or a string such as ``"256MB"``, ``"1.5 GiB"``, ``"64k"``
    (kB, MB, GB are powers of 1000; KiB, MiB, GiB powers of 1024)."""
    if isinstance(value, bool):
        raise SimilarityError(f"{what} must be a size such as '256MB', got {value!r}")
    if isinstance(value, (int, float)):
        number, unit = float(value), ""
    elif isinstance(value, str):
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*", value)
        if not match or match.group(2).lower() not in _UNITS:
            raise SimilarityError(
                f"{what}: cannot read {value!r} as a size; write e.g. '256MB', '2GiB' or 500000000")
        number, unit = float(match.group(1)), match.group(2).lower()
    else:
        raise SimilarityError(f"{what} must be a size such as '256MB', got {type(value).__name__}")
    size = number * _UNITS[unit]
    if not math.isfinite(size) or size <= 0:
        raise SimilarityError(f"{what} must be a positive size, got {value!r}")
    return int(size)


def choose_block(n: int, budget: int, *, in_flight: int, bytes_per_entry: int,
                 block_size: int | None = None, cap: int = MAX_BLOCK) -> int:
    """Side b of the square blocks: the largest b ≤ ``cap`` (and ≤ n) with
    ``in_flight · b² · bytes_per_entry ≤ budget``, or ``block_size`` when given (checked against
    the budget). Raises :class:`SimilarityError` when even a ``MIN_BLOCK``-row block does not
    fit."""
    fit = int(math.isqrt(max(budget // max(in_flight * bytes_per_entry, 1), 0)))
    smallest = min(MIN_BLOCK, n)
    if fit < smallest:
        need = in_flight * smallest * smallest * bytes_per_entry
        raise SimilarityError(
            f"{option('memory_budget')} of {budget} bytes cannot hold {in_flight} block(s) of "
            f"{smallest}×{smallest} cosines ({bytes_per_entry} bytes each); the pass needs at "
            f"least {need} bytes: raise {option('memory_budget')} (e.g. '256MB') or use fewer workers")
    if block_size is not None:
        block_size = check_int("block_size", block_size, 1, error=SimilarityError,
                               integral_floats=False)
        side = min(block_size, n)
        if side > fit:
            raise SimilarityError(
                f"block_size={block_size} needs {in_flight * side ** 2 * bytes_per_entry} bytes, "
                f"more than memory_budget={budget}; lower block_size or raise memory_budget")
        return side
    return max(1, min(fit, cap, n))


def plan(n: int, b: int) -> list[Block]:
    """The blocks (I, J), I ≤ J, of b rows each (the last block-row may be shorter) covering every
    pair i < j of n rows exactly once, block-rows from last to first."""
    starts = list(range(0, n, b))
    blocks: list[Block] = []
    for bi in reversed(range(len(starts))):
        r0, r1 = starts[bi], min(starts[bi] + b, n)
        if r1 - r0 >= 2:
            blocks.append(Block(r0, r1, r0, r1, True))
        for bj in range(bi + 1, len(starts)):
            blocks.append(Block(r0, r1, starts[bj], min(starts[bj] + b, n), False))
    return blocks
