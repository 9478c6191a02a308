r"""The capacity explorer (``book/explorer.md``): what the page computes, and the constants it reads.

The page computes in the reader's browser, with no server, from one hand-written module
(``_static/capacity.js``: the formulas) and one generated file (:data:`CONSTANTS_PATH`: every
constant, written by the build from this package by :func:`constants_script`, never retyped; outside
``_static``, which Jupyter Book loads on every page, so only the explorer loads it).
For a dimension d and a coherence ε it shows, each as a base-10 logarithm:

* JL's count :math:`k = e^{d\varepsilon^2/C}` with the paper's random-baseline fit C = 3.029 and
  the "proven" C = 8 (:func:`repcap.laws.log10_capacity`, form ``jl``);
* Eq. 6, :math:`k = d\,e^{d\varepsilon^2/C}` (C = 1.2934), and Eq. 7, the paper's capacity;
* the greedy / Gilbert–Varshamov guarantee :math:`-\log_{10} I_{1-\varepsilon^2}(\tfrac{d-1}{2},\tfrac12)`
  (:func:`repcap.geometry.bounds.log10_greedy_count`);
* the largest explicit line set with dimension ≤ d and coherence ≤ ε
  (:func:`repcap.geometry.constructions.best_construction`, from a table of every construction of
  dimension ≤ :data:`MAX_D`);
* the paper's class of ε (:func:`repcap.laws.classify`).

:func:`numbers` is the same computation in Python: the browser test holds the page's JavaScript to it.
"""

from __future__ import annotations

import json
from typing import Any

from repcap import __version__
from repcap.catalog import paper_models
from repcap.geometry import constructions
from repcap.geometry.bounds import log10_greedy_count
from repcap.laws import (CLASS1_ABOVE, CLASS2_BELOW, JL_PROVEN_C, PAPER_EQ6_C, PAPER_EQ7,
                         PAPER_JL_RANDOM_C, capacity_class, classify, log10_capacity)
from repcap.laws.classes import BETWEEN, CLASS1, CLASS2

__all__ = ["MAX_D", "CONSTANTS_PATH", "GLOBAL", "START_MODEL", "constants", "constants_script",
           "numbers", "construction_label"]

#: The explorer accepts d up to this; its table lists every construction of dimension ≤ MAX_D.
MAX_D = 2 ** 16
#: The generated file (its path in the HTML site) and the global it defines.
CONSTANTS_PATH = "explorer/capacity_constants.js"
GLOBAL = "REPCAP_CAPACITY_CONSTANTS"
#: The Table 1 model the page opens at (d = 4096, ε = 0.0645).
START_MODEL = "Llama 2 7B"

_FAMILY_NAMES = {"orthonormal": "orthonormal basis", "kerdock": "Kerdock set",
                 "dual_bch": "dual-BCH code", "leech_etf": "equiangular lines from the Leech lattice"}
# best_construction admits a set whose coherence exceeds ε by at most this (rounding of 1/√n).
_TOL = constructions._TOL
_EXACT_INT = 2 ** 53  # counts above this are not exact as JavaScript numbers


def construction_label(family: str, params: dict) -> str:
    """How the page names a construction, e.g. ``dual-BCH code (m = 10, e = 2)``.

    >>> construction_label("kerdock", {"m": 6})
    'Kerdock set (m = 6)'
    """
    inside = ", ".join(f"{k} = {v}" for k, v in params.items())
    return f"{_FAMILY_NAMES.get(family, family)} ({inside})"


def _construction(c: constructions.Construction) -> dict[str, Any]:
    return {"family": c.family, "label": construction_label(c.family, c.params),
            "count": c.count if c.count <= _EXACT_INT else None,
            "log10_count": c.log10_count, "coherence": c.coherence,
            "coherence_is": c.coherence_is, "dim": c.dim}


def constants() -> dict[str, Any]:
    """Everything ``_static/capacity.js`` needs, from the package.

    The constructions (all but the orthonormal basis, which the page adds for the d it is given)
    are sorted best first by :func:`~repcap.geometry.constructions.best_construction`'s order
    (count, then smaller coherence, then smaller dimension), so the page's best set at (d, ε) is
    the first that fits, or the basis when that holds no more than d vectors.
    """
    sets = [c for c in constructions.families_up_to(MAX_D) if c.family != "orthonormal"]
    sets.sort(key=lambda c: (c.count, -c.coherence, -c.dim), reverse=True)
    models = [{"name": r["name"], "d": r["d_model"], "eps": r["eps_paper"],
               "capacity": r["capacity_paper"]} for r in paper_models()]
    return {
        "version": __version__,
        "jl": {"random_C": PAPER_JL_RANDOM_C, "proven_C": JL_PROVEN_C},
        "eq6": {"C": PAPER_EQ6_C},
        "eq7": dict(PAPER_EQ7),
        "classes": {"class1_above": CLASS1_ABOVE, "class2_below": CLASS2_BELOW,
                    "class1": CLASS1, "class2": CLASS2, "between": BETWEEN},
        "constructions": {"max_d": MAX_D, "tol": _TOL, "basis": _FAMILY_NAMES["orthonormal"],
                          "sets": [_construction(c) for c in sets]},
        "models": models,
        "start": START_MODEL,
    }


def constants_script() -> str:
    """The file :data:`CONSTANTS_PATH`: :func:`constants` as one JavaScript global."""
    body = json.dumps(constants(), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (f"// Written by repcap.book.explorer (repcap {__version__}) at build time: edit the "
            f"package, not this file.\nwindow.{GLOBAL} = {body};\n")


def numbers(d: int, eps: float) -> dict[str, Any]:
    """What the explorer shows at (d, ε), computed by the package (log10 of every count).

    Examples
    --------
    Llama 2 7B, the page's opening point: JL with C = 8 holds 10^0.93 ≈ 8.4 directions, Eq. 7
    10^7.60 (Table 1: 3.99e7), the greedy guarantee 10^4.44, and a dual-BCH code 2^36 vectors:

    >>> n = numbers(4096, 0.0645)
    >>> round(n["jl_proven"], 2), round(n["eq7"], 2), round(n["greedy"], 2), n["class"]
    (0.93, 7.6, 4.44, 'Class 2')
    >>> n["best"]["label"], n["best"]["count"] == 2 ** 36
    ('dual-BCH code (m = 12, e = 3)', True)
    """
    best = constructions.best_construction(d, eps)
    return {
        "jl_random": float(log10_capacity(d, eps, "jl", {"C": PAPER_JL_RANDOM_C})),
        "jl_proven": float(log10_capacity(d, eps, "jl", {"C": JL_PROVEN_C})),
        "eq6": float(log10_capacity(d, eps, "eq6", {"C": PAPER_EQ6_C})),
        "eq7": float(log10_capacity(d, eps, "eq7", PAPER_EQ7)),
        "greedy": float(log10_greedy_count(d, eps)),
        "best": _construction(best),
        "class": classify(eps),
        "determinate": capacity_class(eps) == "determinate",
    }
