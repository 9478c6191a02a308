"""Bad input and faults at the command line: one clear line on stderr, a known exit status, no
traceback, nothing left behind. (Each case is a row of issue 15's or issue 26's table, or a case
that already worked and must keep working; the issue 26 rows are named by their case number.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT


def _repcap(*args, env=None, timeout=120):
    proc = subprocess.run([sys.executable, "-m", "repcap.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})})
    return proc.returncode, proc.stdout, proc.stderr


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("args, fragment", [
    (["epsilon", "all-MiniLM-L6-v2", "--level", "0.9"], "--level only applies with --bootstrap"),
    (["epsilon", "all-MiniLM-L6-v2", "--device", "cpu"], "--device only applies with --pairs or --sample"),
    (["epsilon", "all-MiniLM-L6-v2", "--memory-budget", "abc"],
     "--memory-budget only applies with --pairs or --sample"),
    (["epsilon", "no-such-model-anywhere"], "no-such-model-anywhere"),
])
def test_cli_mistakes_get_one_line_and_exit_2(args, fragment):
    code, out, err = _repcap(*args)
    assert code == 2 and out == ""
    line = _one_line(err)
    assert line.startswith(f"repcap {args[0]}: error: ") and fragment in line


def test_hub_id_of_the_offline_copy_warns_in_one_clean_line():
    code, out, err = _repcap("info", "sentence-transformers/all-MiniLM-L6-v2", "--json",
                             env={"HF_HUB_OFFLINE": "1"})
    assert code == 0 and '"source": "offline"' in out
    line = _one_line(err)
    assert line.startswith("repcap info: warning: sentence-transformers/all-MiniLM-L6-v2: ")
    assert line.count("sentence-transformers/all-MiniLM-L6-v2") == 1 and ".py:" not in line
    assert "installed offline copy 'all-MiniLM-L6-v2'" in line


def test_epsilon_accepts_the_tensor_option_its_errors_recommend():
    code, out, err = _repcap("epsilon", "all-MiniLM-L6-v2", "--json", "--no-progress",
                             "--tensor", "embeddings.word_embeddings.weight")
    assert code == 0, err
    assert '"vocab_size": 30522' in out


def test_cache_path_under_a_file_is_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    code, out, err = _repcap("info", "SmolLM2-135M-Instruct", "--no-progress",
                             "--cache-dir", str(blocker / "cache"))
    assert code == 2
    line = _one_line(err)
    assert line.startswith("repcap info: error: cannot write the cache under ")
    assert str(blocker) in line and "not a directory" in line and "REPCAP_CACHE" in line
    assert list(tmp_path.iterdir()) == [blocker]  # nothing written beside it


def test_sigterm_exits_143_after_cleanup(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "repcap.cli", "random-baseline", "--k", "20000",
                             "--d", "1024", "--trials", "1000"], cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    # A cell this large announces its estimated cost first (one line): the work has begun when it
    # is there (waiting for it, not a fixed 5 s, keeps a busy machine's slow start-up out of it).
    first = proc.stderr.readline()
    time.sleep(1)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert first.split("\r")[-1].startswith("repcap random-baseline: estimated cost ")
    lines = err.split("\r")[-1].splitlines()
    assert _one_line("\n".join(lines)) == "repcap random-baseline: terminated"
    assert not list(tmp_path.iterdir())


def test_fit_on_points_that_cannot_identify_the_k_over_d_laws(tmp_path):
    import json

    path = tmp_path / "small_k.json"
    path.write_text(json.dumps([[k, d, 0.01 * k / d] for k in (10, 20, 30, 40) for d in (64, 128)]))
    code, out, err = _repcap("fit", str(path))
    assert code == 2 and out == ""
    line = _one_line(err)
    assert "only the 0 point(s) with k > d" in line and "eq6" in line


def test_fit_warns_once_when_a_file_mixes_run_settings(tmp_path):
    import json
    import math

    lines = [json.dumps({"k": k, "d": d, "eps": math.sqrt(1.3 * math.log(k / d) / d),
                         "settings": {"steps": steps}})
             for k in (2000, 4000, 8000) for d in (64, 128) for steps in (1000, 5000)]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, out, err = _repcap("fit", str(path), "--json")
    assert code == 0
    line = _one_line(err)
    assert line.startswith("repcap fit: warning: ") and "mixes run settings (steps: 1000, 5000)" in line


def test_a_default_sweep_across_d_is_not_a_mix(recwarn):
    # the paper's recipe picks lr and the loss exponent from (k, d): one experiment, no warning
    import json

    from repcap.laws.points import points_from_records
    from repcap.packing.optimise import optimised_settings

    records = [json.loads(json.dumps({"k": k, "d": d, "eps": 0.3,
                                      "settings": optimised_settings(k, d, steps=5000)}))
               for k in (2000, 32000) for d in (32, 4096)]
    assert len({r["settings"]["lr"] for r in records}) > 1  # the recipe does vary them
    points_from_records(records, "sweep.jsonl")
    assert not [w for w in recwarn if "mixes run settings" in str(w.message)]


def test_eq7_needs_more_informative_points_than_parameters():
    import numpy as np

    from repcap.errors import FitError
    from repcap.laws import fit_form

    # 4 points with k > d and 6 with k ≤ d: 10 points, but Eq. 7's 4 parameters see only 4
    k = np.array([100, 200, 300, 400, 500, 600, 3000, 4000, 5000, 6000], dtype=float)
    d = np.full(10, 1024.0)
    eps = np.where(k > d, np.sqrt(0.46 * np.log(np.maximum(k / d, 1.0001)) / d), 1e-4)
    with pytest.raises(FitError, match="only the 4 point"):
        fit_form("eq7", k, d, eps)
    assert fit_form("eq6", k, d, eps).n == 10  # one parameter, four informative points: fine


def test_check_parameters_from_a_kernel_history():
    from repcap.book.profiles import check_parameters
    from repcap.errors import ParameterError

    params = 'model: str = "all-MiniLM-L6-v2"\nbootstrap: int = 200\n'
    ns = {"model": "all-MiniLM-L6-v2", "bootstrap": 200}
    check_parameters(["import x", params], ns, "ch")  # interactive run: nothing injected
    with pytest.raises(ParameterError, match="unknown parameter 'modle'; did you mean 'model'"):
        check_parameters(["import x", params, '# Parameters\nmodle = "x"\n'],
                         {**ns, "modle": "x"}, "ch")
    with pytest.raises(ParameterError, match="'bootstrap' must be int, got 'abc'"):
        check_parameters(["import x", params, '# Parameters\nbootstrap = "abc"\n'],
                         {**ns, "bootstrap": "abc"}, "ch")
    with pytest.raises(ParameterError, match="'bootstrap' must be int"):  # edited by hand
        check_parameters(["import x", params], {**ns, "bootstrap": 1.5}, "ch")


@pytest.mark.parametrize("args, fragment", [
    (["-p", "modle", "x"], "unknown parameter 'modle'; did you mean 'model'?"),
    (["-p", "bootstrap", "abc"], "parameter 'bootstrap' must be int, got 'abc'"),
])
def test_a_bare_papermill_call_is_checked_in_the_third_cell(tmp_path, args, fragment):
    out = tmp_path / "out.ipynb"
    proc = subprocess.run([sys.executable, "-m", "papermill", "02_embedding_similarity.ipynb",
                           str(out), "-k", "python3", *args], capture_output=True, text=True,
                          timeout=180, cwd=ROOT / "notebooks")
    assert proc.returncode != 0 and fragment in proc.stderr
    # papermill's own traceback cannot be shortened; its last line is the one that matters, and
    # how_to_run says so (issue 26, case 4)
    assert fragment in proc.stderr.strip().splitlines()[-1]
    import json

    cells = json.loads(out.read_text())["cells"]
    failed = [i for i, c in enumerate(cells)
              if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert failed and "check-parameters" in cells[failed[0]]["metadata"]["tags"]


# -- issue 15, second half: storage, sizes, tensors, the book's arguments --------------------------

import contextlib  # noqa: E402
import errno  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from repcap.errors import StorageError  # noqa: E402
from repcap.sources import cache  # noqa: E402


@contextlib.contextmanager
def _small_tmpfs(size: str = "2m", options: str = ""):
    """A real, small tmpfs (root only); skips the test where mounting is not allowed."""
    where = Path(tempfile.mkdtemp(prefix="repcap-tmpfs-"))
    opts = f"size={size}" + (f",{options}" if options else "")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)],
                          capture_output=True)
    if proc.returncode != 0:
        where.rmdir()
        pytest.skip("cannot mount a tmpfs here; the patched-write tests cover this case")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)
        where.rmdir()


def test_full_disk_extraction_is_one_line_and_leaves_nothing():
    # SmolLM2's 49152 × 576 matrix (113 MB as float32) into a 2 MB file system: used to SIGBUS.
    with _small_tmpfs("2m") as disk:
        code, out, err = _repcap("info", "SmolLM2-135M-Instruct", "--no-progress",
                                 "--cache-dir", str(disk))
        assert code == 2, err
        line = _one_line(err)
        assert "disk is full" in line and str(disk) in line and "REPCAP_CACHE" in line
        leftovers = [p for p in disk.rglob("*") if p.is_file() and p.name.endswith(".tmp")]
        assert leftovers == []


def test_read_only_cache_is_one_line():
    with _small_tmpfs("2m", "ro") as disk:
        code, out, err = _repcap("info", "SmolLM2-135M-Instruct", "--no-progress",
                                 "--cache-dir", str(disk / "cache"))
        assert code == 2, err
        line = _one_line(err)
        assert "read-only" in line and "--cache-dir" in line


def test_full_disk_patched_write_is_a_storage_error(tmp_path, monkeypatch):
    """Where no tmpfs can be mounted: fallocate's ENOSPC becomes StorageError, nothing remains."""
    def no_space(fd, offset, length):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "posix_fallocate", no_space)
    entry = cache.Entry(tmp_path / "entry")
    with pytest.raises(StorageError, match="disk is full.*REPCAP_CACHE"):
        entry.write_tensor("emb", (4, 3), [np.ones((4, 3))], what="test")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_memmap_write_reserves_its_blocks(tmp_path):
    """The .npy written through a memmap is fully allocated (not sparse) and reads back exact."""
    entry = cache.Entry(tmp_path / "entry")
    rows = np.arange(4096 * 64, dtype=np.float32).reshape(4096, 64) + 1
    entry.write_tensor("emb", rows.shape, [rows[:1000], rows[1000:]], what="test")
    npy = tmp_path / "entry" / "emb.npy"
    assert os.stat(npy).st_blocks * 512 >= rows.nbytes
    matrix, meta = entry.load_tensor("emb")
    np.testing.assert_array_equal(matrix, rows)


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".emb.npy.{dead.pid}.0123abcd.tmp"
    live = tmp_path / f".emb.npy.{os.getpid()}.89abcdef.tmp"
    other = tmp_path / "keep.tmp"
    for path in (stale, live, other):
        path.write_bytes(b"x")
    with cache.atomic_path(tmp_path / "facts.json") as tmp:
        tmp.write_text("{}")
    assert not stale.exists() and live.exists() and other.exists()
    assert (tmp_path / "facts.json").read_text() == "{}"


