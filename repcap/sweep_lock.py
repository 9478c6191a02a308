"""One sweep, several readers: run :func:`repcap.sweeps.run_sweep` under an exclusive file lock.

Two chapters may need the same packing cells (chapter 5 fits the laws to them, chapter 6 takes the
fitted constants from them), and the book builds chapters in parallel. If both called ``run_sweep``
on the same results file at once, both would compute every cell. Under the lock, the second caller
waits until the first has finished and then finds every cell recorded, so each cell is computed once
and both chapters see the same numbers whatever order they run in.

The lock is ``<results file>.lock``, held with ``fcntl.flock`` (released by the kernel when the holder
exits, even on a crash, so a stale lock file never blocks). Where ``fcntl`` does not exist (Windows)
the sweep runs unlocked.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any, Iterator

from repcap.errors import PackingError

__all__ = ["sweep_lock", "locked_run_sweep"]


@contextlib.contextmanager
def sweep_lock(results_path: str | os.PathLike, *, timeout: float | None = None,
               poll: float = 0.5) -> Iterator[float]:
    """Hold the exclusive lock of ``results_path`` for the duration of the ``with`` block.

    Yields the seconds spent waiting for it. ``timeout`` (seconds, default: wait forever) bounds the
    wait; past it a :class:`PackingError` says which file is locked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield 0.0
        return
    lock_path = Path(str(results_path) + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    with open(lock_path, "a+") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if timeout is not None and time.monotonic() - began > timeout:
                    raise PackingError(f"another process has held {lock_path} for more than {timeout:.0f} s; "
                                       "wait for it to finish (it is computing the same sweep) or stop it")
                time.sleep(poll)
        try:
            yield time.monotonic() - began
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def locked_run_sweep(kind: str, cells, results_path: str | os.PathLike, *, timeout: float | None = None,
                     **kwargs: Any) -> list[dict]:
    """:func:`repcap.sweeps.run_sweep` (same arguments) while holding :func:`sweep_lock` on ``results_path``.

    Returns the sweep's records; each cell is computed by whichever caller gets the lock first.
    """
    from repcap.sweeps import run_sweep

    with sweep_lock(results_path, timeout=timeout):
        return run_sweep(kind, cells, results_path, **kwargs)
