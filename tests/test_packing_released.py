"""repcap.packing.released: the released sweeps found locally, downloaded from a loopback server, or skipped."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from repcap.packing import released as pdata
from repcap.errors import DataFileError, DomainError, DownloadError, OfflineError


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No env dir, no shared dir, an empty cache: only what a test puts in place is found."""
    monkeypatch.delenv(pdata.PAPER_DATA_ENV, raising=False)
    monkeypatch.setenv("REPCAP_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(pdata, "_REPO_ROOT", tmp_path / "no_checkout" / "main")
    return tmp_path


def _synthetic_random() -> list[list[float]]:
    """A file shaped like random_packing.json (256 cells), values from the leading-order law √(4 ln k / d)."""
    cells = []
    for k in range(2000, 32001, 2000):
        for d in range(256, 4097, 256):
            cells.append([k, d, float(np.sqrt(4 * np.log(k) / d))])
    return cells


def _write(directory: Path, kind: str, cells) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / pdata.FILES[kind]
    path.write_text(json.dumps(cells))
    return path


class _Server:
    """A loopback HTTP server on 127.0.0.1 whose responses a test sets per path."""

    def __init__(self):
        self.routes: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        self.hits: list[str] = []
        routes, hits = self.routes, self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                hits.append(self.path)
                status, body, headers = routes.get(self.path, (404, b"not found", {}))
                self.send_response(status)
                headers = {"Content-Length": str(len(body)), **headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/vector_packing/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = _Server()
    yield srv
    srv.close()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"  # nothing listens there any more: connection refused


# ---------------------------------------------------------------------------------------------
# local copies
# ---------------------------------------------------------------------------------------------

def test_shared_directory_beside_the_checkout_is_found(paper_data, monkeypatch, tmp_path):
    monkeypatch.delenv(pdata.PAPER_DATA_ENV, raising=False)
    monkeypatch.setenv("REPCAP_CACHE", str(tmp_path / "cache"))
    rnd = pdata.load_paper_sweep("random", download=False, report=None)
    opt = pdata.load_paper_sweep("optimised", download=False, report=None)
    assert rnd.origin == opt.origin == "shared"
    assert Path(rnd.source).parent == paper_data
    assert len(rnd) == 256 and len(opt) == 166
    # Values quoted in the paper's notes (paper.md §4.3 and §4.5).
    assert rnd.lookup(2000, 256) == pytest.approx(0.2834, abs=1e-4)
    assert rnd.lookup(32000, 4096) == pytest.approx(0.0898, abs=1e-4)
    assert opt.lookup(32000, 4096) == pytest.approx(0.0250, abs=1e-4)
    assert opt.lookup(2000, 32) == pytest.approx(0.3859, abs=1e-4)
    assert opt.lookup(6000, 33) is None
    assert sorted(set(rnd.k.tolist())) == list(range(2000, 32001, 2000))
    assert sorted(set(opt.d.tolist())) == [32, 64, 128, 256, 512, 768, 1024, 1536, 2048, 2560, 3072, 3584, 4096]
    # Six optimised cells have k ≤ d (nearly exactly orthogonal packings).
    assert int(np.sum(opt.k <= opt.d)) == 6


def test_env_directory_comes_first(isolated, monkeypatch):
    env_dir = isolated / "mine"
    _write(env_dir, "random", _synthetic_random())
    cache = pdata.cache_dir() / "paper_data"
    _write(cache, "random", [[2, 2, 0.5]] * 256)  # would be found second
    monkeypatch.setenv(pdata.PAPER_DATA_ENV, str(env_dir))
    sweep = pdata.load_paper_sweep("random", download=False, report=None)
    assert sweep.origin == "env"
    assert sweep.lookup(4000, 1024) == pytest.approx(np.sqrt(4 * np.log(4000) / 1024))
    assert [o for o, _ in pdata.candidate_dirs()] == ["env", "shared", "cache"]


def test_cache_is_used_when_nothing_else_is_there(isolated):
    _write(pdata.cache_dir() / "paper_data", "random", _synthetic_random())
    sweep = pdata.load_paper_sweep("random", download=False, report=None)
    assert sweep.origin == "cache" and len(sweep) == 256


@pytest.mark.parametrize("content, fragment", [
    ("{not json", "not a JSON file"),
    (json.dumps({"k": 1}), "expected a JSON list"),
    (json.dumps([[2000, 256]] * 256), "three numbers"),
    (json.dumps([[2000.5, 256, 0.3]] * 256), "integers"),
    (json.dumps([[2000, 256, 1.5]] * 256), "0 ≤ eps ≤ 1"),
    (json.dumps([[2000, 256, 0.3]] * 10), "10 cells"),
])
def test_malformed_local_file_is_an_error_not_a_skip(isolated, monkeypatch, content, fragment):
    env_dir = isolated / "bad"
    env_dir.mkdir()
    (env_dir / pdata.FILES["random"]).write_text(content)
    monkeypatch.setenv(pdata.PAPER_DATA_ENV, str(env_dir))
    with pytest.raises(DataFileError, match=fragment):
        pdata.load_paper_sweep("random", download=False, report=None)


def test_unknown_kind_and_missing_file(isolated):
    with pytest.raises(DomainError, match="unknown sweep kind"):
        pdata.load_paper_sweep("optimized", report=None)
    with pytest.raises(DataFileError, match="does not exist"):
        pdata.read_sweep_file(isolated / "nope.json", "random")


# ---------------------------------------------------------------------------------------------
# download (loopback HTTP server) and the offline path
# ---------------------------------------------------------------------------------------------

def test_download_into_cache_then_reuse_without_network(isolated, server):
    body = json.dumps(_synthetic_random()).encode()
    server.routes["/vector_packing/random_packing.json"] = (200, body, {})
    messages = []
    sweep = pdata.load_paper_sweep("random", base_url=server.url, report=messages.append)
    assert sweep.origin == "download" and messages == []
    cached = pdata.cache_dir() / "paper_data" / "random_packing.json"
    assert cached.read_bytes() == body
    assert Path(sweep.source) == cached
    assert not list(cached.parent.glob("*.tmp"))
    assert server.hits == ["/vector_packing/random_packing.json"]
    again = pdata.load_paper_sweep("random", base_url=_closed_port_url(), report=messages.append)
    assert again.origin == "cache" and messages == [] and len(server.hits) == 1
    np.testing.assert_array_equal(again.eps, sweep.eps)


def test_no_network_returns_none_with_message(isolated):
    messages = []
    assert pdata.load_paper_sweep("optimised", base_url=_closed_port_url(), timeout=2,
                                       report=messages.append) is None
    assert len(messages) == 1
    assert "not available offline; the comparison is skipped" in messages[0]
    assert "optimized_packing.json" in messages[0]
    assert not (pdata.cache_dir() / "paper_data" / "optimized_packing.json").exists()
    with pytest.raises(OfflineError, match="cannot reach"):
        pdata.download_paper_data("optimised", base_url=_closed_port_url(), timeout=2)


def test_download_disabled_reports_without_touching_the_network(isolated, server):
    messages = []
    assert pdata.load_paper_sweep("random", download=False, base_url=server.url,
                                       report=messages.append) is None
    assert server.hits == [] and "comparison is skipped" in messages[0]


def test_http_error_and_bad_bodies_leave_no_file(isolated, server):
    cache = pdata.cache_dir() / "paper_data"
    with pytest.raises(DownloadError, match="HTTP 404"):
        pdata.download_paper_data("random", base_url=server.url)
    server.routes["/vector_packing/random_packing.json"] = (200, b"<html>rate limited</html>", {})
    with pytest.raises(DataFileError, match="did not return JSON"):
        pdata.download_paper_data("random", base_url=server.url)
    server.routes["/vector_packing/random_packing.json"] = (200, json.dumps([[2000, 256, 0.3]]).encode(), {})
    with pytest.raises(DataFileError, match="1 cells"):
        pdata.download_paper_data("random", base_url=server.url)
    body = json.dumps(_synthetic_random()).encode()
    server.routes["/vector_packing/random_packing.json"] = (200, body[: len(body) // 2],
                                                            {"Content-Length": str(len(body))})
    with pytest.raises(DownloadError, match="connection closed|received"):
        pdata.download_paper_data("random", base_url=server.url, timeout=5)
    assert not cache.exists() or not any(cache.iterdir())
    messages = []
    assert pdata.load_paper_sweep("random", base_url=server.url, timeout=5,
                                       report=messages.append) is None
    assert "comparison is skipped" in messages[0]


def test_pinned_upstream_url():
    assert pdata.BASE_URL.startswith("https://raw.githubusercontent.com/Alex-Guha/representational-capacity/")
    assert pdata.BASE_URL.endswith("/code/vector_packing/")
    commit = pdata.BASE_URL.split("/")[5]
    assert len(commit) == 40 and int(commit, 16) >= 0


def test_shared_cells_against_a_brute_force_join(paper_data):
    sweep = pdata.read_sweep_file(paper_data / "optimized_packing.json", "optimised")
    # ours: a few of the paper's cells (perturbed ε) mixed with cells it does not have
    pick = [0, 7, len(sweep.k) - 1]
    k = np.array([float(sweep.k[i]) for i in pick] + [3.0, 123457.0])
    d = np.array([float(sweep.d[i]) for i in pick] + [2.0, 64.0])
    eps = np.array([float(sweep.eps[i]) * 1.1 for i in pick] + [0.5, 0.4])
    rows = pdata.shared_cells(sweep, k, d, eps, predict=lambda kk, dd: kk / dd)
    brute = []
    for kk, dd, e in zip(k, d, eps):
        hits = [x for x, y, z in zip(sweep.k, sweep.d, sweep.eps) if x == kk and y == dd]
        if hits:
            paper = float(sweep.eps[[i for i in range(len(sweep.k)) if sweep.k[i] == kk and sweep.d[i] == dd][0]])
            brute.append((kk, dd, e, paper))
    assert len(rows) == len(brute) == 3
    for row, (kk, dd, e, paper) in zip(rows, brute):
        assert (row["k"], row["d"], row["ours"], row["paper"]) == (kk, dd, e, paper)
        assert row["diff"] == pytest.approx(0.1, rel=1e-9)  # ours = 1.1 × paper
        assert row["law"] == kk / dd
    assert "law" not in pdata.shared_cells(sweep, k, d, eps)[0]


def test_shared_cells_without_data_or_overlap():
    assert pdata.shared_cells(None, [1000.0], [64.0], [0.3]) == []
    sweep = pdata.PaperSweep(kind="random", k=np.array([100, 200]), d=np.array([16, 16]),
                             eps=np.array([0.5, 0.6]), source="memory", origin="env")
    assert pdata.shared_cells(sweep, [100.0, 300.0], [32.0, 16.0], [0.4, 0.4]) == []
    assert pdata.shared_cells(sweep, [200.0], [16.0], [0.3])[0]["diff"] == pytest.approx(0.3 / 0.6 - 1)
    with pytest.raises(DomainError, match="same length"):
        pdata.shared_cells(sweep, [200.0, 100.0], [16.0], [0.3])
