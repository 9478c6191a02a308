"""Shared test fixtures: repository paths and the paper's released data (read in place, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The paper's released sweep data lives beside the checkout in this workplace (../shared); tests that
# need it skip when it is absent, e.g. on a user's machine.
SHARED_DATA = ROOT.parent / "shared" / "reference" / "data"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def paper_data() -> Path:
    if not (SHARED_DATA / "optimized_packing.json").exists():
        pytest.skip(f"the paper's released sweep data is not at {SHARED_DATA}")
    return SHARED_DATA
