"""Resumable sweeps of packing cells over (k, d) grids, one JSON record per finished cell.

A sweep appends each finished cell to a JSON-lines results file (the whole file is rewritten
atomically, so a crash leaves either the old or the new file). Restarted with the same arguments it
skips every cell already recorded with the same settings, and an optimised cell that was interrupted
half-way resumes from its checkpoint in ``<results file>.checkpoints/``. A cell computed elsewhere
(:mod:`repcap.packing.cluster`) that raised gets a failure record (``status="failed"``, its
``error``, ``eps`` None); it does not count as done, and the cell's record replaces it. Grids:

``PAPER_RANDOM_GRID``     256 cells, k = 2000…32000 (step 2000) × d = 256…4096 (step 256) (paper Eq. 5)
``PAPER_OPTIMISED_GRID``  166 cells: k = 2000…32000 (step 2000) for d ≤ 768, and
                          k ∈ {2000, 4000, 6000, 8000, 12000, …, 32000} for d ≥ 1024 (author's code)
``RELEASED_CPU_GRID``     8 cells: the released optimised cells with k ≤ 4000 and d ≤ 256, run with the
                          book's best recipe (objective ``anneal``) for 2000 steps
``default_grid(kind, budget)``  ``"smoke"`` (seconds), ``"cpu"`` (≤ 10 min on 2 cores), ``"paper"``,
                          ``"released-cpu"`` (optimised only; about 20 min on 2 cores)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

from repcap.common.files import atomic_write_text, remove_stale_temporaries
from repcap.common.progress import iterate
from repcap.common.storage import storage_errors
from repcap.errors import CheckpointError, PackingError
from repcap.packing.hardware import check_size
from repcap.packing.optimise import optimised_settings
from repcap.packing.random_baseline import random_settings

PAPER_RANDOM_GRID: list[tuple[int, int]] = [
    (k, d) for d in range(256, 4097, 256) for k in range(2000, 32001, 2000)]

_DENSE_D = (32, 64, 128, 256, 512, 768)
_SPARSE_D = (1024, 1536, 2048, 2560, 3072, 3584, 4096)
_SPARSE_K = (2000, 4000, 6000, 8000, 12000, 16000, 20000, 24000, 28000, 32000)
PAPER_OPTIMISED_GRID: list[tuple[int, int]] = (
    [(k, d) for d in _DENSE_D for k in range(2000, 32001, 2000)]
    + [(k, d) for d in _SPARSE_D for k in _SPARSE_K])

# The released cells a CPU can run: by the cost model (repcap.packing.cost, 6·k²·d FLOP per step) the
# cells with k ≤ 4000 and d ≤ 256 take Σ 6·k²·d·2000 = 1.15e14 FLOP at 2000 steps, about 20 minutes at
# the ~100 GFLOP/s that 2 cores sustain on these sizes (benchmarks/bench_packing.py step); 5000 steps
# would take 48 minutes, and the next cell up, (6000, 32), alone adds as much as (2000, 256).
# Cheapest first, so an interrupted run has the most cells.
RELEASED_CPU_GRID: list[tuple[int, int]] = sorted(
    ((k, d) for k, d in PAPER_OPTIMISED_GRID if k <= 4000 and d <= 256), key=lambda c: (c[0] ** 2 * c[1], c))
RELEASED_CPU_STEPS = 2000


def released_cpu_results() -> Path:
    """The kept results of the ``released-cpu`` grid (``repcap/data/packings/released_cpu.jsonl``,
    JSON lines as :func:`run_sweep` writes them; the command that made it: the README beside it)."""
    from importlib import resources

    return Path(str(resources.files("repcap") / "data" / "packings" / "released_cpu.jsonl"))


KINDS = ("random", "optimised")
BUDGETS = ("smoke", "cpu", "paper", "released-cpu")

# The CPU grids hold cells of the paper's grid that a CPU can run (random: d = 256, 512 with k = 2000,
# 4000; optimised: d = 32, 64, 128 with k = 2000) plus smaller k and d to spread ln k / d and k / d for
# the fits. benchmarks/bench_packing.py measures them: on an idle 2-core CPU the random grid takes about
# 80 s and the optimised grid about 3 minutes with the paper's trials and steps.
_GRIDS = {
    ("random", "smoke"): [(k, d) for d in (32, 64) for k in (100, 200)],
    ("random", "cpu"): [(k, d) for d in (128, 256, 512) for k in (500, 1000, 2000, 4000)],
    ("optimised", "smoke"): [(k, d) for d in (8, 16) for k in (50, 100)],
    ("optimised", "cpu"): [(k, d) for d in (16, 32, 64, 128) for k in (250, 500, 1000, 2000)],
}
_SETTINGS = {
    ("random", "smoke"): {"trials": 20},
    ("random", "cpu"): {"trials": 1000},
    ("random", "paper"): {"trials": 1000},
    ("optimised", "smoke"): {"steps": 100},
    ("optimised", "cpu"): {"steps": 5000},
    ("optimised", "paper"): {"steps": 5000},
    ("optimised", "released-cpu"): {"steps": RELEASED_CPU_STEPS, "objective": "anneal"},
}
# Keyword arguments run_sweep passes on to the cell functions.
_CELL_OPTIONS = {
    "random": {"dtype", "device", "memory_budget", "prune", "checkpoint_every", "block", "batch"},
    "optimised": {"objective", "lr", "exponent", "sharpness", "lr_schedule", "device", "dtype",
                  "memory_budget", "checkpoint_every", "log_every", "callback", "block", "return_vectors"},
}


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise PackingError(f"unknown sweep kind {kind!r}; choose 'random' or 'optimised'")
    return kind


def default_grid(kind: str, budget: str = "cpu") -> list[tuple[int, int]]:
    """The (k, d) cells of a sweep of ``kind`` sized for ``budget``.

    ``"smoke"`` runs in seconds with :func:`default_settings`; ``"cpu"`` finishes well within 10
    minutes on 2 CPU cores with the paper's T = 1000 trials / 5000 steps (seconds per cell: see
    ``benchmarks/bench_packing.py grid``); ``"paper"`` is the paper's grid (a GPU job);
    ``"released-cpu"`` (optimised only) is :data:`RELEASED_CPU_GRID`, the released cells a CPU can run,
    run with the best recipe for 2000 steps (results: ``repcap/data/packings/released_cpu.jsonl``).
    """
    _check_budget(kind, budget)
    if budget == "released-cpu":
        return list(RELEASED_CPU_GRID)
    if budget == "paper":
        return list(PAPER_RANDOM_GRID if kind == "random" else PAPER_OPTIMISED_GRID)
    return list(_GRIDS[(kind, budget)])


def default_settings(kind: str, budget: str = "cpu") -> dict[str, Any]:
    """``{"trials": T}`` or ``{"steps": N}`` (and ``"objective"`` where the grid names one) that go
    with :func:`default_grid` (kind, budget)."""
    _check_budget(kind, budget)
    return dict(_SETTINGS[(kind, budget)])


def _check_budget(kind: str, budget: str) -> None:
    _check_kind(kind)
    if budget not in BUDGETS:
        raise PackingError(f"unknown grid budget {budget!r}; choose one of {', '.join(BUDGETS)}")
    if (kind, budget) == ("random", "released-cpu"):
        raise PackingError("the released-cpu grid is a grid of optimised cells; use --kind optimised")


def _check_cells(cells: Iterable) -> list[tuple[int, int]]:
    out = []
    for cell in cells:
        try:
            k, d = cell
        except (TypeError, ValueError):
            raise PackingError(f"a sweep cell must be a (k, d) pair, got {cell!r}") from None
        out.append((check_size("k", k, 2), check_size("d", d, 2)))
    if not out:
        raise PackingError("the sweep has no cells; pass e.g. default_grid('optimised', 'cpu')")
    return out


@contextlib.contextmanager
def sweep_lock(results_path: str | os.PathLike, *, timeout: float | None = None,
               poll: float = 0.5) -> Iterator[float]:
    """Hold the exclusive lock of ``results_path`` for the duration of the ``with`` block.

    Yields the seconds spent waiting for it. ``timeout`` (seconds, default: wait forever) bounds the
    wait; past it a :class:`PackingError` says which file is locked. Once it is held, temporary
    files that dead processes left beside the results file and in its checkpoint folder are removed.

    The lock is ``flock`` on ``<results>.lock``, which the holder deletes before it lets go, so no
    sweep (finished, failed or refused) leaves one behind. A waiter that then wins the lock of the
    deleted file finds that the path no longer names it, and locks the file that is there now.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield 0.0
        return
    lock_path = Path(str(results_path) + ".lock")
    # A read-only or full folder: one line naming it.
    with storage_errors(Path(results_path).name, lock_path.parent, "choose another --results path"):
        lock_path.parent.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    while True:
        with storage_errors(Path(results_path).name, lock_path.parent,
                            "choose another --results path"):
            handle = open(lock_path, "a+")
        try:
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if timeout is not None and time.monotonic() - began > timeout:
                        raise PackingError(f"another process has held {lock_path} for more than "
                                           f"{timeout:.0f} s; wait for it to finish (it is "
                                           "computing the same sweep) or stop it") from None
                    time.sleep(poll)
        except BaseException:
            handle.close()
            raise
        if _names(lock_path, handle):
            break
        handle.close()  # the previous holder deleted it while we waited: lock the current file
    # Temporaries of a sweep killed mid-write (SIGKILL) carry its dead pid: remove them now, or one
    # would outlive the resume and keep the checkpoint folder from being removed.
    remove_stale_temporaries(lock_path.parent)
    remove_stale_temporaries(_checkpoint_dir(Path(results_path)))
    try:
        yield time.monotonic() - began
    finally:
        with contextlib.suppress(OSError):
            lock_path.unlink()  # still held: a waiter on this file will see it is gone
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


