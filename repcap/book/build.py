"""Build the book: execute every chapter with papermill, then render the site with Jupyter Book 1.

``python -m repcap.book.build [--profile default] [--force]``

``python -m repcap.book.build --notebook 02 -p model=gpt2 [--profile smoke]`` executes one chapter
(and any chapter it reads) with parameters; every -p is checked against the chapter's declared
names and types before anything executes.

1. **Execute.** Each notebook listed in ``_toc.yml`` is run by papermill with the parameters of the
   chosen profile (``repcap/book/profiles.yaml``; validated first, so a misspelt or wrongly typed parameter
   is an error). papermill records the injected parameters in the executed copy. Executed copies go
   to ``_build/executed/``; a notebook is re-executed only when its *cache key* changes:

       key = sha256(notebook source ‖ injected parameters ‖ every file of the repcap package)

   so editing prose in ``book/`` rebuilds in seconds, while any change to the package re-executes
   every chapter (jupyter-cache's own key misses that; tooling pitfall 2). A chapter that reads
   another's outputs names it in its metadata (``"repcap": {"reads": ["03_two_classes"]}``); its key
   then includes that chapter's key. Chapters execute one at a time, in reading order.
2. **Render.** The executed notebooks and the narrative pages are staged in ``_build/site`` (files
   are copied only when their bytes change, so Sphinx re-reads only what changed) with a copy of
   ``_config.yml`` whose execution is turned off, and ``jupyter-book build -W -n --keep-going``
   writes ``_build/html``. Staged notebooks carry presentation tags (``repcap.book.presentation``:
   parameter and plumbing cells hidden, wide figures full-width); ``book/verdict.md`` is written from
   the chapters' results (``_build/results/*.json``, ``repcap.book.verdict``). Beside the pages
   the site gets the files they link to: each table's CSV (``csv/<chapter>/<NN>-<slug>.csv``, carried
   in the executed notebook, so a reused execution keeps them), each chapter's results JSON
   (``results/<chapter>.json``, linked from the verdict page) and the capacity explorer's constants
   (``explorer/capacity_constants.js``, ``repcap.book.explorer``).

Any error fails the build in one line that names the notebook, the cell and what it raised (exit
status 2 when that is bad input, a :class:`repcap.errors.RepcapError`; 1 for a chapter that broke).
The failed, partially executed copy is kept in ``_build/executed/failed/`` for inspection. Ctrl-C
stops the build in one line (status 130) and leaves no partial notebook; the chapters that finished
are reused by the next build.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from repcap.book.explorer import CONSTANTS_PATH, constants_script
from repcap.book.notebook import OUTPUT_ENV
from repcap.book.presentation import presentable
from repcap.book.profiles import PROFILES, parameters_for
from repcap.book.tables import CHAPTER_ENV, csv_outputs
from repcap.book.verdict import write_page
from repcap.common.files import atomic_path, atomic_write_text, write_if_changed
from repcap.common.storage import storage_errors
from repcap.errors import NotebookFailed, RenderFailed, RepcapError

ROOT = Path(__file__).resolve().parents[2]
#: The page under book/ that the build writes from the chapters' results (repcap.book.verdict).
VERDICT_PAGE = "verdict.md"
KEY_VERSION = "1"  # bump to invalidate every cached execution
#: Arguments of every chapter's kernel: its own log (a warning that it talks over TCP, the traceback
#: it logs when the build is interrupted) would bury the one line that says what failed.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]


@dataclass
class Execution:
    notebook: str
    executed: bool  # False when the cached copy was reused
    seconds: float
    key: str


@dataclass
class BuildReport:
    profile: str
    executions: list[Execution] = field(default_factory=list)
    render_seconds: float | None = None
    html_dir: Path | None = None


def toc_notebooks(root: Path = ROOT) -> list[Path]:
    """Notebook files named in ``_toc.yml``, in reading order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    found: list[Path] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "file" in node:
                path = root / f"{node['file']}.ipynb"
                if path.exists():
                    found.append(path)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(toc)
    return found


def reads(notebook: Path) -> list[str]:
    """Chapters whose outputs ``notebook`` reads, from its metadata ``repcap.reads`` (file stems)."""
    meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    return list(meta.get("repcap", {}).get("reads", []))


