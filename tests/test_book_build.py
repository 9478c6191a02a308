"""The build pipeline on a tiny book: errors name the notebook and cell, unchanged notebooks are reused."""

from __future__ import annotations

import json

import nbformat
import pytest

from repcap.book import build as bookbuild
from repcap.errors import ParameterError


def _nb(path, params_src, body_src):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell(params_src)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), params, nbformat.v4.new_code_cell(body_src)]
    nbformat.write(nb, path)


@pytest.fixture
def tiny_book(tmp_path):
    root = tmp_path / "book"
    (root / "notebooks").mkdir(parents=True)
    (root / "repcap").mkdir()
    (root / "repcap" / "x.py").write_text("A = 1\n")
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n"
                                   "  - file: notebooks/ok\n  - file: notebooks/bad\n")
    params = 'n: int = 2\nprofile: str = "default"\nresults_path: str = ""\n'
    _nb(root / "notebooks" / "ok.ipynb", params,
        "import json\nif results_path:\n    json.dump({'n2': n * n}, open(results_path, 'w'))")
    _nb(root / "notebooks" / "bad.ipynb", params, "x = 1\nraise ValueError('boom in the chapter')")
    table = {stem: {p: {"n": 3} for p in ("smoke", "default", "paper")} for stem in ("ok", "bad")}
    return root, table


def test_failing_cell_names_notebook_and_cell(tiny_book, tmp_path):
    root, table = tiny_book
    with pytest.raises(bookbuild.NotebookFailed) as info:
        bookbuild.execute_all("smoke", root=root, build_dir=tmp_path / "_build", table=table,
                              notebooks=[root / "notebooks" / "bad.ipynb"])
    msg = str(info.value)
    assert "bad.ipynb" in msg and "failed in cell" in msg and "\n" not in msg
    assert "ValueError: boom in the chapter" in msg
    # a chapter that broke (not a RepcapError): exit status 1, and the line points at its traceback
    assert not info.value.input_error and "traceback in the executed copy" in msg
    assert (tmp_path / "_build" / "executed" / "notebooks" / "failed" / "bad.ipynb").exists()
    assert not (tmp_path / "_build" / "executed" / "notebooks" / "bad.ipynb").exists()


def test_unchanged_notebook_is_reused_and_changes_reexecute(tiny_book, tmp_path):
    root, table = tiny_book
    ok = [root / "notebooks" / "ok.ipynb"]
    kw = dict(root=root, build_dir=tmp_path / "_build", table=table, notebooks=ok,
              results_dir=tmp_path / "res")
    first = bookbuild.execute_all("smoke", **kw)
    assert first[0].executed
    assert json.loads((tmp_path / "res" / "ok.json").read_text()) == {"n2": 9}
    executed = nbformat.read(tmp_path / "_build" / "executed" / "notebooks" / "ok.ipynb", 4)
    assert executed.metadata.papermill.parameters["n"] == 3  # recorded by papermill

    assert not bookbuild.execute_all("smoke", **kw)[0].executed  # nothing changed
    (root / "repcap" / "x.py").write_text("A = 2\n")  # a package change re-executes
    assert bookbuild.execute_all("smoke", **kw)[0].executed
    table["ok"]["smoke"]["n"] = 4  # a parameter change re-executes
    assert bookbuild.execute_all("smoke", **kw)[0].executed
    assert json.loads((tmp_path / "res" / "ok.json").read_text()) == {"n2": 16}


def test_bad_parameter_stops_before_anything_runs(tiny_book, tmp_path):
    root, table = tiny_book
    table["ok"]["smoke"] = {"nn": 3}
    with pytest.raises(ParameterError, match="did you mean 'n'"):
        bookbuild.execute_all("smoke", root=root, build_dir=tmp_path / "_build", table=table)
    assert not (tmp_path / "_build" / "executed").exists()


def test_build_dir_must_be_named_build(tmp_path):
    with pytest.raises(Exception, match="must be named '_build'"):
        bookbuild.render(build_dir=tmp_path / "out")


def test_misnamed_build_dir_is_refused_before_any_chapter_runs(tiny_book, tmp_path):
    root, table = tiny_book
    with pytest.raises(Exception, match="must be named '_build'"):
        bookbuild.build("smoke", root=root, build_dir=tmp_path / "elsewhere", table=table)
    assert not (tmp_path / "elsewhere").exists()


def test_output_root_follows_env_then_checkout_then_cwd(tmp_path, monkeypatch):
    from repcap.book import notebook

    monkeypatch.setenv(notebook.OUTPUT_ENV, str(tmp_path / "out"))
    assert notebook.output_path("tables", "m.csv") == tmp_path / "out" / "tables" / "m.csv"
    assert notebook.output_path("tables", profile="smoke") == tmp_path / "out" / "smoke" / "tables"
    monkeypatch.delenv(notebook.OUTPUT_ENV)
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    (repo / "repcap").mkdir()
    (repo / "_toc.yml").write_text("root: x\n")
    monkeypatch.chdir(repo / "notebooks")
    assert notebook.output_root() == repo.resolve() / "_build"
    monkeypatch.chdir(tmp_path)
    assert notebook.output_root() == tmp_path.resolve() / "repcap-output"


