"""Bad input and faults at the command line: one clear line on stderr, a known exit status, no
traceback, nothing left behind. (Each case is a row of issue 15's table or a case that already
worked and must keep working.)"""

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
    time.sleep(5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143
    lines = err.split("\r")[-1].splitlines()
    # A cell this large announces its estimated cost first (one line), then the termination.
    assert lines[0].startswith("repcap random-baseline: estimated cost ")
    assert _one_line("\n".join(lines[1:])) == "repcap random-baseline: terminated"
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
    assert code == 1
    assert fragment in _one_line(err)
    assert "executing" not in out
    assert not (tmp_path / "_build" / "executed").exists()


def test_the_book_build_refuses_a_misnamed_folder_first(tmp_path):
    code, out, err = _book("--profile", "smoke", "--build-dir", str(tmp_path / "elsewhere"))
    assert code == 1 and "must be named '_build'" in _one_line(err)
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
