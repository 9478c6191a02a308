"""Shared test fixtures: repository paths and the paper's released data (read in place, never copied)."""

from __future__ import annotations

from pathlib import Path

import os

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The paper's released sweep data lives beside the checkout in this workplace (../shared); tests that
# need it skip when it is absent, e.g. on a user's machine.
SHARED_DATA = ROOT.parent / "shared" / "reference" / "data"

# Tests (and the notebook kernels they start) never write to the user's ~/.cache/repcap: they share
# one cache inside the checkout (gitignored), so cold loads happen once per machine, not per worker.
os.environ["REPCAP_CACHE"] = os.environ.get("REPCAP_TEST_CACHE", str(ROOT / ".cache" / "repcap-test"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def paper_data() -> Path:
    if not (SHARED_DATA / "optimized_packing.json").exists():
        pytest.skip(f"the paper's released sweep data is not at {SHARED_DATA}")
    return SHARED_DATA


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
