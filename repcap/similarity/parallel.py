"""Run independent blocks of work on several CPU cores, deterministically.

Every heavy loop of the engine (Gram chunks, bootstrap replicates, all-pairs blocks) is a list of
independent pieces whose partial results are merged. Instead of letting each torch/BLAS call fan
out over all cores (whose barriers stall badly when the machine is shared), each worker thread runs
whole pieces single-threaded, torch releases the GIL inside its kernels, and the caller receives the
results **in submission order**, so merges (floating-point sums included) happen in a fixed order
and the outcome does not depend on thread timing.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

from repcap.common.devices import torch_threads

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """Worker threads for CPU work: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@lru_cache(maxsize=1)
def _numpy_openblas():
    """NumPy's bundled OpenBLAS as a ctypes library, or None (another BLAS, or not found)."""
    import ctypes

    import numpy as np

    base = Path(np.__file__).resolve().parent
    for pattern in ("../numpy.libs/*openblas*", ".dylibs/*openblas*"):
        for path in sorted(base.glob(pattern)):
            try:
                return ctypes.CDLL(str(path))
            except OSError:
                continue
    return None


def single_thread_numpy_blas() -> bool:
    """Make NumPy's OpenBLAS run single-threaded *in the calling thread* (OpenBLAS ≥ 0.3.27's
    ``openblas_set_num_threads_local``). Returns whether it worked; other BLAS builds are left
    alone (they then pick their own thread counts)."""
    lib = _numpy_openblas()
    func = getattr(lib, "openblas_set_num_threads_local", None) if lib is not None else None
    if func is None:
        return False
    func(1)
    return True


@contextmanager
def single_threaded_here():
    """Run the enclosed block with torch and NumPy's OpenBLAS single-threaded in the calling
    thread; both settings are restored on exit."""
    lib = _numpy_openblas()
    func = getattr(lib, "openblas_set_num_threads_local", None) if lib is not None else None
    before = func(1) if func is not None else None
    try:
        with torch_threads(1):
            yield
    finally:
        if func is not None:
            func(before)


def _single_threaded() -> None:
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    single_thread_numpy_blas()


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int,
                prefetch: int | None = None) -> Iterator[R]:
    """``fn(item)`` for every item, computed by ``workers`` single-threaded torch workers, yielded
    in the order of ``items``. At most ``workers + prefetch`` items are in flight (memory bound).

    With ``workers == 1`` everything runs in the calling thread (no pool), still single-threaded.
    """
    workers = max(1, int(workers))
    ahead = workers + (workers if prefetch is None else max(0, int(prefetch)))
    if workers == 1:
        with single_threaded_here():
            for item in items:
                yield fn(item)
        return
    with torch_threads(1):
        with ThreadPoolExecutor(max_workers=workers, initializer=_single_threaded) as pool:
            pending: deque = deque()
            iterator = iter(items)
            try:
                for item in iterator:
                    pending.append(pool.submit(fn, item))
                    if len(pending) >= ahead:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            finally:
                for future in pending:
                    future.cancel()
