"""A checkpoint in the Hugging Face layout, wherever its files live (local folder or the hub).

Files: ``config.json``; weights as ``model.safetensors``, or shards listed by
``model.safetensors.index.json`` (``weight_map``: tensor name -> shard file), or the pickle
formats ``pytorch_model.bin`` / ``pytorch_model.bin.index.json``; tokenizer files. Only what is
needed is touched: the index, the header of the shard(s) holding candidate tensors and the byte
range of the wanted tensor. :class:`CheckpointFiles` says how to get a file's bytes;
:class:`Checkpoint` decides which bytes are needed.
"""

from __future__ import annotations

import abc
import warnings
from pathlib import Path
from typing import Iterator

import numpy as np

from repcap.errors import ModelFileError
from repcap.sources import config_facts as cf
from repcap.sources import tensor_names
from repcap.sources.decode import decode_rows, readable
from repcap.sources.safetensors_io import Header, TensorInfo
from repcap.sources.tokens import TOKENIZER_FILES, id_to_token, token_list, tokenizer_size

SAFE_INDEX = "model.safetensors.index.json"
SAFE_SINGLE = "model.safetensors"
BIN_INDEX = "pytorch_model.bin.index.json"
BIN_SINGLE = "pytorch_model.bin"
# Output names that can only be an LM head; other names are checked against the input's width.
_CERTAIN_OUTPUTS = {"lm_head.weight", "embed_out.weight", "language_model.lm_head.weight",
                    "model.lm_head.weight", "lm_head.decoder.weight"}


class CheckpointFiles(abc.ABC):
    """Access to the files of one checkpoint revision."""

    where: str = "checkpoint"

    @abc.abstractmethod
    def json(self, name: str) -> dict | None:
        """Parsed JSON file, or None when the checkpoint has no such file."""

    @abc.abstractmethod
    def local_path(self, name: str) -> Path | None:
        """A local path to the file (fetching it if remote), or None when absent."""

    @abc.abstractmethod
    def header(self, name: str) -> Header:
        """Header of a safetensors file."""

    @abc.abstractmethod
    def tensor_bytes(self, name: str, info: TensorInfo, progress: bool) -> Iterator[bytes]:
        """The raw bytes of one tensor of a safetensors file."""

    @abc.abstractmethod
    def weight_files(self) -> list[str]:
        """Safetensors files when there is no index (a single file, or several without index)."""

    def exists(self, name: str) -> bool:
        return self.local_path(name) is not None

    def mapped_path(self, name: str) -> Path | None:
        """A local path of the file only if it is already on disk (nothing is fetched)."""
        return None

    def missing_weights_error(self) -> Exception | None:
        """A better error than "no weights" when the files may exist but cannot be seen (offline)."""
        return None

    def record(self) -> dict:
        """Provenance of what was read so far (files, bytes)."""
        return {}


