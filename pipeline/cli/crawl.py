"""`newswatch crawl`: one pass now (for cron), then delivery, health, notices and due digests."""

from __future__ import annotations

from datetime import datetime, timezone

import click

from pipeline.cli.common import (
    EXIT_ALL_FAILED, EXIT_CONFIG, EXIT_OK, build_channels, fail, open_config, open_store,
    require_sources, source_option,
)
from pipeline.config import Config
from pipeline.service.crawl import CrawlError, PassResult, crawl_and_deliver
from pipeline.service.lock import holder
from pipeline.service.upkeep import UpkeepReport, after_pass


def print_pass(result: PassResult) -> None:
    for report in result.crawl.sources.values():
        if report.was_read:
            state = "not modified" if report.status == "not_modified" else "read"
            line = f"{report.name}: {state}, {report.new_articles} new article(s), {report.alerts} alert(s) queued"
            if report.updated_articles:
                line += f", {report.updated_articles} updated article(s)"
            if report.failed_pages:
                line += f", {report.failed_pages} page(s) failed (retried next pass)"
            if report.held_back:
                line += (f", {report.held_back} matching article(s) not alerted ({report.held_because}; "
                         "`rematch --alert --since DATE` alerts them)")
            click.echo(line)
            if report.listing:
                click.echo(f"  reads {report.listing}")
            if report.skipped_entries:
                click.echo(f"  {report.skipped_entries} sitemap entries older than max_age (or undated) skipped")
            for note in report.notes[:5]:
                click.echo(f"  note: {note}")
            for error in report.page_errors[:5]:
                click.echo(f"  page failed: {error}")
        else:
            click.echo(f"{report.name}: {report.status.upper()}: {report.reason}", err=True)
    sent, failed = len(result.delivery.sent), len(result.delivery.failed)
    click.echo(f"alerts: {sent} sent, {failed} failed")
    for failure in result.delivery.failed:
        click.echo(f"  alert {failure.outgoing.ids[0]} to {failure.outgoing.channel} failed (will retry): "
                   f"{failure.error}", err=True)


def echo_upkeep(result: UpkeepReport) -> None:
    """What `crawl` adds to its summary: notices and digests."""
    for notice in result.notices:
        click.echo(f"{notice.headline}: {notice.text}", err=True)
    for sent in result.digests.sent:
        click.echo(f"digest {sent.outgoing.rule} to {sent.outgoing.channel}: {sent.outgoing.count} article(s)")
    for failure in result.digests.failed:
        click.echo(f"  digest {failure.outgoing.rule} to {failure.outgoing.channel} failed (will retry): "
                   f"{failure.error}", err=True)


def refuse_beside_daemon(config: Config) -> None:
    """A crawl beside a running daemon could send an alert twice: one of them per database."""
    pid = holder(config.database_path)
    if pid is not None:
        who = f"process {pid}" if pid > 0 else "another process"
        fail(f"newswatch run ({who}) is already running on {config.database_path}; "
             "it crawls on its own schedule", EXIT_CONFIG)


@click.command()
@source_option
@click.option("--no-alert", "no_alert", is_flag=True,
              help="Store and match what is new, queue no alert (a silent baseline).")
@click.pass_context
def crawl(ctx: click.Context, sources: tuple[str, ...], no_alert: bool) -> None:
    """One pass over all sources now, then deliver pending alerts (for cron)."""
    config, path = open_config(ctx)
    require_sources(config, sources)
    refuse_beside_daemon(config)
    open_store(config).close()
    channels = build_channels(config.channels)
    try:
        result = crawl_and_deliver(config, path, list(sources), channels, hold_alerts=no_alert)
    except CrawlError as exc:
        fail(f"crawl failed: {exc}", EXIT_ALL_FAILED)
    print_pass(result)
    store = open_store(config)
    try:
        echo_upkeep(after_pass(config, store, channels, result.crawl, datetime.now(timezone.utc)))
    finally:
        store.close()
    ctx.exit(EXIT_OK if result.crawl.any_read else EXIT_ALL_FAILED)
