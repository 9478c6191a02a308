"""One style of progress bar for every long loop: downloads, extractions, packings, sweeps,
bootstraps, pair passes, forward passes.

Bars go to stderr, appear only once the work has taken :data:`DELAY_S` (fast cache hits and small
cells stay silent), follow the terminal's width, and count bytes as kB, MB, ... ``enabled=False``
makes a bar a no-op that still accepts ``update``/``set_postfix``/``close``. tqdm is imported on
first use, so importing this module costs nothing.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

# A bar appears only once the work has taken this long, so fast cache hits stay silent.
DELAY_S = 0.5


def _options(desc: str, unit: str, enabled: bool, leave: bool, unit_scale: bool | None) -> dict:
    scale = unit == "B" if unit_scale is None else unit_scale
    return dict(desc=desc, unit=unit, unit_scale=scale, unit_divisor=1024 if unit == "B" else 1000,
                disable=not enabled, leave=leave, delay=DELAY_S, dynamic_ncols=True)


def bar(total: int | None, desc: str, *, unit: str = "it", enabled: bool = True, leave: bool = False,
        initial: int = 0, unit_scale: bool | None = None) -> Any:
    """A tqdm bar counting up to ``total`` ``unit``s from ``initial`` (a resumed run).

    ``leave=True`` keeps the finished bar on screen (sweeps, whose bar is the run's summary);
    ``unit_scale`` shows 1.2M instead of 1234567 (default: for bytes only).
    """
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, **_options(desc, unit, enabled, leave, unit_scale))


def iterate(iterable: Iterable, desc: str, *, unit: str = "it", enabled: bool = True,
            leave: bool = False, total: int | None = None) -> Any:
    """``iterable`` wrapped in a bar (a tqdm object: iterate it, ``set_postfix`` on it)."""
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, **_options(desc, unit, enabled, leave, None))


def counted(chunks: Iterable[bytes], progress: Any) -> Iterator[bytes]:
    """Pass byte chunks through, advancing ``progress`` by their lengths."""
    for chunk in chunks:
        progress.update(len(chunk))
        yield chunk


def silent_tqdm_class() -> type:
    """A tqdm subclass that never displays (for huggingface_hub's ``tqdm_class`` argument)."""
    from tqdm.auto import tqdm

    class _Silent(tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    return _Silent
