#!/usr/bin/env python3
"""Keep the chapter notebooks clean and in sync with _config.yml.

    python tools/sync_notebooks.py          # rewrite notebooks in place
    python tools/sync_notebooks.py --check  # exit 1 and list what is out of sync (the tests run this)

For every notebooks/*.ipynb: the cell tagged ``setup`` gets the Colab install line built from
``repository.url`` and ``repository.branch`` in _config.yml (the one place the URL lives); a cell
tagged ``check-parameters`` follows the parameters cell (repcap.book.profiles.check_parameters); code cells
lose their outputs and execution counts; the kernelspec becomes ``python3``; papermill metadata left by
a local run is dropped.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}

SETUP_TEMPLATE = '''\
# Setup. On Colab: install repcap from the book's repository. Everywhere: book style + device report.
import importlib.util, subprocess, sys
if "google.colab" in sys.modules and importlib.util.find_spec("repcap") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "repcap[hf] @ git+{url}@{branch}"], check=True)
from repcap.book.notebook import setup
DEVICE = setup()'''


#: The cell after the parameters (and after papermill's injected cell, which papermill puts right
#: below the parameters cell): misspelt or mistyped parameters fail here, before any work.
CHECK_SOURCE = """\
# Reject misspelt or mistyped parameters (e.g. papermill -p modle x) before any work.
from repcap.book.profiles import check_parameters
check_parameters(chapter={stem!r})"""
CHECK_TAG = "check-parameters"


def setup_source(root: Path = ROOT) -> str:
    repo = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))["repository"]
    return SETUP_TEMPLATE.format(url=repo["url"].rstrip("/"), branch=repo.get("branch", "main"))


def _with_check_cell(nb: dict, stem: str) -> None:
    """Put the check-parameters cell right after the parameters cell, with the current source."""
    tags = [c.get("metadata", {}).get("tags", []) for c in nb["cells"]]
    params = [i for i, t in enumerate(tags) if "parameters" in t]
    nb["cells"] = [c for c, t in zip(nb["cells"], tags) if CHECK_TAG not in t or not params]
    if not params:
        return
    at = [i for i, c in enumerate(nb["cells"])
          if "parameters" in c.get("metadata", {}).get("tags", [])][0] + 1
    nb["cells"].insert(at, {"cell_type": "code", "id": f"check-{stem[:2]}",
                            "metadata": {"tags": [CHECK_TAG]}, "execution_count": None,
                            "outputs": [], "source": CHECK_SOURCE.format(stem=stem)})


def clean(nb: dict, setup: str, stem: str = "") -> dict:
    nb = json.loads(json.dumps(nb))  # deep copy
    if stem:
        _with_check_cell(nb, stem)
    nb.setdefault("metadata", {})["kernelspec"] = dict(KERNELSPEC)
    nb["metadata"].setdefault("language_info", {"name": "python"})
    for key in ("papermill", "widgets", "toc-autonumbering"):
        nb["metadata"].pop(key, None)
    nb["nbformat"], nb["nbformat_minor"] = 4, max(5, nb.get("nbformat_minor", 5))
    seen = set()
    for index, cell in enumerate(nb["cells"]):
        if not cell.get("id") or cell["id"] in seen:  # nbformat 4.5 requires unique cell ids
            text = "".join(cell.get("source", ""))
            cell["id"] = hashlib.sha1(f"{index}:{text}".encode()).hexdigest()[:12]
        seen.add(cell["id"])
        if isinstance(cell.get("source"), str):  # nbformat's on-disk form: a list of lines
            cell["source"] = cell["source"].splitlines(keepends=True)
        cell.get("metadata", {}).pop("papermill", None)
        cell.get("metadata", {}).pop("execution", None)
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
            if "setup" in cell.get("metadata", {}).get("tags", []):
                cell["source"] = setup.splitlines(keepends=True)
    return nb


def dumps(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def out_of_sync(root: Path = ROOT) -> list[str]:
    setup = setup_source(root)
    bad = []
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        if not any("setup" in c.get("metadata", {}).get("tags", []) for c in nb["cells"]):
            bad.append(f"{path.name}: no cell tagged 'setup'")
        elif dumps(clean(nb, setup, path.stem)) != path.read_text(encoding="utf-8"):
            bad.append(f"{path.name}: outputs, kernelspec, setup or check-parameters cell differ "
                       "from the clean form")
    return bad


def main(argv: list[str]) -> int:
    if "--check" in argv:
        bad = out_of_sync()
        for line in bad:
            print(line)
        if bad:
            print("run: python tools/sync_notebooks.py", file=sys.stderr)
        return 1 if bad else 0
    setup = setup_source()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        new = dumps(clean(json.loads(text), setup, path.stem))
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"synced {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
