"""The ``repcap`` command: a thin shell over the package's modules.
May import any layer; nothing in the package imports it.

Each sub-command lives in its own module of this package and exposes two things:

``register(subparsers)``
    adds its parser (``subparsers.add_parser(name, ...)``) and sets ``func=run`` on it;
``run(args) -> dict``
    does the work through the library API and returns plain, JSON-serialisable data.

``run`` returns :class:`SomeFailed` instead when part of the work failed (a survey's models): the
result is printed all the same, each failure is one error line on stderr, and the exit status is 1
(2 when nothing succeeded).

``main`` prints that dict as one strict JSON object with ``--json`` (NaN and ±inf as null,
:mod:`repcap.common.jsonsafe`; an infinite capacity also has its finite log10 in the record), or as
readable ``key: value`` lines otherwise. A :class:`repcap.errors.RepcapError` (bad input) or an ``OSError`` (full disk, no
permission) is printed to stderr as one line and exits with status 2; warnings are printed as one
``repcap CMD: warning: ...`` line; Ctrl-C exits 130 and SIGTERM 143, both after the same cleanup.
``--debug`` shows tracebacks and raw warnings.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import warnings
from dataclasses import dataclass

from repcap.common.jsonsafe import dumps
from repcap.errors import RepcapError, command_line_wording

# Module names (inside repcap.cli) that define sub-commands, in the order --help lists them.
COMMAND_MODULES = ("info", "epsilon", "laws", "packing", "construct", "frontier", "survey", "activations",
                   "features")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="repcap",
        description="Measure how many near-orthogonal directions a model's latent space holds.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"repcap.cli.{name}")
        except ModuleNotFoundError as exc:  # a command module not written yet
            if exc.name == f"repcap.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def add_source_flags(parser: argparse.ArgumentParser) -> None:
    """``--tensor``, ``--revision`` and ``--cache-dir``: how a command that loads an embedding finds it."""
    parser.add_argument("--tensor", help="name of the embedding tensor, when the checkpoint is "
                                         "ambiguous")
    parser.add_argument("--revision", help="hub branch, tag or commit (hub ids only)")
    parser.add_argument("--cache-dir", help="cache root (default $REPCAP_CACHE or ~/.cache/repcap)")


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """The ``--json`` flag every sub-command shares."""
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    # SUPPRESS so that the sub-command's default does not overwrite ``repcap --debug CMD``.
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks on errors")


def _print_human(result: dict) -> None:
    width = max((len(k) for k in result), default=0)
    for key, value in result.items():
        if isinstance(value, float):
            value = f"{value:.6g}"
        elif isinstance(value, (list, dict)):
            value = dumps(value)
        print(f"{key:<{width}}  {value}")


@dataclass
class SomeFailed:
    """A sub-command's answer when some of its items failed: ``result`` to print as usual,
    ``errors`` (one stderr line each), ``summary`` (the last stderr line, e.g. "2 of 5 models
    failed") and ``status`` (1; 2 when nothing succeeded)."""

    result: dict
    errors: list[str]
    summary: str
    status: int = 1


class Terminated(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM, so that the cleanup written for Ctrl-C (temporary files
    removed, partial results discarded) runs for a terminated run too."""


def _raise_terminated(signum, frame):  # noqa: ARG001 (signal handler signature)
    raise Terminated()


def _one_line_warnings(command: str):
    """A ``warnings.showwarning`` that prints ``repcap CMD: warning: message`` and nothing else."""
    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
        print(f"repcap {command}: warning: {str(message).splitlines()[0]}", file=sys.stderr)
    return show


def _describe_os_error(exc: OSError) -> str:
    where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
    return f"{exc.strerror or exc}{where}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    previous_term = None
    try:  # only the main thread may install handlers (tests call main() from others)
        previous_term = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:
        pass
    previous_show = warnings.showwarning
    if not args.debug:
        warnings.showwarning = _one_line_warnings(args.command)
    try:
        with command_line_wording():  # hints name flags (--tensor NAME), not arguments (tensor=NAME)
            result = args.func(args)
    except RepcapError as exc:
        if args.debug:
            raise
        print(f"repcap {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except Terminated:
        print(f"repcap {args.command}: terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print(f"repcap {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # the disk, the permissions, a path that is a file: one line, no traceback
        if args.debug:
            raise
        print(f"repcap {args.command}: error: {_describe_os_error(exc)}", file=sys.stderr)
        return 2
    finally:
        warnings.showwarning = previous_show
        if previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)
    failed = result if isinstance(result, SomeFailed) else None
    if failed is not None:
        result = failed.result
    try:
        if getattr(args, "json", False):
            print(dumps(result))
        else:
            _print_human(result)
        sys.stdout.flush()
    except BrokenPipeError:  # `repcap ... | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if failed is None:
        return 0
    for message in [*failed.errors, failed.summary]:
        print(f"repcap {args.command}: error: {message}", file=sys.stderr)
    return failed.status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
