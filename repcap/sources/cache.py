"""The on-disk cache of extracted embedding matrices.

Layout: ``<root>/embeddings/<source>/<identity>/<revision>/`` holds, per extracted tensor,
``<tensor>.npy`` (float32, loaded back as a read-only memory map) and ``<tensor>.json`` (shape,
dtype in the checkpoint, zero-row count), plus ``tokens.json`` and ``facts.json`` (tensor names,
tying, provenance). The key is (source, repo or path, revision or commit, tensor): a second call
for the same key is a memory-mapped load with no parsing or conversion.

Every file is written atomically (:mod:`repcap.common.files`: a temporary name in the same
directory, moved into place with ``os.replace``), and ``facts.json`` is written last, so an
interrupted or failed extraction leaves no file that a later call would trust; a failed load also
removes the matrices and tokens it wrote (on a full disk they would keep it full). Matrices are
streamed block by block into the memory-mapped ``.npy``, so RAM use stays bounded even for a
multi-gigabyte embedding; NaN/Inf rows are counted on the way and abort the write.

Root: the ``cache_dir`` argument, else ``$REPCAP_CACHE``, else ``~/.cache/repcap``.

Faults of the disk. A cache that cannot take a write (full disk, read-only file system, a path
component that is a file, no permission) is an error, :class:`repcap.errors.StorageError`, one
line naming the directory and ``--cache-dir`` / ``$REPCAP_CACHE``; repcap does not silently fall
back to computing in memory, because a multi-gigabyte matrix held in RAM on every call is a
worse surprise than a clear request to point the cache elsewhere. Before a matrix is streamed
into its memory-mapped ``.npy``, the file's blocks are reserved (``posix_fallocate``): writing
through a memory map into a sparse file on a full disk kills the process with SIGBUS, the
reservation turns that into ENOSPC before any work. Temporary files are removed on every exit
Python sees, and those of a dead process by the next write into the same directory
(:mod:`repcap.common.files`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from repcap.common import files
from repcap.errors import EmbeddingError, RepcapError
from repcap.sources.embedding import non_finite_message, row_stats

_SAFE = re.compile(r"[^A-Za-z0-9._=+-]")


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """``cache_dir``, else ``$REPCAP_CACHE``, else ``~/.cache/repcap`` (not created here)."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get("REPCAP_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "repcap"


def slug(text: str) -> str:
    """A file-system-safe name for ``text`` ("/" becomes "--"; long names get a hash suffix)."""
    safe = _SAFE.sub("_", text.replace("/", "--")).strip(".") or "_"
    if len(safe) > 120 or safe != text.replace("/", "--"):
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
        safe = f"{safe[:100]}-{digest}"
    return safe


#: What a cache write that the disk refuses tells the user to do.
CACHE_FIX = "choose another directory with --cache-dir or $REPCAP_CACHE"


def preallocate(path: Path, nbytes: int) -> None:
    """Reserve ``nbytes`` for ``path`` on disk before it is written through a memory map.

    A write through ``np.memmap`` into a sparse file on a full disk kills the process with
    SIGBUS; reserving the blocks first turns that into ENOSPC here, before any work is done.
    """
    if nbytes <= 0:
        return
    fd = os.open(path, os.O_RDWR)
    try:
        try:
            os.posix_fallocate(fd, 0, nbytes)
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, getattr(errno, "ENOTSUP", -1)):
                raise
            # A file system without fallocate: compare with the free space instead.
            if shutil.disk_usage(path.parent).free < nbytes:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path)) from None
    finally:
        os.close(fd)


def atomic_path(target: Path) -> contextlib.AbstractContextManager[Path]:
    """:func:`repcap.common.files.atomic_path` for a file of the cache: a storage fault names the
    cache and ``--cache-dir`` / ``$REPCAP_CACHE``."""
    return files.atomic_path(target, what="the cache", fix=CACHE_FIX)


def write_json_atomic(target: Path, data: Any) -> None:
    """Write JSON to ``target`` atomically."""
    files.atomic_write_json(target, data, what="the cache", fix=CACHE_FIX, ensure_ascii=False)


def read_json(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError):
        return None  # unreadable => treated as absent and rebuilt