def _names(path: Path, handle) -> bool:
    """True when ``path`` is still the file open as ``handle``."""
    try:
        here, ours = os.stat(path), os.fstat(handle.fileno())
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (ours.st_dev, ours.st_ino)


def run_sweep(kind: str, cells: Iterable, results_path: str | os.PathLike, *, trials: int | None = None,
              steps: int | None = None, seed: int = 0, progress: bool = True,
              lock_timeout: float | None = None, **kw: Any) -> list[dict]:
    """Run every (k, d) cell of ``cells`` not yet in ``results_path``; return the records of all of them.

    ``kind="random"`` computes :func:`repcap.packing.random_baseline` (``trials``, default 1000);
    ``kind="optimised"`` computes :func:`repcap.packing.optimise_packing` (``steps``, default 5000).
    Further keyword arguments (``objective``, ``device``, ``dtype``, ``memory_budget``, ...) go to that
    function. Each finished cell's :meth:`CellResult.to_dict` becomes one line of the JSON-lines
    file, written atomically; a record counts as done for a cell when kind, k, d, seed and settings all
    match. Optimised cells checkpoint every ``checkpoint_every`` steps in
    ``<results_path>.checkpoints/`` (removed once the cell is recorded), so an interrupted sweep
    continues mid-cell when it is started again.

    The whole sweep runs under :func:`sweep_lock` on ``results_path``: two processes given the same
    sweep (two chapters of a book built in parallel, two terminals) compute each cell once, and the
    second finds every cell recorded. ``lock_timeout`` bounds the wait (default: wait).
    """
    with sweep_lock(results_path, timeout=lock_timeout):
        return _run_sweep_unlocked(kind, cells, results_path, trials=trials, steps=steps, seed=seed,
                                   progress=progress, **kw)


