"""The one atomic file write: a reader sees the old file or the new one, never a torn one.

Every write goes to a temporary file in the target's folder, named ``.NAME.<pid>.<hex>.tmp``; it is
flushed and fsynced, then moved over the target with ``os.replace`` (atomic on POSIX and Windows).
On any failure (an exception, Ctrl-C, and SIGTERM, which the command line turns into an exception)
the temporary file is removed and the target is left as it was. Temporaries of a process that
could not clean up (SIGKILL, a power cut) carry its dead pid and are removed by the next write into
the same folder. The file gets the mode a plain ``open(path, "w")`` would give it (0o666 less the
umask), not ``mkstemp``'s 0o600.

A disk that refuses the write (full, read-only, no permission) raises a one-line
:class:`repcap.errors.StorageError` naming the folder (:mod:`repcap.common.storage`); ``what`` and
``fix`` word it for the caller (the cache says ``--cache-dir``).

:func:`atomic_path` yields the temporary path for writers that stream into a file themselves (a
memory-mapped ``.npy``, papermill); :func:`atomic_write` and its ``_text``/``_bytes``/``_json``
forms fill it from a file object; :func:`write_if_changed` leaves an identical file untouched (its
mtime too, so Sphinx does not re-read it).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

from repcap.common.storage import storage_errors
from repcap.errors import StorageError

#: What a StorageError from these functions tells the user to do, unless the caller says otherwise.
CHOOSE_ANOTHER_PATH = "choose another path for it"

# ``.NAME.<pid>.<8 hex>.tmp``, optionally followed by the suffix a writer needs (``.ipynb``).
_TMP_NAME = re.compile(r"^\..+\.(\d+)\.[0-9a-f]{8}\.tmp(\.[A-Za-z0-9]+)?$")


def temporary_path(target: Path, suffix: str = "") -> Path:
    """``<folder>/.NAME.<pid>.<hex>.tmp<suffix>`` beside ``target`` (not created)."""
    return target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp{suffix}")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale_temporaries(directory: str | os.PathLike) -> list[Path]:
    """Delete ``.NAME.<pid>.<hex>.tmp`` files in ``directory`` whose writing process is dead.

    A process killed by SIGKILL (or a power cut) cannot clean up after itself; the pid in the
    name lets the next user of the directory tell such leftovers from a concurrent live write.
    """
    directory = Path(directory)
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        match = _TMP_NAME.match(name)
        if match and not _pid_alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                (directory / name).unlink()
                removed.append(directory / name)
    return removed


def _fsync(path: Path) -> None:
    """Flush ``path``'s data to the disk (it was written, and closed, through another descriptor)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, *, what: str | None = None, fix: str = CHOOSE_ANOTHER_PATH,
                suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``target`` for the ``with`` block to create and fill; then
    fsync it and move it onto ``target``. On any exit by an exception the temporary file is removed
    and ``target`` is untouched.

    The folder is created if needed; a ``target`` that is a folder is refused first. ``suffix`` is appended to the temporary name for writers that
    check the extension (papermill wants ``.ipynb``). Storage faults raised here or in the block
    become a :class:`~repcap.errors.StorageError` about ``what`` (default: the file's name).
    """
    target = Path(target)
    if target.is_dir():  # os.replace would fail late, naming the temporary file
        raise StorageError(f"cannot write {what or target.name} to {target}: it is a folder, not a "
                           f"file; {fix}")
    with storage_errors(what or target.name, target.parent, fix):
        target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target.parent)
    tmp = temporary_path(target, suffix)
    try:
        with storage_errors(what or target.name, target.parent, fix):
            yield tmp
            _fsync(tmp)
            os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def atomic_write(path: str | os.PathLike, write: Callable[[Any], None], *, binary: bool,
                 what: str | None = None, fix: str = CHOOSE_ANOTHER_PATH) -> Path:
    """Create ``path`` atomically: ``write(fh)`` fills a new file (``binary`` or UTF-8 text) that
    then replaces ``path``; returns ``path``."""
    target = Path(path)
    with atomic_path(target, what=what, fix=fix) as tmp:
        # 0o666 less the umask, as open() gives; O_EXCL: the pid+random name is ours alone.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as fh:
            write(fh)
    return target


def atomic_write_text(path: str | os.PathLike, text: str, **where: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8). ``where``: ``what``/``fix`` of :func:`atomic_write`."""
    return atomic_write(path, lambda fh: fh.write(text), binary=False, **where)


def atomic_write_bytes(path: str | os.PathLike, data: bytes | bytearray | memoryview,
                       **where: str) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda fh: fh.write(data), binary=True, **where)


def atomic_write_json(path: str | os.PathLike, data: Any, *, what: str | None = None,
                      fix: str = CHOOSE_ANOTHER_PATH, **dumps: Any) -> Path:
    """``json.dumps(data, **dumps)`` written to ``path`` atomically (serialised first, so a value
    JSON cannot hold fails before any file is touched)."""
    return atomic_write_text(path, json.dumps(data, **dumps), what=what, fix=fix)


def write_if_changed(path: str | os.PathLike, content: str | bytes) -> bool:
    """Write ``content`` (text as UTF-8) to ``path`` atomically unless the file already holds
    exactly these bytes; True when it was written. An unchanged file keeps its mtime, so tools
    that watch it (Sphinx) do not redo their work."""
    target = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    try:
        if target.stat().st_size == len(data) and target.read_bytes() == data:
            return False
    except OSError:  # absent or unreadable: write it
        pass
    atomic_write_bytes(target, data)
    return True
