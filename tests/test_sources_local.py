"""Local checkpoints in the hub layout: several architectures, checked against transformers."""

import json
import os

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from hubfixtures import build_model, write_tokenizer
from repcap.errors import ModelFileError, EmbeddingError
from repcap.sources import load_embedding

KINDS = ("llama", "llama-tied", "gpt2", "neox", "bert", "t5")


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("REPCAP_CACHE", str(tmp_path / "repcap-cache"))


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    root = tmp_path_factory.mktemp("ckpts")
    out = {}
    for kind in KINDS:
        folder = root / kind
        # GPT-2's config omits tie_word_embeddings, like the real gpt2 repo's config.
        build_model(kind, folder, drop_tie_flag=(kind == "gpt2"),
                    dtype="float32" if kind == "bert" else "bfloat16")
        out[kind] = folder
    return out


def _transformers_model(kind, folder):
    import transformers as tf

    cls = {"llama": tf.LlamaForCausalLM, "llama-tied": tf.LlamaForCausalLM,
           "gpt2": tf.GPT2LMHeadModel, "neox": tf.GPTNeoXForCausalLM, "bert": tf.BertModel,
           "t5": tf.T5ForConditionalGeneration}[kind]
    return cls.from_pretrained(folder)


@pytest.mark.parametrize("kind", KINDS)
def test_matches_transformers(kind, checkpoints):
    folder = checkpoints[kind]
    emb = load_embedding(folder, with_unembedding=True, progress=False)
    model = _transformers_model(kind, folder)
    want_in = model.get_input_embeddings().weight.detach().float().numpy()
    np.testing.assert_array_equal(emb.matrix, want_in)
    assert emb.source == "local" and emb.matrix.dtype == np.float32
    assert emb.tokens[:3] == ["tok0", "tok1", "tok2"] and emb.tokens[-1] == "<pad>"
    head = model.get_output_embeddings()
    if head is None:  # a headless encoder: tying does not apply
        assert emb.tied is None and emb.unembedding is None
    elif head.weight.data_ptr() == model.get_input_embeddings().weight.data_ptr():
        assert emb.tied is True and emb.unembedding is None
    else:
        assert emb.tied is False
        np.testing.assert_array_equal(emb.unembedding, head.weight.detach().float().numpy())
    expected_dtype = "float32" if kind == "bert" else "bfloat16"
    assert emb.dtype == expected_dtype


def test_sharded_checkpoint_reads_only_the_embedding_shard(checkpoints):
    folder = checkpoints["llama"]
    index = json.loads((folder / "model.safetensors.index.json").read_text())
    shards = sorted(set(index["weight_map"].values()))
    assert len(shards) >= 3
    emb = load_embedding(folder, progress=False)
    read = emb.provenance["files_read"]
    wanted = index["weight_map"]["model.embed_tokens.weight"]
    assert [f for f in read if f.endswith(".safetensors")] == [wanted]
    assert emb.provenance["bytes_read"] < sum((folder / s).stat().st_size for s in shards)


def test_second_load_is_a_memory_mapped_cache_hit(checkpoints):
    first = load_embedding(checkpoints["llama"], progress=False)
    second = load_embedding(checkpoints["llama"], progress=False)
    assert first.provenance["cache"] == "miss" and second.provenance["cache"] == "hit"
    assert isinstance(second.matrix, np.memmap) and not second.matrix.flags.writeable
    np.testing.assert_array_equal(first.matrix, second.matrix)
    assert second.tokens == first.tokens


def test_changed_files_invalidate_the_cache(tmp_path):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    save_file({"model.embed_tokens.weight": torch.ones(4, 3)}, str(folder / "model.safetensors"))
    assert load_embedding(folder, progress=False).matrix[0, 0] == 1.0
    save_file({"model.embed_tokens.weight": torch.full((4, 3), 2.0)}, str(folder / "model.safetensors"))
    os.utime(folder / "model.safetensors", ns=(1, 1))  # a different mtime even on coarse clocks
    assert load_embedding(folder, progress=False).matrix[0, 0] == 2.0


def test_pytorch_bin_checkpoint_loads_with_weights_only(tmp_path, checkpoints):
    model = _transformers_model("llama", checkpoints["llama"])
    folder = tmp_path / "bin"
    folder.mkdir()
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    (folder / "config.json").write_text((checkpoints["llama"] / "config.json").read_text())
    emb = load_embedding(folder, with_unembedding=True, progress=False)
    assert emb.provenance["format"] == "pytorch" and emb.tied is False
    np.testing.assert_array_equal(emb.matrix, model.get_input_embeddings().weight.float().detach().numpy())
    np.testing.assert_array_equal(emb.unembedding, model.lm_head.weight.float().detach().numpy())


