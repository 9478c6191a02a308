"""``load_embedding``: a model name, hub id, folder, GGUF file or array -> :class:`Embedding`.

Resolution of a string, in order: an existing path (a folder in the hub layout, a ``.gguf`` or a
``.safetensors`` file); an offline model name (:data:`OFFLINE_MODELS`, case-insensitive, with
aliases); a hub repository id (``org/name`` or a legacy bare name such as ``gpt2``). A hub id whose
upstream model is installed offline (``google/gemma-3-270m``, ...) resolves to the installed copy,
with a warning and a note in the provenance, when the hub cannot be reached or refuses access.

Caching: every source but an in-memory array goes through :mod:`repcap.sources.cache`; the first
call extracts and converts, later calls memory-map.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from repcap.common.files import remove_stale_temporaries
from repcap.errors import AccessError, ModelNotFoundError, OfflineError, option
from repcap.sources import hub, offline
from repcap.sources.base import CheckpointSource, Source
from repcap.sources.cache import Entry, slug
from repcap.sources.embedding import Embedding
from repcap.sources.gguf_file import GGUFSource
from repcap.sources.local import LocalFiles


def load_embedding(model: Any, *, revision: str | None = None, with_unembedding: bool = False,
                   cache_dir: str | os.PathLike | None = None, progress: bool = True,
                   tensor: str | None = None) -> Embedding:
    """Load a model's input embedding :math:`E \\in \\mathbb{R}^{V \\times d}` with its facts.

    Parameters
    ----------
    model
        An offline model name (:data:`OFFLINE_MODELS`), a hub repo id (``"org/name"``), a local
        folder in the hub layout, a ``.gguf`` or ``.safetensors`` file, or a matrix (numpy array,
        torch tensor).
    revision
        Hub branch, tag or commit (hub ids only); resolved to a commit for the cache key.
    with_unembedding
        Also load the output matrix :math:`U` when the model has a separate (untied) one.
    cache_dir
        Cache root; default ``$REPCAP_CACHE`` or ``~/.cache/repcap``.
    progress
        Show progress bars for downloads and extractions that take more than a moment.
    tensor
        Name of the embedding tensor, to override automatic resolution (needed only when the
        checkpoint is ambiguous; the error then lists the candidates).

    Raises
    ------
    ModelNotFoundError, OfflineError, AccessError, DownloadError, ModelFileError, EmbeddingError
        All subclasses of :class:`repcap.errors.RepcapError`, with a message that says what to do.
    """
    if _is_matrix_like(model):
        if revision is not None:
            raise ModelNotFoundError("revision= applies to hub models, not to an in-memory array")
        return Embedding.from_array(model)
    if isinstance(model, os.PathLike):
        model = os.fspath(model)
    if not isinstance(model, str) or not model.strip():
        raise ModelNotFoundError(
            f"cannot load an embedding from {type(model).__name__} {model!r}; pass a model name, "
            "hub id, path or matrix")
    name = model.strip()
    kwargs = dict(with_unembedding=with_unembedding, cache_dir=cache_dir, progress=progress,
                  tensor=tensor)

    path = Path(name).expanduser()
    if path.exists():
        if revision is not None:
            raise ModelNotFoundError(f"{name}: {option('revision')} applies to hub models, not to "
                                     "local files")
        return materialise(_local_source(path), name, **kwargs)

    spec = offline.find(name)
    if spec is not None:
        if revision is not None:
            raise ModelNotFoundError(
                f"{name}: is an installed offline model; {option('revision')} applies to hub models only "
                f"(use {spec.hub_id!r} for the hub copy)")
        return materialise(offline.OfflineSource(spec, cache_dir, progress), name, **kwargs)

    if _looks_like_path(name):
        raise ModelNotFoundError(f"{name}: no such file or directory (a local checkpoint folder, "
                                 ".gguf or .safetensors file was expected)")
    if not hub.looks_like_repo_id(name):
        raise ModelNotFoundError(_unknown_message(name))
    try:
        files = hub.HubFiles(name, revision, progress=progress)
        source = CheckpointSource(files, "hub", (name, files.commit))
        return materialise(source, name, **kwargs)
    except (OfflineError, AccessError) as exc:
        spec = offline.find_by_hub_id(name)
        if spec is None or revision is not None:
            raise _with_hint(exc, name) from None
        # The error already names the model; prefixing it again would print the id twice.
        reason = str(exc) if str(exc).startswith(name) else f"{name}: {exc}"
        warnings.warn(f"{reason} Using the installed offline copy {spec.name!r} "
                      f"({spec.precision}).", stacklevel=2)
        emb = materialise(offline.OfflineSource(spec, cache_dir, progress), name, **kwargs)
        emb.provenance["fallback_from_hub"] = str(exc)
        return emb
    except ModelNotFoundError as exc:
        raise _with_hint(exc, name) from None


def _with_hint(exc: Exception, name: str) -> Exception:
    """The same error with "did you mean <offline model>?" appended when a name is close."""
    close = offline.suggestions(name)
    if not close:
        return exc
    return type(exc)(f"{exc} Did you mean the offline model {close[0]!r}?")


def _is_matrix_like(obj: Any) -> bool:
    if isinstance(obj, (str, bytes, os.PathLike)):
        return False
    if hasattr(obj, "__array__") or (hasattr(obj, "detach") and hasattr(obj, "shape")):
        return True
    return isinstance(obj, (list, tuple)) and bool(obj) and isinstance(obj[0], (list, tuple))


def _looks_like_path(name: str) -> bool:
    return (name.startswith(("/", "./", "../", "~", "\\")) or name.count("/") > 1 or "\\" in name
            or name.endswith((".gguf", ".safetensors", ".bin", ".npy")))


def _unknown_message(name: str) -> str:
    msg = (f"{name!r} is neither an existing file or folder, nor an offline model "
           f"({', '.join(offline.OFFLINE_MODELS)}), nor a hub repo id (org/name).")
    close = offline.suggestions(name)
    if close:
        msg += f" Did you mean {close[0]!r}?"
    return msg


def _local_source(path: Path) -> Source:
    if path.is_file() and path.suffix == ".gguf":
        return GGUFSource(path)
    files = LocalFiles(path)
    return CheckpointSource(files, "local", (files.where, files.fingerprint()))


def materialise(source: Source, name: str, *, with_unembedding: bool = False,
                cache_dir: str | os.PathLike | None = None, progress: bool = True,
                tensor: str | None = None) -> Embedding:
    """Facts from the cache or the source; tensors extracted into the cache on a miss."""
    ident, revision = source.identity()
    entry = Entry.open(source.kind, ident, revision, cache_dir)
    # A load killed mid-extraction (SIGKILL) left its temporaries; a cache hit writes nothing that
    # would sweep them, so they go now.
    remove_stale_temporaries(entry.path)
    facts_name = "facts.json" if tensor is None else f"facts--{slug(tensor)}.json"
    facts = entry.read(facts_name)
    fresh = facts is None
    if fresh:
        facts = source.facts(tensor)
    in_key = facts["embedding_tensor"]
    extracted = []
    wrote_tokens = False
    try:
        loaded = entry.load_tensor(in_key)
        if loaded is None:
            extracted.append(in_key)  # from here on its files are this call's, removed on failure
            source.extract(in_key, entry, progress)
            loaded = entry.load_tensor(in_key)
        matrix, meta = loaded  # type: ignore[misc]

        unembedding = None
        out_key = facts.get("unembedding_tensor")
        if with_unembedding and out_key and facts.get("tied") is not True:
            got = entry.load_tensor(out_key)
            if got is None:
                extracted.append(out_key)
                source.extract(out_key, entry, progress)
                got = entry.load_tensor(out_key)
            unembedding = got[0]  # type: ignore[index]

        if entry.has_tokens_file() and "tokens_info" in facts:
            tokens = entry.tokens()
        else:
            tokens, tokens_info = source.tokens(matrix.shape[0])
            entry.write_tokens(tokens)
            wrote_tokens = True
            facts["tokens_info"] = tokens_info
            fresh = True
        if fresh or extracted:
            facts.setdefault("first_load", source.record())
            entry.write(facts_name, facts)
    except BaseException:
        # What this call wrote goes with it: a matrix whose facts.json could not follow (a disk
        # that filled up) would otherwise keep the disk full, though the entry is incomplete.
        for key in extracted:
            entry.remove_tensor(key)
        if wrote_tokens:
            entry.remove_file("tokens.json")
        entry.discard_if_empty()
        raise

    provenance = {
        "source": source.kind,
        "embedding_tensor": in_key,
        "unembedding_tensor": out_key,
        "tied_reason": facts.get("tied_reason"),
        "format": facts.get("format"),
        "config": facts.get("config"),
        **{k: v for k, v in facts.get("tokens_info", {}).items()},
        **source.record(),
        "cache": "miss" if extracted else "hit",
        "cache_path": str(entry.path),
        "first_load": facts.get("first_load"),
    }
    if "checkpoint_bytes" in facts:
        provenance["checkpoint_bytes"] = facts["checkpoint_bytes"]
        provenance["embedding_file"] = facts.get("embedding_file")
    return Embedding(
        name=name, matrix=matrix, tokens=tokens, vocab_size=int(matrix.shape[0]),
        d_model=int(matrix.shape[1]), tied=facts.get("tied"), dtype=str(meta.get("dtype", facts["dtype"])),
        source=source.kind, embedding_tensor=in_key, zero_rows=int(meta["zero_rows"]),
        provenance=provenance, unembedding=unembedding)
