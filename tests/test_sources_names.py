"""Which tensor is the embedding, and tied or not: name resolution and config facts."""

import pytest

from repcap.errors import ModelFileError
from repcap.sources.config_facts import decide_tied, embedding_width, vocab_size
from repcap.sources.tensor_names import input_candidates, resolve_input, resolve_output


def shapes(table):
    return lambda key: table.get(key)


CASES = {
    "llama": ({"model.embed_tokens.weight": (32000, 4096), "model.norm.weight": (4096,),
               "model.layers.0.self_attn.q_proj.weight": (4096, 4096),
               "lm_head.weight": (32000, 4096)}, "model.embed_tokens.weight", "lm_head.weight"),
    "gpt2 (no prefix)": ({"wte.weight": (50257, 768), "wpe.weight": (1024, 768),
                          "h.0.attn.c_attn.weight": (768, 2304)}, "wte.weight", None),
    "gpt2": ({"transformer.wte.weight": (50257, 768), "transformer.wpe.weight": (1024, 768)},
             "transformer.wte.weight", None),
    "pythia": ({"gpt_neox.embed_in.weight": (50304, 512), "embed_out.weight": (50304, 512)},
               "gpt_neox.embed_in.weight", "embed_out.weight"),
    "bert": ({"embeddings.word_embeddings.weight": (30522, 384),
              "embeddings.position_embeddings.weight": (512, 384),
              "embeddings.token_type_embeddings.weight": (2, 384)},
             "embeddings.word_embeddings.weight", None),
    "t5": ({"shared.weight": (32128, 512), "encoder.embed_tokens.weight": (32128, 512),
            "decoder.embed_tokens.weight": (32128, 512), "lm_head.weight": (32128, 512)},
           "shared.weight", "lm_head.weight"),
    "gemma3 multimodal": ({"language_model.model.embed_tokens.weight": (262208, 3840),
                           "vision_tower.vision_model.embeddings.patch_embedding.weight": (1152, 3, 14, 14),
                           "vision_tower.vision_model.embeddings.position_embedding.weight": (4096, 1152),
                           "multi_modal_projector.mm_input_projection_weight": (1152, 3840)},
                          "language_model.model.embed_tokens.weight", None),
    "deepseek with MTP layer": ({"model.embed_tokens.weight": (129280, 7168),
                                 "model.layers.61.embed_tokens.weight": (129280, 7168),
                                 "model.layers.61.shared_head.head.weight": (129280, 7168),
                                 "lm_head.weight": (129280, 7168)},
                                "model.embed_tokens.weight", "lm_head.weight"),
    "bloom": ({"word_embeddings.weight": (250880, 1024),
               "word_embeddings_layernorm.weight": (1024,)}, "word_embeddings.weight", None),
    "gguf names": ({"token_embd.weight": (49152, 576), "output.weight": (49152, 576),
                    "blk.0.attn_output.weight": (576, 576)}, "token_embd.weight", "output.weight"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_architectures(case):
    table, want_in, want_out = CASES[case]
    got_in = resolve_input(table, shapes(table), None, case)
    assert got_in == want_in
    assert resolve_output(table, got_in, shapes(table)) == want_out


def test_output_weight_of_another_width_is_not_an_unembedding():
    table = {"tok_embeddings.weight": (100, 64), "output.weight": (10, 32)}
    assert resolve_output(table, "tok_embeddings.weight", shapes(table)) is None


def test_ambiguous_checkpoint_lists_candidates():
    table = {"model.embed_tokens.weight": (1000, 64), "text.wte.weight": (1000, 64)}
    with pytest.raises(ModelFileError) as err:
        resolve_input(table, shapes(table), 64, "ckpt")
    msg = str(err.value)
    assert "model.embed_tokens.weight [1000, 64]" in msg and "text.wte.weight [1000, 64]" in msg
    assert "tensor=" in msg


def test_config_width_breaks_a_tie():
    table = {"model.embed_tokens.weight": (1000, 64), "adapter.wte.weight": (1000, 16)}
    assert resolve_input(table, shapes(table), 64, "ckpt") == "model.embed_tokens.weight"


def test_no_embedding_names_what_was_looked_for():
    table = {"encoder.layer.0.weight": (4, 4), "my_emb_table": (10, 4)}
    with pytest.raises(ModelFileError, match="no input-embedding tensor.*my_emb_table"):
        resolve_input(table, shapes(table), None, "ckpt")


def test_vision_tables_are_never_candidates():
    assert input_candidates(["vision_model.embeddings.weight", "audio_tower.embed_tokens.weight"]) == []


@pytest.mark.parametrize("config,output,want", [
    ({"architectures": ["LlamaForCausalLM"], "tie_word_embeddings": False}, "lm_head.weight", False),
    ({"architectures": ["GPT2LMHeadModel"]}, None, True),                         # flag omitted
    ({"architectures": ["Qwen2ForCausalLM"], "tie_word_embeddings": True}, None, True),
    ({"architectures": ["Gemma3ForConditionalGeneration"],
      "text_config": {"tie_word_embeddings": True}}, None, True),                  # nested config
    ({"architectures": ["BertModel"]}, None, None),                               # headless encoder
    ({"architectures": ["T5ForConditionalGeneration"], "tie_word_embeddings": True},
     "lm_head.weight", True),                                                      # redundant copy
    ({"architectures": ["LlamaForCausalLM"], "tie_word_embeddings": False}, None, None),
    (None, None, None),
    (None, "output.weight", False),
])
def test_decide_tied(config, output, want):
    tied, reason = decide_tied(config, output)
    assert tied is want and reason


def test_config_widths_and_vocab():
    assert embedding_width({"hidden_size": 768, "embedding_size": 128}) == 128  # ALBERT
    assert embedding_width({"n_embd": 48}) == 48
    assert embedding_width({"text_config": {"hidden_size": 640}}) == 640
    assert vocab_size({"text_config": {"vocab_size": 262208}}) == 262208
