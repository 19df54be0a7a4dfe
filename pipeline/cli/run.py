"""`newswatch run`: the daemon, wired to the channels, the lock and the log."""

from __future__ import annotations

import logging

import click

from pipeline.cli.common import (
    EXIT_FAILED, build_channels, fail, open_config_text, open_store, parse_with_channels, require_sources,
)
from pipeline.service.daemon import Daemon
from pipeline.service.lock import DaemonLock, Holder, LockHeld
from pipeline.service.logs import Totals, event, setup_logging

log = logging.getLogger("newswatch.daemon")


def waiting_for(holder: Holder) -> None:
    event(log, "daemon.waiting", pid=holder.pid, reason=f"{holder.describe()} is running a pass on this database")


@click.command()
@click.option("--log-json", is_flag=True, help="Log JSON lines instead of plain text.")
@click.option("--verbose", is_flag=True, help="Also log each source's scheduling and every 304.")
@click.pass_context
def run(ctx: click.Context, log_json: bool, verbose: bool) -> None:
    """Run as a service: each source on its own schedule, digests, health (SIGHUP reloads)."""
    config, text, path = open_config_text(ctx)  # the text validated is the snapshot children read
    require_sources(config)
    totals = Totals()
    setup_logging(json_lines=log_json, verbose=verbose, totals=totals)
    open_store(config).close()
    try:  # a `crawl` pass holding the database is waited for; another daemon is refused
        lock = DaemonLock(config.database_path).acquire_after(waiting_for, stop=lambda: False)
    except LockHeld as exc:
        fail(f"newswatch run cannot start: {exc}", EXIT_FAILED)
    try:
        code = Daemon(path, config, build_channels, parse_with_channels, totals, config_text=text).run()
    finally:
        lock.release()
    ctx.exit(code)