class Entry:
    """One cache entry: the extracted tensors, tokens and facts of one checkpoint revision."""

    def __init__(self, path: Path, root: Path | None = None):
        self.path = Path(path)
        self.root = None if root is None else Path(root)  # the cache root, which is never removed

    @classmethod
    def open(cls, source: str, identity: str, revision: str,
             cache_dir: str | os.PathLike | None = None) -> "Entry":
        root = cache_root(cache_dir)
        return cls(root / "embeddings" / slug(source) / slug(identity) / slug(revision or "none"),
                   root)

    # -- facts and tokens ----------------------------------------------------------------------
    def read(self, name: str) -> dict | None:
        """A JSON file of the entry (e.g. ``facts.json``), or None when absent or unreadable."""
        data = read_json(self.path / name)
        return data if isinstance(data, dict) else None

    def write(self, name: str, data: dict) -> None:
        write_json_atomic(self.path / name, data)

    def tokens(self) -> list[str] | None:
        data = read_json(self.path / "tokens.json")
        return data if isinstance(data, list) else None

    def has_tokens_file(self) -> bool:
        return (self.path / "tokens.json").exists()

    def write_tokens(self, tokens: list[str] | None) -> None:
        write_json_atomic(self.path / "tokens.json", tokens)

    # -- tensors ---------------------------------------------------------------------------------
    def _files(self, tensor: str) -> tuple[Path, Path]:
        name = slug(tensor)
        return self.path / f"{name}.npy", self.path / f"{name}.json"

    def tensor_meta(self, tensor: str) -> dict | None:
        npy, meta_path = self._files(tensor)
        meta = read_json(meta_path)
        if not isinstance(meta, dict):
            return None
        if "external" in meta:
            ext = meta["external"]
            try:
                if os.path.getsize(ext["path"]) != ext["file_size"]:
                    return None
            except OSError:
                return None
            return meta
        return meta if npy.exists() else None

    def load_tensor(self, tensor: str) -> tuple[np.ndarray, dict] | None:
        """The cached matrix as a read-only memory map, with its metadata; None if absent."""
        meta = self.tensor_meta(tensor)
        if meta is None:
            return None
        try:
            if "external" in meta:
                ext = meta["external"]
                matrix = np.memmap(ext["path"], dtype=np.dtype(ext["dtype"]), mode="r",
                                   offset=int(ext["offset"]), shape=tuple(meta["shape"]))
            else:
                matrix = np.load(self._files(tensor)[0], mmap_mode="r")
        except (OSError, ValueError):
            return None
        if tuple(matrix.shape) != tuple(meta["shape"]):
            return None
        return matrix, meta

    def write_tensor(self, tensor: str, shape: tuple[int, int], blocks: Iterable[np.ndarray],
                     *, what: str, extra: dict | None = None, progress=None) -> dict:
        """Stream row blocks into ``<tensor>.npy`` atomically; returns the tensor's metadata.

        Raises EmbeddingError (and writes nothing) when a row holds NaN/Inf or when the blocks do
        not add up to ``shape``.
        """
        npy, meta_path = self._files(tensor)
        rows_total, cols = int(shape[0]), int(shape[1])
        bad = zero = 0
        with atomic_path(npy) as tmp:
            out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32,
                                            shape=(rows_total, cols))
            try:
                # Header plus data, reserved now so the memmap writes below cannot hit SIGBUS.
                preallocate(tmp, out.offset + out.nbytes)
                row = 0
                for block in blocks:
                    block = np.asarray(block, dtype=np.float32).reshape(-1, cols)
                    if row + block.shape[0] > rows_total:
                        raise RepcapError(f"{what}: more rows than the declared {rows_total}")
                    b, z = row_stats(block)
                    bad += b
                    zero += z
                    out[row:row + block.shape[0]] = block
                    row += block.shape[0]
                    if progress is not None:
                        progress.update(block.shape[0])
                if row != rows_total:
                    raise RepcapError(f"{what}: got {row} rows, expected {rows_total}; the data "
                                      "is truncated")
                if bad:
                    raise EmbeddingError(non_finite_message(what, bad, rows_total))
                out.flush()
            finally:
                del out
        meta = {"tensor": tensor, "shape": [rows_total, cols], "zero_rows": zero, **(extra or {})}
        write_json_atomic(meta_path, meta)
        return meta

    def link_external(self, tensor: str, path: str | os.PathLike, offset: int,
                      shape: tuple[int, int], *, what: str, extra: dict | None = None,
                      progress=None) -> dict:
        """Record a float32 matrix that already sits in a file (no copy) after validating it."""
        path = Path(path).resolve()
        matrix = np.memmap(path, dtype="<f4", mode="r", offset=offset, shape=tuple(shape))
        bad = zero = 0
        step = max(1, (4 << 20) // max(shape[1], 1))
        for start in range(0, shape[0], step):
            b, z = row_stats(np.asarray(matrix[start:start + step]))
            bad += b
            zero += z
            if progress is not None:
                progress.update(min(step, shape[0] - start))
        del matrix
        if bad:
            self.discard_if_empty()
            raise EmbeddingError(non_finite_message(what, bad, shape[0]))
        meta = {"tensor": tensor, "shape": list(shape), "zero_rows": zero,
                "external": {"path": str(path), "offset": int(offset), "dtype": "<f4",
                             "file_size": path.stat().st_size}, **(extra or {})}
        write_json_atomic(self._files(tensor)[1], meta)
        return meta

    def remove_tensor(self, tensor: str) -> None:
        """Delete a tensor's ``.npy`` and its metadata (what :meth:`write_tensor` or
        :meth:`link_external` wrote); absent files are fine."""
        for path in self._files(tensor):
            with contextlib.suppress(OSError):
                path.unlink()

    def remove_file(self, name: str) -> None:
        """Delete one JSON file of the entry (``tokens.json``); an absent one is fine."""
        with contextlib.suppress(OSError):
            (self.path / name).unlink()

    def discard_if_empty(self) -> None:
        """Remove the entry's directories if a failed extraction left them empty: up to the cache
        root (``embeddings/`` included), or three levels for an entry opened by path."""
        path = self.path
        levels = len(path.relative_to(self.root).parts) if self.root is not None else 3
        for _ in range(levels):
            try:
                path.rmdir()
            except OSError:
                return
            path = path.parent
