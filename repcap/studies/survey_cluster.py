"""The survey on a Dask cluster: each model is measured by a task on a worker.

:func:`measure_on_cluster` is :func:`repcap.studies.survey.measure` with ``on_error="skip"``,
except that every model is one task (named ``survey-<model>``) of a cluster opened by
:func:`repcap.packing.cluster.connect`: the workers load the models (hub downloads happen there,
into each worker's cache) and compute µ, σ, ε = µ + 2σ and the class; only the rows travel back.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterable

from repcap.errors import DomainError
from repcap.packing.cluster import connect, run_tasks
from repcap.studies.survey import Survey, measure_model

__all__ = ["measure_on_cluster"]


def _measure_task(job: dict) -> Any:
    return measure_model(job["model"], bootstrap=job["bootstrap"], level=job["level"], seed=job["seed"],
                         progress=False)


def measure_on_cluster(models: Iterable[str], cluster: Any, *, bootstrap: int = 0, level: float = 0.95,
                       seed: int = 0, retries: int = 0, progress: bool = True):
    """Measure ``models`` as tasks on ``cluster`` (an address for :func:`~repcap.packing.cluster.connect`
    or an open ``distributed.Client``); return a :class:`~repcap.studies.survey.Survey`.

    Rows come in the order of ``models``; a model whose task raised (gated, missing, out of memory)
    is in ``failures`` with its message, and the others are measured all the same.
    """
    models = [str(m) for m in models]
    if not models:
        raise DomainError("measure_on_cluster: no models given; pass at least one model name")
    jobs = {f"survey-{m}": {"model": m, "bootstrap": bootstrap, "level": level, "seed": seed}
            for m in dict.fromkeys(models)}
    rows: dict[str, Any] = {}
    errors: dict[str, str] = {}
    opened = connect(cluster) if isinstance(cluster, str) else contextlib.nullcontext(cluster)
    with opened as client:
        for key, row, error in run_tasks(client, _measure_task, jobs, retries=retries, progress=progress,
                                         desc="models"):
            model = jobs[key]["model"]
            if error is None:
                rows[model] = row
            else:
                errors[model] = error
    survey = Survey()
    for model in dict.fromkeys(models):
        if model in rows:
            survey.rows.append(rows[model])
        else:
            survey.failures.append((model, errors[model]))
    return survey
