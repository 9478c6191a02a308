"""Notebooks in git: no outputs, kernel python3, one parameters cell, setup cell in sync."""

from __future__ import annotations

import importlib.util
import json

import pytest

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _sync_tool():
    spec = importlib.util.spec_from_file_location("sync_notebooks", ROOT / "tools" / "sync_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_there_are_chapters():
    assert NOTEBOOKS, "no notebooks found"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean(nb):
    data = json.loads(nb.read_text(encoding="utf-8"))
    assert data["metadata"]["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(data["cells"]):
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{nb.name} cell {i} is stored with outputs"
            assert cell.get("execution_count") is None, f"{nb.name} cell {i} has an execution count"
    tagged = [c for c in data["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{nb.name} needs exactly one cell tagged 'parameters'"


#: Longest code line a chapter may hold: the rendered code cell shows about 90 characters.
MAX_CODE_LINE = 88


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_code_lines_fit_the_page(nb):
    """Code cells never scroll sideways on the rendered page (the setup cell is hidden there)."""
    data = json.loads(nb.read_text(encoding="utf-8"))
    long = [(i, line) for i, cell in enumerate(data["cells"])
            if cell["cell_type"] == "code" and "setup" not in cell.get("metadata", {}).get("tags", [])
            for line in "".join(cell["source"]).split("\n") if len(line) > MAX_CODE_LINE]
    assert not long, f"{nb.name}: {len(long)} code line(s) over {MAX_CODE_LINE} characters, " \
                     f"first in cell {long[0][0]}: {long[0][1][:60]}…"


def test_notebooks_match_the_sync_tool():
    """The Colab install line comes from _config.yml; outputs and kernels are normalised."""
    bad = _sync_tool().out_of_sync(ROOT)
    assert not bad, "\n".join(bad) + "\nrun: python tools/sync_notebooks.py"


def test_setup_cell_uses_the_configured_repository():
    import yaml

    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    setup = _sync_tool().setup_source(ROOT)
    assert f"git+{url}@" in setup
    assert 'if "google.colab" in sys.modules' in setup  # only on Colab


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_papermill_reads_the_same_parameters_as_repcap(nb):
    """papermill's own parser must see every declared parameter (a comment it cannot parse makes it
    drop the line and later warn 'Passed unknown parameter')."""
    from papermill.translators import PythonTranslator

    from repcap.book.profiles import declared_parameters, parameters_cell

    seen = {p.name for p in PythonTranslator.inspect({"source": parameters_cell(nb)})}
    assert seen == set(declared_parameters(nb))


#: Chapters hold narrative, parameters and calls; the logic and the wording of results live in the
#: package (findings objects). Every line of every code cell counts, the setup cell included.
MAX_BOOK_CODE_LINES = 2000
MAX_CELL_LINES = 40


def test_chapters_are_thin():
    cells = [(nb.name, i, len("".join(c["source"]).splitlines()))
             for nb in NOTEBOOKS
             for i, c in enumerate(json.loads(nb.read_text(encoding="utf-8"))["cells"])
             if c["cell_type"] == "code"]
    total = sum(n for _, _, n in cells)
    assert total <= MAX_BOOK_CODE_LINES, f"{total} code lines over all chapters"
    long = [(name, i, n) for name, i, n in cells if n > MAX_CELL_LINES]
    assert not long, f"code cells over {MAX_CELL_LINES} lines: {long}"
