"""A checkpoint folder on disk in the hub's layout (config, safetensors or .bin, tokenizer).

Also accepts a single ``.safetensors`` file. The cache key of a local checkpoint is its resolved
path plus a fingerprint of its weight and config files (size and modification time), so editing
or replacing the files invalidates the cached matrix.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Iterator

from repcap.common.progress import bar, counted
from repcap.errors import ModelFileError, ModelNotFoundError
from repcap.sources.checkpoint import CheckpointFiles
from repcap.sources.safetensors_io import Header, TensorInfo, iter_file_range, read_header


class LocalFiles(CheckpointFiles):
    """The files of a local checkpoint folder (or of one lone safetensors file)."""

    def __init__(self, path: str | os.PathLike):
        path = Path(path).expanduser()
        if not path.exists():
            raise ModelNotFoundError(f"{path}: no such file or directory")
        self.single: Path | None = None
        if path.is_file():
            if path.suffix != ".safetensors":
                raise ModelNotFoundError(
                    f"{path}: a file must be .safetensors or .gguf; for a checkpoint folder pass "
                    "the folder")
            self.single = path.resolve()
            path = path.parent
        self.root = path.resolve()
        self.where = str(self.single or self.root)
        self.read: dict[str, int] = {}

    def _path(self, name: str) -> Path:
        return self.root / name

    def json(self, name: str) -> dict | None:
        if self.single is not None:  # a lone file: no config or tokenizer belongs to it
            return None
        path = self._path(name)
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelFileError(f"{path}: not valid JSON ({exc})") from exc
        self.read[name] = path.stat().st_size
        return data

    def local_path(self, name: str) -> Path | None:
        path = self._path(name)
        if self.single is not None and path != self.single:
            return None
        return path if path.is_file() else None

    def mapped_path(self, name: str) -> Path | None:
        return self.local_path(name)

    def header(self, name: str) -> Header:
        path = self._path(name)
        if not path.is_file():
            raise ModelFileError(f"{self.where}: weight file {name} is missing")
        header = read_header(path)
        self.read[name] = self.read.get(name, 0) + header.data_offset
        return header

    def tensor_bytes(self, name: str, info: TensorInfo, progress: bool) -> Iterator[bytes]:
        self.read[name] = self.read.get(name, 0) + info.nbytes
        pbar = bar(info.nbytes, f"reading {info.name}", unit="B", enabled=progress)
        try:
            yield from counted(iter_file_range(self._path(name), info.begin, info.end), pbar)
        finally:
            pbar.close()

    def weight_files(self) -> list[str]:
        if self.single is not None:
            return [self.single.name]
        return sorted(p.name for p in self.root.glob("*.safetensors") if p.is_file())

    def fingerprint(self) -> str:
        """Hash of (name, size, mtime) of the weight, config and tokenizer files."""
        digest = hashlib.sha1()
        names = ([self.single.name] if self.single is not None else
                 sorted(p.name for p in self.root.iterdir()
                        if p.is_file() and p.suffix in (".safetensors", ".bin", ".json", ".txt")))
        for name in names:
            stat = (self.root / name).stat()
            digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
        return digest.hexdigest()[:16]

    def record(self) -> dict:
        return {"path": self.where, "files_read": dict(self.read),
                "bytes_read": int(sum(self.read.values()))}
