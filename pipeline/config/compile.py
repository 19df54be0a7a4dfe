"""From a validated config to the domain objects that do the work: watchlist, rules, story rules.

Built once per crawl (or once per worker process): the watchlist of 50,000 entities takes about a
second to compile, so nothing here runs per article.
"""

from __future__ import annotations

from pipeline.config.schema import Config, EntityConfig
from pipeline.match.stories import StoryRules
from pipeline.match.query import parse_query
from pipeline.match.rules import AlertRule
from pipeline.match.textnorm import fold_term
from pipeline.match.tickers import ticker_forms
from pipeline.match.watchlist import EntitySpec, Watchlist


def entity_spec(entity: EntityConfig) -> EntitySpec:
    """Exchange forms of tickers are aliases (matched in exactly their case); bare codes are
    matched only with evidence (see pipeline.match.tickers)."""
    forms = [ticker_forms(ticker) for ticker in entity.ticker]
    exchange_forms = [f for t in forms for f in t.exchange_forms]
    aliases = list(dict.fromkeys([*entity.strong_aliases, *exchange_forms]))
    bare = [c for t in forms for c in t.bare if c not in aliases]
    if entity.case_sensitive is True:
        sensitive = [*aliases, *entity.weak_aliases]
    else:
        sensitive = [*(entity.case_sensitive or []), *exchange_forms]
    return EntitySpec(
        name=entity.name,
        aliases=tuple(aliases),
        weak_aliases=tuple(entity.weak_aliases),
        context=tuple(entity.context),
        exclude=tuple(entity.exclude),
        case_sensitive=tuple(sensitive),
        tickers=tuple(dict.fromkeys(bare)),
    )


def watchlist_from_config(config: Config) -> Watchlist:
    return Watchlist(entity_spec(e) for e in config.watchlist)


def rules_from_config(config: Config) -> list[AlertRule]:
    entity_names = [e.name for e in config.watchlist]
    return [
        AlertRule(
            name=r.name,
            entities=frozenset(config.rule_entities(r)),
            channels=tuple(r.channels),
            query=parse_query(r.query, entity_names) if r.query else None,
            min_mentions=r.min_mentions,
            in_title=r.in_title,
            sources=tuple(r.sources or ()),
        )
        for r in config.rules
        if r.enabled
    ]


def story_rules_from_config(config: Config) -> StoryRules:
    return StoryRules(
        window_seconds=config.stories.window,
        min_containment=config.stories.min_containment,
        min_jaccard=config.stories.min_jaccard,
    )


def alias_conflicts(config: Config) -> list[str]:
    """Strong aliases claimed by more than one entity: each hit will count for all of them."""
    owners: dict[str, list[str]] = {}
    for entity in config.watchlist:
        for alias in entity.strong_aliases:
            owners.setdefault(fold_term(alias), []).append(entity.name)
    return [
        f"alias {key!r} is claimed by " + ", ".join(
            f"{name} ({config.entity_origins.get(name, '?')})" for name in names)
        for key, names in owners.items()
        if len(set(names)) > 1
    ]