class Unsafe:  # pickled by reference: weights_only loading must refuse it
    pass


def test_unsafe_pickle_is_refused_with_advice(tmp_path):
    folder = tmp_path / "evil"
    folder.mkdir()
    torch.save({"model.embed_tokens.weight": torch.ones(3, 2), "extra": Unsafe()},
               folder / "pytorch_model.bin")
    with pytest.raises(ModelFileError, match="weights_only=True.*safetensors"):
        load_embedding(folder, progress=False)


def test_nan_rows_raise_and_leave_nothing_in_the_cache(tmp_path):
    folder = tmp_path / "nan"
    folder.mkdir()
    m = torch.randn(40, 8)
    m[[3, 9, 30], 2] = float("nan")
    m[5, 0] = float("inf")
    save_file({"model.embed_tokens.weight": m.to(torch.bfloat16)}, str(folder / "model.safetensors"))
    with pytest.raises(EmbeddingError, match="4 of 40 rows contain NaN or Inf"):
        load_embedding(folder, progress=False)
    cache = tmp_path / "repcap-cache"
    leftovers = [p for p in cache.rglob("*") if p.is_file()] if cache.exists() else []
    assert leftovers == []


def test_zero_rows_are_counted_and_kept(tmp_path):
    folder = tmp_path / "zeros"
    folder.mkdir()
    m = torch.randn(30, 4)
    m[[0, 7, 8]] = 0
    save_file({"transformer.wte.weight": m}, str(folder / "model.safetensors"))
    emb = load_embedding(folder, progress=False)
    assert emb.zero_rows == 3 and emb.vocab_size == 30
    assert not emb.matrix[7].any()


def test_lone_safetensors_file_and_multimodal_names(tmp_path):
    path = tmp_path / "weights.safetensors"
    save_file({"language_model.model.embed_tokens.weight": torch.randn(12, 6),
               "vision_tower.vision_model.embeddings.position_embedding.weight": torch.randn(5, 6),
               "language_model.lm_head.weight": torch.randn(12, 6)}, str(path))
    emb = load_embedding(path, with_unembedding=True, progress=False)
    assert emb.embedding_tensor == "language_model.model.embed_tokens.weight"
    assert emb.tied is False and emb.unembedding.shape == (12, 6)
    assert emb.tokens is None


def test_ambiguous_checkpoint_and_the_tensor_override(tmp_path):
    folder = tmp_path / "amb"
    folder.mkdir()
    a, b = torch.randn(10, 4), torch.randn(10, 4)
    save_file({"model.embed_tokens.weight": a, "extra.wte.weight": b}, str(folder / "model.safetensors"))
    with pytest.raises(ModelFileError, match=r"several tensors.*model.embed_tokens.weight \[10, 4\], extra.wte.weight"):
        load_embedding(folder, progress=False)
    emb = load_embedding(folder, tensor="extra.wte.weight", progress=False)
    np.testing.assert_array_equal(emb.matrix, b.numpy())
    with pytest.raises(ModelFileError, match="no tensor named"):
        load_embedding(folder, tensor="nope.weight", progress=False)


def test_checkpoint_without_an_embedding(tmp_path):
    save_file({"encoder.layer.0.dense.weight": torch.ones(4, 4)}, str(tmp_path / "model.safetensors"))
    with pytest.raises(ModelFileError, match="no input-embedding tensor found among 1 tensors"):
        load_embedding(tmp_path, progress=False)


def test_folder_without_weights(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    write_tokenizer(tmp_path, 10)
    with pytest.raises(ModelFileError, match="no weights found"):
        load_embedding(tmp_path, progress=False)


def test_unembedding_after_a_cached_input_only_load(checkpoints):
    """A warm cache holds facts.json and the input tensor only; asking for the untied unembedding
    then extracts it from a checkpoint whose layout was never read in this process."""
    first = load_embedding(checkpoints["llama"], progress=False)
    both = load_embedding(checkpoints["llama"], with_unembedding=True, progress=False)
    assert both.unembedding is not None and both.unembedding.shape == first.matrix.shape
    np.testing.assert_array_equal(both.matrix, first.matrix)
