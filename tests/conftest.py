"""Shared test fixtures: repository paths and the paper's released data (read in place, never copied)."""

from __future__ import annotations

from pathlib import Path

import os

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The reference copy of the paper's released data beside the checkout (this workplace and CI); the
# vendored copy in the package is checked against it byte for byte when it is there.
SHARED_DATA = ROOT.parent / "shared" / "reference" / "data"
#: The paper's released sweeps as the package vendors them (repcap/data/paper).
PAPER_DATA = ROOT / "repcap" / "data" / "paper"

# Tests (and the notebook kernels they start) never write to the user's ~/.cache/repcap: they share
# one cache inside the checkout (gitignored), so cold loads happen once per machine, not per worker.
os.environ["REPCAP_CACHE"] = os.environ.get("REPCAP_TEST_CACHE", str(ROOT / ".cache" / "repcap-test"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def paper_data() -> Path:
    """The directory of the paper's released sweeps vendored in the package (always present)."""
    return PAPER_DATA


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Each test runs torch on one thread: the tensors in tests are small, two xdist workers share
    two cores, and OpenMP barriers make two threads 5–10× slower than one on a busy machine."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# Real offline embeddings for the studies tests, loaded once per test module that asks for them.

@pytest.fixture(scope="module")
def minilm():
    from repcap.sources import load_embedding

    return load_embedding("all-MiniLM-L6-v2", progress=False)


@pytest.fixture(scope="module")
def glove():
    from repcap.sources import load_embedding

    return load_embedding("glove-6B-50d", progress=False)


@pytest.fixture(scope="module")
def smol():
    from repcap.sources import load_embedding

    return load_embedding("SmolLM2-135M-Instruct", progress=False)


@pytest.fixture(scope="module")
def glove_sample():
    """1800 GloVe rows, the first three zeroed (they must be dropped), as an Embedding with tokens."""
    import numpy as np

    from repcap.sources import Embedding, load_embedding

    glove = load_embedding("glove-6B-50d", progress=False)
    rows = np.sort(np.random.default_rng(0).choice(glove.vocab_size, size=1800, replace=False))
    m = np.array(glove.matrix[rows])
    m[:3] = 0.0
    return Embedding.from_array(m, name="glove-sample", tokens=[glove.tokens[i] for i in rows])
