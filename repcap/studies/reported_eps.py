"""The paper's reported ε (its Table 1) as points, and measured rows joined to them.

:func:`reported_points` gives the Table 1 rows that have an ε (for Figure 5), :func:`class2_points`
those of Class 2, :func:`figure5b_subset` the ones of the paper's Figure 5b, and
:func:`join_reported` puts a measured :class:`~repcap.studies.survey.SurveyRow` beside the paper's ε
of the same model, ``diff = ε − ε_paper`` and ``rel_diff = diff / ε_paper``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from repcap import catalog
from repcap.laws.classes import CLASS2, classify
from repcap.sources import offline
from repcap.studies.survey import SurveyRow

__all__ = ["reported_points", "class2_points", "figure5b_subset", "join_reported"]


def reported_points() -> list[dict[str, Any]]:
    """The paper's Table 1 as points for Figure 5: ``name, hub_id, family, d_model, eps`` (ε as
    reported in the paper, not measured here), ``class_paper``; rows without ε are left out."""
    return [{"name": m["name"], "hub_id": m.get("hub_id"), "family": m.get("family") or "",
             "d_model": int(m["d_model"]), "eps": float(m["eps_paper"]),
             "class_paper": m.get("class_paper")}
            for m in catalog.paper_models() if m.get("eps_paper") is not None and m.get("d_model")]


def figure5b_subset(points: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The models of the paper's Figure 5b ("the second class, zoomed in"): the reported points of
    Class 2 (:func:`class2_points`), without the Gemma family and Llama 2 70B, which the paper's
    plotting code leaves out."""
    return [p for p in class2_points(points) if p.get("family") != "Gemma"
            and p["name"] != "Llama 2 70B"]


def class2_points(points: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The points whose ε is Class 2 by the paper's rule (:func:`repcap.laws.classify`: ε < 0.1)."""
    return [p for p in points if classify(p["eps"]) == CLASS2]


def join_reported(rows: Iterable[SurveyRow]) -> list[dict[str, Any]]:
    """Measured rows beside the paper's reported ε for the same model (matched by hub id or name).

    Each dict: ``name``, ``paper_name``, ``d_model``, ``eps`` (measured), ``eps_paper``,
    ``diff`` = eps − eps_paper, ``rel_diff`` = diff / eps_paper, ``klass`` (ours) and
    ``class_paper``. An offline copy (e.g. ``gemma-3-270m``) matches through its upstream hub id.
    Rows of models the paper did not measure are left out.
    """
    reported = reported_points()
    index = {}
    for p in reported:
        index.setdefault(p["name"].lower(), p)
        if p["hub_id"]:
            index.setdefault(p["hub_id"].lower(), p)
    out = []
    for r in rows:
        p = index.get(r.name.lower())
        spec = offline.find(r.name) if p is None else None
        if spec is not None and spec.hub_id:  # an offline copy of a model the paper measured
            p = index.get(spec.hub_id.lower())
        if p is None:
            continue
        diff = r.eps - p["eps"]
        out.append({"name": r.name, "paper_name": p["name"], "d_model": r.d_model, "eps": r.eps,
                    "eps_paper": p["eps"], "diff": diff, "rel_diff": diff / p["eps"],
                    "klass": r.klass, "class_paper": p["class_paper"]})
    return out