@pytest.mark.parametrize("content, fragment", [(b"", "only 0 bytes"), (b"GGUF", "only 4 bytes")])
def test_empty_or_short_gguf_is_rejected_before_mapping(tmp_path, content, fragment):
    path = tmp_path / "model.gguf"
    path.write_bytes(content)
    code, out, err = _repcap("info", str(path), env={"REPCAP_CACHE": str(tmp_path / "c")})
    assert code == 2
    assert fragment in _one_line(err) and "not a GGUF file" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.gguf"]


@pytest.mark.parametrize("name, matrix, fragment", [
    ("v1", np.ones((1, 8), np.float32), "V ≥ 2"),
    ("v0", np.ones((0, 8), np.float32), "V ≥ 2"),
    ("d1", np.arange(1, 11, dtype=np.float32).reshape(10, 1), "d ≥ 2"),
    ("int32", np.arange(80, dtype=np.int32).reshape(10, 8), "holds int32 values"),
    ("bool", np.ones((10, 8), bool), "holds bool values"),
])
@pytest.mark.parametrize("command", [("epsilon",), ("info", "--tensor", "model.embed_tokens.weight")])
def test_tensors_that_cannot_be_embeddings_give_the_real_reason(tmp_path, name, matrix, fragment,
                                                                 command):
    from safetensors.numpy import save_file

    model = tmp_path / name
    model.mkdir()
    save_file({"model.embed_tokens.weight": matrix}, str(model / "model.safetensors"))
    code, out, err = _repcap(command[0], str(model), *command[1:],
                             env={"REPCAP_CACHE": str(tmp_path / "cache")})
    assert code == 2 and out == ""
    assert fragment in _one_line(err)
    assert not (tmp_path / "cache" / "embeddings").exists() or not any(
        p.suffix == ".npy" for p in (tmp_path / "cache").rglob("*"))


