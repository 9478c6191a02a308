"""safetensors header parsing, byte ranges and dtype decoding, against the reference libraries."""

import json
import struct

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from repcap.errors import ModelFileError
from repcap.sources.decode import decode_rows, float8_table, to_float32
from repcap.sources.safetensors_io import iter_file_range, parse_header, read_header

TORCH_TAG = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
             torch.float64: "F64", torch.float8_e4m3fn: "F8_E4M3", torch.float8_e5m2: "F8_E5M2",
             torch.int8: "I8", torch.int32: "I32"}


@pytest.fixture(scope="module")
def mixed_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("st") / "mixed.safetensors"
    g = torch.Generator().manual_seed(0)
    tensors = {
        "a.f32": torch.randn(7, 5, generator=g),
        "b.bf16": torch.randn(33, 12, generator=g).to(torch.bfloat16),
        "c.f16": torch.randn(4, 3, generator=g).to(torch.float16),
        "d.f64": torch.randn(3, 3, generator=g, dtype=torch.float64),
        "e.f8": (torch.randn(9, 4, generator=g) * 3).to(torch.float8_e4m3fn),
        "f.f8e5": (torch.randn(9, 4, generator=g) * 3).to(torch.float8_e5m2),
        "g.i8": torch.randint(-100, 100, (5, 2), generator=g, dtype=torch.int8),
        "h.scalarish": torch.randn(6, generator=g),
    }
    save_file(tensors, str(path), metadata={"format": "pt"})
    return path, tensors


def test_header_matches_safe_open(mixed_file):
    path, tensors = mixed_file
    header = read_header(path)
    assert header.metadata == {"format": "pt"}
    assert set(header.tensors) == set(tensors)
    with safe_open(str(path), "pt") as f:
        for name, info in header.tensors.items():
            ref = f.get_tensor(name)
            assert info.shape == tuple(ref.shape)
            assert info.dtype == TORCH_TAG[ref.dtype]
            raw = b"".join(iter_file_range(path, info.begin, info.end, chunk=7))
            got = to_float32(raw, info.dtype).reshape(info.shape)
            want = ref.to(torch.float64).numpy()
            if info.dtype == "F64":  # rounded to float32
                np.testing.assert_array_equal(got, want.astype(np.float32))
            else:  # every other format converts exactly
                np.testing.assert_array_equal(got.astype(np.float64), want)


@pytest.mark.parametrize("dtype,args", [(torch.float8_e4m3fn, (4, 3, True)),
                                        (torch.float8_e5m2, (5, 2, False))])
def test_float8_tables_cover_all_256_codes(dtype, args):
    codes = torch.arange(256, dtype=torch.uint8).view(dtype)
    want = codes.to(torch.float32).numpy()
    got = float8_table(*args)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    np.testing.assert_array_equal(got[ok], want[ok])


def test_decode_rows_with_chunk_boundaries_inside_rows():
    m = torch.randn(50, 9).to(torch.bfloat16)
    raw = m.view(torch.int16).numpy().tobytes()
    chunks = [raw[i:i + 13] for i in range(0, len(raw), 13)]  # 13 never divides a row (18 bytes)
    blocks = list(decode_rows(iter(chunks), "BF16", 9, rows_per_block=4))
    got = np.concatenate(blocks)
    np.testing.assert_array_equal(got, m.float().numpy())
    with pytest.raises(ModelFileError, match="middle of a row"):
        list(decode_rows(iter([raw[:-3]]), "BF16", 9))


def _raw_file(header: dict, data: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def test_corrupt_headers_raise_checkpoint_errors(tmp_path):
    good = {"x": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}
    header = parse_header(_raw_file(good, b"\0" * 16), "mem", file_size=8 + len(json.dumps(good)) + 16)
    assert header.tensors["x"].nbytes == 16
    with pytest.raises(ModelFileError, match="need 16"):
        parse_header(_raw_file({"x": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}}), "m")
    with pytest.raises(ModelFileError, match="truncated"):
        path = tmp_path / "short.safetensors"
        path.write_bytes(_raw_file(good, b"\0" * 10))
        read_header(path)
    with pytest.raises(ModelFileError, match="not valid JSON"):
        parse_header(struct.pack("<Q", 5) + b"{nope", "m")
    with pytest.raises(ModelFileError, match="implausible"):
        parse_header(struct.pack("<Q", 1 << 40) + b"{}", "m")
    with pytest.raises(ModelFileError, match="unsupported tensor dtype"):
        parse_header(_raw_file({"x": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}), "m")
