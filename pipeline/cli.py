"""The `newswatch` command line. The only place (with pipeline.crawl) that wires crawler and alerts in."""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

import click

from pipeline.config import Config, ConfigError, load_config, resolve_config_path
from pipeline.crawl import CrawlError, PassResult, crawl_and_deliver
from pipeline.store import Store, StoreError

EXIT_OK, EXIT_ALL_FAILED, EXIT_CONFIG = 0, 1, 2
STARTER_CONFIG = Path(__file__).parent / "starter_config.yaml"


def fail_config(error: ConfigError) -> None:
    where = f" in {error.path}" if error.path else ""
    click.echo(f"config error{where}:", err=True)
    for line in error.errors:
        click.echo(f"  {line}", err=True)
    sys.exit(EXIT_CONFIG)


def open_config(ctx: click.Context) -> tuple[Config, Path]:
    path = resolve_config_path(ctx.obj["config"])
    try:
        return load_config(path), path
    except ConfigError as exc:
        fail_config(exc)
        raise  # unreachable


def open_store(config: Config) -> Store:
    """The configured database, created or migrated; exit 2 naming the file when it cannot be."""
    try:
        return Store.open(config.database_path)
    except StoreError as exc:
        click.echo(f"database error: {exc}", err=True)
        sys.exit(EXIT_CONFIG)


@click.group()
@click.option(
    "--config", "config", type=click.Path(dir_okay=False), default=None,
    help="Config file (default: $NEWSWATCH_CONFIG, else ./config.yaml).",
)
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """newswatch: watch the news for the companies you track."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(dict)
    ctx.obj["config"] = config


def print_pass(result: PassResult) -> None:
    for report in result.crawl.sources.values():
        if report.was_read:
            state = "not modified" if report.status == "not_modified" else "read"
            line = f"{report.name}: {state}, {report.new_articles} new article(s), {report.alerts} alert(s) queued"
            if report.updated_articles:
                line += f", {report.updated_articles} updated article(s)"
            if report.failed_pages:
                line += f", {report.failed_pages} page(s) failed (retried next pass)"
            click.echo(line)
            for error in report.page_errors[:5]:
                click.echo(f"  page failed: {error}")
        else:
            click.echo(f"{report.name}: {report.status.upper()}: {report.reason}", err=True)
    sent, failed = len(result.delivery.sent), len(result.delivery.failed)
    click.echo(f"alerts: {sent} sent, {failed} failed")
    for alert_id, channel, error in result.delivery.failed:
        click.echo(f"  alert {alert_id} to {channel} failed (will retry): {error}", err=True)


def run_pass(config: Config, config_path: Path, names: list[str]) -> PassResult:
    from alerts import build_channels

    open_store(config).close()
    try:
        return crawl_and_deliver(config, config_path, names, build_channels(config.channels))
    except CrawlError as exc:
        click.echo(f"crawl failed: {exc}", err=True)
        sys.exit(EXIT_ALL_FAILED)


@main.command()
@click.option("--source", "sources", multiple=True, help="Only this source (repeatable).")
@click.pass_context
def crawl(ctx: click.Context, sources: tuple[str, ...]) -> None:
    """One pass over all sources now, then deliver pending alerts (for cron)."""
    config, path = open_config(ctx)
    known = {s.name for s in config.sources}
    unknown = [name for name in sources if name not in known]
    if unknown:
        click.echo(f"config error: no source named {', '.join(map(repr, unknown))}", err=True)
        sys.exit(EXIT_CONFIG)
    if not config.sources:
        click.echo("config error: no sources configured", err=True)
        sys.exit(EXIT_CONFIG)
    refuse_beside_daemon(config)
    result = run_pass(config, path, list(sources))
    print_pass(result)
    print_upkeep_after(config, result)
    sys.exit(EXIT_OK if result.crawl.any_read else EXIT_ALL_FAILED)


def refuse_beside_daemon(config: Config) -> None:
    """A crawl beside a running daemon could send an alert twice: one of them per database."""
    from pipeline.lock import holder

    pid = holder(config.database_path)
    if pid is not None:
        who = f"process {pid}" if pid > 0 else "another process"
        click.echo(f"newswatch run ({who}) is already running on {config.database_path}; "
                   "it crawls on its own schedule", err=True)
        sys.exit(EXIT_CONFIG)


def print_upkeep_after(config: Config, result: PassResult) -> None:
    """Source health, admin notices and due digests: cron users get them from `crawl` too."""
    from datetime import datetime, timezone

    from alerts import build_channels
    from pipeline.cli_ops import echo_upkeep
    from pipeline.upkeep import after_pass

    store = Store.open(config.database_path)
    try:
        upkeep = after_pass(config, store, build_channels(config.channels), result.crawl,
                            datetime.now(timezone.utc))
    finally:
        store.close()
    echo_upkeep(upkeep)


@main.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Validate the config and print a summary."""
    config, path = open_config(ctx)
    click.echo(f"{path}: OK")
    click.echo(f"database: {config.database_path}")
    click.echo(f"sources ({len(config.sources)}):")
    for source in config.sources:
        when = f"cron {source.cron!r} {source.timezone or 'UTC'}" if source.cron else f"every {source.every:g}s"
        click.echo(f"  {source.name}: {source.feed} {when}")
    click.echo(f"entities ({len(config.watchlist)}):")
    for entity in config.watchlist[:50]:
        weak = f", weak: {', '.join(entity.weak_aliases)}" if entity.weak_aliases else ""
        click.echo(f"  {entity.name}: {', '.join(entity.strong_aliases)}{weak}")
    if len(config.watchlist) > 50:
        click.echo(f"  … and {len(config.watchlist) - 50} more")
    click.echo(f"rules ({len(config.alerts)}):")
    for rule in config.alerts:
        digest = f" (digest {rule.digest})" if rule.digest else ""
        click.echo(
            f"  {rule.name}: {', '.join(config.rule_entities(rule))} -> {', '.join(rule.channels)}{digest}"
        )
    click.echo(f"channels ({len(config.channels)}):")
    for name, channel in config.channels.items():
        click.echo(f"  {name}: {channel.type}")
    from pipeline.config import alias_conflicts

    for conflict in alias_conflicts(config):
        click.echo(f"warning: {conflict}", err=True)


