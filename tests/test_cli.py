"""The `repcap` command shell: every sub-command is registered; errors exit 2 without a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from repcap.cli import build_parser, main

COMMANDS = {"info", "epsilon", "fit", "capacity", "pack", "random-baseline"}


def test_every_documented_command_is_registered():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert COMMANDS <= set(sub.choices)


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err


def test_bad_input_is_one_line_on_stderr_with_exit_2():
    proc = subprocess.run([sys.executable, "-m", "repcap.cli", "capacity", "--d", "64", "--eps", "-0.5"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("repcap capacity: error:") and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_debug_shows_the_traceback():
    proc = subprocess.run([sys.executable, "-m", "repcap.cli", "--debug", "capacity", "--d", "64",
                           "--eps", "-0.5"], capture_output=True, text=True)
    assert proc.returncode != 0 and "Traceback" in proc.stderr
