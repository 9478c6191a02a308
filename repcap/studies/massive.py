r"""Massive activations: the few hidden states whose norm dwarfs every other (one rule for the book).

Some models put a handful of hidden states, at attention-sink positions, orders of magnitude above
the rest (Sun, Chen, Kolter & Liu 2024, "Massive activations in large language models", arXiv
2402.17762). A row is *massive* when

.. math:: \lVert x_i\rVert > f \cdot \operatorname{median}_j \lVert x_j\rVert, \qquad f = 10

(:data:`MASSIVE_NORM`). In SmolLM2-135M's middle layer over 20,000 positions of the wiki-offline
corpus one row of norm ~21,000 (median 110) holds 64 % of the variance. Such a row barely moves a
cosine statistic over millions of pairs, but it dominates anything that sums raw vectors: an SAE's
fraction of variance unexplained (chapter 9, :mod:`repcap.studies.sae`) and the mean
vector that chapter 8 removes (:class:`repcap.studies.activations.LayerSums`). Both leave such rows
out of those sums, and count them.
"""

from __future__ import annotations

import numpy as np

#: A row is a massive activation when its norm exceeds this many times the median row norm.
MASSIVE_NORM = 10.0


def massive_threshold(norms, factor: float = MASSIVE_NORM) -> float:
    """The norm above which a row is massive: ``factor`` × the median of ``norms``."""
    return factor * float(np.median(np.asarray(norms, dtype=np.float64)))


def massive_rows(states, factor: float = MASSIVE_NORM) -> np.ndarray:
    r"""Boolean mask of the rows of ``states`` with a massive activation,
    :math:`\lVert x_i\rVert > f \cdot \operatorname{median}_j \lVert x_j\rVert`."""
    norms = np.linalg.norm(np.asarray(states, dtype=np.float64), axis=1)
    return norms > massive_threshold(norms, factor)
