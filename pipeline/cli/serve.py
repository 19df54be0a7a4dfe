"""`newswatch serve`: Datasette on the newswatch database, opened on the questions people ask.

What Datasette shows is built in `pipeline.browse`: the metadata (titles, column descriptions,
facets, canned queries, hidden internal tables, the watchlist's names for the entity pickers),
the plugin (landing page, article pages, one search box over both full-text indexes) and its
templates. This command writes the metadata beside the database and execs Datasette with them.
Datasette 0.65 has no write API and we add no writing plugin or canned write query, so the
database is read-only through it; `--public` also turns off arbitrary SQL and database download.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from pipeline.browse.metadata import metadata
from pipeline.cli.common import open_config, open_store
from pipeline.config import Config

BROWSE = Path(__file__).resolve().parent.parent / "browse"


def datasette_command(database: Path, metadata_path: Path, host: str, port: int, public: bool) -> list[str]:
    command = [
        sys.executable, "-m", "datasette", "serve", str(database),
        "--metadata", str(metadata_path), "--host", host, "--port", str(port),
        "--plugins-dir", str(BROWSE / "plugins"), "--template-dir", str(BROWSE / "templates"),
        "--setting", "sql_time_limit_ms", "3000",
        "--setting", "facet_time_limit_ms", "500",
        "--setting", "truncate_cells_html", "400",  # long cells stay readable in tables
    ]
    if public:
        command += ["--setting", "default_allow_sql", "off", "--setting", "allow_download", "off"]
    return command


def write_metadata(database: Path, config: Config) -> Path:
    """The metadata file beside the database, rewritten on every start."""
    path = database.with_name(database.stem + ".datasette.json")
    found = metadata(database.stem, entities=[e.name for e in config.watchlist],
                     rules=[r.name for r in config.rules])
    path.write_text(json.dumps(found, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def exec_datasette(config: Config, host: str, port: int, public: bool) -> None:
    """Replace this process with Datasette (same PID: a service manager or test can stop it)."""
    database = config.database_path
    command = datasette_command(database, write_metadata(database, config), host, port, public)
    os.execv(command[0], command)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--public", is_flag=True, help="Also turn off arbitrary SQL and database download.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, public: bool) -> None:
    """Browse and search the database with Datasette."""
    config, _ = open_config(ctx)
    open_store(config).close()
    click.echo(f"Datasette on http://{host}:{port}/ for {config.database_path}", err=True)
    exec_datasette(config, host, port, public)
