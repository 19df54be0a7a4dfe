"""`newswatch init` and `newswatch check`: a starter config, and what the config says."""

from __future__ import annotations

import shutil
from contextlib import closing
from pathlib import Path

import click

from pipeline.cli.common import EXIT_CONFIG, fail, open_config
from pipeline.config import Config
from pipeline.config.compile import alias_conflicts
from pipeline.config.lint import config_warnings
from pipeline.store.sqlite import Store

STARTER_CONFIG = Path(__file__).parent / "starter_config.yaml"


def discovered_listings(config: Config) -> dict[str, tuple[str, str, str, str]]:
    """What each `site:` source's discovery chose, from the database when there is one."""
    if not config.database_path.exists() or not any(s.kind == "site" for s in config.sources):
        return {}
    with closing(Store.open(config.database_path)) as store:
        return {s.name: found for s in config.sources if (found := store.discovered(s.name))}


@click.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Validate the config and print a summary."""
    config, path = open_config(ctx)
    click.echo(f"{path}: OK")
    click.echo(f"database: {config.database_path}")
    click.echo(f"sources ({len(config.sources)}):")
    discovered = discovered_listings(config)
    for source in config.sources:
        when = f"cron {source.cron!r} {source.timezone or 'UTC'}" if source.cron else f"every {source.every:g}s"
        off = " (enabled: false)" if not source.enabled else ""
        click.echo(f"  {source.name}: {source.url} ({source.kind}) {when}{off}")
        if source.kind == "site":
            found = discovered.get(source.name)
            click.echo(f"    reads {found[0]} {found[1]} (found: {found[2]}, {found[3]})" if found
                       else "    its listing is found on the first crawl")
    click.echo(f"entities ({len(config.watchlist)}):")
    for entity in config.watchlist[:50]:
        weak = f", weak: {', '.join(entity.weak_aliases)}" if entity.weak_aliases else ""
        click.echo(f"  {entity.name}: {', '.join(entity.strong_aliases)}{weak}")
    if len(config.watchlist) > 50:
        click.echo(f"  … and {len(config.watchlist) - 50} more")
    click.echo(f"rules ({len(config.rules)}):")
    for rule in config.rules:
        digest = f" (digest {rule.digest})" if rule.digest else ""
        click.echo(
            f"  {rule.name}: {', '.join(config.rule_entities(rule))} -> {', '.join(rule.channels)}{digest}"
        )
    click.echo(f"channels ({len(config.channels)}):")
    for name, channel in config.channels.items():
        click.echo(f"  {name}: {channel.type}")
    for warning in config.warnings + alias_conflicts(config) + config_warnings(config):
        click.echo(f"warning: {warning}", err=True)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False), default="config.yaml")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: str, force: bool) -> None:
    """Write a commented starter config."""
    target = Path(path)
    if target.exists() and not force:
        if target.read_bytes() == STARTER_CONFIG.read_bytes():
            # A fresh clone ships config.yaml as this very starter: the README's first step works.
            click.echo(f"{target} is already the starter config, unchanged; edit it, then run: "
                       f"newswatch --config {target} check")
            return
        fail(f"{target} exists and differs from the starter (your edits?); "
             "use --force to overwrite it with the starter", EXIT_CONFIG)
    shutil.copyfile(STARTER_CONFIG, target)
    click.echo(f"wrote {target}; edit it, then run: newswatch --config {target} check")
