"""`newswatch match` and `newswatch rematch`: what would match and why; re-run the watchlist."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

import click

from pipeline.cli.common import EXIT_CONFIG, SINCE, build_channels, fail, open_config, open_store, rule_option, json_option
from pipeline.cli.explain import describe_explanation, explanation
from pipeline.cli.pages import Page, read_inputs
from pipeline.config import Config
from pipeline.config.compile import rules_from_config, watchlist_from_config
from pipeline.config.suggest import did_you_mean
from pipeline.extract.article import ExtractionError, extract
from pipeline.match.rules import AlertRule, decide_all
from pipeline.match.watchlist import Watchlist
from pipeline.outbox.deliver import deliver_alerts
from pipeline.outbox.digests import instant_only
from pipeline.store.sqlite import Store


def match_page(page: Page, watchlist: Watchlist, rules: list[AlertRule], explain: bool = False,
               source: str = "") -> dict[str, object]:
    record: dict[str, object] = {page.label_key: page.label}
    if page.html is None:
        return {**record, "error": page.error}
    try:
        article = extract(page.html, page.url)
    except ExtractionError as exc:
        return {**record, "error": str(exc)}
    mentions = watchlist.find({"title": article.title, "text": article.text})
    verdicts = decide_all(rules, article.title, article.text, mentions, source, article.language)
    extra = explanation(article, page.html, watchlist, rules, source) if explain else {}
    return {
        **record,
        "title": article.title,
        "paywalled": article.paywalled,
        "mentions": [
            {"entity": m.entity, "alias": m.alias, "field": m.field, "snippet": m.snippet} for m in mentions
        ],
        "rules": [v.rule for v in verdicts],
        "reasons": {v.rule: v.reason for v in verdicts},
        **extra,
    }


def describe_hits(record: dict[str, object]) -> str:
    """'Hikvision (3), Dahua Technology (1); rule ngo-team would alert', in one line."""
    counts: dict[str, int] = {}
    for mention in record.get("mentions") or []:  # type: ignore[union-attr]
        counts[mention["entity"]] = counts.get(mention["entity"], 0) + 1
    if not counts:
        return "no watched company mentioned"
    found = ", ".join(f"{entity} ({n})" for entity, n in counts.items())
    rules = record.get("rules") or []
    return found + (f"; rule {', '.join(rules)} would alert" if rules else "; no rule would alert")  # type: ignore[arg-type]


def describe(record: dict[str, object]) -> str:
    """The human-readable form of one `match` result."""
    label = record.get("file") or record.get("url")
    if "error" in record:
        return f"{label}: {record['error']}"
    lines = [f"{label}: {record['title']}" + (" [paywalled]" if record["paywalled"] else "")]
    mentions = record["mentions"]
    lines.append(f"  {len(mentions)} mention(s)")  # type: ignore[arg-type]
    for m in mentions:  # type: ignore[union-attr]
        lines.append(f"    {m['entity']} as {m['alias']!r} in {m['field']}: {m['snippet']}")
    if "verdicts" in record:
        return "\n".join(lines + describe_explanation(record))  # type: ignore[arg-type]
    reasons: dict[str, str] = record["reasons"]  # type: ignore[assignment]
    if reasons:
        for rule, reason in reasons.items():
            lines.append(f"  rule {rule} would alert: {reason}")
    else:
        lines.append("  no rule would alert")
    return "\n".join(lines)


@dataclass
class RematchReport:
    articles: int = 0
    mentions: int = 0
    changed: int = 0
    new_alerts: int = 0


def run_rematch(
    store: Store, watchlist: Watchlist, rules: list[AlertRule], since: str | None, alert: bool,
    progress: Callable[[int], None] = lambda n: None,
) -> RematchReport:
    """Re-run the watchlist over stored articles; alerts are queued only when `alert` is true."""
    report = RematchReport()
    for article_id, title, text, source, language in store.articles_since(since):
        mentions = watchlist.find({"title": title, "text": text})
        before = {(m["entity"], m["field"], m["position"]) for m in store.mentions_of(article_id)}
        after = {(m.entity, m.field, m.position) for m in mentions}
        alerts = []
        if alert:
            alerts = [(v.rule, c, v.reason) for v in decide_all(rules, title, text, mentions, source, language)
                      for c in v.channels]
        if before != after or alerts:
            report.new_alerts += store.replace_mentions(article_id, mentions, alerts)
            report.changed += before != after
        report.articles += 1
        report.mentions += len(mentions)
        progress(report.articles)
    return report


def as_json_line(record: dict[str, object]) -> str:
    return json.dumps({k: v for k, v in record.items() if k != "reasons"}, ensure_ascii=False)


def source_of(config: Config, url: str | None) -> str:
    """The configured source on the URL's host, if any (for `sources:` and `source:` in rules)."""
    host = urlsplit(url or "").hostname
    return next((s.name for s in config.sources if host and urlsplit(s.url).hostname == host), "")


@click.command()
@rule_option
@json_option
@click.option("--explain", is_flag=True, help="Every candidate hit and every rule, with why it did or did not count.")
@click.argument("inputs", nargs=-1, required=True)
@click.pass_context
def match(ctx: click.Context, rule_names: tuple[str, ...], as_json: bool, explain: bool,
          inputs: tuple[str, ...]) -> None:
    """What would match in saved pages or URLs, and why (after the real extraction)."""
    config, path = open_config(ctx)
    known = [rule.name for rule in config.rules]
    unknown = [r for r in rule_names if r not in known]
    if unknown:
        hints = "".join(did_you_mean(name, known) for name in unknown)
        fail(f"config error: no rule named {', '.join(map(repr, unknown))}{hints}", EXIT_CONFIG)
    watchlist = watchlist_from_config(config)
    rules = [r for r in rules_from_config(config) if not rule_names or r.name in rule_names]
    failures = 0
    for page in read_inputs(path, list(inputs)):
        record = match_page(page, watchlist, rules, explain, source_of(config, page.url))
        failures += "error" in record
        click.echo(as_json_line(record) if as_json else describe(record))
    ctx.exit(1 if failures == len(inputs) else 0)


@click.command()
@click.option("--since", type=SINCE, default=None,
              help="Only articles published on or after this date (2025-03-05, 2025-03-05T10:00) or within this long (7d, 1h30m).")
@click.option("--alert", "send_alerts", is_flag=True, help="Queue and send alerts for new rule matches.")
@click.pass_context
def rematch(ctx: click.Context, since: str | None, send_alerts: bool) -> None:
    """Re-run the current watchlist over stored articles (back-fills a new entity's mentions)."""
    config, _ = open_config(ctx)
    store = open_store(config)
    report = run_rematch(store, watchlist_from_config(config), rules_from_config(config), since, send_alerts)
    click.echo(f"{report.articles} article(s) re-matched: {report.mentions} mention(s), "
               f"{report.changed} article(s) changed, {report.new_alerts} new alert(s) queued")
    if send_alerts:
        delivery = deliver_alerts(store, build_channels(config.channels), config.entities_by_rule(),
                                  include=instant_only(config))  # digest rules wait for their digest
        click.echo(f"alerts: {len(delivery.sent)} sent, {len(delivery.failed)} failed")
    store.close()