class Checkpoint:
    """Resolve and extract the embedding tensors of a hub-layout checkpoint."""

    def __init__(self, files: CheckpointFiles):
        self.files = files
        self.config = files.json("config.json")
        self._headers: dict[str, Header] = {}
        self._weight_map: dict[str, str] | None = None
        self._format: str | None = None
        self._state: dict | None = None  # loaded pickle state dict (pytorch format only)
        self._total_size: int | None = None

    # -- layout --------------------------------------------------------------------------------
    def _layout(self) -> None:
        if self._format is not None:
            return
        index = self.files.json(SAFE_INDEX)
        if index is not None:
            self._set_index(index, "safetensors")
            return
        singles = self.files.weight_files()
        if singles:
            self._format = "safetensors"
            self._weight_map = {}
            for fname in singles:
                for key in self.header(fname).tensors:
                    self._weight_map.setdefault(key, fname)
            return
        index = self.files.json(BIN_INDEX)
        if index is not None:
            self._set_index(index, "pytorch")
            return
        if self.files.exists(BIN_SINGLE):
            self._format = "pytorch"
            self._weight_map = {k: BIN_SINGLE for k in self._load_bin(BIN_SINGLE)}
            return
        better = self.files.missing_weights_error()
        if better is not None:
            raise better
        raise ModelFileError(
            f"{self.files.where}: no weights found (looked for {SAFE_INDEX}, {SAFE_SINGLE}, "
            f"{BIN_INDEX}, {BIN_SINGLE}). Point repcap at a folder or repo with safetensors or "
            "PyTorch weights, or at a .gguf file.")

    def _set_index(self, index: dict, fmt: str) -> None:
        weight_map = index.get("weight_map")
        if not isinstance(weight_map, dict) or not weight_map:
            raise ModelFileError(f"{self.files.where}: the {fmt} index has no weight_map")
        self._format = fmt
        self._weight_map = {str(k): str(v) for k, v in weight_map.items()}
        size = (index.get("metadata") or {}).get("total_size")
        self._total_size = int(size) if isinstance(size, (int, float)) else None

    @property
    def format(self) -> str:
        self._layout()
        return self._format  # type: ignore[return-value]

    @property
    def keys(self) -> list[str]:
        self._layout()
        return list(self._weight_map)  # type: ignore[arg-type]

    def header(self, fname: str) -> Header:
        if fname not in self._headers:
            self._headers[fname] = self.files.header(fname)
        return self._headers[fname]

    def shape_of(self, key: str) -> tuple[int, ...] | None:
        self._layout()
        fname = self._weight_map.get(key)  # type: ignore[union-attr]
        if fname is None:
            return None
        if self._format == "pytorch":
            return tuple(self._load_bin(fname)[key].shape)
        info = self.header(fname).tensors.get(key)
        if info is None:
            raise ModelFileError(
                f"{self.files.where}: the index says {key!r} is in {fname}, but that file does not "
                "contain it; the checkpoint is inconsistent")
        return info.shape

    # -- facts -----------------------------------------------------------------------------------
    def facts(self, tensor: str | None = None) -> dict:
        """Names, tying, dtype and shape of the input embedding (and the output, if separate)."""
        keys = self.keys
        if tensor is not None:
            if tensor not in self._weight_map:  # type: ignore[operator]
                near = [k for k in keys if "emb" in k or "wte" in k or "head" in k][:10]
                raise ModelFileError(
                    f"{self.files.where}: no tensor named {tensor!r}; candidates: {near}")
            input_key = tensor
        else:
            input_key = tensor_names.resolve_input(
                keys, self.shape_of, cf.embedding_width(self.config), self.files.where)
        shape = self.shape_of(input_key)
        if shape is None or len(shape) != 2:
            raise ModelFileError(
                f"{self.files.where}: tensor {input_key!r} has shape {shape}, not a 2-D embedding")
        if shape[0] < 2 or shape[1] < 2:
            raise ModelFileError(
                f"{self.files.where}: tensor {input_key!r} has shape {list(shape)}; an embedding "
                "needs at least 2 rows (V ≥ 2) and 2 columns (d ≥ 2)")
        dtype = self.dtype_of(input_key)
        # Integer or boolean "embeddings" are token ids, masks or quantisation codes, not vectors.
        if not dtype.startswith(("float", "bfloat")):
            raise ModelFileError(
                f"{self.files.where}: tensor {input_key!r} holds {dtype} values, not floating-point "
                "weights; name the embedding tensor with --tensor NAME")

        def out_shape(key: str):
            return shape if key in _CERTAIN_OUTPUTS else self.shape_of(key)

        output_key = tensor_names.resolve_output(keys, input_key, out_shape)
        tied, reason = cf.decide_tied(self.config, output_key)
        return {
            "embedding_tensor": input_key,
            "unembedding_tensor": output_key,
            "tied": tied,
            "tied_reason": reason,
            "dtype": dtype,
            "shape": list(shape),
            "format": self.format,
            "embedding_file": self._weight_map[input_key],  # type: ignore[index]
            "weight_files": sorted(set(self._weight_map.values())),  # type: ignore[union-attr]
            "checkpoint_bytes": self._total_size,
            "config": _config_summary(self.config),
        }

    def dtype_of(self, key: str) -> str:
        self._layout()  # a warm cache asks for a tensor before facts() has read the layout
        fname = self._weight_map[key]  # type: ignore[index]
        if self._format == "pytorch":
            return str(self._load_bin(fname)[key].dtype).replace("torch.", "")
        return readable(self.header(fname).tensors[key].dtype)

    # -- extraction ------------------------------------------------------------------------------
    def row_blocks(self, key: str, progress: bool) -> tuple[tuple[int, int], Iterator[np.ndarray]]:
        """``(shape, iterator of float32 row blocks)`` of tensor ``key``."""
        self._layout()
        fname = self._weight_map[key]  # type: ignore[index]
        if self._format == "pytorch":
            tensor = self._load_bin(fname)[key]
            shape = tuple(tensor.shape)

            def blocks():
                step = max(1, (1 << 22) // max(shape[1], 1))
                for start in range(0, shape[0], step):
                    yield tensor[start:start + step].float().numpy()

            return shape, blocks()  # type: ignore[return-value]
        info = self.header(fname).tensors[key]
        if len(info.shape) != 2:
            raise ModelFileError(f"{self.files.where}: {key} has shape {list(info.shape)}, not 2-D")
        chunks = self.files.tensor_bytes(fname, info, progress)
        return (info.shape[0], info.shape[1]), decode_rows(chunks, info.dtype, info.shape[1])

    def _load_bin(self, fname: str) -> dict:
        """A pickle checkpoint loaded with ``weights_only=True`` (no arbitrary code runs)."""
        if self._state is not None and fname in self._state:
            return self._state[fname]
        path = self.files.local_path(fname)
        if path is None:
            raise ModelFileError(f"{self.files.where}: {fname} is listed but missing")
        import pickle

        import torch

        try:
            # torch warns about a pickle protocol it did not write ("please file an issue") before
            # refusing the file; the refusal below is the one line the user needs.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*pickle protocol", category=UserWarning)
                try:
                    state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
                except RuntimeError as exc:  # legacy (non-zip) files cannot be memory-mapped
                    if "mmap" not in str(exc).lower() and "zip" not in str(exc).lower():
                        raise
                    state = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:  # torch's weights_only unpickler refused an object
            raise ModelFileError(
                f"{self.files.where}: {fname} holds more than plain tensors (a raw pickle, or objects "
                "that only running its pickled code could rebuild; torch.load(weights_only=True) "
                "refused it), and repcap never unpickles code: convert it to safetensors (e.g. "
                "transformers' save_pretrained(..., safe_serialization=True)) and point repcap at "
                "the result") from None
        except (RuntimeError, AttributeError, EOFError) as exc:
            raise ModelFileError(
                f"{self.files.where}: {fname} cannot be read as a torch checkpoint "
                f"({str(exc).splitlines()[0]}); it may be truncated: download it again") from None
        if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
            state = state["state_dict"]
        if not isinstance(state, dict):
            raise ModelFileError(f"{self.files.where}: {fname} does not hold a state dict")
        self._state = self._state or {}
        self._state[fname] = state
        return state

    # -- tokens ----------------------------------------------------------------------------------
    def tokens(self, rows: int) -> tuple[list[str] | None, dict]:
        """Token strings of rows ``0 .. rows-1`` and where they came from."""
        for name in TOKENIZER_FILES:
            path = self.files.local_path(name)
            if path is None:
                continue
            table = id_to_token(path)
            tokens, missing = token_list(table, rows)
            return tokens, {"tokenizer_file": name, "tokenizer_size": tokenizer_size(table),
                            "rows_without_token": missing}
        return None, {"tokenizer_file": None,
                      "tokens_note": f"none of {', '.join(TOKENIZER_FILES)} found"}


def _config_summary(config: dict | None) -> dict | None:
    if config is None:
        return None
    return {
        "model_type": cf.lookup(config, "model_type"),
        "architectures": cf.architectures(config),
        "hidden_size": cf.hidden_size(config),
        "embedding_width": cf.embedding_width(config),
        "vocab_size": cf.vocab_size(config),
        "tie_word_embeddings": cf.tie_flag(config),
    }
