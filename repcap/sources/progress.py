"""One style of progress bar for downloads and extractions (stderr, shown only if slow)."""

from __future__ import annotations

from typing import Iterable, Iterator

from tqdm.auto import tqdm

# A bar appears only once the work has taken this long, so fast cache hits stay silent.
DELAY_S = 0.5


def bar(total: int | None, desc: str, *, unit: str = "B", enabled: bool = True) -> tqdm:
    """A tqdm bar (bytes are shown scaled: kB, MB, ...); ``enabled=False`` makes it a no-op."""
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=(unit == "B"),
                unit_divisor=1024 if unit == "B" else 1000, disable=not enabled,
                delay=DELAY_S, leave=False, dynamic_ncols=True)


def counted(chunks: Iterable[bytes], progress: tqdm) -> Iterator[bytes]:
    """Pass byte chunks through, advancing ``progress`` by their lengths."""
    for chunk in chunks:
        progress.update(len(chunk))
        yield chunk


def silent_tqdm_class() -> type:
    """A tqdm subclass that never displays (for huggingface_hub's ``tqdm_class`` argument)."""

    class _Silent(tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    return _Silent
