"""The safetensors layout, read without loading a whole file.

A ``.safetensors`` file is ``N`` (8 bytes, little-endian u64), then ``N`` bytes of JSON
``{name: {"dtype", "shape", "data_offsets": [b, e]}, "__metadata__": {...}}``, then the data. Tensor
``name`` occupies the absolute byte range ``[8 + N + b, 8 + N + e)`` and
``e - b = itemsize(dtype) · ∏ shape``. Knowing that range is what lets repcap fetch one tensor of a
remote shard with an HTTP Range request instead of the whole file.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from repcap.errors import ModelFileError
from repcap.sources.decode import itemsize

MAX_HEADER = 100 << 20  # the safetensors library's own limit on the JSON header
PROBE_BYTES = 1 << 14   # first request: usually the whole header of a shard (one round trip)


@dataclass(frozen=True)
class TensorInfo:
    """One tensor of a safetensors file: dtype tag, shape and absolute byte range ``[begin, end)``."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int

    @property
    def nbytes(self) -> int:
        return self.end - self.begin


@dataclass
class Header:
    """The parsed header of one safetensors file."""

    tensors: dict[str, TensorInfo]
    metadata: dict = field(default_factory=dict)
    data_offset: int = 0
    file_size: int | None = None


def header_length(first8: bytes, where: str) -> int:
    """``N``, the JSON header length, from the first 8 bytes; ModelFileError when implausible."""
    if len(first8) < 8:
        raise ModelFileError(f"{where}: only {len(first8)} bytes; not a safetensors file")
    (n,) = struct.unpack("<Q", first8[:8])
    if n < 2 or n > MAX_HEADER:
        raise ModelFileError(
            f"{where}: header length {n} is implausible; the file is not safetensors or is corrupt")
    return n


def parse_header(data: bytes, where: str, file_size: int | None = None) -> Header:
    """Parse ``data`` = the first ``8 + N`` (or more) bytes of a safetensors file.

    Checks that every tensor's byte count equals ``itemsize · ∏ shape`` and, when ``file_size`` is
    known, that it lies inside the file.
    """
    n = header_length(data[:8], where)
    if len(data) < 8 + n:
        raise ModelFileError(f"{where}: header truncated ({len(data)} of {8 + n} bytes)")
    try:
        raw = json.loads(bytes(data[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{where}: the safetensors header is not valid JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise ModelFileError(f"{where}: the safetensors header is not a JSON object")
    metadata = raw.pop("__metadata__", None) or {}
    base = 8 + n
    tensors: dict[str, TensorInfo] = {}
    for name, spec in raw.items():
        try:
            dtype = str(spec["dtype"])
            shape = tuple(int(s) for s in spec["shape"])
            b, e = (int(x) for x in spec["data_offsets"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{where}: malformed entry for tensor {name!r} ({exc})") from exc
        expected = itemsize(dtype) * int(np.prod(shape, dtype=np.int64)) if shape else itemsize(dtype)
        if e - b != expected or b < 0:
            raise ModelFileError(
                f"{where}: tensor {name!r} has {e - b} bytes but dtype {dtype} and shape "
                f"{list(shape)} need {expected}; the file is corrupt")
        if file_size is not None and base + e > file_size:
            raise ModelFileError(
                f"{where}: tensor {name!r} ends at byte {base + e} but the file has {file_size} "
                "bytes; the file is truncated (an interrupted download?); delete it and fetch it again")
        tensors[name] = TensorInfo(name, dtype, shape, base + b, base + e)
    return Header(tensors=tensors, metadata=dict(metadata), data_offset=base, file_size=file_size)


def read_header(path: str | os.PathLike) -> Header:
    """Header of a local safetensors file (reads only ``8 + N`` bytes)."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        first = fh.read(8)
        n = header_length(first, str(path))
        rest = fh.read(n)
    return parse_header(first + rest, str(path), file_size=size)


def iter_file_range(path: str | os.PathLike, begin: int, end: int,
                    chunk: int = 8 << 20) -> Iterator[bytes]:
    """The bytes ``[begin, end)`` of a local file, in chunks."""
    with open(path, "rb") as fh:
        fh.seek(begin)
        left = end - begin
        while left > 0:
            block = fh.read(min(chunk, left))
            if not block:
                raise ModelFileError(
                    f"{path}: ended {left} bytes early; the file is truncated, fetch it again")
            left -= len(block)
            yield block
