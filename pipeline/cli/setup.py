"""`newswatch init` and `newswatch check`: a starter config, and what the config says."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from pipeline.cli.common import EXIT_CONFIG, fail, open_config
from pipeline.config.compile import alias_conflicts

STARTER_CONFIG = Path(__file__).parent / "starter_config.yaml"


@click.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Validate the config and print a summary."""
    config, path = open_config(ctx)
    click.echo(f"{path}: OK")
    click.echo(f"database: {config.database_path}")
    click.echo(f"sources ({len(config.sources)}):")
    for source in config.sources:
        when = f"cron {source.cron!r} {source.timezone or 'UTC'}" if source.cron else f"every {source.every:g}s"
        click.echo(f"  {source.name}: {source.url} {when}")
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
    for warning in config.warnings + alias_conflicts(config):
        click.echo(f"warning: {warning}", err=True)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False), default="config.yaml")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: str, force: bool) -> None:
    """Write a commented starter config."""
    target = Path(path)
    if target.exists() and not force:
        fail(f"{target} exists; use --force to overwrite it", EXIT_CONFIG)
    shutil.copyfile(STARTER_CONFIG, target)
    click.echo(f"wrote {target}; edit it, then run: newswatch --config {target} check")
