"""Serve a built site on 127.0.0.1 for link checks and browser tests."""

from __future__ import annotations

import contextlib
import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _QuietHandler(SimpleHTTPRequestHandler):
    def end_headers(self):
        # linkchecker only exceeds 10 requests per second against servers that send this header.
        self.send_header("LinkChecker", "local")
        super().end_headers()

    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def serve_directory(root: Path):
    """Serve `root` over HTTP on 127.0.0.1 on a free port; yields the base URL (ending in /)."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
