"""A source's own `headers:` (a subscriber's cookie, an API key): sent to its host, never elsewhere.

Every request of a source carries its headers in `meta`; this downloader middleware sets them on
requests to the source's own host and removes them from any other, so a redirect to another host
(which Scrapy builds by copying the request) never takes a user's cookie along.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

HEADERS_META = "newswatch_source_headers"
HOST_META = "newswatch_source_host"


def same_host(url: str, host: str) -> bool:
    def bare(name: str) -> str:
        name = name.lower()
        return name[4:] if name.startswith("www.") else name

    return bool(host) and bare(urlsplit(url).hostname or "") == bare(host)


class SourceHeadersMiddleware:
    @classmethod
    def from_crawler(cls, crawler: Any) -> "SourceHeadersMiddleware":
        return cls()

    def process_request(self, request: Any) -> None:
        headers: dict[str, str] = request.meta.get(HEADERS_META) or {}
        if not headers:
            return None
        if same_host(request.url, request.meta.get(HOST_META, "")):
            for name, value in headers.items():
                request.headers[name] = value
        else:
            for name in headers:
                request.headers.pop(name, None)
        return None
