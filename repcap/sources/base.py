"""What every kind of source provides to the loader, and the source for hub-layout checkpoints.

A :class:`Source` names its cache key (:meth:`identity`), states its facts (tensor names, tying,
dtype) cheaply, and extracts one tensor into a cache :class:`~repcap.sources.cache.Entry` on demand.
"""

from __future__ import annotations

import abc

from repcap.common.progress import bar
from repcap.sources.cache import Entry
from repcap.sources.checkpoint import Checkpoint, CheckpointFiles


class Source(abc.ABC):
    """A place an embedding matrix can come from."""

    kind: str = "local"  # "hub" | "local" | "gguf" | "offline"

    @abc.abstractmethod
    def identity(self) -> tuple[str, str]:
        """``(what, revision)`` for the cache key: a repo id or path, and a commit or fingerprint."""

    @abc.abstractmethod
    def facts(self, tensor: str | None = None) -> dict:
        """At least: embedding_tensor, unembedding_tensor, tied, tied_reason, dtype, shape."""

    @abc.abstractmethod
    def extract(self, key: str, entry: Entry, progress: bool) -> dict:
        """Write tensor ``key`` into ``entry``; return its metadata (shape, zero_rows, ...)."""

    @abc.abstractmethod
    def tokens(self, rows: int) -> tuple[list[str] | None, dict]:
        """Token strings of the rows (or None) and a note on where they came from."""

    def record(self) -> dict:
        """Provenance: files and bytes read, versions, licence."""
        return {}


class CheckpointSource(Source):
    """A hub-layout checkpoint, local or remote (the difference lives in ``files``)."""

    def __init__(self, files: CheckpointFiles, kind: str, identity: tuple[str, str]):
        self.files = files
        self.kind = kind
        self._identity = identity
        self.checkpoint = Checkpoint(files)

    def identity(self) -> tuple[str, str]:
        return self._identity

    def facts(self, tensor: str | None = None) -> dict:
        return self.checkpoint.facts(tensor)

    def extract(self, key: str, entry: Entry, progress: bool) -> dict:
        ckpt = self.checkpoint
        dtype = ckpt.dtype_of(key)
        what = f"{self.files.where}: {key}"
        if ckpt.format == "safetensors":
            fname = ckpt._weight_map[key]  # type: ignore[index]
            info = ckpt.header(fname).tensors[key]
            local = self.files.mapped_path(fname)
            if info.dtype == "F32" and local is not None and len(info.shape) == 2:
                # float32 on disk already: memory-map it in place instead of copying.
                pbar = bar(info.shape[0], f"checking {key}", unit="rows", enabled=progress)
                try:
                    return entry.link_external(key, local, info.begin, info.shape, what=what,
                                               extra={"dtype": dtype}, progress=pbar)
                finally:
                    pbar.close()
        shape, blocks = ckpt.row_blocks(key, progress)
        return entry.write_tensor(key, shape, blocks, what=what, extra={"dtype": dtype})

    def tokens(self, rows: int) -> tuple[list[str] | None, dict]:
        return self.checkpoint.tokens(rows)

    def record(self) -> dict:
        return self.files.record()