def test_build_points_chapters_at_its_own_output_folder(tiny_book, tmp_path, monkeypatch):
    from repcap.book import notebook

    root, table = tiny_book
    monkeypatch.delenv(notebook.OUTPUT_ENV, raising=False)
    bookbuild.execute_all("smoke", root=root, build_dir=tmp_path / "_build", table=table,
                          notebooks=[root / "notebooks" / "ok.ipynb"])
    assert notebook.output_root() == (tmp_path / "_build").resolve()


def test_a_reader_reexecutes_when_the_chapter_it_reads_does(tiny_book, tmp_path):
    root, table = tiny_book
    reader = root / "notebooks" / "reader.ipynb"
    _nb(reader, 'n: int = 2\nprofile: str = "default"\nresults_path: str = ""\n', "print(n)")
    data = json.loads(reader.read_text())
    data["metadata"]["repcap"] = {"reads": ["ok"]}
    reader.write_text(json.dumps(data))
    table["reader"] = {p: {"n": 1} for p in ("smoke", "default", "paper")}
    nbs = [root / "notebooks" / "ok.ipynb", reader]
    kw = dict(root=root, build_dir=tmp_path / "_build", table=table, notebooks=nbs)
    assert [e.executed for e in bookbuild.execute_all("smoke", **kw)] == [True, True]
    assert [e.executed for e in bookbuild.execute_all("smoke", **kw)] == [False, False]
    table["ok"]["smoke"]["n"] = 5  # only the upstream chapter changed
    assert [e.executed for e in bookbuild.execute_all("smoke", **kw)] == [True, True]
    with pytest.raises(Exception, match="not executed before it"):
        bookbuild.execute_all("smoke", **{**kw, "notebooks": [reader]})


def test_staged_files_follow_links_to_folders_once(tmp_path):
    """A checkout that links _static/mathjax to a shared copy still stages MathJax (Path.rglob does
    not follow folder links before Python 3.13), and a link back up does not loop."""
    shared = tmp_path / "shared" / "mathjax"
    shared.mkdir(parents=True)
    (shared / "tex-chtml.js").write_text("// js")
    static = tmp_path / "_static"
    static.mkdir()
    (static / "custom.css").write_text("/* css */")
    (static / "mathjax").symlink_to(shared)
    (shared / "loop").symlink_to(shared)
    names = sorted(str(p.relative_to(static)) for p in bookbuild._files_under(static))
    assert names == ["custom.css", "mathjax/tex-chtml.js"]


def test_staged_site_carries_every_tables_csv_and_the_results_even_from_a_reused_execution(
        tiny_book, tmp_path):
    import csv
    import io

    import yaml

    from repcap.book.explorer import CONSTANTS_PATH, GLOBAL

    root, table = tiny_book
    _nb(root / "notebooks" / "ok.ipynb", 'n: int = 2\nprofile: str = "default"\nresults_path: str = ""\n',
        "import json\nfrom repcap.book.tables import show_table\n"
        "show_table([{'x': 1 / 7, 'n': n}], [('x', 'x', '.2f'), ('n', 'n', '')], title='First one')\n"
        "show_table([{'y': 'a'}], [('y', 'y', '')])\n"
        "json.dump({'n2': n * n}, open(results_path, 'w'))")
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: notebooks/ok\n")
    (root / "_config.yml").write_text("title: t\nsphinx:\n  config:\n    html_extra_path: [x]\n")
    build_dir = tmp_path / "_build"
    kw = dict(root=root, build_dir=build_dir, table=table, results_dir=tmp_path / "res")
    assert bookbuild.execute_all("smoke", **kw)[0].executed
    assert not bookbuild.execute_all("smoke", **kw)[0].executed  # reused: the CSVs travel inside it
    site = bookbuild.stage_site(root=root, build_dir=build_dir, results_dir=tmp_path / "res")
    extra = site / bookbuild.EXTRA
    first = list(csv.reader(io.StringIO((extra / "csv" / "ok" / "01-first-one.csv").read_text())))
    assert first == [["x", "n"], [repr(1 / 7), "3"]]
    assert (extra / "csv" / "ok" / "02-table.csv").read_text() == "y\na\n"
    assert json.loads((extra / "results" / "ok.json").read_text()) == {"n2": 9}
    assert (extra / CONSTANTS_PATH).read_text().count(f"window.{GLOBAL} = ") == 1
    config = yaml.safe_load((site / "_config.yml").read_text())
    assert config["sphinx"]["config"]["html_extra_path"] == ["x", bookbuild.EXTRA]
    executed = json.loads((build_dir / "executed" / "notebooks" / "ok.ipynb").read_text())
    html = "".join("".join(o["data"]["text/html"]) for c in executed["cells"]
                   for o in c.get("outputs", []) if "text/html" in o.get("data", {}))
    assert html.count('href="../csv/ok/01-first-one.csv"') == html.count('href="../csv/ok/02-table.csv"') == 1
