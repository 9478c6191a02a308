"""Atomic files: checkpoints and results survive an interruption at any instant.

Every write goes to a temporary file in the target's directory, is flushed and fsynced, then
``os.replace``-d over the target, so a reader sees either the old file or the new one, never a torn one.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from repcap.errors import CheckpointError, StorageError


def atomic_write(path: str | os.PathLike, write: Callable[[Any], None], *, binary: bool) -> Path:
    """Create ``path`` atomically: ``write(fh)`` fills a temporary file that then replaces ``path``."""
    target = Path(path)
    try:
        return _atomic_write(target, write, binary=binary)
    except OSError as exc:  # a full disk or a read-only folder: one line naming the folder
        if StorageError.matches(exc):
            raise StorageError.from_os_error(f"{target.name}", target.parent, exc,
                                             "choose another path for it") from None
        raise


def _atomic_write(target: Path, write: Callable[[Any], None], *, binary: bool) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    return atomic_write(path, lambda fh: fh.write(text), binary=False)


def save_torch(path: str | os.PathLike, state: dict[str, Any]) -> Path:
    """``torch.save(state)`` to ``path`` atomically (tensors should be on the CPU)."""
    import torch

    # Serialised in memory first: torch.save turns a write error (a full disk) into an opaque
    # RuntimeError from its zip writer, while a plain write keeps the OSError for one clear line.
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return atomic_write(path, lambda fh: fh.write(buffer.getbuffer()), binary=True)


def load_torch(path: str | os.PathLike) -> dict[str, Any]:
    """A checkpoint written by :func:`save_torch` (tensors on the CPU; ``weights_only`` loading)."""
    import torch

    try:
        return torch.load(Path(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # a foreign or damaged file
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}; delete it to start the cell afresh") from exc


def save_json(path: str | os.PathLike, data: Any) -> Path:
    """``json.dump(data)`` to ``path`` atomically."""
    return atomic_write_text(path, json.dumps(data))


def load_json(path: str | os.PathLike) -> Any:
    """The JSON value stored in ``path`` by :func:`save_json`."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}; delete it to start the cell afresh") from exc


def check_config(path: str | os.PathLike, stored: dict[str, Any], wanted: dict[str, Any]) -> None:
    """Raise :class:`CheckpointError` when a checkpoint was written for a different computation."""
    if stored != wanted:
        diff = {key: (stored.get(key), wanted.get(key)) for key in sorted(set(stored) | set(wanted))
                if stored.get(key) != wanted.get(key)}
        raise CheckpointError(f"checkpoint {path} belongs to another run (stored vs requested: {diff}); "
                              "pass another checkpoint_path or delete the file")
