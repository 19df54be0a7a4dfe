"""Alert rules and their decision on one article, with the reason.

A rule alerts on an article when it mentions one of the rule's entities, enough times
(`min_mentions`), in the title if `in_title`, and when its `query` (if any) matches. Every decision
carries a one-line reason a reader can check: "海康威视 in the title; 4 mentions; query matched
Xinjiang".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from pipeline.match.query import Document, Node, evaluate
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

    def decide(
        self, mentions: Sequence[Mention], prominence: dict[str, Salience], document: Document | None
    ) -> RuleHit | None:
        """The rule's verdict on one article, with its reason; None when it does not alert."""
        relevant = {e: s for e, s in prominence.items() if e in self.entities}
        if not relevant:
            return None
        count = sum(s.count for s in relevant.values())
        if count < self.min_mentions:
            return None
        if self.in_title and not any(s.in_title for s in relevant.values()):
            return None
        parts = [
            f"{s.title_alias} in the title" if s.title_alias else f"{s.lead_alias} in the first paragraph"
            for s in relevant.values()
            if s.title_alias or s.lead_alias
        ]
        parts.append(f"{count} mention{'s' if count != 1 else ''}")
        if self.query is not None:
            verdict = evaluate(self.query, document or Document({}))
            if not verdict.matched:
                return None
            positive = [t for t in verdict.terms if not t.startswith("@")] or verdict.terms
            parts.append("query matched " + ", ".join(positive))
        return RuleHit(self.name, self.channels, "; ".join(parts))


def decide_all(
    rules: Sequence[AlertRule], title: str, text: str, mentions: Sequence[Mention]
) -> list[RuleHit]:
    """Every rule's verdict on one article (the query document is built only if a rule needs it)."""
    if not mentions:
        return []
    prominence = salience(mentions, text)
    document = (
        Document.build({"title": title, "text": text}, mentions) if any(r.query for r in rules) else None
    )
    return [m for rule in rules if (m := rule.decide(mentions, prominence, document))]
