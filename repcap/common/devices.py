"""The one check of a torch device (which device a computation runs on, or a one-line error), and
the one limit on torch's CPU threads.

Every layer that runs torch (packings, the pair pass, forward passes, the chapters' device line)
resolves its ``device`` argument here, so ``"cuda:7"`` on a one-GPU machine or ``"cuda"`` on a
laptop fails the same way everywhere, before any work, naming ``device='cpu'`` to a library caller
and the ``--device`` flag on the command line (:func:`repcap.errors.option`).
torch is imported inside :func:`resolve_device`, so importing this module costs nothing.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any, Iterator

from repcap.errors import DeviceError, option

#: Device types a computation may run on, unless it says otherwise.
DEVICE_TYPES = ("cpu", "cuda", "mps")
_SPELLED = {"cpu": ["'cpu'"], "cuda": ["'cuda'", "'cuda:N'"], "mps": ["'mps'"]}


def _use_cpu() -> str:
    # worded when raised: ``device='cpu'`` for a library caller, ``--device cpu`` on the command line
    return "use " + option("device", "'cpu'") + " instead"


def _choices(allowed: tuple[str, ...]) -> str:
    names = [name for kind in allowed for name in _SPELLED[kind]]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def resolve_device(device: Any = None, *, allowed: tuple[str, ...] = DEVICE_TYPES):
    """The ``torch.device`` to run on.

    ``None`` or ``""``: CUDA when torch sees a CUDA GPU, else the CPU (Apple's MPS is never chosen
    on its own: float64 and some kernels are missing there). Otherwise ``device`` (a string such as
    ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``, or a ``torch.device``) is checked: its type must
    be one of ``allowed``, a CUDA device needs a CUDA GPU and an index below
    ``torch.cuda.device_count()``, ``mps`` needs torch's MPS backend. Anything else is a
    :class:`~repcap.errors.DeviceError` (also a ``ValueError``) whose one line says what to pass.
    """
    import torch

    if device is None or device == "":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise DeviceError(f"unknown device {device!r}; use {_choices(allowed)}") from None
    if dev.type not in allowed:
        raise DeviceError(f"device {device!r} is not supported here; use {_choices(allowed)}")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"device {device!r} is not available here (torch sees no CUDA GPU); "
                              f"{_use_cpu()}")
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise DeviceError(f"device {device!r} does not exist: torch sees {count} CUDA GPU(s), "
                              f"'cuda:0' to 'cuda:{count - 1}'")
    elif dev.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(f"device {device!r} is not available here (torch sees no Apple MPS "
                          f"device); {_use_cpu()}")
    return dev


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run a block with torch limited to ``threads`` intra-op CPU threads (at least 1), restored on
    exit. ``None`` leaves torch's setting alone, and so does a process that has not imported torch
    (its work cannot be using it); callers check ``threads`` with their own error first."""
    torch = sys.modules.get("torch")
    if threads is None or torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, int(threads)))
    try:
        yield
    finally:
        torch.set_num_threads(before)
