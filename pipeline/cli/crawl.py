"""`newswatch crawl`: one pass now (for cron), then delivery, health, notices and due digests.

It holds the database's lock for the whole pass (see pipeline.service.lock) and stops cleanly on
SIGTERM/SIGINT: the crawl child is stopped, its report read, the message being sent finishes and
is marked, and what is not sent stays pending.
"""

from __future__ import annotations

from datetime import datetime, timezone

import click

from pipeline.cli.common import (
    EXIT_ALL_FAILED, EXIT_CONFIG, EXIT_OK, build_channels, fail, open_config, open_store,
    require_sources, source_option,
)
from pipeline.config import Config
from pipeline.outbox.deliver import DeliveryReport, Failed
from pipeline.service.crawl import CrawlError, CrawlInterrupted, PassResult, crawl_and_deliver
from pipeline.service.lock import CRAWL, RUN, CrawlLock, LockHeld
from pipeline.service.signals import StopSignals
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
    resent = result.delivery.resends
    click.echo(f"alerts: {sent} sent, {failed} failed"
               + (f" ({resent} sent again after a pass died sending them, with the same key)" if resent else ""))
    for failure in result.delivery.failed:
        click.echo(f"  {failure.outgoing.label} to {failure.outgoing.channel} failed ({retry_word(failure)}): "
                   f"{failure.error}", err=True)
    echo_waiting(result.delivery)


def retry_word(failure: Failed) -> str:
    return "permanent, not retried" if failure.permanent else "will retry"


def echo_waiting(delivery: DeliveryReport) -> None:
    """Channels paused in this pass: their messages stay pending, untried."""
    for channel, why in delivery.waiting.items():
        click.echo(f"  {channel}: its other messages wait: {why}", err=True)


def echo_upkeep(result: UpkeepReport) -> None:
    """What `crawl` adds to its summary: notices and digests."""
    for notice in result.notices:
        click.echo(f"{notice.headline}: {notice.text}", err=True)
    for sent in result.digests.sent:
        click.echo(f"digest {sent.outgoing.rule} to {sent.outgoing.channel}: {sent.outgoing.count} article(s)")
    for failure in result.digests.failed:
        click.echo(f"  digest {failure.outgoing.rule} to {failure.outgoing.channel} failed ({retry_word(failure)}): "
                   f"{failure.error}", err=True)
    echo_waiting(result.digests)


def take_database(config: Config) -> CrawlLock:
    """One crawling process per database: a second `crawl`, or one beside `run`, is refused,
    naming the process that holds it (a crawl beside another could alert twice for one story)."""
    try:
        return CrawlLock(config.database_path).acquire()
    except LockHeld as held:
        holder = held.holder
        if holder.role == RUN:
            fail(f"{holder.describe()} is already running on {config.database_path}; "
                 "it crawls on its own schedule", EXIT_CONFIG)
        if holder.role == CRAWL:
            fail(f"another {holder.describe()} is running on {config.database_path}; "
                 "this pass is skipped (the next one reads what it missed)", EXIT_CONFIG)
        fail(f"newswatch: {held}", EXIT_CONFIG)


def echo_stopped(result: PassResult | None, stop: StopSignals) -> None:
    queued = sum(r.alerts for r in result.crawl.sources.values()) if result else 0
    what = f"{queued} alert(s) queued by it" if result else "the alerts it queued"
    click.echo(f"crawl stopped by {stop.name}: what it stored is kept; {what} not yet sent "
               "stay pending for the next pass", err=True)


@click.command()
@source_option
@click.option("--no-alert", "no_alert", is_flag=True,
              help="Store and match what is new, queue no alert (a silent baseline).")
@click.pass_context
def crawl(ctx: click.Context, sources: tuple[str, ...], no_alert: bool) -> None:
    """One pass over all sources now, then deliver pending alerts (for cron)."""
    config, path = open_config(ctx)
    require_sources(config, sources)
    lock = take_database(config)
    try:
        open_store(config).close()
        channels = build_channels(config.channels)
        with StopSignals() as stop:
            try:
                result = crawl_and_deliver(config, path, list(sources), channels, stop.requested,
                                            hold_alerts=no_alert)
            except CrawlInterrupted:
                echo_stopped(None, stop)
                ctx.exit(stop.exit_code)
            except CrawlError as exc:
                fail(f"crawl failed: {exc}", EXIT_ALL_FAILED)
            print_pass(result)
            if result.stopped or stop.requested():
                echo_stopped(result, stop)
                ctx.exit(stop.exit_code)
            store = open_store(config)
            try:
                echo_upkeep(after_pass(config, store, channels, result.crawl, datetime.now(timezone.utc),
                                       stop.requested))
            finally:
                store.close()
    finally:
        lock.release()
    ctx.exit(EXIT_OK if result.crawl.any_read else EXIT_ALL_FAILED)
