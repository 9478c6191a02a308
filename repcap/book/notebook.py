"""Small helpers every chapter notebook calls: device report, provenance line, results file.

Nothing here computes a result; it keeps the chapters' boilerplate to one line each.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

from repcap import __version__
from repcap.common.devices import resolve_device
from repcap.common.files import atomic_write_text
from repcap.common.jsonsafe import dumps
from repcap.book.tables import show_table
from repcap.studies.findings import Findings, Table


def device() -> str:
    """``"cuda"`` when a CUDA GPU is usable, else ``"cpu"``: the default of
    :func:`repcap.common.devices.resolve_device` (``"cpu"`` too where torch is not installed)."""
    try:
        return resolve_device().type
    except ImportError:
        return "cpu"


def describe_device() -> str:
    """One line naming the device the chapter runs on, e.g. ``GPU: NVIDIA A100 (80 GB)``."""
    if device() == "cuda":
        import torch

        props = torch.cuda.get_device_properties(0)
        return f"GPU: {props.name} ({props.total_memory / 2**30:.0f} GB)"
    return f"CPU: {os.cpu_count()} cores ({platform.machine()})"


def setup() -> str:
    """Apply the book's plot style, print the device, and return ``"cuda"`` or ``"cpu"``."""
    import warnings

    from repcap.book.plots import use_style

    # tqdm.auto wants ipywidgets inside a kernel and warns without them; the book renders static
    # pages, where a text progress bar is what we want anyway.
    warnings.filterwarnings("ignore", message="IProgress not found")
    use_style()
    print(f"repcap {__version__} · {describe_device()}")
    return device()


def provenance(profile: str, data: str) -> None:
    """Display the line that says which profile and which data produced this page."""
    _display_markdown(f"**Produced with** profile `{profile}` · data: {data} · "
                      f"{describe_device()} · repcap {__version__}")


def show(*items: Any) -> None:
    """Display findings (:class:`repcap.studies.findings.Findings`: their tables, then their
    conclusion) or single parts (a :class:`~repcap.studies.findings.Table`, Markdown text), in order.

    Tables go through :func:`repcap.book.tables.show_table` (HTML for the page and Jupyter,
    Markdown for plain Python); text is displayed as rendered Markdown, never as a quoted string.
    """
    for item in items:
        for part in item.parts() if isinstance(item, Findings) else [item]:
            if isinstance(part, Table):
                show_table(part.rows, part.columns, title=part.title)
            elif part:
                _display_markdown(str(part))


def _display_markdown(text: str) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display

        if get_ipython() is None:
            raise ImportError
        display(Markdown(text))
    except ImportError:  # plain Python
        print(text)


OUTPUT_ENV = "REPCAP_OUTPUT"


def output_root() -> Path:
    """Where chapters keep files that other chapters or rebuilds read (tables, sweep results).

    In order: ``$REPCAP_OUTPUT`` (the book build sets it to its ``_build`` folder, so test builds
    stay in their own temporary folder); the ``_build`` folder of the repository checkout that
    contains the working directory (a notebook opened from ``notebooks/``); else
    ``./repcap-output`` (e.g. ``/content/repcap-output`` on Colab). The result never depends on
    which folder the notebook was started from inside the checkout.
    """
    env = os.environ.get(OUTPUT_ENV)
    if env:
        return Path(env)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").is_file() and (folder / "repcap").is_dir():
            return folder / "_build"
    return here / "repcap-output"


def output_path(*parts: str, profile: str = "default") -> Path:
    """``output_root()/parts`` for the default profile, ``output_root()/profile/parts`` otherwise,
    so a smoke run never overwrites the files of the book's default build."""
    root = output_root()
    return root.joinpath(*parts) if profile == "default" else root.joinpath(profile, *parts)


def write_results(path: str | os.PathLike | None, results: dict[str, Any]) -> None:
    """Write ``results`` as strict JSON (:func:`repcap.common.jsonsafe.dumps`: NaN and ±inf as
    null) to ``path`` atomically (nothing when ``path`` is empty).

    The test suite passes ``results_path`` to every notebook and asserts on this file.
    """
    if not path:
        return
    atomic_write_text(path, dumps(results, indent=2))
