"""``repcap.common.files``: the one atomic write (mode, cleanup, stale temporaries, storage faults)."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

from repcap.common import files
from repcap.errors import StorageError


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp") or ".tmp." in p.name)


@pytest.fixture
def umask():
    """Set the umask for one test and restore it after (it is process-wide)."""
    old = os.umask(0o022)
    os.umask(old)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(old)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_mode_follows_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    text = files.atomic_write_text(tmp_path / "a.txt", "hello")
    data = files.atomic_write_bytes(tmp_path / "b.bin", b"\x00\x01")
    with files.atomic_path(tmp_path / "c.npy") as tmp:  # a streaming writer creates the file itself
        with open(tmp, "wb") as fh:
            np.save(fh, np.arange(3))
    assert text.read_text() == "hello" and data.read_bytes() == b"\x00\x01"
    assert [_mode(p) for p in (text, data, tmp_path / "c.npy")] == [mode] * 3
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_failed_write_leaves_the_target_and_no_temporary(tmp_path, exc):
    target = tmp_path / "r.json"
    target.write_text("old")

    def write(fh):
        fh.write("half of the new")
        raise exc

    with pytest.raises(type(exc)):
        files.atomic_write(target, write, binary=False)
    with pytest.raises(type(exc)):
        with files.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise exc
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_json_that_cannot_be_serialised_touches_nothing(tmp_path):
    target = tmp_path / "r.json"
    with pytest.raises(TypeError):
        files.atomic_write_json(target, {"x": object()})
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".r.json.{dead.pid}.0123abcd.tmp"
    stale_suffixed = tmp_path / f".ch.ipynb.{dead.pid}.0123abcd.tmp.ipynb"
    live = tmp_path / f".r.json.{os.getpid()}.89abcdef.tmp"
    other = tmp_path / "keep.tmp"
    for path in (stale, stale_suffixed, live, other):
        path.write_bytes(b"x")
    files.atomic_write_json(tmp_path / "r.json", {"a": 1})
    assert not stale.exists() and not stale_suffixed.exists()
    assert live.exists() and other.exists()
    assert (tmp_path / "r.json").read_text() == '{"a": 1}'


def test_temporary_name_and_suffix(tmp_path):
    with files.atomic_path(tmp_path / "ch.ipynb", suffix=".ipynb") as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(f".ch.ipynb.{os.getpid()}.")
        assert tmp.name.endswith(".tmp.ipynb") and not tmp.exists()
        tmp.write_text("{}")
    assert (tmp_path / "ch.ipynb").read_text() == "{}"


def test_the_folder_is_created(tmp_path):
    target = files.atomic_write_text(tmp_path / "a" / "b" / "c.txt", "x")
    assert target.read_text() == "x"


def test_a_full_disk_is_one_storage_error_naming_the_folder(tmp_path, monkeypatch):
    def full(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(StorageError) as info:
        files.atomic_write_text(tmp_path / "r.json", "x")
    assert str(info.value) == (f"cannot write r.json under {tmp_path}: the disk is full; free space "
                               "there or choose another path for it")
    with pytest.raises(StorageError, match="cannot write the cache under .*; free space there or use X"):
        files.atomic_write_text(tmp_path / "r.json", "x", what="the cache", fix="use X")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_other_os_errors_pass_through(tmp_path, monkeypatch):
    def odd(src, dst):
        raise OSError("something else")

    monkeypatch.setattr(os, "replace", odd)
    with pytest.raises(OSError, match="something else") as info:
        files.atomic_write_text(tmp_path / "r.json", "x")
    assert not isinstance(info.value, StorageError)


def test_a_path_component_that_is_a_file_is_a_storage_error(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(StorageError, match="a path component is a file"):
        files.atomic_write_text(tmp_path / "file" / "r.json", "x")


def test_write_if_changed_keeps_an_identical_file(tmp_path):
    target = tmp_path / "page.md"
    assert files.write_if_changed(target, "# title\n")
    os.utime(target, (1_000_000, 1_000_000))
    assert not files.write_if_changed(target, "# title\n")
    assert not files.write_if_changed(target, "# title\n".encode())
    assert os.stat(target).st_mtime == 1_000_000
    assert files.write_if_changed(target, "# other\n")
    assert target.read_text() == "# other\n" and os.stat(target).st_mtime != 1_000_000
