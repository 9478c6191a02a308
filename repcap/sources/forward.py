"""Load a transformer for forward passes that return every layer's hidden states.

Accepts an offline model name (:mod:`repcap.sources.offline`: the MiniLM wheel's model folder, the
SmolLM2 and Gemma 3 GGUF files through ``gguf_file=``), a local folder in the hub layout, a local
``.gguf`` file, or a hub id (handed to ``from_pretrained``). Device and dtype: bfloat16 on CUDA,
float32 on CPU, because CPU bf16 matmuls are slow and the moments are accumulated in float64 anyway.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repcap.common.devices import resolve_device
from repcap.errors import ModelFileError, ModelNotFoundError
from repcap.sources import offline
from repcap.sources.gguf_file import GGUFFile
from repcap.sources.hub import looks_like_repo_id


@dataclass
class ForwardModel:
    """A model ready for ``model(**batch, output_hidden_states=True)`` and its tokenizer."""

    name: str
    model: Any
    tokenizer: Any
    device: str
    dtype: Any
    d_model: int
    n_layers: int  # transformer blocks; hidden_states has n_layers + 1 entries


def device_and_dtype(device: Any = None) -> tuple[str, Any]:
    """``(device, dtype)``: the device checked by :func:`repcap.common.devices.resolve_device`
    (default: CUDA when present), bf16 on CUDA and fp32 elsewhere."""
    import torch

    dev = resolve_device(device)
    return str(dev), (torch.bfloat16 if dev.type == "cuda" else torch.float32)


@contextlib.contextmanager
def _quiet_transformers(quiet: bool):
    """Silence transformers' own progress bars (weight loading, GGUF de-quantising) while loading,
    restoring the previous setting after: with ``progress=False`` nothing reaches stderr."""
    from transformers.utils import logging as hf_logging

    try:  # GGUF de-quantising uses a bare tqdm that the flag above does not reach
        from transformers import modeling_gguf_pytorch_utils as gguf_utils
    except ImportError:
        gguf_utils = None
    gguf_tqdm = getattr(gguf_utils, "tqdm", None)
    was_enabled = hf_logging.is_progress_bar_enabled()
    if quiet:
        hf_logging.disable_progress_bar()
        if gguf_tqdm is not None:
            gguf_utils.tqdm = functools.partial(gguf_tqdm, disable=True)
    try:
        yield
    finally:
        if quiet:
            if was_enabled:
                hf_logging.enable_progress_bar()
            if gguf_tqdm is not None:
                gguf_utils.tqdm = gguf_tqdm


def _where(name: str, cache_dir, progress: bool = True) -> tuple[str, str | None]:
    """``(folder or id, gguf file name or None)`` for ``name``."""
    spec = offline.find(name)
    if spec is not None:
        if spec.loader == "checkpoint":
            return str(offline.located(spec)), None
        if spec.loader == "gguf":
            path = offline.located(spec)
            return str(path.parent), path.name
        if spec.loader == "gguf-parts":
            path = offline.assembled_gemma(cache_dir, progress=progress)
            return str(path.parent), path.name
        raise ModelFileError(f"{spec.name} is a static vector table, not a transformer: it has "
                             "no hidden states to read")
    path = Path(name).expanduser()
    if path.suffix == ".gguf":
        # The header check `repcap info` makes (an empty or truncated file, a wrong magic), so a
        # broken file is named as one rather than as an architecture transformers cannot load.
        GGUFFile(path)
        return str(path.parent), path.name
    if path.is_dir():
        return str(path), None
    # a dot is fine inside a hub id (Qwen/Qwen2.5-0.5B) but a bare "name.ext" is a missing file
    if not looks_like_repo_id(name) or ("/" not in name and path.suffix):
        raise ModelNotFoundError(f"{name}: not an offline model, a folder or a .gguf file")
    return name, None  # a hub id


def _from_pretrained(where: str, gguf: str | None, dtype) -> Any:
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM

    kw = {"gguf_file": gguf} if gguf else {}
    try:
        config = AutoConfig.from_pretrained(where, **kw)
    except (ValueError, KeyError) as exc:
        if gguf:
            raise ModelFileError(f"{gguf}: transformers cannot load this GGUF architecture "
                                 f"({str(exc).splitlines()[0]})") from None
        raise ModelFileError(f"{where}: no usable config ({str(exc).splitlines()[0]})") from None
    except OSError as exc:
        raise ModelNotFoundError(f"{where}: cannot load ({str(exc).splitlines()[0]})") from None
    decoder = bool(getattr(config, "is_decoder", False)) or any(
        a.endswith("ForCausalLM") for a in (getattr(config, "architectures", None) or []))
    cls = AutoModelForCausalLM if (decoder or gguf) else AutoModel
    try:
        return cls.from_pretrained(where, dtype=dtype, **kw)
    except (ValueError, KeyError, OSError) as exc:
        raise ModelFileError(f"{gguf or where}: transformers cannot load it "
                             f"({str(exc).splitlines()[0]})") from None


def prepare(model: Any, tokenizer: Any, name: str, device: str | None = None) -> ForwardModel:
    """Wrap an already built model (e.g. a tiny random one from a config) and check that it can
    return hidden states."""
    dev, dtype = device_and_dtype(device)
    config = getattr(model, "config", None)
    if config is None or not hasattr(config, "output_hidden_states"):
        raise ModelFileError(f"{name}: the model has no config with output_hidden_states; "
                             "it cannot return per-layer hidden states")
    if getattr(tokenizer, "pad_token", None) is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    model = model.to(device=dev, dtype=dtype).eval()
    text = getattr(config, "text_config", None) or config
    d = int(getattr(text, "hidden_size", 0) or getattr(text, "d_model", 0))
    n = int(getattr(text, "num_hidden_layers", 0) or getattr(text, "n_layer", 0))
    if not d or not n:
        raise ModelFileError(f"{name}: its config names no hidden size and layer count")
    return ForwardModel(name, model, tokenizer, dev, dtype, d, n)


TINY_RANDOM = "tiny-random-llama"


def tiny_random(seed: int = 0, device: str | None = None) -> ForwardModel:
    """A 2-block Llama with d = 32 and random weights (seeded), built from a config, with the
    MiniLM WordPiece tokenizer: the smoke profile's model (seconds, no download)."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=30522, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2)
    tokenizer = AutoTokenizer.from_pretrained(str(offline.located(offline.find("all-MiniLM-L6-v2"))))
    return prepare(LlamaForCausalLM(cfg), tokenizer, TINY_RANDOM, device)


def load_forward(name: str, *, device: str | None = None, cache_dir=None,
                 progress: bool = True) -> ForwardModel:
    """Load ``name`` for hidden-state forward passes (see the module docstring for what it takes;
    ``tiny-random-llama`` is :func:`tiny_random`). ``progress=False`` silences every loading bar."""
    from transformers import AutoTokenizer

    if name == TINY_RANDOM:
        return tiny_random(device=device)

    where, gguf = _where(name, cache_dir, progress)
    _, dtype = device_and_dtype(device)
    with _quiet_transformers(not progress):
        model = _from_pretrained(where, gguf, dtype)
    kw = {"gguf_file": gguf} if gguf else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, **kw)
    except (ValueError, KeyError, OSError) as exc:
        raise ModelFileError(f"{name}: no usable tokenizer ({str(exc).splitlines()[0]})") from None
    return prepare(model, tokenizer, name, device)
