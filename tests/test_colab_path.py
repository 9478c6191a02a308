"""The Colab path, tested without Colab: a clean virtual environment gets exactly what a chapter's
setup cell installs on Colab, from this checkout, and runs chapter 2 with papermill.

What the chapters' setup cell installs on Colab is ``repcap[hf] @ git+<repository.url>@<branch>``
(``tools/sync_notebooks.py`` writes it from ``_config.yml``). Here the same requirement points at
this checkout's committed HEAD (``git+file://<checkout>@<sha>``), so the test guards what Colab
meets: the package metadata and extras, the package data a git install carries (only committed
files), and a Python other than the development one where the machine has one. papermill and
ipykernel come on top, as the issue's recipe says (Colab has a kernel; papermill stands in for the
reader pressing "run all"). Versions follow ``requirements/ci.txt`` (``--constraint``), so torch is
the CPU build CI uses. The model is a tiny Llama checkpoint saved in the hub's folder layout
(config.json, model.safetensors, tokenizer.json), read through the same loader as a hub download.

The interpreter: ``$REPCAP_COLAB_PYTHON`` if set (e.g. a python3.12 or 3.13, as Colab runs), else
the one this test suite's virtual environment was made from. Not a newer Python by default, because
the pinned CPU torch exists here only for the development Python: the project's machines reach PyPI,
whose Linux torch wheels for other Pythons are the CUDA builds (with the nvidia-* wheels, gigabytes),
not the CPU build CI uses. Where a CPU wheel for a newer Python can be installed (a pip configured
with PyTorch's CPU index), set the variable.
Uncommitted changes are not installed (a git requirement installs a commit): commit first.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import ROOT

pytestmark = pytest.mark.slow

CHAPTER = ROOT / "notebooks" / "02_embedding_similarity.ipynb"


def _interpreter() -> str:
    """The Python the clean environment is made with (see the module docstring)."""
    chosen = os.environ.get("REPCAP_COLAB_PYTHON")
    if chosen:
        return shutil.which(chosen) or chosen
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


def _colab_requirement() -> str:
    """The requirement the chapter's setup cell pip-installs on Colab, pointed at this checkout.

    The cell's URL must be _config.yml's repository.url: one setting for the launch buttons and
    the install cell."""
    cells = json.loads(CHAPTER.read_text(encoding="utf-8"))["cells"]
    setup = "".join(next(c for c in cells if "setup" in c["metadata"].get("tags", []))["source"])
    found = re.search(r'"(repcap\[[\w,]+\]) @ git\+([^"@]+)@([^"]+)"', setup)
    assert found, "the setup cell has no 'repcap[...] @ git+URL@BRANCH' requirement"
    repo = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]
    assert (found.group(2), found.group(3)) == (repo["url"].rstrip("/"), repo.get("branch", "main"))
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                         text=True, check=True).stdout.strip()
    return f"{found.group(1)} @ git+file://{ROOT}@{sha}"


def _clean_env(tmp: Path) -> dict[str, str]:
    """The environment of the clean install and run: nothing of this checkout's venv leaks in."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "JUPYTER_PATH")}
    env["JUPYTER_DATA_DIR"] = str(tmp / "jupyter")  # no user kernelspec named python3 can win
    env["REPCAP_CACHE"] = str(tmp / "repcap-cache")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(cmd: list[str], env: dict[str, str], cwd: Path, what: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True)
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
    assert proc.returncode == 0, f"{what} failed (exit {proc.returncode}):\n{tail}"
    return time.perf_counter() - start


@pytest.fixture
def venv_dir(tmp_path):
    """Where the clean environment goes; removed afterwards (it takes about 1.7 GB)."""
    yield tmp_path / "venv"
    shutil.rmtree(tmp_path / "venv", ignore_errors=True)


def test_chapter_2_runs_from_a_clean_install_of_the_colab_requirement(tmp_path, venv_dir):
    from hubfixtures import build_model

    env = _clean_env(tmp_path)
    python = _interpreter()
    times = {}
    # A venv without pip of its own; this suite's pip installs into it (pip --python): the same
    # packages as the cell's `python -m pip install`, without seconds of ensurepip.
    times["venv"] = _run([python, "-m", "venv", "--without-pip", venv_dir], env, tmp_path,
                         "making the virtual environment")
    venv_python = venv_dir / "bin" / "python"
    version = subprocess.run([venv_python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    times["install"] = _run(
        [sys.executable, "-m", "pip", "--python", venv_python, "install", "-q", "--no-compile",
         "--constraint", ROOT / "requirements" / "ci.txt", _colab_requirement(), "papermill",
         "ipykernel"], env, tmp_path, "pip install of the Colab requirement")

    content = tmp_path / "content"  # Colab's working directory: no checkout in sight
    content.mkdir()
    where = subprocess.run([venv_python, "-c", "import repcap, torch; print(repcap.__file__);"
                            "print(torch.__version__)"], env=env, cwd=content,
                           capture_output=True, text=True, check=True).stdout.split()
    assert Path(where[0]).is_relative_to(venv_dir), f"repcap imported from {where[0]}"
    assert where[1].endswith("+cpu"), f"torch {where[1]}: not the CPU build CI uses"
    kernels = json.loads(subprocess.run([venv_dir / "bin" / "jupyter-kernelspec", "list",
                                         "--json"], env=env, capture_output=True, text=True,
                                        check=True).stdout)["kernelspecs"]
    assert Path(kernels["python3"]["resource_dir"]).is_relative_to(venv_dir)

    model = tmp_path / "tiny-llama"  # a checkpoint in the hub's layout, as a download leaves it
    model.mkdir()
    build_model("llama", model, shard=None, dtype="float32")
    results = tmp_path / "results.json"
    params = {"model": str(model), "analogy_models": [str(model)], "pairs_sample": 0,
              "bootstrap": 20, "sample_tokens": 300, "profile": "smoke", "results_path": str(results)}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    times["chapter 2"] = _run(
        [venv_dir / "bin" / "papermill", CHAPTER, tmp_path / "out.ipynb", "-k", "python3",
         "--cwd", content, "-f", tmp_path / "params.yaml", "--no-progress-bar"],
        env, tmp_path, "papermill on chapter 2")

    # The chapter's ε against the mean and population standard deviation of every pairwise
    # cosine of the saved embedding, computed here by brute force.
    from safetensors.numpy import load_file

    E = load_file(str(model / "model.safetensors"))["model.embed_tokens.weight"].astype(np.float64)
    U = E / np.linalg.norm(E, axis=1, keepdims=True)
    cos = (U @ U.T)[np.triu_indices(len(U), k=1)]
    got = json.loads(results.read_text(encoding="utf-8"))
    assert (got["vocab_size"], got["d_model"], got["pairs"]) == (*E.shape, cos.size)
    assert got["eps"] == pytest.approx(cos.mean() + 2 * cos.std(), rel=1e-6)
    print(f"\n[colab path] Python {version} ({python}); seconds: "
          + ", ".join(f"{k} {v:.1f}" for k, v in times.items()) + f"; chapter 2 ε = {got['eps']:.5f}")
