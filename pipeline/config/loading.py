"""Load config.yaml: expand ${VAR}, accept renamed keys, validate, report every error with its place.

All errors are collected and shown together, each with a location such as
``watchlist[1].aliases``. Keys that were renamed still work and give a `check` warning naming the
new key. Channel settings are validated against the registry of channel types the caller passes
(`alerts.SETTINGS`, from the composition root); without one they are kept as written.
"""

from __future__ import annotations

import os
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Mapping

import yaml
from pydantic import BaseModel, ValidationError

from pipeline.config.schema import Config
from pipeline.config.watchlist_files import load_watchlist_files
from pipeline.match.query import QueryError, parse_query

DEFAULT_CONFIG = "config.yaml"
_ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")
ChannelTypes = Mapping[str, type[BaseModel]]
# (section or None for the top level, old key, new key)
RENAMED_KEYS = ((None, "alerts", "rules"), ("fetch", "max_items_per_feed", "max_items_per_source"))


class ConfigError(Exception):
    """Raised with every problem found in a config; each entry names where it is."""

    def __init__(self, errors: list[str], path: Path | None = None):
        self.errors = errors
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(where + "; ".join(errors))


def expand_env(tree: Any, environ: Mapping[str, str], where: str = "") -> tuple[Any, list[str]]:
    """Replace ${VAR} and ${VAR:-default} in every string of a parsed YAML tree."""
    errors: list[str] = []
    if isinstance(tree, dict):
        out = {}
        for key, value in tree.items():
            out[key], sub = expand_env(value, environ, _join(where, key))
            errors += sub
        return out, errors
    if isinstance(tree, list):
        items = []
        for index, value in enumerate(tree):
            item, sub = expand_env(value, environ, f"{where}[{index}]")
            items.append(item)
            errors += sub
        return items, errors
    if not isinstance(tree, str):
        return tree, errors

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        errors.append(f"{where or '(top)'}: environment variable {name} is not set")
        return ""

    return _ENV_PATTERN.sub(substitute, tree), errors


def _join(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)


def format_location(loc: tuple[Any, ...], written: Mapping[str, str] | None = None) -> str:
    """('watchlist', 1, 'aliases') -> 'watchlist[1].aliases'; a renamed top key as the user wrote it."""
    text = ""
    parts = list(loc)
    if parts and written and parts[0] in written:
        parts[0] = written[parts[0]]
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text = _join(text, part)
    return text or "(top)"


def accept_renamed_keys(tree: dict[str, Any]) -> tuple[dict[str, Any], list[str], list[str], dict[str, str]]:
    """Move old key names to their new ones: (tree, warnings, errors, {new top key: old})."""
    warnings: list[str] = []
    errors: list[str] = []
    written: dict[str, str] = {}
    tree = dict(tree)
    for section, old, new in RENAMED_KEYS:
        holder = tree if section is None else tree.get(section)
        if not isinstance(holder, dict) or old not in holder:
            continue
        where = old if section is None else f"{section}.{old}"
        if new in holder:
            errors.append(f"{where}: give {new} only ({old} is its old name)")
            continue
        holder = dict(holder)
        holder[new] = holder.pop(old)
        if section is None:
            tree = holder
            written[new] = old
        else:
            tree[section] = holder
        warnings.append(f"{where}: now called {new}; {old} is still accepted")
    return tree, warnings, errors, written


def _with_watchlist_files(config: Config) -> tuple[Config, list[str]]:
    """Add the entities of `watchlist_files:`; duplicate names are errors naming both places."""
    origins: dict[str, str] = {}
    errors: list[str] = []
    for index, entity in enumerate(config.watchlist):
        if entity.name in origins:
            errors.append(f"watchlist[{index}].name: {entity.name!r} is already used by {origins[entity.name]}")
        origins.setdefault(entity.name, f"watchlist[{index}]")
    loaded, file_errors = load_watchlist_files(config.watchlist_files, config.base_dir)
    errors += file_errors
    entities = list(config.watchlist)
    for item in loaded:
        name = item.entity.name
        if name in origins:
            errors.append(f"{item.where}: entity {name!r} is already defined at {origins[name]}")
            continue
        origins[name] = item.where
        entities.append(item.entity)
    return config.model_copy(update={"watchlist": entities, "entity_origins": origins}), errors


