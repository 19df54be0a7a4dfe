"""The report of one crawl pass, per source: what the crawl child writes and every caller reads.

Kept apart from `pipeline.session` so that the CLI, the daemon and source health can read a
report without importing the extraction stack (trafilatura) that only the crawl child needs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

READ, NOT_MODIFIED, FAILED, REFUSED = "read", "not_modified", "failed", "refused"


@dataclass
class SourceReport:
    name: str
    status: str = "pending"
    reason: str = ""
    new_articles: int = 0
    updated_articles: int = 0
    rejected_pages: int = 0
    failed_pages: int = 0
    alerts: int = 0
    page_errors: list[str] = field(default_factory=list)
    validators: dict[str, str] = field(default_factory=dict)

    @property
    def was_read(self) -> bool:
        return self.status in (READ, NOT_MODIFIED)


@dataclass
class CrawlReport:
    sources: dict[str, SourceReport] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({name: asdict(r) for name, r in self.sources.items()}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "CrawlReport":
        data = json.loads(text)
        return cls({name: SourceReport(**values) for name, values in data.items()})

    def write(self, path: Path) -> None:
        path.write_text(self.to_json(), encoding="utf-8")

    @property
    def any_read(self) -> bool:
        return any(r.was_read for r in self.sources.values())


def describe_failure(error: BaseException, url: str) -> tuple[str, str]:
    """(status, reason) for a fetch failure, in words an operator understands."""
    message = str(error) or type(error).__name__
    if message.startswith("refused"):
        return REFUSED, message
    if "robots.txt" in message.lower():
        return REFUSED, f"refused by robots.txt: {url}"
    response = getattr(error, "response", None)
    if response is not None and getattr(response, "status", None):
        return FAILED, f"HTTP {response.status} from {url}"
    name = type(error).__name__
    if "Timeout" in name or "timed out" in message.lower():
        return FAILED, f"timed out fetching {url}"
    if "DNSLookup" in name:
        return FAILED, f"DNS lookup failed for {url}"
    return FAILED, f"{name}: {message} ({url})"
