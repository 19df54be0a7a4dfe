"""A small loopback news site: serves a folder (feeds and pages) on 127.0.0.1 with real HTTP semantics.

Used by `newswatch demo` and by the tests. It answers conditional GETs with 304 (ETag and
Last-Modified), writes `{{BASE}}` in files as its own address, logs every request it received, and
lets a caller override a path (status, body, headers) to play a broken or hostile site.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

DEMO_SITE = Path(__file__).parent / "demo_site"
_STARTED = formatdate(usegmt=True)


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]


class SiteServer:
    """`with SiteServer(folder) as site:` ... `site.url("/feed.xml")`."""

    def __init__(self, root: Path = DEMO_SITE, host: str = "127.0.0.1", port: int = 0):
        self.root = Path(root)
        self.routes: dict[str, Route | Callable[[], Route]] = {}
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> "SiteServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "SiteServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def requests_for(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]

    def _record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)

    def resolve(self, path: str) -> Route | None:
        route = self.routes.get(path)
        if route is not None:
            return route() if callable(route) else route
        file = (self.root / path.lstrip("/")).resolve()
        if not file.is_file() or self.root.resolve() not in file.parents:
            return None
        body = file.read_bytes().replace(b"{{BASE}}", self.base.encode())
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if file.suffix == ".xml":
            kind = "application/xml"
        return Route(body, 200, {"Content-Type": f"{kind}; charset=utf-8", "Last-Modified": _STARTED})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet: the log is `received`
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                path = urlsplit(self.path).path
                server._record(Received("GET", path, {k.lower(): v for k, v in self.headers.items()}))
                route = server.resolve(path)
                if route is None:
                    return self._send(404, b"not found", {"Content-Type": "text/plain"})
                if route.delay:
                    threading.Event().wait(route.delay)
                headers = dict(route.headers)
                if route.status == 200:
                    etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                    headers.setdefault("ETag", etag)
                    if self.headers.get("If-None-Match") == headers["ETag"]:
                        return self._send(304, b"", {"ETag": headers["ETag"]})
                self._send(route.status, route.body, headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

        return Handler
