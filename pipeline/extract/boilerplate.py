"""Per-site learned boilerplate: lines that recur across many different articles of one site.

No rule list knows every site's "Follow us on WeChat" or the standing note under each story. The
store counts, per site, in how many distinct articles each line appeared; once a line has been
seen in `MIN_ARTICLES` different articles it is dropped from that site's future extractions. A
line seen in only one article can never reach the threshold, so it is never dropped by this rule.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pipeline.extract.clean import line_key

MIN_ARTICLES = 5
MIN_LINE_CHARS = 2


def site_of(url: str) -> str:
    """The site a URL belongs to: its host without a leading www."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def distinct_lines(text: str) -> dict[str, str]:
    """Each line of an article once (key -> line), however often it repeats inside the article."""
    lines: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if len(stripped) >= MIN_LINE_CHARS:
            lines.setdefault(line_key(stripped), stripped)
    return lines
