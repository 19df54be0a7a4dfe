"""The README documents every command, every option and every config key, each where it belongs.

A command is documented by its row in the commands table (`| \\`crawl ...`), and each of its
options must be in that row. A config key must be in backticks in the bullet of its section
(`- \\`sources\\`: ...`), so a common word such as `name` is only found where it is explained.
"""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from alerts import SETTINGS
from pipeline.cli import main
from pipeline.config import Config, EntityConfig, FetchConfig, RuleConfig, SourceConfig, StoriesConfig
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTIONS: dict[type[BaseModel], str] = {
    FetchConfig: "fetch", SourceConfig: "sources", EntityConfig: "watchlist", RuleConfig: "rules",
    StoriesConfig: "stories", **{model: "channels" for model in SETTINGS.values()},
}


def commands() -> list[tuple[str, click.Command]]:
    """(full name, command) for every visible command and subcommand."""
    context = click.Context(main)
    found = []
    for name in main.list_commands(context):
        command = main.get_command(context, name)
        if command is None or command.hidden:
            continue
        if isinstance(command, click.Group):
            sub = click.Context(command)
            found += [(f"{name} {s}", command.get_command(sub, s)) for s in command.list_commands(sub)]
        else:
            found.append((name, command))
    return found


def table_row(name: str) -> str:
    rows = [line for line in README.splitlines() if line.startswith(f"| `{name}")]
    assert rows, f"no row for `{name}` in the README's commands table"
    return rows[0]


def options() -> list[tuple[str, str]]:
    return [(name, opt) for name, command in commands() for param in command.params
            if isinstance(param, click.Option) for opt in param.opts if opt.startswith("--")]


def bullets(section: str) -> str:
    """The text of every README bullet that documents `section` (a bullet runs to the next one)."""
    found = re.findall(rf"^- `{section}`.*?(?=^- |^\s*$)", README, flags=re.M | re.S)
    assert found, f"no README bullet documents `{section}`"
    return "\n".join(found)


def config_keys() -> list[tuple[str, str]]:
    keys = [(model.__name__, section, field.alias or name)
            for model, section in SECTIONS.items() for name, field in model.model_fields.items()
            if not field.exclude and name != "type"]
    keys += [("Config", key, key) for key, field in Config.model_fields.items() if not field.exclude]
    return [(f"{model}.{key}", section) for model, section, key in keys]


@pytest.mark.parametrize("name", [name for name, _ in commands()])
def test_command_is_in_the_table(name):
    assert table_row(name)


@pytest.mark.parametrize(("name", "option"), options())
def test_option_is_documented_with_its_command(name, option):
    assert f"{option}" in table_row(name), f"{name} {option}"


@pytest.mark.parametrize(("name", "command"), commands())
def test_command_has_help(name, command):
    result = CliRunner().invoke(main, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    summary = (command.help or "").strip().splitlines()[0]
    assert summary and summary in " ".join(result.output.split())


@pytest.mark.parametrize(("key", "section"), config_keys())
def test_config_key_is_documented_in_its_section(key, section):
    name = key.rpartition(".")[2]
    text = bullets(section) if not key.startswith("Config.") else bullets(rf"{section}:?")
    assert f"`{name}`" in text or f"`{name}:" in text, f"{key} in the README's `{section}` bullet"


def test_a_missing_key_is_noticed():
    """The check above can fail: a key no bullet of its section mentions is reported."""
    text = bullets("sources")
    assert "`feed`" in text and "`no_such_key`" not in text
