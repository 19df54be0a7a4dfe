"""`newswatch demo`: the real pipeline against a bundled news site served on 127.0.0.1."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from pipeline.cli.common import build_channels, channel_types
from pipeline.cli.site_server import SiteServer
from pipeline.config import load_config
from pipeline.service.crawl import crawl_and_deliver
from pipeline.store.sqlite import Store

DEMO_CONFIG = """\
# Written by `newswatch demo`: the bundled sample site, served on loopback for this run only.
database: newswatch.db
alert_backlog: 10000d              # the sample articles are from 2024; a real first pass alerts 1 day back
fetch:
  user_agent: "newswatch-demo (+https://example.org/contact)"
  allow_private_networks: true     # the demo site is on 127.0.0.1
  timeout: 10
sources:
  - name: asia-business-wire
    feed: {base}/feed.xml
    every: 15m
  - name: digital-times-monitor
    feed: {base}/atom.xml
    every: 15m
watchlist:
  - name: Hikvision
    aliases: [Hikvision, Hangzhou Hikvision Digital Technology, 海康威视, "002415"]
  - name: Dahua Technology
    aliases: [Dahua Technology, Zhejiang Dahua Technology, 大华股份, "002236"]
    weak_aliases: [Dahua]
    context: [surveillance, camera, CCTV, Xinjiang, technology]
rules:
  - name: ngo-team
    channels: [terminal]
channels:
  terminal:
    type: console
"""


def run_demo(directory: Path) -> int:
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    config_path = directory / "config.yaml"
    with SiteServer() as site:
        config_path.write_text(DEMO_CONFIG.format(base=site.base), encoding="utf-8")
        config = load_config(config_path, channel_types())
        click.echo(f"Serving the sample news site at {site.base}/ (loopback only)")
        click.echo(f"Crawling {len(config.sources)} feeds into {config.database_path} ...\n")
        result = crawl_and_deliver(config, config_path, [], build_channels(config.channels))
    store = Store.open(config.database_path)
    articles, mentions = store.count("articles"), store.count("mentions")
    store.close()
    click.echo("Summary:")
    for report in result.crawl.sources.values():
        click.echo(f"  {report.name}: {report.status}, {report.new_articles} new article(s), "
                   f"{report.rejected_pages} rejected, {report.failed_pages} failed")
    click.echo(f"  {articles} articles, {mentions} mentions stored; "
               f"{len(result.delivery.sent)} alert(s) delivered, {len(result.delivery.failed)} failed")
    click.echo("\nBrowse the result:")
    click.echo(f"  uv run newswatch --config {config_path} serve")
    click.echo("  then open http://127.0.0.1:8001/ (try the 'Latest mentions' query)")
    return 0 if result.crawl.any_read else 1


@click.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False), default="newswatch-demo",
              show_default=True, help="Where the demo writes its config and database.")
@click.pass_context
def demo(ctx: click.Context, directory: str) -> None:
    """Crawl a bundled sample news site on 127.0.0.1 and print the alerts."""
    ctx.exit(run_demo(Path(directory)))