def _run_sweep_unlocked(kind: str, cells: Iterable, results_path: str | os.PathLike, *,
                        trials: int | None, steps: int | None, seed: int, progress: bool,
                        **kw: Any) -> list[dict]:
    path = Path(results_path)
    specs = plan_cells(kind, cells, path, trials=trials, steps=steps, seed=seed, **kw)
    records = load_results(path) if path.exists() else []
    out: list[dict] = []
    bar = iterate(specs, f"{kind} sweep", unit="cell", enabled=progress, leave=True)
    for spec in bar:
        found = find_record(records, spec)
        if found is not None:
            out.append(found)
            continue
        bar.set_postfix(k=spec["k"], d=spec["d"], refresh=True)
        record = compute_cell(spec, progress=progress)
        record_cell(path, record, spec)
        records = [r for r in records if not is_failure_of(r, spec)] + [record]
        out.append(record)
    bar.close()
    remove_checkpoint_dir(path)
    return out


def plan_cells(kind: str, cells: Iterable, results_path: str | os.PathLike, *, trials: int | None = None,
               steps: int | None = None, seed: int = 0, **kw: Any) -> list[dict]:
    """One plain, picklable *cell spec* per (k, d) of ``cells``, checked, in order.

    A spec holds ``kind, k, d, seed``, the ``settings`` that identify the result (what
    :func:`find_record` matches), ``count`` (trials or steps), ``options`` (the keyword arguments
    for the cell function) and ``checkpoint`` (an absolute path in ``<results file>.checkpoints/``,
    so a worker that shares the folder resumes a cell another worker began). :func:`compute_cell`
    runs a spec anywhere: in this process or on a cluster worker.
    """
    _check_kind(kind)
    cells = _check_cells(cells)
    unknown = set(kw) - _CELL_OPTIONS[kind]
    if unknown:
        raise PackingError(f"run_sweep({kind!r}) got unknown option(s) {sorted(unknown)}; "
                           f"allowed: {', '.join(sorted(_CELL_OPTIONS[kind]))}")
    if kind == "random":
        if steps is not None:
            raise PackingError("a random sweep takes `trials`, not `steps`")
        count = 1000 if trials is None else trials
    else:
        if trials is not None:
            raise PackingError("an optimised sweep takes `steps`, not `trials`")
        count = 5000 if steps is None else steps
    kw.pop("return_vectors", None)  # vectors never go into the results file
    path = Path(results_path).absolute()
    specs = []
    for k, d in cells:
        if kind == "random":
            settings = random_settings(count, dtype=kw.get("dtype", "float32"))
        else:
            settings = optimised_settings(k, d, steps=count, **{key: kw[key] for key in (
                "objective", "lr", "exponent", "sharpness", "lr_schedule", "dtype") if key in kw})
        settings = json.loads(json.dumps(settings))  # as they read back from the results file
        specs.append({"kind": kind, "k": k, "d": d, "seed": seed, "settings": settings, "count": count,
                      "options": dict(kw),
                      "checkpoint": str(_checkpoint_path(path, kind, k, d, seed, settings))})
    return specs


