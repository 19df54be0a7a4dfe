"""What every command shares: exit codes, the one config loader, the one store opener, options.

`pipeline.cli` is the composition root: the only place that wires the channels of `alerts/` into
the pipeline (config validation against their settings models, and building them to send).
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, NoReturn

import click

from pipeline.config import Config, ConfigError, parse_config, read_config, resolve_config_path
from pipeline.config.dates import parse_since
from pipeline.config.suggest import did_you_mean
from pipeline.models import Channel
from pipeline.store.sqlite import Store, StoreError

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
EXIT_ALL_FAILED = EXIT_FAILED  # `crawl`: every source failed


def channel_types() -> dict[str, Any]:
    from alerts import SETTINGS

    return SETTINGS


def build_channels(channels: dict[str, Any]) -> dict[str, Channel]:
    from alerts import build_channels as build

    return build(channels)


def parse_with_channels(text: str, base_dir: Path) -> Config:
    """The daemon's re-reading of its config on SIGHUP: the same checks as every command."""
    return parse_config(text, base_dir, channel_types=channel_types())


def fail(message: str, code: int = EXIT_CONFIG) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def fail_config(error: ConfigError) -> NoReturn:
    where = f" in {error.path}" if error.path else ""
    click.echo(f"config error{where}:", err=True)
    for line in error.errors:
        click.echo(f"  {line}", err=True)
    sys.exit(EXIT_CONFIG)


def config_path(ctx: click.Context) -> Path:
    return resolve_config_path(ctx.obj["config"])


def open_config(ctx: click.Context) -> tuple[Config, Path]:
    """The validated config (exit 2 listing every error), and its path."""
    config, _, path = open_config_text(ctx)
    return config, path


def open_config_text(ctx: click.Context) -> tuple[Config, str, Path]:
    """As `open_config`, with the exact text validated (the daemon's snapshot)."""
    path = config_path(ctx)
    try:
        config, text = read_config(path, channel_types())
    except ConfigError as exc:
        fail_config(exc)
    return config, text, path


def open_store(config: Config) -> Store:
    """The configured database, created or migrated; exit 2 naming the file when it cannot be."""
    try:
        return Store.open(config.database_path)
    except StoreError as exc:
        fail(f"database error: {exc}")


def require_sources(config: Config, names: tuple[str, ...] = ()) -> None:
    """Exit 2 when there is nothing to crawl or a named source does not exist."""
    if not config.sources:
        fail("config error: no sources configured")
    known = {s.name for s in config.sources}
    unknown = [name for name in names if name not in known]
    if unknown:
        hints = "".join(did_you_mean(name, known) for name in unknown)
        fail(f"config error: no source named {', '.join(map(repr, unknown))}{hints}")
    if not config.sources_to_read(names):
        fail("config error: every source has enabled: false (name one with --source to read it anyway)")


def source_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--source", "sources", multiple=True, help="Only this source (repeatable).")(command)


def rule_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--rule", "rule_names", multiple=True, help="Only this rule (repeatable).")(command)


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")(command)


class SinceParam(click.ParamType):
    """A `--since` value: an ISO 8601 date or time, or a duration back from now (7d, 1h30m).

    Converted to the UTC ISO form the database keeps (`2025-03-05T00:00:00+00:00`); a value that is
    neither is a usage error (exit 2) saying what is accepted."""

    name = "DATE|DURATION"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            moment = parse_since(str(value), datetime.now(timezone.utc))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return moment.replace(microsecond=0).isoformat()


SINCE = SinceParam()
