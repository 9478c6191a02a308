"""GGUF files: the fast header reader against gguf.GGUFReader, and dequantisation against
independent scalar re-implementations of ggml's reference decoders."""


import gguf
import numpy as np
import pytest
from gguf import GGMLQuantizationType as Q

from repcap.errors import ModelFileError
from repcap.sources import load_embedding
from repcap.sources.gguf_file import GGUFFile


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("REPCAP_CACHE", str(tmp_path / "repcap-cache"))


def write_gguf(path, embd, *, qtype=None, output=None, tokens=None, arch="llama"):
    """A GGUF with token_embd.weight (and optionally output.weight); ``embd`` is float32 (rows,
    cols), or raw uint8 blocks when ``qtype`` is given."""
    w = gguf.GGUFWriter(str(path), arch)
    rows = embd.shape[0]
    if tokens is None:
        tokens = [f"t{i}" for i in range(rows)]
    w.add_token_list(tokens)
    w.add_custom_alignment(64)  # not the default 32, so the reader must honour the key
    if qtype is None:
        w.add_tensor("token_embd.weight", embd)
    else:
        w.add_tensor("token_embd.weight", embd, raw_dtype=qtype)
    w.add_tensor("blk.0.attn_norm.weight", np.ones(7, dtype=np.float32))
    if output is not None:
        w.add_tensor("output.weight", output)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def f16_bytes(values):
    return np.asarray(values, dtype=np.float16).view(np.uint8).reshape(-1, 2)


# -- scalar reference decoders, transcribed from ggml-quants.c (dequantize_row_q*) --------------
def ref_q8_0(block):
    d = float(np.frombuffer(bytes(block[:2]), np.float16)[0])
    return [d * int(v) for v in np.frombuffer(bytes(block[2:34]), np.int8)]


def ref_q4_k(block):
    d = float(np.frombuffer(bytes(block[0:2]), np.float16)[0])
    dmin = float(np.frombuffer(bytes(block[2:4]), np.float16)[0])
    scales, q = [int(b) for b in block[4:16]], [int(b) for b in block[16:144]]

    def scale_min(j):
        if j < 4:
            return scales[j] & 63, scales[j + 4] & 63
        return ((scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4),
                (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4))

    out, qi, is_ = [], 0, 0
    for _ in range(0, 256, 64):
        sc, m = scale_min(is_)
        d1, m1 = d * sc, dmin * m
        sc, m = scale_min(is_ + 1)
        d2, m2 = d * sc, dmin * m
        out += [d1 * (q[qi + l] & 0xF) - m1 for l in range(32)]
        out += [d2 * (q[qi + l] >> 4) - m2 for l in range(32)]
        qi += 32
        is_ += 2
    return out


def ref_q6_k(block):
    ql, qh = [int(b) for b in block[0:128]], [int(b) for b in block[128:192]]
    sc = [int(v) for v in np.frombuffer(bytes(block[192:208]), np.int8)]
    d = float(np.frombuffer(bytes(block[208:210]), np.float16)[0])
    y = [0.0] * 256
    for half in range(2):
        o, lo, ho, so = 128 * half, 64 * half, 32 * half, 8 * half
        for l in range(32):
            is_ = l // 16
            q1 = ((ql[lo + l] & 0xF) | (((qh[ho + l] >> 0) & 3) << 4)) - 32
            q2 = ((ql[lo + l + 32] & 0xF) | (((qh[ho + l] >> 2) & 3) << 4)) - 32
            q3 = ((ql[lo + l] >> 4) | (((qh[ho + l] >> 4) & 3) << 4)) - 32
            q4 = ((ql[lo + l + 32] >> 4) | (((qh[ho + l] >> 6) & 3) << 4)) - 32
            y[o + l] = d * sc[so + is_] * q1
            y[o + l + 32] = d * sc[so + is_ + 2] * q2
            y[o + l + 64] = d * sc[so + is_ + 4] * q3
            y[o + l + 96] = d * sc[so + is_ + 6] * q4
    return y


REFS = {Q.Q8_0: ref_q8_0, Q.Q4_K: ref_q4_k, Q.Q6_K: ref_q6_k}


def random_blocks(qtype, n_blocks, rng):
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    scales = f16_bytes(rng.uniform(0.001, 0.05, size=n_blocks))
    if qtype == Q.Q6_K:
        raw[:, -2:] = scales
    else:
        raw[:, 0:2] = scales
        if qtype == Q.Q4_K:
            raw[:, 2:4] = f16_bytes(rng.uniform(0.001, 0.05, size=n_blocks))
    return raw


