"""Test helpers: a loopback Hugging Face hub and tiny checkpoints built in code.

``FakeHub`` serves repositories from memory on 127.0.0.1 in the hub's URL layout
``/{repo}/resolve/{revision}/{filename}`` with the headers huggingface_hub relies on
(``X-Repo-Commit``, ``ETag``, ``X-Linked-Etag``/``X-Linked-Size``, ``X-Error-Code``). Weight files
(``.safetensors``, ``.bin``, ``.gguf``) answer with a 302 to a "CDN" on another origin
(``localhost`` instead of ``127.0.0.1``), as the real hub does for LFS files, and that CDN honours
``Range``. Every body byte served is counted per (repo, file), so tests can assert what was read.
Gated repos require ``Authorization: Bearer <token>``; failure injection cuts a response after
some bytes to simulate a dropped connection. ``/api/models/{repo}/tree/{revision}/{folder}`` lists a
folder's files (empty for a folder the repo lacks), as transformers asks when it loads a tokenizer.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

LFS_SUFFIXES = (".safetensors", ".bin", ".gguf")


class FakeRepo:
    def __init__(self, files: dict[str, bytes], commit: str, gated_token: str | None = None):
        self.files = files
        self.commit = commit
        self.gated_token = gated_token


class FakeHub:
    """A loopback hub. Use as a context manager; ``endpoint`` is the value for HF_ENDPOINT."""

    def __init__(self):
        self.repos: dict[str, FakeRepo] = {}
        self.served: dict[tuple[str, str], int] = defaultdict(int)
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Range)
        self.cut: dict[str, list[int]] = {}  # filename -> byte counts after which to drop, one per request
        self._blobs: dict[tuple[str, str], tuple[str, str]] = {}  # (repo, sha256) -> (repo, file)
        self._server: ThreadingHTTPServer | None = None

    # -- repositories ----------------------------------------------------------------------------
    def add_repo(self, repo_id: str, folder: str | Path | None = None, *,
                 files: dict[str, bytes] | None = None, gated_token: str | None = None) -> str:
        """Serve the files of ``folder`` (or ``files``) as ``repo_id``; returns the commit hash."""
        content = dict(files or {})
        if folder is not None:
            for path in sorted(Path(folder).iterdir()):
                if path.is_file():
                    content[path.name] = path.read_bytes()
        commit = hashlib.sha1(repo_id.encode() + b"".join(content[k] for k in sorted(content))).hexdigest()
        self.repos[repo_id] = FakeRepo(content, commit, gated_token)
        for name, data in content.items():
            self._blobs[(repo_id, hashlib.sha256(data).hexdigest())] = (repo_id, name)
        return commit

    def bytes_served(self, repo_id: str, filename: str | None = None) -> int:
        if filename is not None:
            return self.served.get((repo_id, filename), 0)
        return sum(v for (r, _), v in self.served.items() if r == repo_id)

    def reset_counts(self) -> None:
        self.served.clear()
        self.requests.clear()

    # -- server ----------------------------------------------------------------------------------
    def __enter__(self) -> "FakeHub":
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_HEAD(self):
                hub._handle(self, head=True)

            def do_GET(self):
                hub._handle(self, head=False)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]  # type: ignore[union-attr]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- request handling ------------------------------------------------------------------------
    def _handle(self, req: BaseHTTPRequestHandler, head: bool) -> None:
        path = unquote(req.path.split("?", 1)[0])
        self.requests.append((req.command, path, req.headers.get("Range")))
        m = re.match(r"^/cdn/(.+)/([0-9a-f]{64})$", path)
        if m:
            blob = self._blobs.get((m.group(1), m.group(2)))
            if blob is None:
                return self._error(req, 404, "EntryNotFound", "no such blob")
            repo_id, name = blob
            return self._send_file(req, head, repo_id, name, self.repos[repo_id].files[name], {})
        m = re.match(r"^/api/models/(.+?)/tree/([^/]+)(?:/(.*))?$", path)
        if m and m.group(1) in self.repos:
            # the file listing under a folder (transformers lists additional_chat_templates/)
            folder = (m.group(3) or "").strip("/")
            files = self.repos[m.group(1)].files
            entries = [{"type": "file", "path": name, "size": len(data),
                        "oid": hashlib.sha1(data).hexdigest()}
                       for name, data in sorted(files.items())
                       if not folder or name.startswith(folder + "/")]
            return self._send_json(req, entries)
        m = re.match(r"^/(?:(?:models)/)?(.+?)/resolve/([^/]+)/(.+)$", path)
        if not m:
            return self._error(req, 404, "RepoNotFound", "bad url")
        repo_id, revision, name = m.groups()
        repo = self.repos.get(repo_id)
        if repo is None:
            return self._error(req, 401, "RepoNotFound", "Repository not found")
        if repo.gated_token is not None:
            auth = req.headers.get("Authorization", "")
            if auth != f"Bearer {repo.gated_token}":
                return self._error(req, 401, "GatedRepo",
                                   "Access to model is restricted. You must have access to it.")
        if revision not in ("main", repo.commit):
            return self._error(req, 404, "RevisionNotFound", "Invalid rev id")
        base = {"X-Repo-Commit": repo.commit}
        data = repo.files.get(name)
        if data is None:
            return self._error(req, 404, "EntryNotFound", "Entry not found", base)
        if name.endswith(LFS_SUFFIXES):
            sha = hashlib.sha256(data).hexdigest()
            cdn = f"http://localhost:{self.port}/cdn/{repo_id}/{sha}"
            headers = {**base, "Location": cdn, "X-Linked-Etag": f'"{sha}"',
                       "X-Linked-Size": str(len(data)), "ETag": f'"{sha}"', "Content-Length": "0"}
            req.send_response(302)
            for k, v in headers.items():
                req.send_header(k, v)
            req.end_headers()
            return None
        etag = hashlib.sha1(data).hexdigest()
        return self._send_file(req, head, repo_id, name, data, {**base, "ETag": f'"{etag}"'})

    def _send_file(self, req, head: bool, repo_id: str, name: str, data: bytes, headers: dict):
        start, end, status = 0, len(data), 200
        rng = req.headers.get("Range")
        if rng:
            m = re.match(r"bytes=(\d+)-(\d*)$", rng.strip())
            if m:
                start = int(m.group(1))
                end = min(int(m.group(2)) + 1, len(data)) if m.group(2) else len(data)
                if start >= len(data):
                    return self._error(req, 416, None, "range not satisfiable")
                status = 206
        body = data[start:end]
        req.send_response(status)
        for k, v in headers.items():
            req.send_header(k, v)
        req.send_header("Accept-Ranges", "bytes")
        req.send_header("Content-Length", str(len(body)))
        if status == 206:
            req.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        req.end_headers()
        if head:
            return
        cuts = self.cut.get(name)
        if cuts:
            limit = cuts.pop(0)
            part = body[:limit]
            req.wfile.write(part)
            req.wfile.flush()
            self.served[(repo_id, name)] += len(part)
            req.close_connection = True
            try:
                import socket

                req.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        req.wfile.write(body)
        self.served[(repo_id, name)] += len(body)

    def _send_json(self, req, value) -> None:
        body = json.dumps(value).encode()
        req.send_response(200)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        if req.command != "HEAD":
            req.wfile.write(body)

    def _error(self, req, status: int, code: str | None, message: str, headers: dict | None = None):
        body = json.dumps({"error": message}).encode()
        req.send_response(status)
        if code:
            req.send_header("X-Error-Code", code)
        req.send_header("X-Error-Message", message)
        for k, v in (headers or {}).items():
            req.send_header(k, v)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        if req.command != "HEAD":
            req.wfile.write(body)


# -- tiny checkpoints ----------------------------------------------------------------------------
def write_tokenizer(folder: Path, vocab_size: int) -> list[str]:
    """A WordLevel tokenizer.json with ``vocab_size`` tokens (``tok0`` ...), written with the
    ``tokenizers`` library so its layout is the real one."""
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel

    vocab = {f"tok{i}": i for i in range(vocab_size - 2)}
    vocab["<unk>"] = vocab_size - 2
    tok = Tokenizer(WordLevel(vocab, unk_token="<unk>"))
    tok.add_special_tokens(["<pad>"])  # id vocab_size - 1, from added_tokens
    tok.save(str(folder / "tokenizer.json"))
    names = [""] * vocab_size
    for t, i in vocab.items():
        names[i] = t
    names[vocab_size - 1] = "<pad>"
    return names


def build_model(kind: str, folder: Path, *, shard: str | None = "200KB", dtype: str = "bfloat16",
                drop_tie_flag: bool = False, seed: int = 0):
    """Save a tiny randomly initialised transformers model of ``kind`` in ``folder``.

    kinds: llama (untied), llama-tied, gpt2 (tied), neox (untied, embed_out), bert (encoder),
    t5 (shared embedding). Returns the model (float32 weights as saved, for comparison).
    """
    import torch
    import transformers as tf

    torch.manual_seed(seed)
    small = dict(vocab_size=1000)
    if kind in ("llama", "llama-tied"):
        cfg = tf.LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2,
                             tie_word_embeddings=(kind == "llama-tied"), **small)
        model = tf.LlamaForCausalLM(cfg)
    elif kind == "gpt2":
        cfg = tf.GPT2Config(n_embd=48, n_layer=1, n_head=4, n_positions=64, **small)
        model = tf.GPT2LMHeadModel(cfg)
    elif kind == "neox":
        cfg = tf.GPTNeoXConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                               num_attention_heads=4, max_position_embeddings=64,
                               tie_word_embeddings=False, **small)
        model = tf.GPTNeoXForCausalLM(cfg)
    elif kind == "bert":
        cfg = tf.BertConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                            num_attention_heads=2, max_position_embeddings=64, **small)
        model = tf.BertModel(cfg)
    elif kind == "t5":
        cfg = tf.T5Config(d_model=32, d_ff=64, d_kv=8, num_layers=1, num_heads=2, **small)
        model = tf.T5ForConditionalGeneration(cfg)
    else:
        raise ValueError(kind)
    model = model.to(getattr(torch, dtype))
    kwargs = {"max_shard_size": shard} if shard else {}
    model.save_pretrained(folder, **kwargs)
    write_tokenizer(folder, 1000)
    if drop_tie_flag:  # like older configs that rely on the model class default
        cfg_path = folder / "config.json"
        data = json.loads(cfg_path.read_text())
        data.pop("tie_word_embeddings", None)
        cfg_path.write_text(json.dumps(data))
    return model
