"""Exceptions that repcap raises for bad input.

Every error a user can cause (an unknown model id, no network, NaN rows, a misspelt notebook
parameter, ...) is a :class:`RepcapError` with a message that says what went wrong and what to do.
The command line prints the message alone (no traceback unless ``--debug``) and exits non-zero.

Errors that are also an ordinary Python error subclass it too, so a library user can catch them the
usual way: an argument value that is wrong is a :class:`ValueError` (``except ValueError`` catches
``repcap.laws.capacity(d=-1, eps=0.1)``), a name that is not found is a :class:`LookupError`. Errors
about files, the network or the disk (a damaged checkpoint, no connection, a full disk) are
RepcapErrors only: they are not a wrong value, and an ``OSError`` subclass would be swallowed by the
package's own ``except OSError`` handlers.

A message that tells the user to set an option names it the way that user writes it:
``tensor=NAME`` for a library caller, ``--tensor NAME`` on the command line (:func:`option`; the
``repcap`` command switches the wording with :func:`command_line_wording`).
"""

import contextlib
import errno
from typing import Iterator

_command_line = False


def option(name: str, value: str = "", *, flag: str | None = None) -> str:
    """An option as a message names it: ``name=value`` (``name`` alone without a value) for a
    library caller, ``--name value`` inside :func:`command_line_wording`.

    ``flag`` is the command line's spelling when it is not ``--`` plus ``name`` with dashes
    (``table_path`` is ``--out``); quotes around ``value`` are Python's and are dropped there.

    >>> option("device", "'cpu'"), option("tensor", "NAME")
    ("device='cpu'", 'tensor=NAME')
    >>> with command_line_wording():
    ...     option("device", "'cpu'"), option("memory_budget"), option("table_path", flag="--out")
    ('--device cpu', '--memory-budget', '--out')
    """
    if _command_line:
        spelled = flag or "--" + name.replace("_", "-")
        return f"{spelled} {value.strip(chr(39) + chr(34))}".rstrip()
    return f"{name}={value}" if value else name


@contextlib.contextmanager
def command_line_wording() -> Iterator[None]:
    """Inside the block, :func:`option` words options as command-line flags (the ``repcap``
    command runs every sub-command in it)."""
    global _command_line
    before, _command_line = _command_line, True
    try:
        yield
    finally:
        _command_line = before


class RepcapError(Exception):
    """Base class: a user-facing error whose message is complete on its own."""


class ModelNotFoundError(RepcapError, LookupError):
    """A model name, hub id, path or GGUF file that cannot be resolved."""


class OfflineError(RepcapError):
    """The network (or the hub) is needed but cannot be reached, and nothing is cached."""


class EmbeddingError(RepcapError, ValueError):
    """A matrix that cannot be analysed: NaN/Inf rows, wrong shape or dtype, too few rows."""


class ParameterError(RepcapError, ValueError):
    """A notebook parameter or profile value that is unknown or of the wrong type."""


class ToyModelError(RepcapError, ValueError):
    """A toy-model-of-superposition setting that cannot be trained (sizes, sparsities, steps, ...)."""


class DomainError(RepcapError, ValueError):
    """A value outside a formula's domain: ε not in [0, 1], d < 2, k < 2, NaN, mismatched shapes."""


class FitError(RepcapError, ValueError):
    """A law that cannot be fitted: too few points, non-finite data, or a solver that did not converge."""


class DataFileError(RepcapError):
    """A results file that cannot be read as (k, d, ε) points: missing file, columns or values."""


class PackingError(RepcapError, ValueError):
    """A packing or sweep request that cannot run: sizes, trials, steps, objective, memory budget."""


class CheckpointError(RepcapError):
    """A checkpoint or results file that does not belong to the requested run, or cannot be read back."""


class ModelFileError(RepcapError):
    """A model's weight files that cannot be read: no (or an ambiguous) embedding tensor, a
    malformed safetensors or GGUF file, a block type that cannot be decoded, unsafe pickle-only
    weights."""


class AccessError(RepcapError):
    """The hub refused access: a gated or private repository and no (or an invalid) token."""


class DownloadError(RepcapError):
    """A download that started but did not finish (connection dropped, size mismatch)."""


class TokenNotFoundError(RepcapError, LookupError):
    """A word that is not a token of the model's vocabulary (in the requested form), or whose row
    is all zeros; the message lists the token strings that were tried."""


class SimilarityError(RepcapError, ValueError):
    """A similarity computation that cannot run as asked: bins or value range, product dtype,
    memory budget, sample size, bootstrap settings."""


class DeviceError(RepcapError, ValueError):
    """A device that torch cannot use here: an unknown name, ``cuda`` without a CUDA GPU, a CUDA
    index past the last GPU, ``mps`` without Apple's GPU, or a device a computation does not support
    (:func:`repcap.common.devices.resolve_device`)."""


class NotebookFailed(RepcapError):
    """A chapter raised while executing; the message names the notebook and the cell.

    ``input_error`` is True when what the chapter raised is itself a :class:`RepcapError` (a model
    that cannot be found, a parameter value a check refused): bad input, not a broken chapter."""

    def __init__(self, message: str, *, input_error: bool = False):
        super().__init__(message)
        self.input_error = input_error


class RenderFailed(RepcapError):
    """jupyter-book could not render the executed chapters into the site; the message ends with
    its output."""


class StorageError(RepcapError):
    """A cache or results directory that cannot take a write: full disk, read-only, not a
    directory, no permission. The message names the directory and how to choose another
    (``--cache-dir`` or ``$REPCAP_CACHE`` for the cache)."""

    @staticmethod
    def _reasons() -> dict[int, str]:
        """The errno values that mean "this directory cannot take a write", with their wording."""
        reasons = {errno.ENOSPC: "the disk is full", errno.EROFS: "it is on a read-only file system",
                   errno.EACCES: "permission denied", errno.EPERM: "permission denied",
                   errno.ENOTDIR: "a path component is a file, not a directory",
                   errno.EEXIST: "a path component is a file, not a directory",
                   errno.EFBIG: "the file is too large for this file system"}
        if hasattr(errno, "EDQUOT"):
            reasons[errno.EDQUOT] = "the disk quota is exceeded"
        return reasons

    @classmethod
    def from_os_error(cls, what: str, directory, exc: OSError, fix: str) -> "StorageError":
        """``cannot write <what> under <directory>: <reason>; <free space there or> <fix>``."""
        reason = cls._reasons().get(exc.errno, exc.strerror or str(exc))
        full = exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", None))
        return cls(f"cannot write {what} under {directory}: {reason}; "
                   f"{'free space there or ' if full else ''}{fix}")

    @classmethod
    def matches(cls, exc: BaseException) -> bool:
        """True for an OSError that :meth:`from_os_error` words as a storage fault."""
        return isinstance(exc, OSError) and exc.errno in cls._reasons()

