"""The `newswatch` command line: the group, and every command from its own module.

This package is the composition root: it alone imports `alerts/` (see `pipeline.cli.common`).
"""

from __future__ import annotations

import logging

import click

from pipeline.cli.channels import alerts_group, channels_group
from pipeline.cli.crawl import crawl
from pipeline.cli.demo import demo
from pipeline.cli.extract import extract_command
from pipeline.cli.match import match, rematch
from pipeline.cli.run import run
from pipeline.cli.serve import serve
from pipeline.cli.setup import check, init
from pipeline.cli.stats import stats


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


for _command in (crawl, demo, check, init, extract_command, match, rematch, serve, run, stats,
                 channels_group, alerts_group):
    main.add_command(_command)
