"""repcap.studies.token_lookup: tokenizer conventions and word lookup on real offline vocabularies."""

from __future__ import annotations

import numpy as np
import pytest

from repcap.errors import EmbeddingError, TokenNotFoundError
from repcap.studies import token_lookup as lookup
from repcap.sources import Embedding


def test_conventions_of_real_vocabularies(minilm, glove, smol):
    assert lookup.token_convention(minilm.tokens) == "wordpiece"
    assert lookup.token_convention(smol.tokens) == "byte_bpe"
    assert lookup.token_convention(glove.tokens[:50000]) == "words"
    assert lookup.token_convention(["▁the", "▁king", "s", "▁queen", "ing"]) == "sentencepiece"
    assert lookup.token_convention([]) == "words"


def test_find_token_word_and_bare_forms(minilm, smol):
    word = lookup.find_token(smol, "king")
    bare = lookup.find_token(smol, "king", form="bare")
    assert (word.token, bare.token) == ("Ġking", "king")
    assert smol.tokens[word.index] == "Ġking" and smol.tokens[bare.index] == "king"
    assert word.index != bare.index
    # WordPiece: the word-initial token is the bare word, in both forms
    assert lookup.find_token(minilm, "king").token == lookup.find_token(minilm, "king", form="bare").token == "king"


def test_missing_token_errors_say_what_was_tried(minilm, smol):
    with pytest.raises(TokenNotFoundError, match="'King'.*uncased|lower-case"):
        lookup.find_token(minilm, "King")
    with pytest.raises(TokenNotFoundError, match="'Ġqueenq', 'queenq'"):
        lookup.find_token(smol, "queenq")
    with pytest.raises(TokenNotFoundError, match="unknown token form"):
        lookup.find_token(minilm, "king", form="lemma")
    assert lookup.missing_words(smol, ["queen", "zzzqqq"], form="bare") == ["queen", "zzzqqq"]
    assert lookup.missing_words(smol, ["queen", "zzzqqq"]) == ["zzzqqq"]
    found = lookup.find_tokens(minilm, ["cat", "zzzqqq", "dog"], missing="skip")
    assert list(found) == ["cat", "dog"]
    with pytest.raises(TokenNotFoundError):
        lookup.find_tokens(minilm, ["cat", "zzzqqq"])


def test_zero_row_and_no_tokens_are_errors():
    m = np.eye(4, 3, dtype=np.float32)
    m[2] = 0.0
    emb = Embedding.from_array(m, name="tiny", tokens=["a", "b", "zero", "c"])
    with pytest.raises(TokenNotFoundError, match="all-zero row"):
        lookup.find_token(emb, "zero")
    with pytest.raises(EmbeddingError, match="no token strings"):
        lookup.find_token(Embedding.from_array(m), "a")


def test_strip_and_display():
    assert lookup.strip_marker("Ġking", "byte_bpe") == "king"
    assert lookup.strip_marker("▁king", "sentencepiece") == "king"
    assert lookup.strip_marker("##ing", "wordpiece") == "##ing"
    assert lookup.display_token("Ġking", "byte_bpe") == "␣king"
    assert lookup.display_token("king", "byte_bpe") == "king"
    assert lookup.display_token(" ", "words") == "' '"


def test_placeholder_mask_on_minilm(minilm):
    mask = lookup.placeholder_mask(minilm.tokens)
    unused = [t for t in minilm.tokens if t.startswith("[unused") and t.endswith("]")]
    assert int(mask.sum()) == len(unused) + ("[PAD]" in minilm.tokens)
    assert len(unused) == 994  # BERT's uncased vocabulary reserves [unused0] … [unused993]
    assert not lookup.placeholder_mask(["unused", "[unused]", "king", "<unused>"]).any()
