"""Raw little-endian tensor bytes (a safetensors dtype) -> float32, exactly.

Conversions (all exact: every value of these formats is representable in float32, except F64):

* ``F32``: reinterpret; ``F16``: IEEE half -> single; ``F64``: rounded to nearest float32;
* ``BF16``: the 16 bits are the high half of a float32, so :math:`x = \\text{bits} \\ll 16`;
* ``F8_E4M3`` (e4m3fn: bias 7, no infinities, S.1111.111 is NaN) and ``F8_E5M2`` (bias 15, IEEE-like):
  looked up in a 256-entry table built from the definitions
  :math:`x = (-1)^s \\, 2^{e-b} (1 + m/2^{M})` (normal) and :math:`x = (-1)^s \\, 2^{1-b} m/2^{M}`
  (subnormal, e = 0);
* integer dtypes (``I8`` ... ``U64``, ``BOOL``): converted by value.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from repcap.errors import ModelFileError

# safetensors dtype tag -> (bytes per element, readable name)
DTYPES: dict[str, tuple[int, str]] = {
    "F64": (8, "float64"), "F32": (4, "float32"), "F16": (2, "float16"), "BF16": (2, "bfloat16"),
    "F8_E4M3": (1, "float8_e4m3fn"), "F8_E5M2": (1, "float8_e5m2"),
    "I64": (8, "int64"), "I32": (4, "int32"), "I16": (2, "int16"), "I8": (1, "int8"),
    "U64": (8, "uint64"), "U32": (4, "uint32"), "U16": (2, "uint16"), "U8": (1, "uint8"),
    "BOOL": (1, "bool"),
}
_NUMPY = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
          "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}


def itemsize(dtype: str) -> int:
    """Bytes per element of a safetensors dtype tag; ModelFileError for an unknown tag."""
    try:
        return DTYPES[dtype][0]
    except KeyError:
        raise ModelFileError(
            f"unsupported tensor dtype {dtype!r}; repcap reads {sorted(DTYPES)}") from None


def readable(dtype: str) -> str:
    """``"BF16"`` -> ``"bfloat16"`` (the name torch and numpy users know)."""
    return DTYPES.get(dtype, (0, dtype.lower()))[1]


@lru_cache(maxsize=None)
def float8_table(exponent_bits: int, mantissa_bits: int, fn: bool) -> np.ndarray:
    """All 256 float8 values as float32 (``fn``: the e4m3fn convention, no Inf, only S.1111.111 NaN)."""
    bias = (1 << (exponent_bits - 1)) - 1
    table = np.empty(256, dtype=np.float32)
    for byte in range(256):
        sign = -1.0 if byte & 0x80 else 1.0
        exp = (byte >> mantissa_bits) & ((1 << exponent_bits) - 1)
        man = byte & ((1 << mantissa_bits) - 1)
        top = (1 << exponent_bits) - 1
        if fn and exp == top and man == (1 << mantissa_bits) - 1:
            value = np.nan
        elif not fn and exp == top:
            value = sign * np.inf if man == 0 else np.nan
        elif exp == 0:
            value = sign * 2.0 ** (1 - bias) * man / (1 << mantissa_bits)
        else:
            value = sign * 2.0 ** (exp - bias) * (1 + man / (1 << mantissa_bits))
        table[byte] = value
    return table


def to_float32(raw: bytes | bytearray | memoryview | np.ndarray, dtype: str) -> np.ndarray:
    """Decode a flat run of little-endian elements of ``dtype`` into a 1-D float32 array."""
    size = itemsize(dtype)
    buf = np.frombuffer(raw, dtype=np.uint8) if not isinstance(raw, np.ndarray) else raw.view(np.uint8).ravel()
    if buf.size % size:
        raise ModelFileError(f"{buf.size} bytes is not a whole number of {dtype} elements")
    if dtype == "F32":
        return buf.view("<f4").astype(np.float32, copy=False)
    if dtype == "BF16":
        return (buf.view("<u2").astype(np.uint32) << 16).view(np.float32)
    if dtype == "F8_E4M3":
        return float8_table(4, 3, True)[buf]
    if dtype == "F8_E5M2":
        return float8_table(5, 2, False)[buf]
    return buf.view(_NUMPY[dtype]).astype(np.float32)


def decode_rows(chunks, dtype: str, ncols: int, rows_per_block: int = 0):
    """Turn an iterator of raw byte chunks (any sizes) into float32 blocks of whole rows.

    Rows are ``ncols`` elements of ``dtype``; a chunk boundary may fall anywhere, so bytes are
    carried over until a row is complete. Yields 2-D float32 arrays.
    """
    row_bytes = itemsize(dtype) * ncols
    if rows_per_block <= 0:
        rows_per_block = max(1, (8 << 20) // max(row_bytes, 1))  # ~8 MB of source bytes per block
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        whole = (len(pending) // row_bytes) * row_bytes
        if whole >= rows_per_block * row_bytes:
            block, pending = bytes(pending[:whole]), pending[whole:]
            yield to_float32(block, dtype).reshape(-1, ncols)
    if len(pending) % row_bytes:
        raise ModelFileError(
            f"tensor data ended in the middle of a row ({len(pending) % row_bytes} stray bytes); "
            "the file is truncated")
    if pending:
        yield to_float32(bytes(pending), dtype).reshape(-1, ncols)
