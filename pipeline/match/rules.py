"""Alert rules and their decision on one article, with the reason.

A rule alerts on an article when it mentions one of the rule's entities, enough times
(`min_mentions`), in the title if `in_title`, and when its `query` (if any) matches. Every decision
carries a one-line reason a reader can check: "海康威视 in the title; 4 mentions; query matched
Xinjiang".
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Sequence

from pipeline.match.query import Document, Node, evaluate, why_not
from pipeline.models import Mention, RuleHit


@dataclass(frozen=True)
class Salience:
    """How prominent an entity is in an article."""

    count: int
    in_title: bool
    in_first_paragraph: bool
    title_alias: str | None
    lead_alias: str | None = None  # the alias seen in the first paragraph


def salience(mentions: Sequence[Mention], text: str) -> dict[str, Salience]:
    first_paragraph_end = text.find("\n") if "\n" in text else len(text)
    result: dict[str, Salience] = {}
    for entity in dict.fromkeys(m.entity for m in mentions):
        own = [m for m in mentions if m.entity == entity]
        title = next((m for m in own if m.field == "title"), None)
        lead = next((m for m in own if m.field == "text" and m.position < first_paragraph_end), None)
        result[entity] = Salience(
            count=len(own),
            in_title=title is not None,
            in_first_paragraph=lead is not None,
            title_alias=title.alias if title else None,
            lead_alias=lead.alias if lead else None,
        )
    return result


@dataclass(frozen=True)
class AlertRule:
    name: str
    entities: frozenset[str]
    channels: tuple[str, ...]
    query: Node | None = None
    min_mentions: int = 1
    in_title: bool = False
    sources: tuple[str, ...] = ()  # names or globs; empty: every source

    def decide(
        self, mentions: Sequence[Mention], prominence: dict[str, Salience], document: Document | None,
        source: str = "",
    ) -> RuleHit | None:
        """The rule's verdict on one article, with its reason; None when it does not alert."""
        return self.verdict(mentions, prominence, document, source)[0]

    def verdict(
        self, mentions: Sequence[Mention], prominence: dict[str, Salience], document: Document | None,
        source: str = "",
    ) -> tuple[RuleHit | None, str]:
        """(hit, why it alerts) or (None, why not): the first condition that failed."""
        if self.sources and not any(fnmatchcase(source, pattern) for pattern in self.sources):
            return None, f"source {source or '(none)'} is not one of {', '.join(self.sources)}"
        relevant = {e: s for e, s in prominence.items() if e in self.entities}
        if not relevant:
            return None, "none of its entities is mentioned"
        count = sum(s.count for s in relevant.values())
        if count < self.min_mentions:
            return None, f"{count} mention{'s' if count != 1 else ''} of its entities, min_mentions is {self.min_mentions}"
        if self.in_title and not any(s.in_title for s in relevant.values()):
            return None, "in_title: none of its entities is in the headline"
        parts = [
            f"{s.title_alias} in the title" if s.title_alias else f"{s.lead_alias} in the first paragraph"
            for s in relevant.values()
            if s.title_alias or s.lead_alias
        ]
        parts.append(f"{count} mention{'s' if count != 1 else ''}")
        if self.query is not None:
            document = document or Document({})
            verdict = evaluate(self.query, document)
            if not verdict.matched:
                return None, f"query: {why_not(self.query, document)}"
            positive = [t for t in verdict.terms if not t.startswith("@")] or verdict.terms
            parts.append("query matched " + ", ".join(positive))
        reason = "; ".join(parts)
        return RuleHit(self.name, self.channels, reason, tuple(relevant)), reason


def query_document(title: str, text: str, mentions: Sequence[Mention], source: str = "",
                   language: str | None = None) -> Document:
    return Document.build({"title": title, "text": text}, mentions, {"source": source, "lang": language})


def decide_all(
    rules: Sequence[AlertRule], title: str, text: str, mentions: Sequence[Mention],
    source: str = "", language: str | None = None,
) -> list[RuleHit]:
    """Every rule's verdict on one article (the query document is built only if a rule needs it)."""
    if not mentions:
        return []
    prominence = salience(mentions, text)
    document = query_document(title, text, mentions, source, language) if any(r.query for r in rules) else None
    return [m for rule in rules if (m := rule.decide(mentions, prominence, document, source))]


def explain_all(
    rules: Sequence[AlertRule], title: str, text: str, mentions: Sequence[Mention],
    source: str = "", language: str | None = None,
) -> list[tuple[str, bool, str]]:
    """(rule, alerts?, why) for every rule: what `newswatch match --explain` prints."""
    prominence = salience(mentions, text)
    document = query_document(title, text, mentions, source, language)
    return [(rule.name, hit is not None, why)
            for rule in rules for hit, why in [rule.verdict(mentions, prominence, document, source)]]
