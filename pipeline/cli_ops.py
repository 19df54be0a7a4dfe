"""Commands for running newswatch unattended: `run`, `stats`, `alerts test`.

Kept apart from pipeline/cli.py so the daemon's wiring (channels from alerts/, the lock, logging)
sits in one place; cli.py only adds these commands to its group.
"""

from __future__ import annotations

import sys
from contextlib import closing
from datetime import datetime, timezone

import click

from pipeline.config import Config, ConfigError, parse_config, resolve_config_path
from pipeline.digest import DigestGroup, DigestMessage
from pipeline.health import Notice
from pipeline.lock import DaemonLock, LockHeld
from pipeline.logs import Totals, setup_logging
from pipeline.message import AlertMessage, DeliveryError, MentionLine
from pipeline.store import Store
from pipeline.upkeep import UpkeepReport

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2

SAMPLE = AlertMessage(
    rule="test",
    entities=["Hikvision"],
    title="newswatch test alert: Hikvision <sample> & co",
    url="https://example.org/newswatch-test",
    source="newswatch",
    published=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
    paywalled=False,
    mentions=[MentionLine("Hikvision", "Hikvision", "text",
                          "… this is a sample: if you read it, the channel works and Hikvision is highlighted …")],
    why="a test sent by `newswatch alerts test`",
)


def _open_store(config: Config) -> Store:
    from pipeline.cli import open_store  # cli registers this module's commands: import late

    return open_store(config)


@click.command()
@click.option("--log-json", is_flag=True, help="Log JSON lines instead of plain text.")
@click.option("--verbose", is_flag=True, help="Also log each source's scheduling and every 304.")
@click.pass_context
def run(ctx: click.Context, log_json: bool, verbose: bool) -> None:
    """Run as a service: each source on its own schedule, digests, health (SIGHUP reloads)."""
    from alerts import build_channels
    from pipeline.cli import fail_config
    from pipeline.daemon import Daemon

    path = resolve_config_path(ctx.obj["config"])
    try:  # read once: the text validated here is the snapshot the crawl children read
        text = path.read_text(encoding="utf-8")
        config = parse_config(text, path.resolve().parent)
    except OSError as exc:
        fail_config(ConfigError([f"cannot read config file: {exc.strerror}"], path))
        raise
    except ConfigError as exc:
        exc.path = path
        fail_config(exc)
        raise
    if not config.sources:
        click.echo("config error: no sources configured", err=True)
        sys.exit(EXIT_CONFIG)
    totals = Totals()
    setup_logging(json_lines=log_json, verbose=verbose, totals=totals)
    _open_store(config).close()
    try:
        lock = DaemonLock(config.database_path).acquire()
    except LockHeld as exc:
        click.echo(f"newswatch run: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    try:
        code = Daemon(path, config, build_channels, totals, config_text=text).run()
    finally:
        lock.release()
    sys.exit(code)


@click.command()
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 366),
              help="How many days of history.")
@click.pass_context
def stats(ctx: click.Context, days: int) -> None:
    """Source health and articles, mentions and alerts per day."""
    from pipeline.cli import open_config
    from pipeline.stats import render_stats

    config, _ = open_config(ctx)
    with closing(_open_store(config)) as store:
        click.echo(render_stats(store, config, days), nl=False)


@click.group("alerts")
def alerts_group() -> None:
    """Alert channels."""


@alerts_group.command("test")
@click.argument("channel")
@click.option("--kind", type=click.Choice(["alert", "digest", "notice"]), default="alert",
              show_default=True, help="What to send: a sample alert, digest or source notice.")
@click.pass_context
def alerts_test(ctx: click.Context, channel: str, kind: str) -> None:
    """Send a sample message to CHANNEL and say whether it got through."""
    from alerts import build_channel
    from pipeline.cli import open_config

    config, _ = open_config(ctx)
    if channel not in config.channels:
        names = ", ".join(config.channels) or "none"
        click.echo(f"config error: no channel named {channel!r} (channels: {names})", err=True)
        sys.exit(EXIT_CONFIG)
    target = build_channel(channel, config.channels[channel])
    try:
        if kind == "digest":
            target.send_digest(DigestMessage("test", "a test", [DigestGroup("Hikvision", [SAMPLE, SAMPLE])]))
        elif kind == "notice":
            target.send_notice(Notice("sample-source", "down", "A test notice from `newswatch alerts test`."))
        else:
            target.send(SAMPLE)
    except DeliveryError as exc:
        click.echo(f"{channel}: FAILED: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"{channel}: sample {kind} sent")


def echo_upkeep(result: UpkeepReport) -> None:
    """What `crawl` adds to its summary: notices and digests."""
    for notice in result.notices:
        click.echo(f"{notice.headline}: {notice.text}", err=True)
    for rule, channel, count in result.digests.sent:
        click.echo(f"digest {rule} to {channel}: {count} article(s)")
    for rule, channel, error in result.digests.failed:
        click.echo(f"  digest {rule} to {channel} failed (will retry): {error}", err=True)
