"""What the torch loops of the toy-model and collision studies share: a CPU-thread limit for torch, an
optional progress bar, and the positive-integer check (raising :class:`~repcap.errors.ToyModelError`).
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from repcap.errors import ToyModelError


def progress_bar(iterable, desc: str, enabled: bool):
    """A tqdm bar over ``iterable`` when enabled; the bare iterable otherwise (tqdm is not even
    imported then, which keeps its notebook-widget warning out of pages that show no bar)."""
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, mininterval=0.5)


@contextlib.contextmanager
def torch_threads(threads: int | None):
    """Run a block with torch limited to ``threads`` CPU threads (None: leave the setting alone)."""
    import torch

    if threads is None:
        yield
        return
    check_positive_int("threads", threads)
    old = torch.get_num_threads()
    torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def check_positive_int(name: str, value: Any) -> None:
    """Raise :class:`~repcap.errors.ToyModelError` unless ``value`` is an integer ≥ 1 (bool excluded)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ToyModelError(f"{name} must be a positive integer, got {value!r}")
