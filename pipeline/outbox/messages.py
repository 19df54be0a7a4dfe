"""Outbox rows to messages: what a channel is handed for an alert (with its story's outlets)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Mapping

from pipeline.models import AlertMessage, MentionLine, Outlet
from pipeline.outbox.keys import alert_key, alerts_key
from pipeline.store.sqlite import PendingAlert, Store


def explain(mentions: list[MentionLine]) -> str:
    """Why an article matched, in one line: '海康威视 in the title; 4 mentions of Hikvision'.

    Only for alerts stored before rules recorded their reason (migration 0003 rows).
    """
    parts = []
    for mention in mentions:
        if mention.field == "title":
            part = f"{mention.alias} in the title"
            if part not in parts:
                parts.append(part)
    for entity, count in Counter(m.entity for m in mentions).items():
        parts.append(f"{count} mention{'s' if count != 1 else ''} of {entity}")
    return "; ".join(parts)


def build_message(store: Store, alert: PendingAlert, rule_entities: Mapping[str, set[str]]) -> AlertMessage:
    """The alert's message: its article, the mentions of the rule's entities, every outlet so far."""
    article = store.article(alert.article_id)
    wanted = rule_entities.get(alert.rule)
    mentions = [
        MentionLine(m["entity"], m["alias"], m["field"], m["snippet"] or "")
        for m in store.mentions_of(alert.article_id)
        if wanted is None or m["entity"] in wanted
    ]
    return AlertMessage(
        rule=alert.rule,
        entities=list(dict.fromkeys(m.entity for m in mentions)),
        title=article["title"] or article["url"],
        url=article["url"],
        source=article["source"],
        published=article["published"],
        paywalled=bool(article["paywalled"]),
        mentions=mentions,
        why=alert.reason or explain(mentions),
        outlets=[Outlet(o["source"], o["url"], o["title"] or o["url"])
                 for o in store.story_outlets(alert.article_id)],
        timezone=getattr(wanted, "timezone", None),  # a RuleEntities carries its rule's zone
        key=alert_key(store.instance_id(), alert.rule, alert.channel, alert.story_id or alert.article_id,
                      alert.new_entity),
    )


def build_story_message(store: Store, alerts: list[PendingAlert], rule_entities: Mapping[str, set[str]]) -> AlertMessage:
    """One message for every rule that alerts on one story to one channel in this pass.

    Two rules on one channel used to post the same story twice, neither saying which rule fired;
    now the message names every rule and each one's reason, with the mentions of all their entities.
    """
    messages = [build_message(store, alert, rule_entities) for alert in alerts]
    if len(messages) == 1:
        return replace(messages[0], rules=(messages[0].rule,))
    first = messages[0]
    mentions = list(dict.fromkeys(m for message in messages for m in message.mentions))
    rules = tuple(dict.fromkeys(message.rule for message in messages))
    return replace(
        first,
        rule=", ".join(rules),
        rules=rules,
        entities=list(dict.fromkeys(e for message in messages for e in message.entities)),
        mentions=mentions,
        why=" · ".join(f"{message.rule}: {message.why}" for message in messages),
        key=alerts_key(store.instance_id(), [alert.id for alert in alerts]),
    )
