"""What a failed fetch means, in words an operator understands.

Scrapy and Twisted report failures as exception types (`DNSLookupError`, `IgnoreRequest`,
`HttpError` with a response); only this module reads them, so `pipeline/` receives a status and a
reason and never has to know Scrapy exists.
"""

from __future__ import annotations

from pipeline.models import FAILED, REFUSED


def describe_failure(error: BaseException, url: str) -> tuple[str, str, int | None]:
    """(status, reason, HTTP status if there was a response) for a fetch failure."""
    message = str(error) or type(error).__name__
    if message.startswith("refused"):
        return REFUSED, message, None
    if "robots.txt" in message.lower():
        return REFUSED, f"refused by robots.txt: {url}", None
    response = getattr(error, "response", None)
    if response is not None and getattr(response, "status", None):
        return FAILED, f"HTTP {response.status} from {url}", int(response.status)
    name = type(error).__name__
    if "Timeout" in name or "timed out" in message.lower():
        return FAILED, f"timed out fetching {url}", None
    if "DNSLookup" in name:
        return FAILED, f"DNS lookup failed for {url}", None
    return FAILED, f"{name}: {message} ({url})", None
