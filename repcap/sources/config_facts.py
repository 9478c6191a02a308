"""Facts read from a Hugging Face ``config.json``: width, vocabulary, tying, architecture.

Multimodal wrappers keep the language model's settings in a nested ``text_config`` (Gemma 3,
LLaVA, Qwen-VL) or ``language_config`` / ``llm_config``; those are searched after the top level.
Different families spell the width differently (``hidden_size``, ``n_embd``, ``d_model``, ``dim``).
"""

from __future__ import annotations

from typing import Any

_NESTED = ("text_config", "language_config", "llm_config", "text_model")
_WIDTH_KEYS = ("embedding_size", "hidden_size", "n_embd", "d_model", "dim", "model_dim", "embed_dim")
# Architecture name fragments of models that carry an output (LM) head.
_HEAD_MARKERS = ("ForCausalLM", "LMHead", "ForConditionalGeneration", "ForMaskedLM",
                 "ForPreTraining", "WithLMHead", "ForSeq2SeqLM")


def _layers(config: dict | None) -> list[dict]:
    if not config:
        return []
    out = [config]
    for key in _NESTED:
        sub = config.get(key)
        if isinstance(sub, dict):
            out.append(sub)
    return out


def lookup(config: dict | None, *keys: str) -> Any:
    """First value found for any of ``keys``, top level first, then nested language configs."""
    for layer in _layers(config):
        for key in keys:
            if layer.get(key) is not None:
                return layer[key]
    return None


def embedding_width(config: dict | None) -> int | None:
    """Width of the token embedding (``embedding_size`` when it differs from ``hidden_size``)."""
    value = lookup(config, *_WIDTH_KEYS)
    return int(value) if isinstance(value, (int, float)) else None


def hidden_size(config: dict | None) -> int | None:
    value = lookup(config, "hidden_size", "n_embd", "d_model", "dim", "model_dim")
    return int(value) if isinstance(value, (int, float)) else None


def vocab_size(config: dict | None) -> int | None:
    value = lookup(config, "vocab_size", "padded_vocab_size", "n_vocab")
    return int(value) if isinstance(value, (int, float)) else None


def tie_flag(config: dict | None) -> bool | None:
    """``tie_word_embeddings`` as written in the config (None when the config omits it)."""
    value = lookup(config, "tie_word_embeddings")
    return bool(value) if value is not None else None


def architectures(config: dict | None) -> list[str]:
    archs = lookup(config, "architectures") or []
    return [str(a) for a in archs] if isinstance(archs, list) else [str(archs)]


def has_output_head(config: dict | None) -> bool | None:
    """Whether the architecture has an LM head (True/False), None without ``architectures``."""
    archs = architectures(config)
    if not archs:
        return None
    return any(marker in a for a in archs for marker in _HEAD_MARKERS)


def decide_tied(config: dict | None, output_tensor: str | None) -> tuple[bool | None, str]:
    """Are input and output embeddings tied? Returns ``(tied, reason)``.

    Evidence in order: a separate output tensor in the checkpoint (untied unless the config
    explicitly says tied, in which case the file just stores a redundant copy); then the config's
    ``tie_word_embeddings``; then the architecture: a model with an LM head but no output tensor
    ties it to the input embedding (as GPT-2 does without writing the flag). An encoder saved
    without a head (e.g. ``BertModel``) has no output layer: None.
    """
    flag = tie_flag(config)
    head = has_output_head(config)
    if output_tensor is not None:
        if flag is True:
            return True, f"config sets tie_word_embeddings=true (the file also stores {output_tensor})"
        return False, f"separate output tensor {output_tensor} in the checkpoint"
    if flag is False:
        return None, ("config says tie_word_embeddings=false but the checkpoint has no output tensor "
                      "(a headless checkpoint); tying is unknown")
    if head is False:
        return None, "checkpoint of a model without an output head (encoder or bare backbone)"
    if flag is True:
        return True, "config sets tie_word_embeddings=true and there is no separate output tensor"
    if head is True:
        return True, "LM-head architecture without a separate output tensor: the head reuses the input embedding"
    return None, "no config and no output tensor: tying unknown"
