"""Dtypes, sizes and memory budgets for the packing engine (validated, with helpful errors), and the
name of a device for result records (the device itself is checked by
:func:`repcap.common.devices.resolve_device`).

Torch is imported inside the functions so that importing :mod:`repcap.packing` stays cheap.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from repcap.common.checks import check_int
from repcap.errors import PackingError, option

DTYPES = ("float16", "bfloat16", "float32", "float64")
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def parse_memory_budget(budget: int | float | str) -> int:
    """Bytes in a memory budget given as a number of bytes or a string such as ``"512MB"`` or ``"2GiB"``.

    Decimal units (KB, MB, GB, TB) are powers of 1000, binary units (KiB, MiB, GiB, TiB) powers of 1024.
    """
    if isinstance(budget, bool):
        raise PackingError(f"{option('memory_budget')} must be bytes or a string like '512MB', got {budget!r}")
    if isinstance(budget, (int, float)):
        value = float(budget)
    elif isinstance(budget, str):
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([KMGT]?I?B?)\s*", budget.upper())
        if not match or match.group(2) not in _UNITS:
            raise PackingError(f"cannot read {option('memory_budget')} {budget!r}; write e.g. '512MB', '2GB' "
                               "or '1GiB'")
        value = float(match.group(1)) * _UNITS[match.group(2)]
    else:
        raise PackingError(f"{option('memory_budget')} must be bytes or a string like '512MB', got "
                           f"{type(budget).__name__}")
    if not value >= 2**20:  # also rejects NaN
        raise PackingError(f"{option('memory_budget')} {budget!r} is below 1 MiB; give at least '1MiB' "
                           "(e.g. '512MB')")
    return int(value)


def describe(device) -> str:
    """A short, human-readable name of ``device`` for result records (e.g. ``cuda:0 (NVIDIA A100)``)."""
    import torch

    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return str(device)


def resolve_dtype(dtype: Any):
    """The torch dtype named by ``dtype`` (one of :data:`DTYPES`, or a torch dtype)."""
    import torch

    if isinstance(dtype, torch.dtype):
        name = str(dtype).removeprefix("torch.")
    else:
        name = str(dtype)
    if name not in DTYPES:
        raise PackingError(f"unsupported dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
    return getattr(torch, name)


def dtype_name(dtype) -> str:
    """``torch.float32`` -> ``"float32"``."""
    return str(dtype).removeprefix("torch.")


#: ``check_size(name, value, minimum)``: an int ≥ ``minimum`` or a PackingError (integral floats accepted).
check_size = partial(check_int, error=PackingError)