@pytest.mark.parametrize("args", [
    ("pack", "--k", "100000000", "--d", "4096"),
    ("random-baseline", "--k", "100000000", "--d", "4096", "--trials", "1"),
])
def test_sizes_beyond_memory_are_refused_before_work(args):
    start = time.perf_counter()
    code, out, err = _repcap(*args)
    assert code == 2
    line = _one_line(err)
    assert "GB of memory" in line and "available" in line
    assert time.perf_counter() - start < 30


def test_memory_estimate_matches_the_arrays():
    from repcap.packing.cost import cell_memory_bytes

    # 5 k×d float32 arrays (vectors, gradient, Adam m and v, a normalised copy) + k×k Gram.
    assert cell_memory_bytes("optimised", 1000, 64) == 5 * 1000 * 64 * 4 + 1000 * 1000 * 4
    assert cell_memory_bytes("random", 10**6, 8, memory_budget=2**20) == 2 * 8 * 10**6 * 4 + 2**20


def _book(*args, timeout=120):
    proc = subprocess.run([sys.executable, "-m", "repcap.book.build", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("args, fragment", [
    (["--notebook", "02", "-p", "modle=x"], "unknown parameter 'modle'; did you mean 'model'?"),
    (["--notebook", "02", "-p", "bootstrap=abc"], "parameter 'bootstrap' must be int"),
    (["--notebook", "99"], "matches 0 chapters"),
    (["-p", "model=x"], "name the chapter with --notebook"),
    (["--notebook", "02", "-p", "model"], "write -p NAME=VALUE"),
])
def test_the_book_build_checks_its_arguments_before_executing(tmp_path, args, fragment):
    code, out, err = _book(*args, "--profile", "smoke", "--build-dir", str(tmp_path / "_build"))
    assert code == 2  # usage and input errors (issue 26, case 2: was 1)
    assert fragment in _one_line(err)
    assert "executing" not in out
    assert not (tmp_path / "_build" / "executed").exists()


def test_the_book_build_refuses_a_misnamed_folder_first(tmp_path):
    code, out, err = _book("--profile", "smoke", "--build-dir", str(tmp_path / "elsewhere"))
    assert code == 2 and "must be named '_build'" in _one_line(err)
    assert list(tmp_path.iterdir()) == []


def test_build_parameter_values_are_yaml():
    from repcap.book.build import parse_parameter_options, select_notebooks

    assert parse_parameter_options(["bootstrap=200", "model=gpt2", "models=[a, b]", "x=0.5"]) == {
        "bootstrap": 200, "model": "gpt2", "models": ["a", "b"], "x": 0.5}
    assert [p.stem for p in select_notebooks(["02", "04_jl_random"])] == [
        "02_embedding_similarity", "04_jl_random"]


def test_a_chosen_chapter_brings_the_chapters_it_reads(tmp_path):
    from repcap.book.build import ROOT as BOOK_ROOT, _with_upstream, reads, select_notebooks

    chosen = select_notebooks(["06"])
    expanded = [p.stem for p in _with_upstream(chosen, BOOK_ROOT)]
    assert expanded[-1] == "06_capacity" and set(reads(chosen[0])) <= set(expanded[:-1])


@pytest.mark.parametrize("options, args, fragment", [
    ("", ("pack", "--k", "500", "--d", "64", "--steps", "3", "--checkpoint", "{disk}/ck.pt"),
     "disk is full"),
    ("ro", ("sweep", "--kind", "random", "--grid", "smoke", "--results", "{disk}/r.jsonl"),
     "read-only"),
])
def test_checkpoints_and_sweeps_on_a_full_or_read_only_disk(options, args, fragment):
    with _small_tmpfs("64k", options) as disk:
        code, out, err = _repcap(*(a.format(disk=disk) for a in args))
        assert code == 2, err
        line = _one_line(err.split("\r")[-1])
        assert fragment in line and str(disk) in line
        assert [p for p in disk.iterdir()] == []


def test_a_terminated_extraction_leaves_no_temporary(tmp_path):
    """SIGTERM arrives as repcap.cli.Terminated mid-stream: the half-written .npy is removed."""
    from repcap.cli import Terminated

    def blocks():
        yield np.ones((2, 3))
        raise Terminated()

    entry = cache.Entry(tmp_path / "entry")
    with pytest.raises(Terminated):
        entry.write_tensor("emb", (4, 3), blocks(), what="test")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_input_errors_are_the_ordinary_python_errors_too():
    """A library user catches a wrong value with ``except ValueError``, a missing name with
    ``except LookupError``, and still gets repcap's one-line message."""
    import repcap.laws
    from repcap import errors

    with pytest.raises(ValueError, match="d \\(d_model\\) must be a finite number ≥ 1, got -1.0"):
        repcap.laws.capacity(d=-1, eps=0.1)
    try:
        repcap.laws.capacity(d=4096, eps=1.5)
    except ValueError as exc:
        assert isinstance(exc, errors.DomainError) and isinstance(exc, errors.RepcapError)
    for cls in (errors.DomainError, errors.ParameterError, errors.EmbeddingError, errors.FitError,
                errors.PackingError, errors.SimilarityError, errors.ToyModelError, errors.DeviceError):
        assert issubclass(cls, ValueError) and issubclass(cls, errors.RepcapError)
    for cls in (errors.ModelNotFoundError, errors.TokenNotFoundError):
        assert issubclass(cls, LookupError) and issubclass(cls, errors.RepcapError)
    for cls in (errors.StorageError, errors.OfflineError, errors.CheckpointError, errors.NotebookFailed):
        assert not issubclass(cls, (ValueError, LookupError, OSError))


# -- issue 26: the book build, survey, huge sizes, leftovers and messages --------------------------
# Each row names its case (c1 … c17). In-process calls (main(argv) with capsys) where no signal or
# second process is involved: the rows together take seconds, not a minute.

import json  # noqa: E402
import socket  # noqa: E402

from repcap.book.notebook import OUTPUT_ENV  # noqa: E402
from repcap.cli import main as cli_main  # noqa: E402


def _cli(capsys, *argv):
    """``repcap ARGV`` in this process: (exit status, stdout, stderr)."""
    code = cli_main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _build_main(monkeypatch, capsys, *argv):
    """``python -m repcap.book.build ARGV`` in this process (the build points chapters at its
    folder through an environment variable; monkeypatch restores it)."""
    from repcap.book import build as bookbuild

    monkeypatch.setenv(OUTPUT_ENV, os.environ.get(OUTPUT_ENV, ""))
    code = bookbuild.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _tiny_model(folder: Path, matrix, name: str = "model.embed_tokens.weight") -> Path:
    from safetensors.numpy import save_file

    folder.mkdir(parents=True)
    save_file({name: np.asarray(matrix, np.float32)}, str(folder / "model.safetensors"))
    return folder


@pytest.mark.parametrize("layout", ["build-is-a-file", "results-dir-is-a-file"])
def test_c1_a_build_folder_that_is_a_file_is_one_line(tmp_path, monkeypatch, capsys, layout):
    if layout == "build-is-a-file":
        (tmp_path / "_build").write_text("a file")
        args = ["--build-dir", str(tmp_path / "_build")]
    else:
        (tmp_path / "res").write_text("a file")
        args = ["--build-dir", str(tmp_path / "_build"), "--results-dir", str(tmp_path / "res")]
    before = _files(tmp_path)
    code, out, err = _build_main(monkeypatch, capsys, "--profile", "smoke", *args)
    assert code == 2 and "executing" not in out
    line = _one_line(err)
    assert "a path component is a file, not a directory" in line
    assert ("--results-dir" if layout == "results-dir-is-a-file" else "--build-dir") in line
    assert _files(tmp_path) == before


def test_c1_a_read_only_checkout_without_build_is_one_line(monkeypatch, capsys):
    with _small_tmpfs("64k", "ro") as disk:
        code, out, err = _build_main(monkeypatch, capsys, "--profile", "smoke",
                                     "--build-dir", str(disk / "_build"))
        assert code == 2
        assert "read-only" in _one_line(err) and "--build-dir" in err


def test_c1_read_only_patched_mkdir_is_one_line(tmp_path, monkeypatch, capsys):
    """Where no tmpfs can be mounted: the results folder's mkdir raises EROFS."""
    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if tmp_path in self.parents:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    code, out, err = _build_main(monkeypatch, capsys, "--profile", "smoke",
                                 "--build-dir", str(tmp_path / "_build"))
    assert code == 2 and "read-only" in _one_line(err)
    assert list(tmp_path.iterdir()) == []


def test_c2_a_chapter_that_raises_bad_input_is_one_line_without_kernel_noise(tmp_path, capfd):
    """A real kernel: the chapter's RepcapError becomes one line marked as bad input, and the
    kernel's own log (its TCP warning) does not reach the terminal."""
    import nbformat

    from repcap.book.build import execute_notebook
    from repcap.errors import NotebookFailed

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("from repcap.errors import ModelNotFoundError\n"
                                          "raise ModelNotFoundError('no-such-model: not found\\n"
                                          "second line')")]
    (tmp_path / "notebooks").mkdir()
    path = tmp_path / "notebooks" / "ch.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "_build" / "executed" / "ch.ipynb"
    with pytest.raises(NotebookFailed) as info:
        execute_notebook(path, out, {})
    message = str(info.value)
    assert info.value.input_error and "\n" not in message
    assert message == ("notebooks/ch.ipynb failed in cell 0 (In [1]): ModelNotFoundError: "
                       "no-such-model: not found")
    assert "IPKernelApp" not in capfd.readouterr().err
    assert not out.exists() and [p.name for p in _files(tmp_path / "_build")] == ["ch.ipynb"]


@pytest.mark.parametrize("input_error, status", [(True, 2), (False, 1)])
def test_c2_a_failed_chapter_exits_2_for_bad_input_and_1_for_a_broken_chapter(
        monkeypatch, capsys, tmp_path, input_error, status):
    from repcap.book import build as bookbuild
    from repcap.errors import NotebookFailed

    def fails(*args, **kwargs):
        raise NotebookFailed("notebooks/02.ipynb failed in cell 5 (In [5]): X: y",
                             input_error=input_error)

    monkeypatch.setattr(bookbuild, "build", fails)
    code, out, err = _build_main(monkeypatch, capsys, "--notebook", "02")
    assert code == status and _one_line(err) == "[book] FAILED: notebooks/02.ipynb failed in cell 5 (In [5]): X: y"


def test_c3_ctrl_c_during_a_chapter_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    """papermill is interrupted while writing its partial copy: status 130, one line, no file."""
    import papermill

    from repcap.book.build import KERNEL_ARGUMENTS

    seen = {}

    def interrupted(src, dst, **kwargs):
        seen.update(kwargs)
        Path(dst).write_text("{}")  # papermill saves the partial notebook as cells run
        raise KeyboardInterrupt

    monkeypatch.setattr(papermill, "execute_notebook", interrupted)
    code, out, err = _build_main(monkeypatch, capsys, "--profile", "smoke", "--notebook", "02",
                                 "--build-dir", str(tmp_path / "_build"))
    assert code == 130
    assert _one_line(err).startswith("[book] interrupted; the chapters that finished are kept")
    assert _files(tmp_path) == []
    assert seen["extra_arguments"] == KERNEL_ARGUMENTS  # the kernel's own log is silenced too


def test_c4_how_to_run_says_which_line_of_papermill_matters():
    text = " ".join((ROOT / "book" / "how_to_run.md").read_text(encoding="utf-8").split())
    assert "the line that matters is the last one" in text and "ParameterError" in text


def test_c5_serve_on_a_busy_port_is_one_line(tmp_path):
    site = tmp_path / "html"
    site.mkdir()
    (site / "index.html").write_text("<p>site</p>")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run([sys.executable, "tools/serve.py", "--port", str(port), "--dir",
                               str(site)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 2 and proc.stdout == ""
    line = _one_line(proc.stderr)
    assert f"port {port} on 127.0.0.1 is busy" in line and f"make serve PORT={port + 1}" in line


def test_c5_make_serve_runs_the_checked_server():
    if subprocess.run(["which", "make"], capture_output=True).returncode != 0:
        pytest.skip("no make here")
    proc = subprocess.run(["make", "-n", "serve", "PORT=8123"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 0 and "tools/serve.py --port 8123" in proc.stdout


def test_c6_a_survey_whose_models_all_fail_says_so_and_exits_2(tmp_path, capsys):
    bad = [str(tmp_path / "missing.gguf"), str(tmp_path / "no-folder")]
    code, out, err = _cli(capsys, "survey", *bad, "--no-progress", "--json")
    assert code == 2 and json.loads(out)["measured"] == 0
    lines = err.strip().splitlines()
    assert lines == [f"repcap survey: error: {bad[0]}: no such file or directory (a local "
                     "checkpoint folder, .gguf or .safetensors file was expected)",
                     f"repcap survey: error: {bad[1]}: no such file or directory (a local "
                     "checkpoint folder, .gguf or .safetensors file was expected)",
                     "repcap survey: error: 2 of 2 models failed"]


def test_c6_a_survey_with_one_failed_model_measures_the_rest_and_exits_1(tmp_path, capsys):
    good = _tiny_model(tmp_path / "good", np.random.default_rng(0).normal(size=(30, 8)))
    code, out, err = _cli(capsys, "survey", str(good), str(tmp_path / "missing.gguf"),
                          "--no-progress", "--json")
    assert code == 1 and json.loads(out)["measured"] == 1
    assert err.strip().splitlines()[-1] == ("repcap survey: error: 1 of 2 models failed; the others "
                                            "were measured")


@pytest.mark.parametrize("command", ["capacity", "construct"])
def test_c7_a_dimension_beyond_the_maximum_is_refused_at_once(capsys, command):
    assert _cli(capsys, command, "--d", "64", "--eps", "0.1")[0] == 0  # imports done, not timed
    start = time.process_time()  # CPU time: the machine may be busy with other work
    code, out, err = _cli(capsys, command, "--d", "1e11", "--eps", "0.1")
    assert code == 2 and time.process_time() - start < 1
    line = _one_line(err)
    assert "--d 1e+11 is beyond the largest dimension repcap answers for, 1,048,576" in line


def test_c7_the_largest_dimension_answers_in_well_under_a_second(capsys):
    from repcap.common.checks import MAX_DIMENSION
    from repcap.geometry.constructions import families_up_to

    assert _cli(capsys, "construct", "--d", "64", "--eps", "0.1")[0] == 0  # imports, not timed
    start = time.process_time()
    code, out, err = _cli(capsys, "construct", "--d", str(MAX_DIMENSION), "--eps", "0.99", "--json")
    # the largest dual-BCH code of length 2^20 − 1 within 0.99: (2(e−1)·2^10 + 1)/(2^20 − 1) ≤ 0.99
    e = 1 + int((0.99 * (2 ** 20 - 1) - 1) // 2 ** 11)
    assert code == 0 and json.loads(out)["params"] == {"m": 20, "e": e}
    assert time.process_time() - start < 1
    with pytest.raises(ValueError, match="listed for d ≤ 1,048,576"):
        families_up_to(MAX_DIMENSION + 1)


@pytest.mark.parametrize("command", ["capacity", "construct"])
def test_c8_a_fractional_dimension_is_refused(capsys, command):
    code, out, err = _cli(capsys, command, "--d", "7.5", "--eps", "0.5")
    assert code == 2 and out == ""
    assert _one_line(err) == (f"repcap {command}: error: --d is a dimension and must be a whole "
                              "number ≥ 1, got 7.5")


@pytest.mark.parametrize("args", [
    ("activations", "tiny-random-llama", "--tokens", "10", "--no-progress"),
    ("pack", "--k", "10", "--d", "4", "--steps", "2"),
    ("random-baseline", "--k", "10", "--d", "4", "--trials", "2"),
    ("epsilon", "{good}", "--pairs", "--no-progress"),
    ("sweep", "--kind", "random", "--grid", "smoke", "--results", "{tmp}/r.jsonl"),
])
def test_c9_cuda_without_a_gpu_is_one_line_for_every_command(tmp_path, capsys, monkeypatch, args):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    good = _tiny_model(tmp_path / "good", np.random.default_rng(0).normal(size=(30, 8)))
    argv = [a.format(good=good, tmp=tmp_path) for a in args]
    before = _files(tmp_path)
    code, out, err = _cli(capsys, *argv, "--device", "cuda")
    assert code == 2 and out == ""
    # the flag, as the command line writes it (case 17)
    assert _one_line(err) == (f"repcap {args[0]}: error: device 'cuda' is not available here "
                              "(torch sees no CUDA GPU); use --device cpu instead")
    assert _files(tmp_path) == before  # a refused sweep leaves no results file and no lock


def test_c10_fit_names_a_folder_and_the_torn_line(tmp_path, capsys):
    code, out, err = _cli(capsys, "fit", str(tmp_path))
    assert code == 2 and f"{tmp_path} is a folder, not a file" in _one_line(err)
    lines = [json.dumps({"k": k, "d": 64, "eps": 0.2 + k / 1e5}) for k in (2000, 4000, 8000, 16000)]
    lines[2] = lines[2][:20]  # the sweep was killed while writing its third record
    path = tmp_path / "sweep.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, out, err = _cli(capsys, "fit", str(path))
    assert code == 2
    line = _one_line(err)
    assert f"{path}, line 3 is not a complete JSON record" in line and "column 21" in line


def test_c11_a_malformed_cluster_address_is_refused_at_once_and_leaves_no_lock(tmp_path, capsys):
    pytest.importorskip("distributed")
    code, out, err = _cli(capsys, "sweep", "--kind", "random", "--grid", "smoke",
                          "--results", str(tmp_path / "r.jsonl"), "--cluster", "foo")
    assert code == 2
    line = _one_line(err)
    assert "--cluster 'foo' is not a scheduler address" in line and "20 s" not in line
    assert list(tmp_path.iterdir()) == []


def test_c11_the_lock_is_removed_and_a_waiter_locks_the_current_file(tmp_path):
    from repcap.packing.sweeps import sweep_lock

    results = tmp_path / "r.jsonl"
    with sweep_lock(results):
        assert (tmp_path / "r.jsonl.lock").exists()
    assert list(tmp_path.iterdir()) == []
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time\nfrom repcap.packing.sweeps import sweep_lock\n"
                               "with sweep_lock(sys.argv[1]):\n    print('held', flush=True)\n"
                               "    time.sleep(1.5)\n", str(results)],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "held"
        with sweep_lock(results, timeout=60, poll=0.05) as waited:
            # we waited for the holder, which deleted its file: ours is the one at the path now
            assert waited > 0 and (tmp_path / "r.jsonl.lock").exists()
            assert holder.poll() is not None or holder.wait(timeout=30) == 0
    finally:
        holder.kill()
        holder.wait()
    assert list(tmp_path.iterdir()) == []


def test_c12_construct_save_into_a_folder_names_the_folder(tmp_path, capsys):
    folder = tmp_path / "vectors"
    folder.mkdir()
    code, out, err = _cli(capsys, "construct", "--d", "8", "--eps", "0.5", "--save", str(folder),
                          "--k", "3")
    assert code == 2
    assert _one_line(err) == (f"repcap construct: error: cannot write the vectors to {folder}: it is "
                              f"a folder, not a file; name a file for --save (e.g. "
                              f"{folder / 'vectors.npy'})")
    assert _files(tmp_path) == []


def test_c12_survey_out_through_a_file_names_the_flag(tmp_path, capsys):
    good = _tiny_model(tmp_path / "good", np.random.default_rng(0).normal(size=(30, 8)))
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, out, err = _cli(capsys, "survey", str(good), "--no-progress", "--out",
                          str(blocker / "table.csv"))
    assert code == 2
    line = _one_line(err)
    assert "a path component is a file, not a directory" in line and "(--out)" in line
    assert "File exists" not in line and "table_path" not in line


def test_c12_an_empty_gguf_given_to_activations_is_named_as_one(tmp_path, capsys):
    path = tmp_path / "model.gguf"
    path.write_bytes(b"")
    code, out, err = _cli(capsys, "activations", str(path), "--no-progress", "--tokens", "10")
    assert code == 2
    assert _one_line(err) == (f"repcap activations: error: {path}: only 0 bytes; not a GGUF file "
                              "(empty or truncated download)")


def test_c12_an_all_zero_matrix_is_named_by_its_model(tmp_path, capsys):
    model = _tiny_model(tmp_path / "zeros", np.zeros((10, 8)))
    for extra in ([], ["--pairs"]):
        code, out, err = _cli(capsys, "epsilon", str(model), "--no-progress",
                              "--cache-dir", str(tmp_path / "cache"), *extra)
        assert code == 2
        assert _one_line(err) == (f"repcap epsilon: error: {model}: 0 usable row(s) after dropping 10 "
                                  "all-zero row(s); cosine pairs need at least 2 non-zero rows")


def test_c13_a_raw_pickle_bin_is_refused_without_torchs_warning(tmp_path, capsys):
    import pickle

    folder = tmp_path / "pickled"
    folder.mkdir()
    with open(folder / "pytorch_model.bin", "wb") as fh:
        pickle.dump({"model.embed_tokens.weight": np.ones((10, 8), np.float32)}, fh, protocol=4)
    code, out, err = _cli(capsys, "epsilon", str(folder), "--no-progress",
                          "--cache-dir", str(tmp_path / "cache"))
    assert code == 2
    line = _one_line(err)  # torch's "please file an issue" warning is not printed
    assert line.startswith(f"repcap epsilon: error: {folder}: pytorch_model.bin holds more than "
                           "plain tensors") and "safetensors" in line


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_c14_files_get_the_umasks_mode(tmp_path, umask):
    from repcap.common.files import atomic_write_text
    from repcap.packing.sweeps import record_cell

    before = os.umask(umask)
    try:
        atomic_write_text(tmp_path / "results.json", "{}")
        cache.Entry(tmp_path / "entry").write_tensor("emb", (4, 3), [np.ones((4, 3))], what="test")
        record_cell(tmp_path / "sweep.jsonl", {"k": 2, "d": 2, "eps": 0.1},
                    {"checkpoint": str(tmp_path / "none.pt")})
    finally:
        os.umask(before)
    for path in (tmp_path / "results.json", tmp_path / "entry" / "emb.npy",
                 tmp_path / "entry" / "emb.json", tmp_path / "sweep.jsonl"):
        assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask, path


def test_c15_a_disk_that_fills_after_the_matrix_keeps_nothing():
    # room for SmolLM2's 113 MB .npy (fallocate passes) but not for the rest of the entry
    with _small_tmpfs(str(113_246_336 + 30 * 4096)) as disk:
        code, out, err = _repcap("info", "SmolLM2-135M-Instruct", "--no-progress",
                                 "--cache-dir", str(disk))
        assert code == 2, err
        assert "disk is full" in _one_line(err)
        assert list(disk.iterdir()) == []


def test_c15_patched_write_after_the_matrix_keeps_nothing(tmp_path, monkeypatch):
    """Where no tmpfs can be mounted: every JSON file of the entry fails with ENOSPC on its fsync,
    after the .npy was written."""
    from repcap.common import files
    from repcap.sources import load_embedding

    model = _tiny_model(tmp_path / "model", np.random.default_rng(0).normal(size=(30, 8)))
    real_fsync = files._fsync

    def no_space_for_json(path):
        if ".json." in path.name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real_fsync(path)

    monkeypatch.setattr(files, "_fsync", no_space_for_json)
    with pytest.raises(StorageError, match="disk is full"):
        load_embedding(str(model), cache_dir=tmp_path / "cache", progress=False)
    assert list((tmp_path / "cache").iterdir()) == []


def test_c16_temporaries_of_a_killed_sweep_are_removed_on_the_next_run(tmp_path):
    from repcap.packing.sweeps import run_sweep

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    results = tmp_path / "r.jsonl"
    checkpoints = tmp_path / "r.jsonl.checkpoints"
    checkpoints.mkdir()
    stale = [checkpoints / f".random-k20-d8.pt.{dead.pid}.0123abcd.tmp",
             tmp_path / f".r.jsonl.{dead.pid}.89abcdef.tmp"]
    for path in stale:
        path.write_bytes(b"half a write")
    run_sweep("random", [(20, 8)], results, trials=3, progress=False, device="cpu")
    assert [p.name for p in tmp_path.iterdir()] == ["r.jsonl"]  # no temporaries, folder, or lock


def test_c16_a_cache_hit_removes_temporaries_of_a_killed_load(tmp_path):
    from repcap.sources import load_embedding

    model = _tiny_model(tmp_path / "model", np.random.default_rng(0).normal(size=(30, 8)))
    first = load_embedding(str(model), cache_dir=tmp_path / "cache", progress=False)
    entry = Path(first.provenance["cache_path"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = entry / f".model.embed_tokens.weight.npy.{dead.pid}.0123abcd.tmp"
    stale.write_bytes(b"half a matrix")
    again = load_embedding(str(model), cache_dir=tmp_path / "cache", progress=False)
    assert again.provenance["cache"] == "hit" and not stale.exists()


def test_c17_hints_name_flags_on_the_command_line_and_arguments_in_python(tmp_path, capsys):
    from repcap.errors import ModelFileError, command_line_wording, option
    from repcap.sources import load_embedding

    matrix = np.random.default_rng(0).normal(size=(30, 8))
    model = tmp_path / "two"
    model.mkdir()
    from safetensors.numpy import save_file

    save_file({"a.embed_tokens.weight": matrix.astype(np.float32),
               "b.embed_tokens.weight": matrix.astype(np.float32)}, str(model / "model.safetensors"))
    code, out, err = _cli(capsys, "info", str(model), "--cache-dir", str(tmp_path / "cache"))
    assert code == 2 and "Pass --tensor NAME to choose one." in _one_line(err)
    with pytest.raises(ModelFileError, match="Pass tensor=NAME to choose one"):
        load_embedding(str(model), cache_dir=tmp_path / "cache", progress=False)
    code, out, err = _cli(capsys, "pack", "--k", "10", "--d", "4", "--memory-budget", "lots")
    assert code == 2 and "cannot read --memory-budget 'lots'" in _one_line(err)
    assert option("device", "'cpu'") == "device='cpu'" and option("memory_budget") == "memory_budget"
    with command_line_wording():
        assert option("device", "'cpu'") == "--device cpu"
        assert option("table_path", "PATH", flag="--out") == "--out PATH"
