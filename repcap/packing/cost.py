r"""What a packing sweep costs: floating-point work per cell, a throughput fitted to measured cells,
and the time a larger grid would take on this machine or on a GPU of a given speed.

Work per cell (Gram products dominate; elementwise passes and random draws are ignored):

``random``     each trial forms the upper triangle of the k × k Gram matrix of k vectors in R^d,
               k(k−1)/2 dot products of length d, so :math:`W \approx T\,k^2 d` FLOPs for T trials
               (a pruned trial that stops early costs less: the estimate is an upper bound);
``optimised``  each step forms G once (upper triangle, :math:`k^2 d` FLOPs) and the two gradient
               products :math:`F V` (:math:`2 \cdot 2k^2 d`), so :math:`W \approx 6\,k^2 d \cdot \text{steps}`;
               the author's dense autograd code does the same :math:`6k^2 d` per step.

A measured sweep gives the machine's effective throughput :math:`R = W_i / t_i` per cell; the time of
another grid is then :math:`\sum_i W_i / R`, here or on the GPUs of :data:`GPUS`
(:func:`grid_cost_lines` writes the packing chapters' cost paragraph). Nothing here runs a packing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from repcap.common.checks import scalar_or_array
from repcap.errors import DomainError

__all__ = ["cell_flops", "grid_flops", "Throughput", "fit_throughput", "estimate_seconds", "format_duration",
           "GPUS", "throughput_text", "gpu_estimates", "grid_cost_lines"]

#: Sustained throughputs (FLOP/s) a grid's cost is given for, per precision: (example, FLOP/s).
GPUS = {
    "float32": (("e.g. a Colab T4", 8e12), ("an A100's peak", 19.5e12), ("e.g. an H100", 50e12)),
    "float16": (("e.g. a Colab T4", 30e12), ("e.g. an A100", 150e12)),
}
#: The work of one cell (:func:`cell_flops`), in words.
_WORK = {"random": "T·k²·d per cell", "optimised": "6·k²·d per step"}


def cell_flops(kind: str, k, d, *, trials: int | None = None, steps: int | None = None):
    r"""Floating-point operations of one cell (vectorised over k and d).

    .. math:: W_{\text{random}} = T\,k^2 d, \qquad W_{\text{optimised}} = 6\,k^2 d\cdot\text{steps}
    """
    k = np.asarray(k, dtype=float)
    d = np.asarray(d, dtype=float)
    if (k < 2).any() or (d < 1).any():
        raise DomainError("cells need k ≥ 2 and d ≥ 1")
    if kind == "random":
        if trials is None or trials < 1:
            raise DomainError("a random cell's work needs trials ≥ 1")
        out = float(trials) * k**2 * d
    elif kind == "optimised":
        if steps is None or steps < 1:
            raise DomainError("an optimised cell's work needs steps ≥ 1")
        out = 6.0 * float(steps) * k**2 * d
    else:
        raise DomainError(f"unknown sweep kind {kind!r}; choose 'random' or 'optimised'")
    return scalar_or_array(out)


def grid_flops(kind: str, cells: Iterable[Sequence[int]], *, trials: int | None = None,
               steps: int | None = None) -> float:
    r"""Total work :math:`\sum_{(k, d) \in \text{cells}} W(k, d)` of a grid (see :func:`cell_flops`)."""
    cells = list(cells)
    if not cells:
        raise DomainError("the grid has no cells")
    k, d = np.asarray(cells, dtype=float).T
    return float(np.sum(cell_flops(kind, k, d, trials=trials, steps=steps)))


@dataclass(frozen=True)
class Throughput:
    """Effective FLOP/s of a machine on one kind of cell, from ``n`` measured cells.

    ``rate`` is the geometric mean of :math:`W_i/t_i`; ``low`` and ``high`` the smallest and largest
    per-cell rates (small cells pay fixed overheads and run slower, so the spread is the uncertainty
    of an extrapolation); ``device`` names the machine the cells ran on.
    """

    kind: str
    rate: float
    low: float
    high: float
    n: int
    device: str = ""


def _setting(record: Mapping, name: str) -> int | None:
    value = (record.get("settings") or {}).get(name, record.get(name))
    return None if value is None else int(value)


def fit_throughput(records: Iterable[Mapping], kind: str | None = None) -> Throughput:
    r"""The throughput :math:`R` of the cells in sweep ``records`` (dicts with k, d, seconds, settings).

    .. math:: R = \exp\Big(\frac1n \sum_i \ln \frac{W_i}{t_i}\Big)

    Records without positive ``seconds`` are ignored. Raises :class:`DomainError` when none is left.
    """
    rates, devices, kinds = [], set(), set()
    for rec in records:
        rk = rec.get("kind") or kind
        if kind is not None and rk != kind:
            continue
        seconds = rec.get("seconds")
        if not seconds or seconds <= 0:
            continue
        work = cell_flops(rk, rec["k"], rec["d"], trials=_setting(rec, "trials"), steps=_setting(rec, "steps"))
        rates.append(work / float(seconds))
        devices.add(str(rec.get("device", "")))
        kinds.add(rk)
    if not rates:
        raise DomainError("no timed cells to fit a throughput to; run the sweep first")
    if len(kinds) > 1:
        raise DomainError(f"records mix kinds {sorted(kinds)}; pass kind='random' or kind='optimised'")
    logs = np.log(rates)
    return Throughput(kind=kinds.pop(), rate=float(np.exp(logs.mean())), low=float(min(rates)),
                      high=float(max(rates)), n=len(rates), device=", ".join(sorted(devices)))


def estimate_seconds(kind: str, cells: Iterable[Sequence[int]], rate: float, *, trials: int | None = None,
                     steps: int | None = None) -> float:
    r"""Seconds a grid takes at throughput ``rate`` (FLOP/s): :math:`t = \sum_i W_i / R`."""
    if not rate > 0 or not math.isfinite(rate):
        raise DomainError(f"rate must be a positive number of FLOP/s, got {rate!r}")
    return grid_flops(kind, cells, trials=trials, steps=steps) / rate


def format_duration(seconds: float) -> str:
    """``"42 s"``, ``"3.5 min"``, ``"7.2 h"`` or ``"12 days"``."""
    if not math.isfinite(seconds):
        return "∞"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


def throughput_text(rate: Throughput) -> str:
    """``"measured throughput on cpu: 1.00 GFLOP/s (geometric mean of 3 cells, range 0.50–2.00);
    work counted as 6·k²·d per step"``."""
    return (f"measured throughput on {rate.device}: {rate.rate / 1e9:.2f} GFLOP/s (geometric mean "
            f"of {rate.n} cells, range {rate.low / 1e9:.2f}–{rate.high / 1e9:.2f}); work counted as "
            f"{_WORK[rate.kind]}")


