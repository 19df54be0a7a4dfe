"""Deliver the outbox: every pending (or failed, retryable) alert, one message each.

Runs after the crawl, never inside it. An alert is marked sent only after its channel accepted it;
on error the reason is recorded and the alert is retried on the next pass.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Mapping

from pipeline.message import AlertMessage, Channel, DeliveryError, MentionLine, Outlet
from pipeline.store import PendingAlert, Store

MAX_ATTEMPTS = 10
log = logging.getLogger("newswatch.deliver")


@dataclass
class DeliveryReport:
    sent: list[AlertMessage] = field(default_factory=list)
    failed: list[tuple[int, str, str]] = field(default_factory=list)  # alert id, channel, error


def explain(mentions: list[MentionLine]) -> str:
    """Why an article matched, in one line: '海康威视 in the title; 4 mentions of Hikvision'."""
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
    )


def deliver_pending(
    store: Store,
    channels: Mapping[str, Channel],
    rule_entities: Mapping[str, set[str]] | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    include: Callable[[PendingAlert], bool] | None = None,
    stop: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """`include` picks which alerts go now (digest rules wait); `stop` ends between two alerts."""
    report = DeliveryReport()
    for alert in store.pending_alerts(max_attempts):
        if include is not None and not include(alert):
            continue
        if stop is not None and stop():
            break
        channel = channels.get(alert.channel)
        if channel is None:
            store.mark_failed(alert.id, f"channel {alert.channel!r} is not configured")
            report.failed.append((alert.id, alert.channel, "channel not configured"))
            continue
        message = build_message(store, alert, rule_entities or {})
        try:
            channel.send(message)
        except DeliveryError as exc:
            store.mark_failed(alert.id, str(exc))
            report.failed.append((alert.id, alert.channel, str(exc)))
            log.warning("alert %s to %s failed: %s", alert.id, alert.channel, exc)
            continue
        store.mark_sent(alert.id)
        report.sent.append(message)
    return report