def typed_channels(channels: Any, channel_types: ChannelTypes) -> tuple[Any, list[str]]:
    """Each channel of `channels:` validated by its type's settings model (the channel registry)."""
    if not isinstance(channels, dict):
        return channels, []  # the Config model says what is wrong with it
    errors: list[str] = []
    typed: dict[str, Any] = {}
    for name, raw in channels.items():
        kind = raw.get("type") if isinstance(raw, dict) else None
        model = channel_types.get(kind) if isinstance(kind, str) else None
        if model is None:
            errors.append(f"channels.{name}: type must be one of {', '.join(channel_types)}")
            continue
        try:
            typed[name] = model.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                errors.append(f"{format_location(('channels', name, *error['loc']))}: {_message(error)}")
    return typed, errors


def _cross_reference_errors(config: Config, rules_key: str) -> list[str]:
    errors: list[str] = []
    errors += _duplicates("sources", [s.name for s in config.sources])
    errors += _duplicates(rules_key, [r.name for r in config.rules])
    entity_names = {e.name for e in config.watchlist}
    for index, entity in enumerate(config.watchlist):
        if entity.weak_aliases and not entity.context and not entity.aliases:
            errors.append(
                f"watchlist[{index}].weak_aliases: weak aliases need aliases or context words "
                "to ever count"
            )
    for index, rule in enumerate(config.rules):
        for position, name in enumerate(rule.entities or []):
            if name not in entity_names:
                errors.append(f"{rules_key}[{index}].entities[{position}]: no watchlist entity named {name!r}")
        for position, name in enumerate(rule.channels):
            if name not in config.channels:
                errors.append(f"{rules_key}[{index}].channels[{position}]: no channel named {name!r}")
        for position, pattern in enumerate(rule.sources or []):
            if not any(fnmatchcase(source.name, pattern) for source in config.sources):
                errors.append(f"{rules_key}[{index}].sources[{position}]: no source named {pattern!r}"
                              " (names or globs such as cn-*)")
        if rule.query is not None:
            try:
                parse_query(rule.query, entity_names)
            except QueryError as exc:
                errors.append(f"{rules_key}[{index}].query: {exc}")
    if config.admin_channel is not None and config.admin_channel not in config.channels:
        errors.append(f"admin_channel: no channel named {config.admin_channel!r}")
    return errors


def _duplicates(section: str, names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    errors = []
    for index, name in enumerate(names):
        if name in seen:
            errors.append(f"{section}[{index}].name: {name!r} is already used by {section}[{seen[name]}]")
        seen.setdefault(name, index)
    return errors


def parse_config(
    text: str, base_dir: Path, environ: Mapping[str, str] | None = None,
    channel_types: ChannelTypes | None = None,
) -> Config:
    """Validate config text; raise ConfigError listing every problem."""
    try:
        tree = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError([f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    if not isinstance(tree, dict):
        raise ConfigError(["(top): the config must be a mapping of keys such as sources, watchlist"])
    tree, errors = expand_env(tree, os.environ if environ is None else environ)
    tree, warnings, rename_errors, written = accept_renamed_keys(tree)
    errors += rename_errors
    if channel_types is not None and "channels" in tree:
        tree["channels"], channel_errors = typed_channels(tree["channels"], channel_types)
        errors += channel_errors
    config = None
    try:
        config = Config.model_validate({**tree, "base_dir": base_dir})
    except ValidationError as exc:
        for error in exc.errors():
            errors.append(f"{format_location(error['loc'], written)}: {_message(error)}")
    if config is not None:
        config, file_errors = _with_watchlist_files(config)
        errors += file_errors
        errors += _cross_reference_errors(config, written.get("rules", "rules"))
    if errors:
        raise ConfigError(errors)
    assert config is not None
    return config.model_copy(update={"warnings": warnings})


def _message(error: Mapping[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (check the spelling)"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def resolve_config_path(path: str | os.PathLike[str] | None) -> Path:
    """--config, else $NEWSWATCH_CONFIG, else ./config.yaml."""
    return Path(path or os.environ.get("NEWSWATCH_CONFIG") or DEFAULT_CONFIG)


def read_config(path: Path, channel_types: ChannelTypes | None = None) -> tuple[Config, str]:
    """The validated config and the exact text validated (the daemon snapshots that text)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"cannot read config file: {exc.strerror}"], path) from None
    try:
        return parse_config(text, path.resolve().parent, channel_types=channel_types), text
    except ConfigError as exc:
        exc.path = path
        raise


def load_config(
    path: str | os.PathLike[str] | None = None, channel_types: ChannelTypes | None = None
) -> Config:
    return read_config(resolve_config_path(path), channel_types)[0]