def package_digest(root: Path = ROOT) -> str:
    """sha256 over the repcap package's source and data files (paths and bytes), except this module."""
    h = hashlib.sha256()
    for path in sorted((root / "repcap").rglob("*")):
        # The build tool itself does not change what a chapter computes (KEY_VERSION covers that).
        if path == root / "repcap" / "book" / "build.py":
            continue
        if path.is_file() and path.suffix in {".py", ".yaml", ".yml", ".csv", ".json", ".txt"}:
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def cache_key(notebook: Path, params: dict[str, Any], digest: str) -> str:
    h = hashlib.sha256(KEY_VERSION.encode())
    h.update(notebook.read_bytes())
    h.update(json.dumps(params, sort_keys=True).encode())
    h.update(digest.encode())
    return h.hexdigest()


def _kernel_env() -> None:
    # The venv's kernelspec says "python"; make sure that is this interpreter's environment even
    # when the caller did not activate the venv.
    bindir = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(bindir):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")


def execute_notebook(notebook: Path, out: Path, params: dict[str, Any], *, timeout: int = 1800,
                     log_output: bool = False) -> float:
    """Run one notebook with papermill into ``out``; raise :class:`NotebookFailed` naming the cell."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    _kernel_env()
    start = time.perf_counter()
    # Only a complete execution replaces the cached copy: papermill writes a temporary file. The
    # kernel inherits CHAPTER_ENV: its tables then carry their CSV (repcap.book.tables).
    with _environ(CHAPTER_ENV, notebook.stem), atomic_path(out, suffix=".ipynb") as partial:
        try:
            pm.execute_notebook(
                str(notebook), str(partial), parameters=params, cwd=str(notebook.parent),
                kernel_name="python3", execution_timeout=timeout, start_timeout=120,
                progress_bar=False, log_output=log_output, report_mode=False,
                extra_arguments=KERNEL_ARGUMENTS,
            )
        except PapermillExecutionError as exc:
            failed = out.parent / "failed" / notebook.name
            failed.parent.mkdir(parents=True, exist_ok=True)
            if partial.exists():  # kept for inspection: moved aside, not published
                os.replace(partial, failed)
            bad_input = exc.ename in _input_error_names()
            # Bad input is told in full by its message; a broken chapter needs the traceback.
            where = "" if bad_input else f" (traceback in the executed copy {failed})"
            raise NotebookFailed(
                f"{notebook.relative_to(notebook.parent.parent)} failed in cell {exc.cell_index} "
                f"(In [{exc.exec_count}]): {exc.ename}: {_first_line(exc.evalue)}{where}",
                input_error=bad_input) from None
        except Exception as exc:  # kernel death, timeout: still name the notebook
            raise NotebookFailed(f"{notebook.name}: {type(exc).__name__}: {_first_line(exc)}") from exc
    return time.perf_counter() - start


@contextlib.contextmanager
def _environ(name: str, value: str):
    """Set the environment variable ``name`` for the duration of the block, then restore it."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _first_line(text: Any) -> str:
    lines = str(text).strip().splitlines()
    return lines[0] if lines else ""


def _input_error_names() -> set[str]:
    """Names of the RepcapError classes: what a chapter raises for bad input (a kernel reports
    only the name of the exception)."""
    names, pending = set(), [RepcapError]
    while pending:
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return names