def cell_key(spec: dict) -> str:
    """A name of the cell that is the same in every process: ``optimised-k2000-d32-s0-<digest>``."""
    return Path(spec["checkpoint"]).stem


def compute_cell(spec: dict, *, progress: bool = False) -> dict:
    """Run the cell ``spec`` (:func:`plan_cells`) and return its results-file record.

    The record is :meth:`CellResult.to_dict` plus ``finished`` (local time stamp). The cell
    checkpoints to ``spec["checkpoint"]`` and resumes from it when the file exists.
    """
    # Looked up when called: the package's public names, which a test may replace.
    from repcap.packing import optimise_packing, random_baseline

    kind, k, d, seed = spec["kind"], spec["k"], spec["d"], spec["seed"]
    if kind == "random":
        result = random_baseline(k, d, spec["count"], seed=seed, progress=progress,
                                 checkpoint_path=spec["checkpoint"], **spec["options"])
    else:
        result = optimise_packing(k, d, steps=spec["count"], seed=seed, progress=progress,
                                  checkpoint_path=spec["checkpoint"], **spec["options"])
    record = result.to_dict()
    record["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    return record


def failure_record(spec: dict, message: str) -> dict:
    """The record of a cell that raised: ``status="failed"``, ``error`` its message, ``eps`` None.

    :func:`find_record` never counts it as done, so the next run of the sweep tries the cell
    again, and the cell's record then replaces it.
    """
    return {"kind": spec["kind"], "k": spec["k"], "d": spec["d"], "eps": None, "seed": spec["seed"],
            "settings": spec["settings"], "status": "failed", "error": str(message),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}


def record_cell(results_path: str | os.PathLike, record: dict, spec: dict) -> None:
    """Append ``record`` of cell ``spec`` to the results file, atomically.

    An earlier failure record of the same cell is dropped in the same write, so a cell has one
    record; after a successful record the cell's checkpoint is removed. Only the process that holds
    the file's lock (the sweep's driver) calls this.
    """
    path = Path(results_path)
    _append_record(path, record, drop=lambda old: is_failure_of(old, spec))
    if record.get("status") != "failed":
        Path(spec["checkpoint"]).unlink(missing_ok=True)


def find_record(records: list[dict], spec: dict) -> dict | None:
    """The finished record of cell ``spec`` among ``records`` (failure records do not count)."""
    return _find(records, spec["kind"], spec["k"], spec["d"], spec["seed"], spec["settings"])


def is_failure_of(record: dict, spec: dict) -> bool:
    """Whether ``record`` is a failure record (:func:`failure_record`) of cell ``spec``."""
    return (record.get("status") == "failed" and record.get("kind") == spec["kind"]
            and record.get("k") == spec["k"] and record.get("d") == spec["d"]
            and record.get("seed") == spec["seed"] and record.get("settings") == spec["settings"])


def _find(records: list[dict], kind: str, k: int, d: int, seed: int, settings: dict) -> dict | None:
    wanted = json.loads(json.dumps(settings))  # compare as they read back from JSON
    for record in records:
        if (record.get("kind") == kind and record.get("k") == k and record.get("d") == d
                and record.get("seed") == seed and record.get("settings") == wanted
                and record.get("status") != "failed"):
            return record
    return None


def _checkpoint_dir(results_path: Path) -> Path:
    return results_path.with_name(results_path.name + ".checkpoints")


def _checkpoint_path(results_path: Path, kind: str, k: int, d: int, seed: int, settings: dict) -> Path:
    digest = hashlib.sha256(json.dumps([kind, k, d, seed, settings], sort_keys=True).encode()).hexdigest()[:12]
    suffix = "json" if kind == "random" else "pt"
    return _checkpoint_dir(results_path) / f"{kind}-k{k}-d{d}-s{seed}-{digest}.{suffix}"


def remove_checkpoint_dir(results_path: str | os.PathLike) -> None:
    """Remove ``<results file>.checkpoints/`` when no cell left a checkpoint in it (temporaries of
    dead processes do not count)."""
    folder = _checkpoint_dir(Path(results_path))
    remove_stale_temporaries(folder)
    _remove_empty_dir(folder)


def _remove_empty_dir(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:  # absent, or still holds checkpoints of other cells
        pass


def _append_record(path: Path, record: dict, drop=None) -> None:
    """Add one JSON line to ``path`` by rewriting the file atomically.

    Old lines are kept byte for byte, except those whose record ``drop(record)`` is true.
    """
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if old and not old.endswith("\n"):
        old += "\n"
    if drop is not None and old:
        kept = [line for line in old.splitlines(keepends=True)
                if not (line.strip() and _droppable(line, drop))]
        old = "".join(kept)
    atomic_write_text(path, old + json.dumps(record) + "\n")


def _droppable(line: str, drop) -> bool:
    try:
        row = json.loads(line)
    except ValueError:  # a damaged line stays for load_results to report
        return False
    return isinstance(row, dict) and drop(row)


def load_results(path: str | os.PathLike, kind: str | None = None) -> list[dict]:
    """Records of a results file: our JSON lines, or the paper's JSON list of ``[k, d, eps]``.

    Every record has at least ``k``, ``d`` and ``eps``. Records of the paper's format get
    ``kind`` (the argument, ``None`` by default) and ``source="paper"``. With ``kind`` given, records
    of another kind are left out.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CheckpointError(f"cannot read results file {path}: {exc}") from exc
    stripped = text.lstrip()
    records: list[dict] = []
    if stripped.startswith("["):
        try:
            rows = json.loads(stripped)
        except ValueError as exc:
            raise CheckpointError(f"{path} is not valid JSON: {exc}") from exc
        for i, row in enumerate(rows):
            if isinstance(row, dict):
                records.append(_checked(row, path, i + 1))
            elif isinstance(row, (list, tuple)) and len(row) == 3:
                records.append(_checked({"kind": kind, "k": row[0], "d": row[1], "eps": row[2],
                                         "source": "paper"}, path, i + 1))
            else:
                raise CheckpointError(f"{path}: entry {i + 1} is {row!r}; expected [k, d, eps] or a record")
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise CheckpointError(f"{path}, line {number} is not JSON ({exc}); fix or delete that line "
                                      "and rerun the sweep to recompute the cell") from exc
            if not isinstance(row, dict):
                raise CheckpointError(f"{path}, line {number}: expected a JSON object, got {row!r}")
            records.append(_checked(row, path, number))
    if kind is not None:
        records = [r for r in records if r.get("kind") in (kind, None)]
    return records


def _checked(row: dict, path: Path, where: int) -> dict:
    missing = [key for key in ("k", "d", "eps") if key not in row]
    if missing:
        raise CheckpointError(f"{path}, record {where} lacks {missing}; every record needs k, d and eps")
    try:
        row["k"], row["d"] = int(row["k"]), int(row["d"])
        row["eps"] = None if row["eps"] is None else float(row["eps"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}, record {where}: k, d, eps must be numbers ({exc})") from exc
    return row
