"""The `newswatch` command line: the group, and every command from its own module.

This package is the composition root: it alone imports `alerts/` (see `pipeline.cli.common`).
Commands are imported when they run, not before: `newswatch check` should not pay for
trafilatura, nor `newswatch crawl` (whose child does the extraction) for Datasette.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

COMMANDS = {
    "crawl": "pipeline.cli.crawl:crawl",
    "add": "pipeline.cli.add:add",
    "import-opml": "pipeline.cli.add:import_opml",
    "run": "pipeline.cli.run:run",
    "check": "pipeline.cli.setup:check",
    "init": "pipeline.cli.setup:init",
    "demo": "pipeline.cli.demo:demo",
    "extract": "pipeline.cli.extract:extract_command",
    "match": "pipeline.cli.match:match",
    "rematch": "pipeline.cli.match:rematch",
    "serve": "pipeline.cli.serve:serve",
    "stats": "pipeline.cli.stats:stats",
    "channels": "pipeline.cli.channels:channels_group",
    "alerts": "pipeline.cli.channels:alerts_group",  # the old name of `channels`, hidden
}


class CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (a test runner may swap it between commands)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self):  # noqa: ANN201
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


def setup_command_logging() -> None:
    """Warnings and errors on stderr, once per process (the daemon sets up its own log)."""
    root = logging.getLogger()
    if not any(isinstance(h, CurrentStderrHandler) for h in root.handlers):
        handler = CurrentStderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.handlers[:] = [handler]
        root.setLevel(logging.WARNING)


class LazyGroup(click.Group):
    """A group whose commands are imported by name on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup)
@click.version_option(package_name="newswatch", prog_name="newswatch", message="%(prog)s %(version)s")
@click.option(
    "--config", "config", type=click.Path(dir_okay=False), default=None,
    help="Config file (default: $NEWSWATCH_CONFIG, else ./config.yaml).",
)
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """newswatch: watch the news for the companies you track."""
    setup_command_logging()
    ctx.ensure_object(dict)
    ctx.obj["config"] = config
