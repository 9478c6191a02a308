"""The one JSON sanitiser: what repcap writes as JSON is strict JSON (RFC 8259) that any reader takes.

JSON has no NaN or infinity (Python's ``json`` writes ``NaN``/``Infinity``, which JavaScript,
``jq`` and most other readers reject), so both become ``null``. Where an infinite value carries
information (a capacity past the float range), the record carries its log10 beside it, which is
finite (``log10_max_k``). numpy scalars and arrays, torch tensors and objects with ``to_dict``
become plain Python values. Used by the command line's ``--json`` and the chapters' results files;
:func:`nan_from_null` reads such numbers back.
"""

from __future__ import annotations

import json
import math
from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: floats that are NaN or ±inf -> None; dicts (keys that JSON cannot
    hold as keys -> ``str``), lists and tuples recursively; anything with ``tolist`` (numpy,
    torch) or ``to_dict`` converted first. Other values are returned as they are."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {_key(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (str, bytes)):
        return value
    if hasattr(value, "tolist"):
        return jsonable(value.tolist())
    if hasattr(value, "to_dict"):
        return jsonable(value.to_dict())
    return value


def _key(key: Any) -> Any:
    return key if key is None or isinstance(key, (str, int, float, bool)) else str(key)


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps(jsonable(value))``, refusing (``allow_nan=False``) anything non-strict that is
    left; ``kwargs`` go to :func:`json.dumps` (``indent``, ...)."""
    return json.dumps(jsonable(value), allow_nan=False, **kwargs)


def nan_from_null(value: Any) -> Any:
    """The inverse of :func:`jsonable` for numbers: ``None`` (JSON's null, which NaN became) back to
    ``float('nan')``, inside dicts and lists too. Use it on values where every null stands for a
    number; a field that may legitimately be None is read as it is."""
    if value is None:
        return math.nan
    if isinstance(value, dict):
        return {k: nan_from_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nan_from_null(v) for v in value]
    return value
