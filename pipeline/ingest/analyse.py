"""analyse(page) -> Analysis: everything CPU-bound about one fetched page, and nothing else.

Extraction, cleaning, matching, rule decisions and the story sketch. Pure: no store, no clock, no
Scrapy; the inputs are the page and the site's learned boilerplate keys (read by the caller), the
output a picklable `Analysis`. So it can run in a worker process, and the one transaction that
stores the result (`pipeline.ingest.commit`) stays on one thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Container

from pipeline.config import Config
from pipeline.config.compile import rules_from_config, watchlist_from_config
from pipeline.extract.article import ExtractionError, extract
from pipeline.extract.boilerplate import distinct_lines
from pipeline.ingest.urls import article_url, canonicalize
from pipeline.match.rules import AlertRule, decide_all
from pipeline.match.stories import Sketch, Sketcher
from pipeline.match.watchlist import Watchlist
from pipeline.models import Article, FetchedPage, Mention, RuleHit


@dataclass(frozen=True)
class Analysis:
    """What analysis found on one page; `article` is None when the page was rejected (`reason`)."""

    page: FetchedPage
    article: Article | None
    reason: str = ""
    mentions: tuple[Mention, ...] = ()
    hits: tuple[RuleHit, ...] = ()
    sketch: Sketch | None = None
    lines: dict[str, str] | None = None  # the article's distinct lines, for learned boilerplate

    @property
    def seen_keys(self) -> list[str]:
        return seen_keys(self.page)

    @property
    def alerts(self) -> list[tuple[str, str, str]]:
        """(rule, channel, reason) for every channel of every rule that alerts."""
        return [(hit.rule, channel, hit.reason) for hit in self.hits for channel in hit.channels]


def seen_keys(page: FetchedPage) -> list[str]:
    """Every key under which this page counts as seen: requested and final URL, listing GUID."""
    keys = [canonicalize(page.requested_url), canonicalize(page.url)]
    if page.guid:
        keys.append(f"guid:{page.source}:{page.guid}")
    return keys


def to_article(page: FetchedPage, extracted: Article) -> Article:
    """The extracted article with its storage key and source; the listing fills what the page lacks.

    The page's own author (schema.org, `<meta name="author">`, byline) wins over the listing's:
    a feed entry often names the desk or the feed's owner rather than the writer.
    """
    return replace(
        extracted,
        url=article_url(page.url, extracted.canonical_link),
        source=page.source,
        title=extracted.title or (page.entry_title or ""),
        author=extracted.author or listing_author(page.entry_author),
        published=page.entry_published or extracted.published,
    )


# RSS 2.0's <author> is an e-mail address, by custom followed by the name: "desk@x.org (Mia Chen)".
_EMAIL_THEN_NAME = re.compile(r"^\S+@\S+\s*\((?P<name>[^()]+)\)$")


def listing_author(author: str | None) -> str | None:
    """The listing entry's author as a name: "desk@example.org (Mia Chen)" -> "Mia Chen"."""
    author = " ".join((author or "").split())
    named = _EMAIL_THEN_NAME.match(author)
    return (named["name"].strip() if named else author) or None


@dataclass
class Analyser:
    """What is compiled once per crawl (or once per worker): the watchlist and the rules."""

    watchlist: Watchlist
    rules: list[AlertRule]
    sketcher: Sketcher

    @classmethod
    def from_config(cls, config: Config) -> "Analyser":
        return cls(watchlist_from_config(config), rules_from_config(config), Sketcher())

    def analyse(self, page: FetchedPage, boilerplate: Container[str] = frozenset()) -> Analysis:
        """Extract, match, decide and sketch one page; `boilerplate` is its site's learned line keys."""
        try:
            extracted = extract(page.html, page.url, boilerplate)
        except ExtractionError as exc:
            return Analysis(page, None, reason=str(exc))
        article = to_article(page, extracted)
        mentions = self.watchlist.find({"title": article.title, "text": article.text})
        hits = decide_all(self.rules, article.title, article.text, mentions, page.source, article.language)
        return Analysis(
            page, article, mentions=tuple(mentions), hits=tuple(hits),
            sketch=self.sketcher.sketch(article.text), lines=distinct_lines(article.text),
        )