def gpu_estimates(flops: float, dtype: str = "float32") -> list[str]:
    r"""The time of ``flops`` FLOPs, :math:`t = W / R`, on each GPU of :data:`GPUS` for ``dtype``:
    ``"on a GPU sustaining 8 TFLOP/s in float32 (e.g. a Colab T4): ≈ 3.5 h"``, one line each."""
    if dtype not in GPUS:
        raise DomainError(f"no GPU throughputs for {dtype!r}; choose one of {sorted(GPUS)}")
    return [f"on a GPU sustaining {rate / 1e12:g} TFLOP/s in {dtype} ({example}): ≈ "
            f"{format_duration(flops / rate)}" for example, rate in GPUS[dtype]]


def grid_cost_lines(rate: Throughput, flops: float, *, grid: str, dtype: str = "float32",
                    before: Sequence[str] = (), note: str = "") -> list[str]:
    r"""A packing chapter's cost paragraph as Markdown bullets: the measured throughput
    (:func:`throughput_text`), the lines ``before``, then ``grid`` (its words) with its work
    ``flops`` and the time :math:`W / R_{\max}` here at the best measured rate (``note`` follows),
    and under it the time on each GPU (:func:`gpu_estimates`)."""
    return [f"* {throughput_text(rate)}", *(f"* {line}" for line in before),
            f"* {grid} = {flops:.2e} FLOP ≈ {format_duration(flops / rate.high)} here at the best "
            f"measured throughput{note}",
            *(f"  * {line}" for line in gpu_estimates(flops, dtype))]


def cell_memory_bytes(kind: str, k: int, d: int, *, itemsize: int = 4,
                      memory_budget: int = 1 << 30) -> int:
    r"""Peak memory of one cell, in bytes (the estimate checked before a cell starts).

    ``optimised``: the vectors, their gradient and Adam's two moments, plus a normalised copy,
    :math:`5\,k d` elements, and the Gram tiles, at most ``memory_budget`` bytes and never more than
    :math:`k^2` elements. ``random``: one draw and its normalised copy, :math:`2\,k d` elements,
    plus the tiles.
    """
    vectors = (5 if kind == "optimised" else 2) * int(k) * int(d) * itemsize
    return vectors + min(int(memory_budget), int(k) * int(k) * itemsize)


def available_memory_bytes() -> int | None:
    """Memory the system can still give this process (psutil when installed), or None."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None
