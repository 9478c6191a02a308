"""The record of one packing cell: what was run, what came out, how long it took, where."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

KINDS = ("random", "optimised")


@dataclass
class CellResult:
    """One (k, d) cell of a packing experiment.

    Attributes
    ----------
    kind : ``"random"`` (paper Eq. 5, best of T random draws) or ``"optimised"`` (paper §3.3).
    k, d : number of unit vectors and their dimension.
    eps : ε* = max_{i≠j} |⟨v_i, v_j⟩| of the packing the cell reports (for ``random`` the minimum of that
        maximum over the trials).
    seconds : wall-clock seconds of the computation (summed over resumed pieces).
    device : where it ran, e.g. ``"cpu (2 threads)"`` or ``"cuda:0 (NVIDIA A100-SXM4-80GB)"``.
    seed : the seed every random draw of the cell derives from.
    settings : the parameters that define the result (``trials`` or ``steps``, ``objective``, ``exponent``,
        ``lr``, ``dtype``, ...); two cells with equal ``kind, k, d, seed, settings`` are the same computation.
    history : optional ``[(step, eps), ...]`` along an optimisation (for ``random``: ``(trials done, best
        so far)``).
    samples : optional per-trial maxima of a random cell (only when they were all computed exactly).
    vectors : optional (d, k) array of unit columns (never serialised by :meth:`to_dict`).
    """

    kind: str
    k: int
    d: int
    eps: float
    seconds: float
    device: str
    seed: int
    settings: dict[str, Any] = field(default_factory=dict)
    history: list[tuple[int, float]] | None = None
    samples: list[float] | None = None
    vectors: Any = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict of every field except ``vectors`` (non-finite floats become ``None``)."""
        out: dict[str, Any] = {
            "kind": self.kind, "k": int(self.k), "d": int(self.d), "eps": _num(self.eps),
            "seconds": _num(self.seconds), "device": self.device, "seed": int(self.seed),
            "settings": {key: _plain(value) for key, value in self.settings.items()},
        }
        if self.history is not None:
            out["history"] = [[int(step), _num(eps)] for step, eps in self.history]
        if self.samples is not None:
            out["samples"] = [_num(x) for x in self.samples]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CellResult":
        """The inverse of :meth:`to_dict` (``vectors`` stays ``None``)."""
        history = data.get("history")
        return cls(kind=data["kind"], k=int(data["k"]), d=int(data["d"]),
                   eps=float("nan") if data["eps"] is None else float(data["eps"]),
                   seconds=float(data.get("seconds") or 0.0), device=str(data.get("device", "")),
                   seed=int(data.get("seed", 0)), settings=dict(data.get("settings") or {}),
                   history=None if history is None else [(int(s), float(e)) for s, e in history],
                   samples=data.get("samples"))


def _num(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