@main.command()
@click.argument("path", type=click.Path(dir_okay=False), default="config.yaml")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: str, force: bool) -> None:
    """Write a commented starter config."""
    target = Path(path)
    if target.exists() and not force:
        click.echo(f"{target} exists; use --force to overwrite it", err=True)
        sys.exit(EXIT_CONFIG)
    shutil.copyfile(STARTER_CONFIG, target)
    click.echo(f"wrote {target}; edit it, then run: newswatch --config {target} check")


@main.command("extract")
@click.option("--url", default=None, help="The page's URL (resolves links; picks the site's learned boilerplate).")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.pass_context
def extract_command(ctx: click.Context, url: str | None, files: tuple[str, ...]) -> None:
    """Print the extracted article of each FILE as one JSON object per line."""
    from pipeline.extract_cli import extract_files

    boilerplate_store = None
    if ctx.obj["config"]:
        config, _ = open_config(ctx)
        boilerplate_store = open_store(config)
    failures = extract_files([Path(f) for f in files], url, boilerplate_store, click.echo)
    if boilerplate_store:
        boilerplate_store.close()
    sys.exit(1 if failures == len(files) else 0)


@main.command()
@click.option("--rule", "rule_names", multiple=True, help="Only this rule (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.argument("inputs", nargs=-1, required=True)
@click.pass_context
def match(ctx: click.Context, rule_names: tuple[str, ...], as_json: bool, inputs: tuple[str, ...]) -> None:
    """What would match in saved pages or URLs, and why (after the real extraction)."""
    from pipeline import match_cli
    from pipeline.rules import rules_from_config, watchlist_from_config

    config, path = open_config(ctx)
    unknown = [r for r in rule_names if r not in {rule.name for rule in config.alerts}]
    if unknown:
        click.echo(f"config error: no rule named {', '.join(map(repr, unknown))}", err=True)
        sys.exit(EXIT_CONFIG)
    watchlist = watchlist_from_config(config)
    rules = [r for r in rules_from_config(config) if not rule_names or r.name in rule_names]
    failures = 0
    for page in match_cli.match_inputs(config, path, list(inputs)):
        record = match_cli.match_page(page, watchlist, rules)
        failures += "error" in record
        click.echo(match_cli.as_json(record) if as_json else match_cli.describe(record))
    sys.exit(1 if failures == len(inputs) else 0)


@main.command()
@click.option("--since", default=None, help="Only articles published on or after this date (YYYY-MM-DD).")
@click.option("--alert", "send_alerts", is_flag=True, help="Queue and send alerts for new rule matches.")
@click.pass_context
def rematch(ctx: click.Context, since: str | None, send_alerts: bool) -> None:
    """Re-run the current watchlist over stored articles (back-fills a new entity's mentions)."""
    from pipeline.match_cli import rematch as run_rematch
    from pipeline.rules import rules_from_config, watchlist_from_config

    config, _ = open_config(ctx)
    store = open_store(config)
    report = run_rematch(store, watchlist_from_config(config), rules_from_config(config), since, send_alerts)
    click.echo(f"{report.articles} article(s) re-matched: {report.mentions} mention(s), "
               f"{report.changed} article(s) changed, {report.new_alerts} new alert(s) queued")
    if send_alerts:
        from alerts import build_channels
        from pipeline.crawl import rule_entities
        from pipeline.deliver import deliver_pending

        delivery = deliver_pending(store, build_channels(config.channels), rule_entities(config))
        click.echo(f"alerts: {len(delivery.sent)} sent, {len(delivery.failed)} failed")
    store.close()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--public", is_flag=True, help="Also turn off arbitrary SQL and database download.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, public: bool) -> None:
    """Browse and search the database with Datasette."""
    from pipeline.serve import exec_datasette

    config, _ = open_config(ctx)
    open_store(config).close()
    click.echo(f"Datasette on http://{host}:{port}/ for {config.database_path}", err=True)
    exec_datasette(config.database_path, host, port, public)


@main.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False), default="newswatch-demo",
              show_default=True, help="Where the demo writes its config and database.")
def demo(directory: str) -> None:
    """Crawl a bundled sample news site on 127.0.0.1 and print the alerts."""
    from pipeline.demo import run_demo

    sys.exit(run_demo(Path(directory)))


def _add_operations() -> None:
    from pipeline.cli_ops import alerts_group, run, stats

    for command in (run, stats, alerts_group):
        main.add_command(command)


_add_operations()

if __name__ == "__main__":
    main()
