"""GGUF files (llama.cpp): a fast header reader, and dequantisation through the ``gguf`` package.

Layout (v2/v3, little-endian): ``"GGUF"``, version (u32), tensor count (u64), key/value count
(u64); the key/value pairs (string key, u32 value type, value; arrays are an element type, a u64
count and the elements); one info record per tensor (name, u32 n_dims, u64 dims, u32 block type,
u64 offset); then, aligned to ``general.alignment`` (default 32), the data. A tensor with dims
``(ne0, ne1)`` is ``ne1`` rows of ``ne0`` values; quantised rows are ``ne0 / block_size`` blocks
of ``type_size`` bytes. ``token_embd.weight`` has ``ne0 = d_model`` and ``ne1 = V``.

Why not ``gguf.GGUFReader``: it builds Python objects for every element of every metadata array
and takes ~10 s on Gemma 3's 262k-token vocabulary; this reader scans the same header in well
under a second and leaves the tensor data memory-mapped. Dequantisation of every block type
(Q8_0, the K-quants, IQ types, ...) is ``gguf.quants.dequantize``, applied block of rows by block
of rows so memory stays bounded; a type that package cannot decode is a clear error.

Tying: llama.cpp writes ``output.weight`` only when the output layer is not tied to
``token_embd.weight``, so its absence means tied.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repcap.common.progress import bar
from repcap.errors import ModelFileError, ModelNotFoundError, option
from repcap.sources.base import Source
from repcap.sources.cache import Entry

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
# value type id -> (struct format, size) for scalars
_SCALARS = {0: ("<B", 1), 1: ("<b", 1), 2: ("<H", 2), 3: ("<h", 2), 4: ("<I", 4), 5: ("<i", 4),
            6: ("<f", 4), 7: ("<?", 1), 10: ("<Q", 8), 11: ("<q", 8), 12: ("<d", 8)}
_NUMPY = {0: "u1", 1: "i1", 2: "<u2", 3: "<i2", 4: "<u4", 5: "<i4", 6: "<f4", 7: "u1", 10: "<u8",
          11: "<i8", 12: "<f8"}
_STRING, _ARRAY = 8, 9
# String arrays decoded into Python lists; others are skipped over (merges, etc.).
KEEP_STRING_ARRAYS = ("tokenizer.ggml.tokens",)
INPUT_TENSOR = "token_embd.weight"
OUTPUT_TENSOR = "output.weight"


@dataclass(frozen=True)
class GGUFTensor:
    """One tensor of a GGUF file: dims as stored (ne0 first), block type id, absolute data offset."""

    name: str
    dims: tuple[int, ...]
    type_id: int
    offset: int

    @property
    def type_name(self) -> str:
        from gguf import GGMLQuantizationType

        try:
            return GGMLQuantizationType(self.type_id).name
        except ValueError:
            return f"type#{self.type_id}"


class GGUFFile:
    """Header of a GGUF file: metadata, tensor table, and a memory map of the data."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelNotFoundError(f"{self.path}: no such GGUF file")
        self.size = self.path.stat().st_size
        # Magic, version, tensor and metadata counts: 24 bytes; mmap refuses an empty file outright.
        if self.size < 24:
            raise ModelFileError(f"{self.path}: only {self.size} bytes; not a GGUF file (empty or "
                                 "truncated download)")
        with open(self.path, "rb") as fh:
            self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        self.metadata: dict = {}
        self.tensors: dict[str, GGUFTensor] = {}
        try:
            self._parse()
        except (struct.error, IndexError, UnicodeDecodeError) as exc:
            raise ModelFileError(f"{self.path}: truncated or corrupt GGUF header ({exc})") from exc

    def _parse(self) -> None:
        buf = self._map
        if buf[:4] != MAGIC:
            raise ModelFileError(f"{self.path}: not a GGUF file (magic {bytes(buf[:4])!r})")
        (version,) = struct.unpack_from("<I", buf, 4)
        if version < 2:
            raise ModelFileError(f"{self.path}: GGUF version {version} is too old (need 2 or 3); "
                                  "convert it with a current llama.cpp")
        n_tensors, n_kv = struct.unpack_from("<QQ", buf, 8)
        pos = 24
        self.version = version
        for _ in range(n_kv):
            key, pos = self._string(pos)
            (vtype,) = struct.unpack_from("<I", buf, pos)
            value, pos = self._value(vtype, pos + 4, key)
            self.metadata[key] = value
        infos = []
        for _ in range(n_tensors):
            name, pos = self._string(pos)
            (n_dims,) = struct.unpack_from("<I", buf, pos)
            dims = struct.unpack_from(f"<{n_dims}Q", buf, pos + 4)
            pos += 4 + 8 * n_dims
            type_id, offset = struct.unpack_from("<IQ", buf, pos)
            pos += 12
            infos.append((name, tuple(int(d) for d in dims), int(type_id), int(offset)))
        align = int(self.metadata.get("general.alignment", DEFAULT_ALIGNMENT) or DEFAULT_ALIGNMENT)
        data_start = (pos + align - 1) // align * align
        self.data_start = data_start
        for name, dims, type_id, offset in infos:
            self.tensors[name] = GGUFTensor(name, dims, type_id, data_start + offset)

    def _string(self, pos: int) -> tuple[str, int]:
        (n,) = struct.unpack_from("<Q", self._map, pos)
        end = pos + 8 + n
        if end > self.size:
            raise ModelFileError(f"{self.path}: string runs past the end of the file (truncated)")
        return self._map[pos + 8:end].decode("utf-8", errors="replace"), end

    def _value(self, vtype: int, pos: int, key: str):
        buf = self._map
        if vtype in _SCALARS:
            fmt, size = _SCALARS[vtype]
            return struct.unpack_from(fmt, buf, pos)[0], pos + size
        if vtype == _STRING:
            return self._string(pos)
        if vtype == _ARRAY:
            etype, count = struct.unpack_from("<IQ", buf, pos)
            pos += 12
            if etype in _SCALARS:
                size = _SCALARS[etype][1]
                arr = np.frombuffer(buf, dtype=_NUMPY[etype], count=count, offset=pos)
                return arr, pos + size * count
            if etype == _STRING:
                if key in KEEP_STRING_ARRAYS:
                    out = []
                    for _ in range(count):
                        s, pos = self._string(pos)
                        out.append(s)
                    return out, pos
                for _ in range(count):  # skip without decoding
                    (n,) = struct.unpack_from("<Q", buf, pos)
                    pos += 8 + n
                return f"<{count} strings>", pos
            if etype == _ARRAY:
                items = []
                for _ in range(count):  # each element is itself (type, count, elements)
                    item, pos = self._value(_ARRAY, pos, key)
                    items.append(item)
                return items, pos
        raise ModelFileError(f"{self.path}: unknown GGUF value type {vtype} for key {key!r}")

    # -- tensors ---------------------------------------------------------------------------------
    def matrix_blocks(self, name: str, progress: bool, rows_per_block: int = 0):
        """``(shape (rows, cols), block type name, iterator of float32 row blocks)``."""
        from gguf import GGML_QUANT_SIZES, GGMLQuantizationType
        from gguf.quants import dequantize

        t = self.tensors[name]
        if len(t.dims) != 2:
            raise ModelFileError(f"{self.path}: {name} has dims {list(t.dims)}, not a matrix")
        cols, rows = t.dims
        try:
            qtype = GGMLQuantizationType(t.type_id)
        except ValueError:
            raise ModelFileError(
                f"{self.path}: {name} uses block type id {t.type_id}, unknown to the installed "
                f"gguf package ({_gguf_version()}); upgrade gguf (pip install -U gguf)") from None
        block_size, type_size = GGML_QUANT_SIZES[qtype]
        if cols % block_size:
            raise ModelFileError(f"{self.path}: {name} row length {cols} is not a multiple of "
                                  f"the {qtype.name} block size {block_size}")
        row_bytes = cols // block_size * type_size
        end = t.offset + rows * row_bytes
        if end > self.size:
            raise ModelFileError(f"{self.path}: {name} ends at byte {end} but the file has "
                                  f"{self.size}; the file is truncated")
        raw = np.frombuffer(self._map, dtype=np.uint8, count=rows * row_bytes,
                            offset=t.offset).reshape(rows, row_bytes)
        if rows_per_block <= 0:
            rows_per_block = max(1, (16 << 20) // max(cols * 4, 1))

        def decode(chunk: np.ndarray) -> np.ndarray:
            if qtype == GGMLQuantizationType.F64:
                return chunk.view("<f8").astype(np.float32)
            try:
                # One long row: blocks never straddle rows (cols % block_size == 0), and
                # gguf then decodes the whole chunk in one vectorised call instead of 16-row groups.
                out = dequantize(chunk.reshape(1, -1), qtype)
            except NotImplementedError:
                raise ModelFileError(
                    f"{self.path}: {name} is stored as {qtype.name}, a block type the installed "
                    f"gguf package ({_gguf_version()}) cannot decode. Upgrade gguf, or use a GGUF "
                    "file whose token_embd.weight is Q8_0, a K-quant, F16 or F32.") from None
            return np.asarray(out, dtype=np.float32).reshape(chunk.shape[0], cols)

        def blocks():
            pbar = bar(rows, f"dequantising {name} ({qtype.name})", unit="rows", enabled=progress)
            try:
                for start in range(0, rows, rows_per_block):
                    block = decode(np.ascontiguousarray(raw[start:start + rows_per_block]))
                    pbar.update(block.shape[0])
                    yield block
            finally:
                pbar.close()

        return (rows, cols), qtype.name, blocks()


def _gguf_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"gguf {version('gguf')}"
    except PackageNotFoundError:  # pragma: no cover
        return "gguf"


class GGUFSource(Source):
    """A local ``.gguf`` file."""

    kind = "gguf"

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelNotFoundError(f"{self.path}: no such GGUF file")
        self._file: GGUFFile | None = None
        self.read = 0

    @property
    def file(self) -> GGUFFile:
        """The parsed header, on first use (a cache hit needs only the file's size and mtime)."""
        if self._file is None:
            self._file = GGUFFile(self.path)
        return self._file

    def identity(self) -> tuple[str, str]:
        stat = self.path.stat()
        digest = hashlib.sha1(f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
        return str(self.path.resolve()), digest

    def facts(self, tensor: str | None = None) -> dict:
        f = self.file
        key = tensor or INPUT_TENSOR
        if key not in f.tensors:
            near = [n for n in f.tensors if "emb" in n or "tok" in n or n.startswith("output")][:10]
            raise ModelFileError(
                f"{f.path}: no tensor {key!r} (GGUF files name the token embedding "
                f"{INPUT_TENSOR}); tensors that might be it: {near}. Pass {option('tensor', 'NAME')} to choose.")
        t = f.tensors[key]
        if len(t.dims) != 2:
            raise ModelFileError(f"{f.path}: {key} has dims {list(t.dims)}, not a matrix")
        out = f.tensors.get(OUTPUT_TENSOR)
        output = OUTPUT_TENSOR if (out is not None and len(out.dims) == 2
                                   and out.dims[0] == t.dims[0]) else None
        arch = f.metadata.get("general.architecture")
        return {
            "embedding_tensor": key,
            "unembedding_tensor": output,
            "tied": output is None,
            "tied_reason": ("GGUF file has a separate output.weight" if output else
                            "GGUF file has no output.weight: the output layer reuses token_embd.weight"),
            "dtype": t.type_name,
            "shape": [t.dims[1], t.dims[0]],
            "format": "gguf",
            "config": {
                "architecture": arch,
                "embedding_length": f.metadata.get(f"{arch}.embedding_length"),
                "vocab_size": f.metadata.get(f"{arch}.vocab_size"),
                "name": f.metadata.get("general.name"),
                "license": f.metadata.get("general.license"),
                "file_type": f.metadata.get("general.file_type"),
                "gguf_version": f.version,
            },
        }

    def extract(self, key: str, entry: Entry, progress: bool) -> dict:
        shape, type_name, blocks = self.file.matrix_blocks(key, progress)
        t = self.file.tensors[key]
        from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

        block_size, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(t.type_id)]
        self.read += shape[0] * (shape[1] // block_size) * type_size
        return entry.write_tensor(key, shape, blocks, what=f"{self.file.path}: {key}",
                                  extra={"dtype": type_name})

    def tokens(self, rows: int) -> tuple[list[str] | None, dict]:
        toks = self.file.metadata.get("tokenizer.ggml.tokens")
        if not isinstance(toks, list):
            return None, {"tokens_note": "the GGUF file has no tokenizer.ggml.tokens"}
        missing = max(0, rows - len(toks))
        out = (list(toks[:rows]) + [""] * missing)
        return out, {"tokenizer_file": "tokenizer.ggml.tokens (GGUF metadata)",
                     "tokenizer_size": len(toks), "rows_without_token": missing}

    def record(self) -> dict:
        out = {"path": str(self.path), "file_size": self.path.stat().st_size,
               "bytes_read": int(self.read)}
        if self._file is not None:
            out["gguf_version"] = self._file.version
        return out
