"""Checkpoints and results that survive an interruption at any instant.

Every file is written atomically by :mod:`repcap.common.files` (a temporary file in the target's
folder, flushed and fsynced, then ``os.replace``-d over the target), so a reader sees either the old
file or the new one, never a torn one.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

from repcap.common.files import atomic_write_bytes, atomic_write_json
from repcap.errors import CheckpointError, option


def save_torch(path: str | os.PathLike, state: dict[str, Any]) -> Path:
    """``torch.save(state)`` to ``path`` atomically (tensors should be on the CPU)."""
    import torch

    # Serialised in memory first: torch.save turns a write error (a full disk) into an opaque
    # RuntimeError from its zip writer, while a plain write keeps the OSError for one clear line.
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return atomic_write_bytes(path, buffer.getbuffer())


def load_torch(path: str | os.PathLike) -> dict[str, Any]:
    """A checkpoint written by :func:`save_torch` (tensors on the CPU; ``weights_only`` loading)."""
    import torch

    try:
        return torch.load(Path(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # a foreign or damaged file
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}; delete it to start the cell afresh") from exc


def save_json(path: str | os.PathLike, data: Any) -> Path:
    """``json.dump(data)`` to ``path`` atomically."""
    return atomic_write_json(path, data)


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
        where = option("checkpoint_path", flag="--checkpoint")
        raise CheckpointError(f"checkpoint {path} belongs to another run (stored vs requested: {diff}); "
                              f"pass another {where} or delete the file")
