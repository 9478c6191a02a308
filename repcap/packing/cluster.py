"""Sweeps on a Dask cluster: every missing cell of a grid is one task, and the driver writes the file.

``connect(address)`` opens a client of a running scheduler (``tcp://host:8786``) or starts a local
cluster (``local:N``: N worker processes with one thread each). :func:`run_sweep_on_cluster`
submits each cell that the results file lacks as a task named by its cell key
(:func:`repcap.packing.sweeps.cell_key`) and appends each record as its task finishes, under the
results file's lock, so the file's format, resume and locking are those of
:func:`repcap.packing.sweeps.run_sweep`, and what finished is on disk whatever happens later.

Faults: a worker that dies mid-cell is the scheduler's business (it reruns the task on another
worker; the cell resumes from its checkpoint when the checkpoint folder is shared); a cell that
raises is recorded as failed with its message and the others go on; a stopped driver leaves the
finished cells recorded, and the same call resumes. Dask is optional (``pip install
'repcap[cluster]'``); nothing here imports it before a cluster is asked for.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from repcap.common.checks import check_int
from repcap.common.progress import bar
from repcap.errors import DomainError, PackingError
from repcap.packing import sweeps
from repcap.packing.cost import estimate_seconds, fit_throughput, format_duration, grid_flops

__all__ = ["connect", "run_tasks", "run_cell", "run_sweep_on_cluster", "cost_line", "LARGE_SUBMISSION"]

# From this many cells on, the driver prints what the submission will cost before submitting.
LARGE_SUBMISSION = 20
_INSTALL_HINT = "Dask distributed is not installed; install the cluster extra: pip install 'repcap[cluster]'"


def _distributed():
    try:
        import distributed
    except ImportError:
        raise PackingError(_INSTALL_HINT) from None
    return distributed


def _local_size(address: str) -> int | None:
    if not address.startswith("local:"):
        return None
    text = address[len("local:"):]
    if not text.isdigit() or int(text) < 1:
        raise PackingError(f"--cluster {address!r}: write local:N with N ≥ 1 workers, e.g. local:2")
    return int(text)


@contextlib.contextmanager
def connect(address: str, *, gpus: bool = False, timeout: float = 20.0) -> Iterator[Any]:
    """A ``distributed.Client`` for ``address``, closed (with any cluster it started) on exit.

    ``address`` is a scheduler address (``tcp://10.0.0.5:8786``, ``127.0.0.1:8786``) or ``local:N``:
    N worker processes on this machine, one thread each. With ``gpus=True`` the N local workers
    are pinned to GPUs 0 … N−1 (``CUDA_VISIBLE_DEVICES``) and each offers the resource ``GPU=1``,
    which the cells of a CUDA sweep ask for. A scheduler that does not answer within ``timeout``
    seconds raises :class:`PackingError`.
    """
    distributed = _distributed()
    if not isinstance(address, str) or not address.strip():
        raise PackingError("--cluster needs a scheduler address (tcp://host:8786) or local:N")
    n_local = _local_size(address)
    cluster = None
    # A lost scheduler makes the client log reconnection tracebacks until it is closed; run_tasks
    # raises one PackingError that says the same in a line.
    client_log = logging.getLogger("distributed.client")
    level = client_log.level
    client_log.setLevel(logging.CRITICAL)
    try:
        if n_local is None:
            try:
                client = distributed.Client(address, timeout=f"{timeout}s")
            except ValueError as exc:  # refused at once, before any connection is tried
                raise PackingError(f"--cluster {address!r} is not a scheduler address ({exc}); write "
                                   "tcp://HOST:8786 or local:N") from None
            except (OSError, TimeoutError) as exc:
                raise PackingError(f"cannot reach a Dask scheduler at {address!r} within {timeout:.0f} s "
                                   f"({type(exc).__name__}); start one with `dask scheduler`") from None
        else:
            cluster = _local_cluster(distributed, n_local, gpus)
            client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()
        client_log.setLevel(level)


def _local_cluster(distributed, n: int, gpus: bool):
    if not gpus:
        # A cell that raises is reported by the driver; the workers' own tracebacks would only repeat it.
        return distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=logging.CRITICAL)
    # One worker per GPU, each seeing only its own card, so `cuda` inside a task is that card.
    workers = {f"gpu-{i}": {"cls": distributed.Nanny,
                            "options": {"nthreads": 1, "resources": {"GPU": 1},
                                        "silence_logs": logging.CRITICAL,
                                        "env": {"CUDA_VISIBLE_DEVICES": str(i)}}}
               for i in range(n)}
    return distributed.SpecCluster(workers=workers, scheduler={
        "cls": distributed.Scheduler, "options": {"dashboard_address": None}})


def run_tasks(client, fn: Callable[[Any], Any], items: dict[str, Any], *, retries: int = 0,
              resources: dict[str, float] | None = None, progress: bool = True,
              desc: str = "tasks") -> Iterator[tuple[str, Any, str | None]]:
    """Submit ``fn(item)`` for each ``key: item`` and yield ``(key, result, None)`` or
    ``(key, None, message)`` for a task that raised, in the order the tasks finish.

    Each task is named ``key`` (so the scheduler's logs and dashboard show the cell), impure (a
    rerun computes again) and retried ``retries`` times after an exception; a lost worker does
    not use up a retry (the scheduler reruns its tasks, up to its ``allowed-failures``). A
    progress bar on stderr counts done / running / failed. Losing the scheduler raises
    :class:`PackingError`; what was yielded before stays yielded.
    """
    distributed = _distributed()
    futures = {client.submit(fn, item, key=key, pure=False, retries=retries, resources=resources): key
               for key, item in items.items()}
    pbar = bar(len(futures), desc, unit="task", enabled=progress, leave=True)
    done = failed = 0
    try:
        for future in distributed.as_completed(futures):
            key = futures[future]
            if future.status == "finished":
                yield key, future.result(), None
                done += 1
            elif future.status == "error":
                exc = future.exception()
                yield key, None, f"{type(exc).__name__}: {exc}"
                failed += 1
            else:  # cancelled: the scheduler went away or dropped the task
                raise PackingError(f"lost the Dask scheduler (task {key} was {future.status}); the "
                                   f"{done + failed} tasks that finished are kept: run the same command "
                                   "again, with a scheduler, to continue")
            future.release()
            pbar.update(1)
            if progress:
                pbar.set_postfix(done=done, running=_running(client, futures.values()), failed=failed)
    finally:
        pbar.close()
        for future in futures:
            future.release()


def _running(client, keys: Iterable[str]) -> int:
    ours = set(keys)
    try:
        return sum(1 for tasks in client.processing().values() for key in tasks if key in ours)
    except Exception:  # a progress count is not worth failing a sweep over
        return 0


def run_cell(spec: dict) -> dict:
    """The task a worker runs: :func:`repcap.packing.sweeps.compute_cell` without progress bars."""
    return sweeps.compute_cell(spec, progress=False)


def cost_line(kind: str, specs: list[dict], records: Iterable[dict]) -> str:
    r"""One line on what ``specs`` cost: total work :math:`\sum W_i` and, at the throughput
    :math:`R` fitted to the timed cells already in ``records``, :math:`\sum W_i / R` seconds of
    worker time and their mean per cell (:mod:`repcap.packing.cost`)."""
    cells = [(s["k"], s["d"]) for s in specs]
    count = {"trials" if kind == "random" else "steps": specs[0]["count"]}
    head = f"{len(cells)} {kind} cells to compute, {grid_flops(kind, cells, **count):.3g} FLOP"
    try:
        rate = fit_throughput([r for r in records if r.get("kind") == kind], kind=kind)
    except DomainError:
        return head + "; no timed cell in the results file yet to estimate the time from"
    total = estimate_seconds(kind, cells, rate.rate, **count)
    return (f"{head}; at the {rate.rate / 1e9:.3g} GFLOP/s of the {rate.n} cells recorded ({rate.device}) "
            f"about {format_duration(total / len(cells))} per cell, {format_duration(total)} of worker time")


def run_sweep_on_cluster(kind: str, cells: Iterable, results_path: str | os.PathLike, *, cluster: Any,
                         trials: int | None = None, steps: int | None = None, seed: int = 0,
                         progress: bool = True, retries: int = 0, lock_timeout: float | None = None,
                         **kw: Any) -> list[dict]:
    """:func:`repcap.packing.sweeps.run_sweep` with the missing cells computed as tasks on a cluster.

    ``cluster`` is an address for :func:`connect` (``"local:2"``, ``"tcp://host:8786"``) or an
    open ``distributed.Client``. The other arguments are run_sweep's. Returns one record per cell
    of ``cells`` in order: the finished record, or for a cell that raised its failure record
    (``status="failed"``, ``error``, ``eps`` None), which the next run retries. Cells asking for
    ``device="cuda…"`` request the worker resource ``GPU=1``.
    """
    retries = check_int("retries", retries, 0, error=PackingError, integral_floats=False)
    path = Path(results_path)
    with sweeps.sweep_lock(path, timeout=lock_timeout):
        specs = sweeps.plan_cells(kind, cells, path, trials=trials, steps=steps, seed=seed, **kw)
        records = sweeps.load_results(path) if path.exists() else []
        missing = [s for s in specs if sweeps.find_record(records, s) is None]
        # Largest cells first (the scheduler starts tasks in submission order): the last cells to
        # finish are then small ones, and workers idle less at the end of the grid.
        missing.sort(key=lambda s: -s["k"] ** 2 * s["d"])
        todo = {sweeps.cell_key(s): s for s in missing}
        if todo:
            _distributed()
            if len(todo) >= LARGE_SUBMISSION:
                print(cost_line(kind, list(todo.values()), records), file=sys.stderr)
            gpu = str(kw.get("device") or "").startswith("cuda")
            opened = connect(cluster, gpus=gpu) if isinstance(cluster, str) else contextlib.nullcontext(cluster)
            with opened as client:
                for key, record, error in run_tasks(client, run_cell, todo, retries=retries,
                                                    resources={"GPU": 1} if gpu else None,
                                                    progress=progress, desc=f"{kind} cells"):
                    spec = todo[key]
                    if error is not None:
                        record = sweeps.failure_record(spec, error)
                    sweeps.record_cell(path, record, spec)
                    records = [r for r in records if not sweeps.is_failure_of(r, spec)] + [record]
        sweeps.remove_checkpoint_dir(path)
    out = []
    for spec in specs:
        found = sweeps.find_record(records, spec)
        if found is None:
            found = next(r for r in reversed(records) if sweeps.is_failure_of(r, spec))
        out.append(found)
    return out
