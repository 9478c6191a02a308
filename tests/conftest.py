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