def execute_all(profile: str, *, root: Path = ROOT, build_dir: Path | None = None,
                force: bool = False, results_dir: Path | None = None,
                notebooks: list[Path] | None = None,
                table: dict | None = None,
                overrides: dict[str, Any] | None = None,
                override_stems: set[str] | None = None) -> list[Execution]:
    """Execute (or reuse) every chapter for ``profile``; return what happened to each.

    ``notebooks`` restricts the run to those chapters; ``overrides`` (``{name: value}``, from
    ``-p``) apply to the chapters whose stem is in ``override_stems`` (all when None) and are
    validated against each of them before anything executes.
    """
    build_dir = build_dir or root / "_build"
    executed_dir = build_dir / "executed" / "notebooks"
    # Chapters keep shared outputs (tables, sweeps) under the build folder: see notebook.output_root.
    os.environ[OUTPUT_ENV] = str(Path(build_dir).resolve())
    digest = package_digest(root)
    # Every build collects the chapters' key numbers: the verdict page is made from them.
    fix = ("choose another --results-dir" if results_dir is not None else
           "choose a writable --build-dir (a folder named _build)")
    results_dir = Path(results_dir) if results_dir is not None else Path(build_dir) / "results"
    with storage_errors("the chapters' results", results_dir, fix):
        results_dir.mkdir(parents=True, exist_ok=True)
    plan, keys = [], {}
    for nb in notebooks or toc_notebooks(root):
        chosen = override_stems is None or nb.stem in override_stems
        extra = dict(overrides or {}) if chosen else {}
        extra["results_path"] = str(results_dir.resolve() / f"{nb.stem}.json")
        # Validation raises ParameterError here, before any notebook runs.
        params = parameters_for(nb, profile, overrides=extra, table=table)
        key = cache_key(nb, params, digest)
        # A chapter that reads another chapter's outputs (a table, a sweep) is re-executed whenever
        # that chapter is: its key includes theirs. Chapters run in reading order, readers last.
        for upstream in reads(nb):
            if upstream not in keys:
                raise RepcapError(f"{nb.name} reads the outputs of {upstream!r}, which is not executed "
                                  f"before it (it must come earlier in _toc.yml)")
            key = hashlib.sha256((key + keys[upstream]).encode()).hexdigest()
        keys[nb.stem] = key
        plan.append((nb, params, key))
    with storage_errors("the executed chapters", executed_dir,
                        "choose a writable --build-dir (a folder named _build)"):
        executed_dir.mkdir(parents=True, exist_ok=True)

    def run(item: tuple[Path, dict, str]) -> Execution:
        nb, params, key = item
        out = executed_dir / nb.name
        keyfile = out.with_suffix(".key")
        if not force and out.exists() and keyfile.exists() and keyfile.read_text() == key:
            print(f"[book] {nb.name}: unchanged, reusing the executed copy", flush=True)
            return Execution(nb.name, False, 0.0, key)
        print(f"[book] {nb.name}: executing with profile '{profile}'", flush=True)
        seconds = execute_notebook(nb, out, params)
        atomic_write_text(keyfile, key)
        print(f"[book] {nb.name}: done in {seconds:.1f} s", flush=True)
        return Execution(nb.name, True, seconds, key)

    return [run(item) for item in plan]


def _stage_notebook(src: Path, dst: Path) -> None:
    """Write the executed notebook with its presentation tags (repcap.book.presentation)."""
    text = json.dumps(presentable(json.loads(src.read_text(encoding="utf-8"))), indent=1,
                      ensure_ascii=False)
    write_if_changed(dst, text)


def _files_under(folder: Path) -> list[Path]:
    """Every file under ``folder``, through symbolic links to folders too (``Path.rglob`` does not
    follow them before Python 3.13, and a checkout may link ``_static/mathjax`` to a shared copy)."""
    files, seen = [], set()
    for top, dirs, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(top)
        if real in seen:  # a link back to a folder above: walk it once
            dirs[:] = []
            continue
        seen.add(real)
        files += [Path(top) / name for name in names if os.path.isfile(os.path.join(top, name))]
    return files


def stage_site(*, root: Path = ROOT, build_dir: Path | None = None,
               results_dir: Path | None = None) -> Path:
    """Lay out the sources Jupyter Book renders: pages, executed notebooks, static files, config.

    Besides the sources it writes the files the pages link to, which Sphinx copies into the site as
    they are (``html_extra_path``, folder :data:`EXTRA`): every table's CSV, taken from the executed
    notebook (``csv/<chapter>/<NN>-<slug>.csv``, :func:`repcap.book.tables.csv_outputs`), and each
    chapter's results JSON (``results/<chapter>.json``); and the capacity explorer's constants,
    computed by the package (``explorer/capacity_constants.js``, :mod:`repcap.book.explorer`).
    """
    build_dir = build_dir or root / "_build"
    results_dir = Path(results_dir or build_dir / "results")
    site = build_dir / "site"
    wanted: dict[Path, Path] = {}
    for folder in ("book", "_static"):
        for path in _files_under(root / folder):
            wanted[site / path.relative_to(root)] = path
    for nb in toc_notebooks(root):
        executed = build_dir / "executed" / "notebooks" / nb.name
        if not executed.exists():
            raise RepcapError(f"{nb.name} has not been executed; run the execute step first")
        wanted[site / "notebooks" / nb.name] = executed
    wanted[site / "_toc.yml"] = root / "_toc.yml"
    verdict_page = site / "book" / VERDICT_PAGE
    for dst, src in wanted.items():
        if dst == verdict_page:
            continue  # generated below from the chapters' results, not copied
        if dst.suffix == ".ipynb":
            _stage_notebook(src, dst)
        else:
            write_if_changed(dst, src.read_bytes())
    if verdict_page in wanted:
        write_page(results_dir, verdict_page)
    generated = _linked_files(site, root, build_dir, results_dir)
    for dst, content in generated.items():
        write_if_changed(dst, content)
    for path in list(site.rglob("*")):  # drop pages that no longer exist
        if (path.is_file() and path not in wanted and path not in generated
                and path.name != "_config.yml"):
            path.unlink()
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    config.setdefault("execute", {})["execute_notebooks"] = "off"  # executed by papermill above
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["html_extra_path"] = list(sphinx.get("html_extra_path", [])) + [EXTRA]
    write_if_changed(site / "_config.yml", yaml.safe_dump(config, sort_keys=False))
    return site


