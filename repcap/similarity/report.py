"""``epsilon_report``: one model's ε and, on request, its bootstrap interval and pair pass, as the
plain dict that ``repcap epsilon --json`` prints."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from repcap.common.checks import check_int, check_replicates
from repcap.errors import SimilarityError
from repcap.laws.classes import classify, classify_interval
from repcap.similarity.allpairs import all_pairs, sampled_pairs
from repcap.similarity.bootstrap import bootstrap_eps
from repcap.similarity.moments import exact_moments
from repcap.sources import load_embedding


def _resolve(model: Any, progress: bool, load_options: Mapping[str, Any] | None = None):
    """``(source, name, tokens, rows, dim)`` for a name/path, an Embedding or an array."""
    if isinstance(model, (str, os.PathLike)):
        emb = load_embedding(model, progress=progress, **(load_options or {}))
        return emb, emb.name, emb.tokens, emb.vocab_size, emb.d_model
    if hasattr(model, "matrix"):
        shape = np.shape(model.matrix)
        return (model, getattr(model, "name", "embedding"), getattr(model, "tokens", None),
                int(shape[0]), int(shape[1]) if len(shape) > 1 else 0)
    shape = tuple(getattr(model, "shape", np.shape(model)))
    rows = int(shape[0]) if shape else 0
    return model, "array", None, rows, int(shape[1]) if len(shape) > 1 else 0


def _token(tokens, i: int):
    return tokens[i] if tokens is not None and 0 <= i < len(tokens) else None


def epsilon_report(model: Any, *, sample: int | None = None, pairs: bool = False,
                   bootstrap: int = 0, seed: int = 0, progress: bool = True, level: float = 0.95,
                   dtype: str = "float32", device=None, memory_budget: int | str = "256MB",
                   top_pairs: int = 10, load_options: Mapping[str, Any] | None = None
                   ) -> dict[str, Any]:
    r"""ε = µ + 2σ of a model's token embeddings, as one JSON-able dict.

    Always: the exact moments over all :math:`N = V(V-1)/2` pairs of non-zero rows
    (:func:`exact_moments`): ``model``, ``vocab_size``, ``d_model``, ``n_rows``, ``zero_rows``,
    ``pairs``, ``mean``, ``std``, ``eps``, ``class`` (:func:`classify`), ``seconds`` (all work,
    loading included) and ``load_seconds``.

    ``bootstrap = B > 0`` adds the token-bootstrap percentile interval (:func:`bootstrap_eps`):
    ``ci_low``, ``ci_high``, ``level``, ``n_boot``, and ``decided_class``
    (:func:`~repcap.laws.classes.classify_interval`: "undecided" when the interval straddles a
    class threshold).

    ``pairs=True`` adds the all-pairs pass (:func:`all_pairs`); ``sample = m`` runs that pass on the
    pairs among *m* random tokens instead (:func:`sampled_pairs`). Either adds ``pass``
    (``"all"``/``"sampled"``), ``sample`` (m or None), ``pass_pairs``, ``pass_mean``, ``pass_std``,
    ``pass_eps``, ``min``, ``max``, ``clamped``, ``pass_seconds``, ``pass_device``, ``pass_dtype``
    and ``top_pairs`` as ``[i, j, cos, token_i, token_j]`` (tokens None when unknown). ``mean``,
    ``std`` and ``eps`` stay the exact all-pairs values in every case.

    ``model`` is a name or path for :func:`repcap.sources.load_embedding`, an Embedding, or an
    array; ``load_options`` (``revision``, ``cache_dir``, ``tensor``) go to ``load_embedding`` with
    a name. Seeds (``seed``) fix the bootstrap draws and the token sample.
    """
    start = time.perf_counter()
    if sample is not None:
        sample = check_int("sample (tokens)", sample, 2, error=SimilarityError, integral_floats=False)
    bootstrap = check_replicates("bootstrap (replicates)", bootstrap, error=SimilarityError)
    source, name, tokens, rows, dim = _resolve(model, progress, load_options)
    loaded = time.perf_counter()
    mom = exact_moments(source)
    out: dict[str, Any] = {
        "model": name, "vocab_size": rows, "d_model": dim, "n_rows": mom.n_rows,
        "zero_rows": mom.zero_rows, "pairs": mom.pairs, "mean": mom.mean, "std": mom.std,
        "eps": mom.eps, "class": classify(mom.eps), "exact_seconds": mom.seconds,
    }
    if bootstrap:
        boot = bootstrap_eps(source, n_boot=int(bootstrap), level=level, seed=seed,
                             progress=progress)
        out.update({"ci_low": boot.ci_low, "ci_high": boot.ci_high, "level": boot.level,
                    "decided_class": classify_interval(mom.eps, boot.ci_low, boot.ci_high),
                    "n_boot": boot.n_boot, "bootstrap_seconds": boot.seconds})
    if sample is not None or pairs:
        kwargs = dict(dtype=dtype, device=device, memory_budget=memory_budget, progress=progress,
                      top_pairs=top_pairs)
        if sample is not None:
            stats = sampled_pairs(source, int(sample), seed=seed, **kwargs)
        else:
            stats = all_pairs(source, **kwargs)
        out.update({
            "pass": "sampled" if sample is not None else "all", "sample": sample,
            "pass_pairs": stats.pairs, "pass_mean": stats.mean, "pass_std": stats.std,
            "pass_eps": stats.eps, "min": stats.min, "max": stats.max, "clamped": stats.clamped,
            "pass_seconds": stats.seconds, "pass_device": stats.device, "pass_dtype": stats.dtype,
            "top_pairs": [[i, j, c, _token(tokens, i), _token(tokens, j)]
                          for i, j, c in stats.top_pairs],
        })
    out["load_seconds"] = loaded - start
    out["seconds"] = time.perf_counter() - start
    return out
