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
    assert _one_line(err.split("\r")[-1]) == "repcap random-baseline: terminated"
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