#: Folder of the staged site whose files Sphinx copies to the root of the HTML site unchanged.
EXTRA = "_extra"


def _linked_files(site: Path, root: Path, build_dir: Path, results_dir: Path) -> dict[Path, str]:
    """``{staged path: text}`` of the files the pages link to or load (see :func:`stage_site`)."""
    out: dict[Path, str] = {site / EXTRA / CONSTANTS_PATH: constants_script()}
    for nb in toc_notebooks(root):
        executed = json.loads((build_dir / "executed" / "notebooks" / nb.name)
                              .read_text(encoding="utf-8"))
        for name, text in csv_outputs(executed):
            out[site / EXTRA / "csv" / nb.stem / name] = text
    for path in sorted(results_dir.glob("*.json")):  # the files the verdict page links to
        out[site / EXTRA / "results" / path.name] = path.read_text(encoding="utf-8")
    return out


def render(*, root: Path = ROOT, build_dir: Path | None = None,
           results_dir: Path | None = None) -> Path:
    """Render the staged site with ``jupyter-book build -W -n --keep-going`` into ``build_dir/html``."""
    build_dir = _check_build_dir(build_dir or root / "_build")
    site = stage_site(root=root, build_dir=build_dir, results_dir=results_dir)
    jb = Path(sys.executable).parent / "jupyter-book"
    # Jupyter Book writes to <path-output>/_build/html, hence the parent of build_dir.
    cmd = [str(jb if jb.exists() else "jupyter-book"), "build", str(site),
           "--path-output", str(build_dir.parent), "-W", "-n", "--keep-going"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        raise RenderFailed(f"jupyter-book build failed (exit {proc.returncode}):\n{tail}")
    return build_dir / "html"


def _with_upstream(notebooks: list[Path], root: Path) -> list[Path]:
    """``notebooks`` plus every chapter they read (transitively), in reading order."""
    toc = toc_notebooks(root)
    by_stem = {nb.stem: nb for nb in toc}
    wanted = {nb.stem for nb in notebooks}
    pending = list(wanted)
    while pending:
        stem = pending.pop()
        for upstream in reads(by_stem[stem]) if stem in by_stem else []:
            if upstream not in wanted:
                wanted.add(upstream)
                pending.append(upstream)
    return [nb for nb in toc if nb.stem in wanted]


def select_notebooks(names: list[str], root: Path = ROOT) -> list[Path]:
    """The chapters of ``_toc.yml`` that ``names`` pick: a number (``02``), a stem or a file name.

    Raises RepcapError naming the choices for a name that matches no chapter or several.
    """
    toc = toc_notebooks(root)
    chosen = []
    for name in names:
        key = name.removesuffix(".ipynb").rsplit("/", 1)[-1]
        hits = [nb for nb in toc if nb.stem == key or nb.stem.split("_", 1)[0] == key.zfill(2)]
        if len(hits) != 1:
            listing = ", ".join(nb.stem for nb in toc)
            raise RepcapError(f"--notebook {name!r} matches {len(hits)} chapters; choose one of "
                              f"{listing} (or its number)")
        if hits[0] not in chosen:
            chosen.append(hits[0])
    return chosen


def parse_parameter_options(options: list[str]) -> dict[str, Any]:
    """``-p NAME=VALUE`` options as ``{name: value}``, each value read as one YAML scalar/list.

    ``-p bootstrap=200`` gives an int, ``-p model=all-MiniLM-L6-v2`` a string,
    ``-p models=[a,b]`` a list; the types are then checked against the chapter's declarations.
    """
    out: dict[str, Any] = {}
    for option in options:
        name, sep, text = option.partition("=")
        if not sep or not name.strip().isidentifier():
            raise RepcapError(f"-p {option!r}: write -p NAME=VALUE (e.g. -p model=all-MiniLM-L6-v2)")
        try:
            out[name.strip()] = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError as exc:
            raise RepcapError(f"-p {option!r}: cannot read the value "
                              f"({str(exc).splitlines()[0]})") from None
    return out


def _check_build_dir(build_dir: Path) -> Path:
    if build_dir.name != "_build":
        raise RepcapError(f"the build directory must be named '_build' (Jupyter Book writes to "
                          f"<parent>/_build/html); got {build_dir}")
    return build_dir


def build(profile: str = "default", *, root: Path = ROOT, build_dir: Path | None = None,
          force: bool = False, results_dir: Path | None = None,
          render_site: bool = True, table: dict | None = None,
          notebooks: list[Path] | None = None,
          overrides: dict[str, Any] | None = None) -> BuildReport:
    """Execute every chapter (or ``notebooks``, after the chapters they read) for ``profile`` and
    render the site; see the module docstring. ``overrides`` apply to ``notebooks`` only. Every
    argument is checked before the first chapter executes."""
    report = BuildReport(profile)
    if profile not in PROFILES:
        raise RepcapError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    if overrides and not notebooks:
        raise RepcapError("-p sets a chapter's parameters: name the chapter with --notebook")
    if render_site:  # refuse a misnamed build folder before hours of execution, not after
        _check_build_dir(build_dir or root / "_build")
    report.executions = execute_all(profile, root=root, build_dir=build_dir, force=force,
                                    results_dir=results_dir, table=table,
                                    notebooks=_with_upstream(notebooks, root) if notebooks else None,
                                    overrides=overrides,
                                    override_stems={nb.stem for nb in notebooks or []})
    if render_site:
        start = time.perf_counter()
        report.html_dir = render(root=root, build_dir=build_dir, results_dir=results_dir)
        report.render_seconds = time.perf_counter() - start
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m repcap.book.build", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="default", choices=PROFILES)
    parser.add_argument("--force", action="store_true", help="re-execute even unchanged notebooks")
    parser.add_argument("--build-dir", type=Path, default=None,
                        help="a folder named _build for executed notebooks, the staged site and "
                             "html (default: the repository's _build)")
    parser.add_argument("--results-dir", type=Path, default=None,
                        help="collect each chapter's key numbers as JSON here")
    parser.add_argument("--no-render", action="store_true", help="execute only")
    parser.add_argument("--notebook", action="append", default=[], metavar="NAME",
                        help="execute only this chapter (02, or 02_embedding_similarity), and the "
                             "chapters it reads; repeatable; implies --no-render")
    parser.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                        help="set a parameter of the --notebook chapter(s) (value read as YAML: "
                             "-p bootstrap=200, -p model=gpt2); checked before anything runs")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        notebooks = select_notebooks(args.notebook) if args.notebook else None
        overrides = parse_parameter_options(args.parameter)
        report = build(args.profile, build_dir=args.build_dir, force=args.force,
                       results_dir=args.results_dir,
                       render_site=not args.no_render and notebooks is None,
                       notebooks=notebooks, overrides=overrides)
    except (NotebookFailed, RenderFailed) as exc:
        print(f"[book] FAILED: {exc}", file=sys.stderr)
        return 2 if getattr(exc, "input_error", False) else 1
    except RepcapError as exc:  # arguments, parameters, a folder that cannot be written
        print(f"[book] FAILED: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        print(f"[book] FAILED: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("[book] interrupted; the chapters that finished are kept, and the next build reuses "
              "them", file=sys.stderr)
        return 130
    ran = sum(e.executed for e in report.executions)
    print(f"[book] {ran} notebook(s) executed, {len(report.executions) - ran} reused; "
          f"total {time.perf_counter() - start:.1f} s")
    if report.html_dir:
        print(f"[book] site: {report.html_dir / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
