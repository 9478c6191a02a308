"""A checkpoint on the Hugging Face hub, read without downloading what is not needed.

What is fetched, through ``huggingface_hub`` and its standard cache (``HF_HUB_CACHE`` /
``HF_HOME``): ``config.json`` (which also pins the revision to a commit hash, the cache key),
``model.safetensors.index.json``, the tokenizer files. Weights are *not* downloaded: the header of
the shard that holds the embedding is read with one or two HTTP Range requests and then only that
tensor's byte range ``[8 + N + b, 8 + N + e)`` is streamed, so a 70B model's embedding costs about
its own size (≈1 GB in bf16), not the checkpoint's 140 GB. Shards already in the hub cache are
read from disk instead. Pickle (``.bin``) checkpoints cannot be range-read and are downloaded
whole, then loaded with ``weights_only=True``.

Environment honoured at call time: ``HF_ENDPOINT``, ``HF_HUB_OFFLINE`` (only the hub cache is
used), ``HF_TOKEN`` (gated and private repos), ``HF_HUB_CACHE`` / ``HF_HOME``.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import time
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

from repcap.common.files import atomic_write_text
from repcap.common.progress import bar, counted, silent_tqdm_class
from repcap.errors import (AccessError, ModelFileError, DownloadError, ModelNotFoundError,
                           OfflineError, RepcapError, StorageError)
from repcap.sources.checkpoint import CheckpointFiles
from repcap.sources.offline import OFFLINE_MODELS
from repcap.sources.safetensors_io import (PROBE_BYTES, Header, TensorInfo, header_length,
                                           iter_file_range, parse_header, read_header)

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_REPO_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*$")
MAX_RESUMES = 3
PROBE_TIMEOUT_S = 10.0

#: The installed offline models, named where the hub cannot help.
_OFFLINE = ", ".join(OFFLINE_MODELS)


def looks_like_repo_id(text: str) -> bool:
    """``org/name`` or a bare legacy name such as ``gpt2`` (no path separators beyond one '/')."""
    return bool(_REPO_ID.match(text)) and ".." not in text and not text.endswith((".gguf", ".safetensors"))


def offline_mode() -> bool:
    """True when ``HF_HUB_OFFLINE`` is set now.

    huggingface_hub reads the variable once, at import; repcap reads it at call time and copies
    it into ``huggingface_hub.constants.HF_HUB_OFFLINE``, so setting or unsetting it in a running
    notebook takes effect for both.
    """
    import huggingface_hub.constants as constants

    value = os.environ.get("HF_HUB_OFFLINE", "")
    offline = value.strip().upper() in ("1", "ON", "YES", "TRUE")
    constants.HF_HUB_OFFLINE = offline
    return offline


def endpoint() -> str:
    import huggingface_hub.constants as constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def hub_cache_dir() -> str:
    """``HF_HUB_CACHE``, else ``HF_HOME/hub``, else huggingface_hub's default (read at call time)."""
    import huggingface_hub.constants as constants

    if os.environ.get("HF_HUB_CACHE"):
        return os.path.expanduser(os.environ["HF_HUB_CACHE"])
    if os.environ.get("HF_HOME"):
        return os.path.join(os.path.expanduser(os.environ["HF_HOME"]), "hub")
    return constants.HF_HUB_CACHE


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Connection-level exception classes of the HTTP library huggingface_hub uses (httpx/httpx2)."""
    from huggingface_hub.utils import get_session

    errors: list[type[BaseException]] = [ConnectionError, TimeoutError]
    module = importlib.import_module(type(get_session()).__module__.split(".")[0])
    for name in ("TransportError", "TimeoutException", "StreamError"):
        cls = getattr(module, name, None)
        if isinstance(cls, type):
            errors.append(cls)
    return tuple(errors)


def _origin(url: str) -> tuple[str, str, int | None]:
    p = urlparse(url)
    return p.scheme, (p.hostname or "").lower(), p.port


class HubFiles(CheckpointFiles):
    """The files of one hub repository at one commit."""

    def __init__(self, repo_id: str, revision: str | None = None, *, progress: bool = True):
        self.repo_id = repo_id
        self.revision = revision
        self.progress = progress
        self.endpoint = endpoint()
        self.offline = offline_mode()
        self.local_only = self.offline  # becomes True too when the hub proves unreachable
        self.unreachable: str | None = None
        self.cache_dir = hub_cache_dir()
        self.where = f"{repo_id}@{revision or 'main'}"
        self.read: dict[str, int] = {}
        self.unknown: list[str] = []
        self._remote_meta: dict[str, tuple[str, dict, int | None]] = {}
        self._config_path: Path | None = None
        self.commit = self._resolve_commit()
        self.where = f"{repo_id}@{self.commit[:10]}"

    # -- huggingface_hub calls -------------------------------------------------------------------
    def _download(self, name: str, revision: str | None = None) -> str:
        from huggingface_hub import hf_hub_download

        kwargs = {}
        if not self.progress:
            kwargs["tqdm_class"] = silent_tqdm_class()
        return hf_hub_download(self.repo_id, name, revision=revision or self.commit,
                               cache_dir=self.cache_dir, endpoint=self.endpoint,
                               local_files_only=self.local_only, **kwargs)

    def _resolve_commit(self) -> str:
        """Pin ``revision`` to a commit hash and fetch config.json.

        One HEAD request without retries first: huggingface_hub would retry an unreachable hub
        with back-off for ~20 s before falling back to its cache; a failed probe switches this
        object to cache-only use at once, as HF_HUB_OFFLINE does.
        """
        from huggingface_hub import get_hf_file_metadata, hf_hub_url
        from huggingface_hub.errors import EntryNotFoundError

        revision = self.revision or "main"
        if not self.local_only:
            url = hf_hub_url(self.repo_id, "config.json", revision=revision, endpoint=self.endpoint)
            try:
                meta = self._call(get_hf_file_metadata, url, endpoint=self.endpoint,
                                  timeout=PROBE_TIMEOUT_S)
                if meta.commit_hash and _COMMIT.match(meta.commit_hash):
                    self._remember_ref(revision, meta.commit_hash)
                    revision = meta.commit_hash
            except EntryNotFoundError as exc:  # a repo without config.json
                commit = _commit_from_error(exc)
                if commit is None:
                    raise ModelNotFoundError(
                        f"{self.repo_id}: has no config.json and the hub did not report a "
                        "commit; download the checkpoint and pass its folder instead") from None
                return commit
            except OfflineError as exc:
                self.local_only = True
                self.unreachable = str(exc)
        try:
            path = Path(self._call(self._download, "config.json", revision))
        except EntryNotFoundError:
            raise ModelNotFoundError(
                f"{self.repo_id}: config.json is listed but could not be fetched") from None
        self._config_path = path
        commit = path.parent.name
        if not _COMMIT.match(commit):  # unusual cache layout
            commit = revision
        return commit

    def _remember_ref(self, revision: str, commit: str) -> None:
        """Record ``revision -> commit`` in the hub cache's ``refs/`` (its documented layout), so
        that a later offline run can resolve ``main`` to the snapshot fetched now."""
        from huggingface_hub.file_download import repo_folder_name

        if revision == commit:
            return
        ref = (Path(self.cache_dir) / repo_folder_name(repo_id=self.repo_id, repo_type="model")
               / "refs" / revision)
        try:
            if ref.is_file() and ref.read_text().strip() == commit:
                return
            atomic_write_text(ref, commit)
        except (OSError, StorageError):
            pass  # a read-only hub cache: offline runs will then need the commit hash

    def _call(self, fn, *args, transfer: bool = False, **kwargs):
        """Run a huggingface_hub call, turning its exceptions into repcap errors.

        ``transfer``: the call moves file contents, so a connection lost midway is an
        interrupted download (DownloadError), not an unreachable hub (OfflineError).
        A missing file (EntryNotFoundError) passes through for the caller to handle.
        """
        from huggingface_hub import errors as hf

        what = args[0] if args and isinstance(args[0], str) else "the file"
        try:
            return fn(*args, **kwargs)
        except hf.GatedRepoError:
            why = ("the token in HF_TOKEN has not been granted access" if _token() else
                   "no token is set")
            raise AccessError(
                f"{self.repo_id} is a gated repository and {why}. Accept its licence at "
                f"https://huggingface.co/{self.repo_id} while logged in, then export HF_TOKEN=hf_... "
                "(or run `hf auth login`) and try again.") from None
        except hf.RepositoryNotFoundError:
            hint = "" if _token() else " If it is private, set HF_TOKEN."
            raise ModelNotFoundError(
                f"{self.repo_id}: no such model repository on {self.endpoint}.{hint} Check the "
                "spelling (org/name), or use one of the offline models "
                f"({_OFFLINE}).") from None
        except hf.RevisionNotFoundError:
            raise ModelNotFoundError(
                f"{self.repo_id}: revision {self.revision!r} does not exist (use a branch, tag or "
                "commit hash of the repository)") from None
        except hf.RemoteEntryNotFoundError:
            raise
        except (hf.LocalEntryNotFoundError, hf.OfflineModeIsEnabled) as exc:
            raise self._offline_error(what, exc) from None
        except hf.HfHubHTTPError as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status in (401, 403):
                raise AccessError(
                    f"{self.repo_id}: the hub refused access (HTTP {status}). Check HF_TOKEN and "
                    "that your account may read this repository.") from None
            raise RepcapError(f"{self.repo_id}: the hub answered with an error: "
                              f"{str(exc).splitlines()[0]}") from None
        except _transport_errors() as exc:
            if transfer:
                raise DownloadError(
                    f"{self.repo_id}: downloading {what} was interrupted ({type(exc).__name__}: "
                    f"{exc}); nothing was kept. Check the connection and run again.") from None
            raise OfflineError(
                f"{self.repo_id}: cannot reach {self.endpoint} ({type(exc).__name__}: {exc}). "
                "Check the network, or set HF_HUB_OFFLINE=1 to use what is cached, or use an "
                f"offline model ({_OFFLINE}).") from None
        except OSError as exc:
            if not transfer or isinstance(exc, hf.EntryNotFoundError):
                raise
            # huggingface_hub's size check after a dropped connection, or a full disk.
            raise DownloadError(
                f"{self.repo_id}: downloading {what} failed ({exc}); nothing was kept. Run again "
                "to retry.") from None

    def _offline_error(self, what: str, exc: BaseException) -> OfflineError:
        if self.offline:
            return OfflineError(
                f"{self.repo_id}: HF_HUB_OFFLINE is set and {what} at revision "
                f"{self.revision or 'main'} is not in the hub cache ({self.cache_dir}). Unset "
                "HF_HUB_OFFLINE on a machine with network access to fetch it once, or use an "
                f"offline model ({_OFFLINE}).")
        return OfflineError(
            f"{self.repo_id}: cannot reach {self.endpoint} and {what} is not in the hub cache "
            f"({self.cache_dir}). Check the network connection (and HF_ENDPOINT), or use an "
            f"offline model ({_OFFLINE}).")

    def _cached(self, name: str):
        from huggingface_hub import _CACHED_NO_EXIST, try_to_load_from_cache

        hit = try_to_load_from_cache(self.repo_id, name, cache_dir=self.cache_dir,
                                     revision=self.commit)
        if hit is _CACHED_NO_EXIST:
            return False
        return Path(hit) if isinstance(hit, str) else None

    # -- CheckpointFiles -------------------------------------------------------------------------
    def json(self, name: str) -> dict | None:
        if name == "config.json" and self._config_path is not None:
            path = self._config_path
        else:
            path = self.local_path(name)
            if path is None:
                return None
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelFileError(f"{self.where}: {name} is not valid JSON ({exc})") from exc
        self.read[name] = Path(path).stat().st_size
        return data

    def local_path(self, name: str) -> Path | None:
        """Download (or find in the hub cache) a whole file; None when the repo lacks it."""
        from huggingface_hub.errors import EntryNotFoundError

        cached = self._cached(name)
        if cached is False:
            return None
        if isinstance(cached, Path):
            return cached
        if self.local_only:
            self.unknown.append(name)
            return None
        try:
            path = Path(self._call(self._download, name, transfer=True))
        except EntryNotFoundError:
            return None
        self.read[name] = path.stat().st_size
        return path

    def mapped_path(self, name: str) -> Path | None:
        cached = self._cached(name)
        return cached if isinstance(cached, Path) else None

    def exists(self, name: str) -> bool:
        """Whether the repo has ``name``, without downloading it (cache, else a HEAD request)."""
        from huggingface_hub.errors import EntryNotFoundError

        cached = self._cached(name)
        if cached is not False and cached is not None:
            return True
        if cached is False:
            return False
        if self.local_only:
            self.unknown.append(name)
            return False
        try:
            self._remote(name)
        except EntryNotFoundError:
            return False
        return True

    def weight_files(self) -> list[str]:
        return ["model.safetensors"] if self.exists("model.safetensors") else []

    def missing_weights_error(self) -> RepcapError | None:
        if self.unknown:
            return self._offline_error(", ".join(sorted(set(self.unknown))), RuntimeError())
        return None

    def _remote(self, name: str) -> tuple[str, dict, int | None]:
        """(download location, request headers, size) of a file, from one HEAD request."""
        if name not in self._remote_meta:
            from huggingface_hub import get_hf_file_metadata, hf_hub_url
            from huggingface_hub.utils import build_hf_headers

            url = hf_hub_url(self.repo_id, name, revision=self.commit, endpoint=self.endpoint)
            meta = self._call(get_hf_file_metadata, url, endpoint=self.endpoint)
            location = meta.location or url
            # Like huggingface_hub: the token goes to the hub only, never to a CDN host.
            same = _origin(location) == _origin(url)
            headers = build_hf_headers(token=None if same else False)
            headers["Accept-Encoding"] = "identity"
            self._remote_meta[name] = (location, headers, meta.size)
        return self._remote_meta[name]

    def header(self, name: str) -> Header:
        local = self.mapped_path(name)
        if local is not None:
            return read_header(local)
        if self.local_only:
            raise self._offline_error(name, RuntimeError())
        _, _, size = self._remote(name)
        data = b"".join(self._range(name, 0, min(PROBE_BYTES, size or PROBE_BYTES)))
        n = header_length(data[:8], f"{self.where}/{name}")
        if len(data) < 8 + n:
            data += b"".join(self._range(name, len(data), 8 + n))
        return parse_header(data, f"{self.where}/{name}", file_size=size)

    def tensor_bytes(self, name: str, info: TensorInfo, progress: bool) -> Iterator[bytes]:
        local = self.mapped_path(name)
        pbar = bar(info.nbytes, f"{'reading' if local else 'downloading'} {info.name}", unit="B",
                   enabled=progress)
        try:
            if local is not None:
                yield from counted(iter_file_range(local, info.begin, info.end), pbar)
            else:
                if self.local_only:
                    raise self._offline_error(name, RuntimeError())
                yield from counted(self._range(name, info.begin, info.end), pbar)
        finally:
            pbar.close()

    def _range(self, name: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``[start, end)`` of a remote file by HTTP Range, resuming after dropped connections."""
        from huggingface_hub.utils import get_session, hf_raise_for_status

        location, headers, _ = self._remote(name)
        pos, resumes = start, 0
        errors = _transport_errors()
        while pos < end:
            try:
                request_headers = {**headers, "Range": f"bytes={pos}-{end - 1}"}
                with get_session().stream("GET", location, headers=request_headers,
                                          follow_redirects=True, timeout=60) as resp:
                    if resp.status_code >= 400:
                        resp.read()
                        self._call(hf_raise_for_status, resp)
                    skip = pos if resp.status_code == 200 else 0  # server ignored Range
                    for chunk in resp.iter_bytes():  # as received, so a drop loses nothing already read
                        if skip:
                            if len(chunk) <= skip:
                                skip -= len(chunk)
                                continue
                            chunk, skip = chunk[skip:], 0
                        chunk = chunk[: end - pos]
                        pos += len(chunk)
                        self.read[name] = self.read.get(name, 0) + len(chunk)
                        yield chunk
                        if pos >= end:
                            break
                if pos < end:
                    raise ConnectionError(f"connection closed at byte {pos} of {end}")
            except errors as exc:
                resumes += 1
                if resumes > MAX_RESUMES:
                    raise DownloadError(
                        f"{self.repo_id}: download of {name} bytes {start}-{end} was interrupted "
                        f"{resumes} times ({type(exc).__name__}: {exc}); nothing was cached. Check "
                        "the connection and run again.") from None
                time.sleep(min(0.2 * resumes, 1.0))

    def record(self) -> dict:
        return {"repo_id": self.repo_id, "revision": self.revision or "main",
                "commit": self.commit, "endpoint": self.endpoint,
                "hub_cache": self.cache_dir, "offline_mode": self.offline,
                "hub_unreachable": self.unreachable,
                "files_read": dict(self.read), "bytes_read": int(sum(self.read.values()))}


def _commit_from_error(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    commit = response.headers.get("X-Repo-Commit") if response is not None else None
    return commit if commit and _COMMIT.match(commit) else None


def _token() -> str | None:
    from huggingface_hub.utils import get_token

    return get_token()