@pytest.mark.parametrize("qtype", [Q.Q8_0, Q.Q4_K, Q.Q6_K])
def test_block_types_match_the_reference_decoders(tmp_path, qtype):
    rng = np.random.default_rng(int(qtype))
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    rows, cols = 6, 2 * 256
    blocks = random_blocks(qtype, rows * cols // block_size, rng)
    raw = blocks.reshape(rows, -1)
    path = write_gguf(tmp_path / "q.gguf", raw, qtype=qtype)
    emb = load_embedding(path, progress=False)
    want = np.array([v for b in blocks for v in REFS[qtype](b)], dtype=np.float64).reshape(rows, cols)
    np.testing.assert_allclose(emb.matrix, want, rtol=1e-6, atol=1e-7)
    assert emb.dtype == qtype.name and emb.source == "gguf" and emb.tied is True


def test_f32_untied_with_tokens(tmp_path):
    rng = np.random.default_rng(5)
    E = rng.standard_normal((40, 16)).astype(np.float32)
    E[[4, 5]] = 0
    U = rng.standard_normal((40, 16)).astype(np.float32)
    toks = [f"▁w{i}" for i in range(40)]
    path = write_gguf(tmp_path / "f.gguf", E, output=U, tokens=toks)
    emb = load_embedding(path, with_unembedding=True, progress=False)
    np.testing.assert_array_equal(emb.matrix, E)
    np.testing.assert_array_equal(emb.unembedding, U)
    assert emb.tied is False and emb.zero_rows == 2 and emb.tokens == toks
    assert emb.embedding_tensor == "token_embd.weight" and emb.dtype == "F32"
    again = load_embedding(path, progress=False)
    assert again.provenance["cache"] == "hit"


def test_quantised_with_gguf_then_read_back(tmp_path):
    E = np.random.default_rng(6).standard_normal((10, 64)).astype(np.float32)
    raw = gguf.quantize(E, Q.Q8_0)
    emb = load_embedding(write_gguf(tmp_path / "q8.gguf", raw, qtype=Q.Q8_0), progress=False)
    # Q8_0 error bound per block of 32: with step d = max|x| / 127 stored as float16 (relative
    # error <= 2^-11) and |q| <= 127, |x - fp16(d)·q| <= d/2 + 127·d·2^-11.
    step = np.abs(E.reshape(-1, 32)).max(axis=1) / 127
    err = np.abs(emb.matrix - E).reshape(-1, 32).max(axis=1)
    assert np.all(err <= step * (0.5 + 127 * 2.0**-11) + 1e-7)
    assert np.all(err > 0)  # it really was quantised


def test_undecodable_block_type_is_a_clear_error(tmp_path):
    _, type_size = gguf.GGML_QUANT_SIZES[Q.Q8_K]
    raw = np.zeros((3, type_size), dtype=np.uint8)
    path = write_gguf(tmp_path / "q8k.gguf", raw, qtype=Q.Q8_K)
    with pytest.raises(ModelFileError, match="Q8_K, a block type the installed gguf"):
        load_embedding(path, progress=False)
    cache = tmp_path / "repcap-cache"
    assert not cache.exists() or [p for p in cache.rglob("*.npy")] == []


def test_truncated_and_foreign_files(tmp_path):
    E = np.ones((50, 32), dtype=np.float32)
    path = write_gguf(tmp_path / "t.gguf", E)
    data = path.read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[: len(data) - 2000])
    with pytest.raises(ModelFileError, match="truncated"):
        load_embedding(cut, progress=False)
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"NOPE" + data[4:])
    with pytest.raises(ModelFileError, match="not a GGUF file"):
        load_embedding(bad, progress=False)


def test_reader_agrees_with_gguf_reader(tmp_path):
    """Every metadata value type, nested arrays and a custom alignment, read by both readers."""
    rng = np.random.default_rng(7)
    path = tmp_path / "rich.gguf"
    w = gguf.GGUFWriter(str(path), "gemma3")
    w.add_custom_alignment(128)
    tokens = [f"▁tok{i}" if i % 3 else f"<{i}>" for i in range(300)]
    w.add_token_list(tokens)
    w.add_token_merges([f"a{i} b{i}" for i in range(50)])  # a string array that is skipped
    w.add_token_scores(rng.standard_normal(300).astype(np.float32).tolist())
    w.add_uint32("gemma3.embedding_length", 64)
    w.add_bool("tokenizer.ggml.add_bos_token", True)
    w.add_int64("x.int64", -5)
    w.add_float64("x.f64", 2.5)
    w.add_string("general.name", "rich test")
    w.add_array("x.nested", [[1, 2], [3, 4, 5]])
    w.add_tensor("token_embd.weight", gguf.quantize(
        rng.standard_normal((300, 64)).astype(np.float32), Q.Q8_0), raw_dtype=Q.Q8_0)
    w.add_tensor("blk.0.ffn_up.weight", rng.standard_normal((8, 64)).astype(np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    ours = GGUFFile(path)
    ref = gguf.GGUFReader(str(path))
    assert len(ours.tensors) == len(ref.tensors) == 2
    for t in ref.tensors:
        mine = ours.tensors[t.name]
        assert mine.dims == tuple(int(x) for x in t.shape)
        assert mine.type_id == int(t.tensor_type)
        assert mine.offset == t.data_offset
    assert ours.metadata["tokenizer.ggml.tokens"] == tokens
    for key in ("gemma3.embedding_length", "tokenizer.ggml.add_bos_token", "x.int64", "x.f64",
                "general.name", "general.alignment"):
        assert ours.metadata[key] == ref.fields[key].contents(), key
    np.testing.assert_array_equal(ours.metadata["tokenizer.ggml.scores"],
                                  ref.fields["tokenizer.ggml.scores"].contents())
    assert [list(a) for a in ours.metadata["x.nested"]] == [[1, 2], [3, 4, 5]]
    # GGUFReader flattens nested arrays; the flat values must agree.
    assert [int(v) for a in ours.metadata["x.nested"] for v in a] == ref.fields["x.nested"].contents()
    emb = load_embedding(path, progress=False)
    assert emb.d_model == 64 and emb.tokens == tokens
    assert emb.provenance["config"]["name"] == "rich test"
