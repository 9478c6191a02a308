#!/usr/bin/env python3
"""Serve the built site (``make serve``): ``python tools/serve.py [--port 8000] [--dir _build/html]``.

http.server with two things it lacks for a first-time user: a port that is taken, a site that is
not built yet or a port that is not a number is one line and exit status 2, not a traceback; Ctrl-C
stops it quietly. Only 127.0.0.1 is served: the site is for the person who built it.
"""

from __future__ import annotations

import argparse
import errno
import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def serve(directory: Path, port: int, host: str = "127.0.0.1") -> int:
    """Serve ``directory`` on ``host:port`` until Ctrl-C; the exit status."""
    if not (directory / "index.html").is_file():
        print(f"serve: no site in {directory} yet: run 'make book' first", file=sys.stderr)
        return 2
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(directory))
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"serve: port {port} on {host} is busy (another server is running there); pick "
                  f"another with 'make serve PORT={port + 1}'", file=sys.stderr)
        else:
            print(f"serve: cannot serve on {host}:{port}: {exc.strerror or exc}; pick another "
                  f"port with 'make serve PORT=N'", file=sys.stderr)
        return 2
    print(f"serving {directory} on http://{host}:{port}/ (Ctrl-C stops)", flush=True)
    with server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/serve.py", description=__doc__.split("\n")[0])
    parser.add_argument("--port", default="8000", help="port on 127.0.0.1 (default 8000)")
    parser.add_argument("--dir", type=Path, default=ROOT / "_build" / "html",
                        help="the built site (default _build/html)")
    args = parser.parse_args(argv)
    if not args.port.isdigit() or not 0 < int(args.port) < 65536:
        print(f"serve: PORT must be a number from 1 to 65535, got {args.port!r}", file=sys.stderr)
        return 2
    return serve(args.dir, int(args.port))


if __name__ == "__main__":
    sys.exit(main())
