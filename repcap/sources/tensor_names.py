"""Which tensor of a checkpoint is the input (and the output) token embedding.

Architectures name it differently: ``model.embed_tokens.weight`` (Llama, Mistral, Qwen, Gemma,
DeepSeek, ...), ``transformer.wte.weight`` / ``wte.weight`` (GPT-2), ``gpt_neox.embed_in.weight``
(Pythia), ``embeddings.word_embeddings.weight`` (BERT family), ``shared.weight`` (T5, BART),
``word_embeddings.weight`` (BLOOM), ``tok_embeddings.weight`` (InternLM, Meta's consolidated
format), multimodal wrappers such as ``language_model.model.embed_tokens.weight`` and GGUF's
``token_embd.weight``. Outputs: ``lm_head.weight``, ``embed_out.weight``, ``output.weight``.

Resolution: collect the keys whose last components match a known embedding name, skipping
per-layer copies (a numbered component, e.g. DeepSeek's multi-token-prediction layer
``model.layers.61.embed_tokens.weight``) and vision/audio/position tables; fold encoder/decoder
aliases of one shared table onto it; if several remain, keep those whose width matches the
config; if still several, fail and list them (the caller can pass ``tensor=`` to choose).
"""

from __future__ import annotations

import re
from typing import Callable, Iterable

from repcap.errors import ModelFileError, option

# Last components of an input embedding's key, most specific first.
INPUT_SUFFIXES = (
    "embed_tokens.weight", "wte.weight", "embed_in.weight", "word_embeddings.weight",
    "tok_embeddings.weight", "shared.weight", "token_embd.weight", "embeddings.weight",
)
# Exact output-head names; plus any unnumbered key ending in "lm_head.weight".
OUTPUT_NAMES = (
    "lm_head.weight", "embed_out.weight", "output.weight", "language_model.lm_head.weight",
    "model.lm_head.weight", "transformer.output_layer.weight", "cls.predictions.decoder.weight",
    "lm_head.decoder.weight",
)
_SKIP = re.compile(r"(^|[._])(vision|visual|image|img|audio|speech|patch|position|pos_|"
                   r"token_type|segment|mm_|projector|vq)", re.IGNORECASE)
_ALIAS_OF_SHARED = ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight")


def _numbered(key: str) -> bool:
    return any(part.isdigit() for part in key.split("."))


def input_candidates(keys: Iterable[str]) -> list[str]:
    """Keys that look like an input token embedding (before disambiguation)."""
    out = []
    for key in keys:
        if _numbered(key) or _SKIP.search(key):
            continue
        if any(key == s or key.endswith("." + s) for s in INPUT_SUFFIXES):
            out.append(key)
    # An encoder/decoder copy of a shared table is the same matrix: keep the shared one.
    shared = [k for k in out if k == "shared.weight" or k.endswith(".shared.weight")]
    if shared:
        out = [k for k in out if not any(k.endswith(a) for a in _ALIAS_OF_SHARED)]
    return sorted(out, key=_rank)


def _rank(key: str) -> tuple[int, int, str]:
    for i, suffix in enumerate(INPUT_SUFFIXES):
        if key == suffix or key.endswith("." + suffix):
            return (i, key.count("."), key)
    return (len(INPUT_SUFFIXES), key.count("."), key)


def resolve_input(keys: Iterable[str], shape_of: Callable[[str], tuple[int, ...] | None],
                  width: int | None, where: str) -> str:
    """The input-embedding key; ModelFileError when none or several remain.

    ``shape_of(key)`` returns the tensor's shape (or None when unknown); ``width`` is the
    embedding width from the config (None when unknown).
    """
    keys = list(keys)
    named = input_candidates(keys)
    cands = [k for k in named if _is_matrix(shape_of(k))]
    if not cands and named:
        listing = ", ".join(f"{k} {list(shape_of(k) or ())}" for k in named[:4])
        raise ModelFileError(
            f"{where}: the input-embedding tensor is too small to analyse ({listing}); an "
            "embedding needs at least 2 rows (V ≥ 2) and 2 columns (d ≥ 2)")
    if not cands:
        near = [k for k in keys if "emb" in k.lower() or "wte" in k or "tok" in k.lower()][:12]
        hint = f" Keys that mention embeddings: {near}." if near else ""
        raise ModelFileError(
            f"{where}: no input-embedding tensor found among {len(keys)} tensors (looked for keys "
            f"ending in {', '.join(INPUT_SUFFIXES)}).{hint} Pass {option('tensor', 'NAME')} "
            "to name it.")
    if len(cands) > 1 and width is not None:
        fitting = [k for k in cands if (shape_of(k) or (0, 0))[-1] == width]
        if fitting:
            cands = fitting
    if len(cands) > 1:
        listing = ", ".join(f"{k} {list(shape_of(k) or ())}" for k in cands)
        raise ModelFileError(
            f"{where}: several tensors could be the input embedding: {listing}. Pass "
            f"{option('tensor', 'NAME')} to choose one.")
    return cands[0]


def resolve_output(keys: Iterable[str], input_key: str,
                   shape_of: Callable[[str], tuple[int, ...] | None]) -> str | None:
    """The separate output-embedding key, or None when the checkpoint has none.

    Only a 2-D tensor with the input embedding's width counts (``output.weight`` is also the name
    of unrelated projections in some formats).
    """
    keys = set(keys)
    in_shape = shape_of(input_key)
    found = [k for k in OUTPUT_NAMES if k in keys]
    found += sorted(k for k in keys if k.endswith("lm_head.weight") and not _numbered(k)
                    and k not in found)
    for key in found:
        if key == input_key:
            continue
        shape = shape_of(key)
        if _is_matrix(shape) and (in_shape is None or shape[-1] == in_shape[-1]):
            return key
    return None


def _is_matrix(shape: tuple[int, ...] | None) -> bool:
    return shape is None or (len(shape) == 2 and shape[0] >= 2 and shape[1] >= 2)
