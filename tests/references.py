"""Brute-force float64 references and hand-made rows shared by the studies tests."""

from __future__ import annotations

import math

import numpy as np


def unit64(matrix) -> np.ndarray:
    """The rows of ``matrix`` scaled to unit length in float64 (zero rows stay zero)."""
    x = np.asarray(matrix, dtype=np.float64)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, n, out=np.zeros_like(x), where=n > 0)


def brute_pairs(matrix) -> np.ndarray:
    """Every cosine c_ij, i < j, of the non-zero rows, in float64."""
    x = np.asarray(matrix, dtype=np.float64)
    x = x[np.linalg.norm(x, axis=1) > 0]
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    c = x @ x.T
    return c[np.triu_indices(len(x), k=1)]


def survey_row(name, eps, mean=None, d=1024, klass=None):
    """A :class:`repcap.studies.survey.SurveyRow` made by hand: µ = ε/4 unless given, σ = (ε − µ)/2."""
    from repcap.laws import classify
    from repcap.studies.survey import SurveyRow

    mean = eps / 4 if mean is None else mean
    std = (eps - mean) / 2
    return SurveyRow(name=name, family="", source="array", vocab_size=1000, d_model=d, tied=None,
                     dtype="float32", zero_rows=0, n_rows=1000, pairs=499500, mean=mean, std=std,
                     eps=eps, klass=klass or classify(eps), null_eps=2 / math.sqrt(d))
