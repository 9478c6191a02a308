"""The one place where a disk's refusal becomes a one-line :class:`repcap.errors.StorageError`.

A full disk, a read-only file system, a path component that is a file or a missing permission
(:meth:`StorageError.matches`) is worded as ``cannot write <what> under <directory>: <reason>;
<fix>``; any other ``OSError`` passes through unchanged.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

from repcap.errors import StorageError


@contextlib.contextmanager
def storage_errors(what: str, directory: str | os.PathLike, fix: str) -> Iterator[None]:
    """Run the ``with`` block; an OSError that is a storage fault leaves it as a StorageError.

    ``what`` names the file or data being written (``"the cache"``, ``"results.jsonl"``),
    ``directory`` where, ``fix`` what the user can do (``"choose another --results path"``).
    The StorageError is raised ``from None``: its message is complete, the errno chain is noise.
    """
    try:
        yield
    except OSError as exc:
        if StorageError.matches(exc):
            raise StorageError.from_os_error(what, directory, exc, fix) from None
        raise
