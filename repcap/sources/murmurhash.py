"""MurmurHash64A (Austin Appleby), the 64-bit hash spaCy uses for its string keys (seed 1).

For a byte string of length n, with m = 0xc6a4a7935bd1e995, r = 47 and all arithmetic mod 2^64:

    h = seed ^ (n · m)
    for each little-endian 8-byte word k:  k *= m; k ^= k >> r; k *= m; h ^= k; h *= m
    if n % 8:  h ^= (remaining bytes as a little-endian integer); h *= m
    h ^= h >> r; h *= m; h ^= h >> r

spaCy's ``vocab/key2row`` maps ``hash(word) -> row`` with this function applied to the word's
UTF-8 bytes and seed 1, so hashing ``vocab/strings.json`` recovers each row's word without spaCy.
:func:`murmurhash64a` is the scalar definition; :func:`murmurhash64a_many` computes the same values
for many strings at once with numpy (grouped by length), ~50× faster on 700k strings.
"""

from __future__ import annotations

import numpy as np

M = 0xC6A4A7935BD1E995
R = 47
MASK = (1 << 64) - 1
SPACY_SEED = 1


def murmurhash64a(data: bytes | str, seed: int = SPACY_SEED) -> int:
    """MurmurHash64A of ``data`` (str is UTF-8 encoded) as an unsigned 64-bit int."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    n = len(data)
    h = (seed ^ (n * M)) & MASK
    nwords = n // 8
    for i in range(nwords):
        k = int.from_bytes(data[8 * i:8 * i + 8], "little")
        k = (k * M) & MASK
        k ^= k >> R
        k = (k * M) & MASK
        h ^= k
        h = (h * M) & MASK
    tail = data[8 * nwords:]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * M) & MASK
    h ^= h >> R
    h = (h * M) & MASK
    h ^= h >> R
    return h


def murmurhash64a_many(strings: list[str], seed: int = SPACY_SEED) -> np.ndarray:
    """:func:`murmurhash64a` of every string (UTF-8), vectorised; returns a uint64 array."""
    encoded = [s.encode("utf-8") for s in strings]
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    out = np.empty(len(encoded), dtype=np.uint64)
    m, r = np.uint64(M), np.uint64(R)
    with np.errstate(over="ignore"):
        for n in np.unique(lengths):
            idx = np.flatnonzero(lengths == n)
            n = int(n)
            h = np.full(idx.size, (seed ^ (n * M)) & MASK, dtype=np.uint64)
            if n:
                raw = np.frombuffer(b"".join(encoded[i] for i in idx), dtype=np.uint8)
                raw = raw.reshape(idx.size, n)
                nwords = n // 8
                if nwords:
                    words = np.ascontiguousarray(raw[:, :8 * nwords]).view("<u8")
                    for j in range(nwords):
                        k = words[:, j] * m
                        k ^= k >> r
                        k *= m
                        h ^= k
                        h *= m
                if n % 8:
                    tail = np.zeros((idx.size, 8), dtype=np.uint8)
                    tail[:, : n % 8] = raw[:, 8 * nwords:]
                    h ^= tail.view("<u8")[:, 0]
                    h *= m
            h ^= h >> r
            h *= m
            h ^= h >> r
            out[idx] = h
    return out
