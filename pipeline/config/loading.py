"""Load config.yaml: expand ${VAR}, accept renamed keys, validate, report every error with its place.

All errors are collected and shown together, each with its line and place, sources and rules by
name: ``line 12: rules[ngo-team].channels[0]: no channel named 'team-slak' (did you mean
'team-slack'?)`` (`yaml_lines` keeps the lines and finds duplicate keys, `locations` words the
place). Keys that were renamed still work and give a `check` warning naming the new key. Channel settings are validated against the registry of channel types the caller passes
(`alerts.SETTINGS`, from the composition root); without one they are kept as written.
"""

from __future__ import annotations

import os
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Mapping

from pydantic import BaseModel, ValidationError

from pipeline.config.locations import Locator, fields_at
from pipeline.config.schema import Config
from pipeline.config.suggest import did_you_mean
from pipeline.config.watchlist_files import load_watchlist_files
from pipeline.config.yaml_lines import KeyPath
from pipeline.config.yaml_lines import YamlDocument, YamlSyntaxError, read_yaml
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


def expand_env(tree: Any, environ: Mapping[str, str], where: KeyPath = ()) -> tuple[Any, list[tuple[KeyPath, str]]]:
    """Replace ${VAR} and ${VAR:-default} in every string of a parsed YAML tree; (tree, [(path, error)])."""
    errors: list[tuple[KeyPath, str]] = []
    if isinstance(tree, dict):
        out = {}
        for key, value in tree.items():
            out[key], sub = expand_env(value, environ, (*where, key))
            errors += sub
        return out, errors
    if isinstance(tree, list):
        items = []
        for index, value in enumerate(tree):
            item, sub = expand_env(value, environ, (*where, index))
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
        errors.append((where, f"environment variable {name} is not set"))
        return ""

    return _ENV_PATTERN.sub(substitute, tree), errors


def accept_renamed_keys(tree: dict[str, Any]) -> tuple[dict[str, Any], list[str], list[tuple[KeyPath, str]], dict[KeyPath, str]]:
    """Move old key names to their new ones: (tree, warnings, [(path, error)], {new path: old key})."""
    warnings: list[str] = []
    errors: list[tuple[KeyPath, str]] = []
    renamed: dict[KeyPath, str] = {}
    tree = dict(tree)
    for section, old, new in RENAMED_KEYS:
        holder = tree if section is None else tree.get(section)
        if not isinstance(holder, dict) or old not in holder:
            continue
        prefix: KeyPath = () if section is None else (section,)
        where = old if section is None else f"{section}.{old}"
        if new in holder:
            errors.append(((*prefix, old), f"give {new} only ({old} is its old name)"))
            holder = {key: value for key, value in holder.items() if key != old}
            if section is None:
                tree = holder
            else:
                tree[section] = holder
            continue
        holder = dict(holder)
        holder[new] = holder.pop(old)
        if section is None:
            tree = holder
        else:
            tree[section] = holder
        renamed[(*prefix, new)] = old
        warnings.append(f"{where}: now called {new}; {old} is still accepted")
    return tree, warnings, errors, renamed


def _with_watchlist_files(config: Config, at: Locator) -> tuple[Config, list[str], list[str]]:
    """Add the entities of `watchlist_files:`; duplicate names are errors naming both places."""
    origins: dict[str, str] = {}
    errors: list[str] = []
    for index, entity in enumerate(config.watchlist):
        if entity.name in origins:
            errors.append(at.say(("watchlist", index, "name"),
                                 f"{entity.name!r} is already used by {origins[entity.name]}"))
        origins.setdefault(entity.name, at.name(("watchlist", index)))
    loaded, file_errors, warnings = load_watchlist_files(config.watchlist_files, config.base_dir)
    errors += file_errors
    entities = list(config.watchlist)
    for item in loaded:
        name = item.entity.name
        if name in origins:
            errors.append(f"{item.where}: entity {name!r} is already defined at {origins[name]}")
            continue
        origins[name] = item.where
        entities.append(item.entity)
    return config.model_copy(update={"watchlist": entities, "entity_origins": origins}), errors, warnings


def typed_channels(channels: Any, channel_types: ChannelTypes, at: Locator,
                   unset: set[KeyPath] = frozenset()) -> tuple[Any, list[str]]:
    """Each channel of `channels:` validated by its type's settings model (the channel registry)."""
    if not isinstance(channels, dict):
        return channels, []  # the Config model says what is wrong with it
    errors: list[str] = []
    typed: dict[str, Any] = {}
    for name, raw in channels.items():
        kind = raw.get("type") if isinstance(raw, dict) else None
        model = channel_types.get(kind) if isinstance(kind, str) else None
        if model is None:
            hint = did_you_mean(kind, channel_types) if isinstance(kind, str) else ""
            errors.append(at.say(("channels", name), f"type must be one of {', '.join(channel_types)}{hint}"))
            if isinstance(kind, str):
                typed[name] = raw  # a channel by that name all the same: rules naming it are right
            continue
        try:
            typed[name] = model.model_validate(raw)
        except ValidationError as exc:
            typed[name] = raw  # still a channel by that name: rules naming it are not wrong too
            errors += [at.say(("channels", name, *error["loc"]), _message(error, model, error["loc"]))
                       for error in exc.errors() if ("channels", name, *error["loc"]) not in unset]
    return typed, errors


def _cross_reference_errors(config: Config, at: Locator) -> list[str]:
    errors: list[str] = []
    errors += _duplicates("sources", [s.name for s in config.sources], at)
    errors += _duplicates("rules", [r.name for r in config.rules], at)
    entity_names = [e.name for e in config.watchlist]
    for index, entity in enumerate(config.watchlist):
        if entity.weak_aliases and not entity.context and not entity.aliases:
            errors.append(at.say(("watchlist", index, "weak_aliases"),
                                 "weak aliases need aliases or context words to ever count"))
    for index, rule in enumerate(config.rules):
        for position, name in enumerate(rule.entities or []):
            if name not in entity_names:
                errors.append(at.say(("rules", index, "entities", position),
                                     f"no watchlist entity named {name!r}{did_you_mean(name, entity_names)}"))
        for position, name in enumerate(rule.channels):
            if name not in config.channels:
                errors.append(at.say(("rules", index, "channels", position),
                                     f"no channel named {name!r}{did_you_mean(name, config.channels)}"))
        for position, pattern in enumerate(rule.sources or []):
            if not any(fnmatchcase(source.name, pattern) for source in config.sources):
                names = [source.name for source in config.sources]
                errors.append(at.say(("rules", index, "sources", position),
                                     f"no source named {pattern!r} (names or globs such as cn-*)"
                                     f"{did_you_mean(pattern, names)}"))
        if rule.query is not None:
            try:
                parse_query(rule.query, set(entity_names))
            except QueryError as exc:
                errors.append(at.say(("rules", index, "query"), str(exc)))
    if config.admin_channel is not None and config.admin_channel not in config.channels:
        errors.append(at.say(("admin_channel",), f"no channel named {config.admin_channel!r}"
                                                 f"{did_you_mean(config.admin_channel, config.channels)}"))
    return errors


def _duplicates(section: str, names: list[str], at: Locator) -> list[str]:
    seen: dict[str, int] = {}
    errors = []
    for index, name in enumerate(names):
        if name in seen:
            first = at.line((section, seen[name]))
            where = f" (line {first})" if first is not None else ""
            errors.append(at.say((section, index, "name"),
                                 f"{name!r} is already used by {section}[{seen[name]}]{where}"))
        seen.setdefault(name, index)
    return errors


def _duplicate_key_errors(document: YamlDocument, at: Locator) -> list[str]:
    """Two equal keys in one mapping: YAML keeps the last silently, we refuse and name both lines."""
    errors = []
    for duplicate in document.duplicates:
        lines = ", ".join(map(str, duplicate.lines[:-1])) + f" and {duplicate.lines[-1]}"
        errors.append(f"line {duplicate.lines[-1]}: {at.name(duplicate.path)}: given {len(duplicate.lines)} times, on lines {lines}: "
                      "only the last would count; keep one (merge them if both hold entries)")
    return errors


def parse_config(
    text: str, base_dir: Path, environ: Mapping[str, str] | None = None,
    channel_types: ChannelTypes | None = None,
) -> Config:
    """Validate config text; raise ConfigError listing every problem."""
    try:
        document = read_yaml(text)
    except YamlSyntaxError as exc:
        raise ConfigError([str(exc)]) from None
    tree = document.tree or {}
    if not isinstance(tree, dict):
        raise ConfigError(["(top): the config must be a mapping of keys such as sources, watchlist"])
    tree, env_errors = expand_env(tree, os.environ if environ is None else environ)
    written = Locator(tree, document.lines)
    errors = _duplicate_key_errors(document, written)
    errors += [written.say(path, message) for path, message in env_errors]
    unset = {path for path, _ in env_errors}  # their values are empty: no second error about them
    tree, warnings, rename_errors, renamed = accept_renamed_keys(tree)
    at = Locator(written.tree, document.lines, renamed)
    errors += [written.say(path, message) for path, message in rename_errors]
    if channel_types is not None and "channels" in tree:
        tree["channels"], channel_errors = typed_channels(tree["channels"], channel_types, at, unset)
        errors += channel_errors
    config = None
    try:
        config = Config.model_validate({**tree, "base_dir": base_dir})
    except ValidationError as exc:
        errors += [at.say(error["loc"], _message(error, Config, error["loc"]))
                   for error in exc.errors() if at.as_written(error["loc"]) not in unset]
    if config is not None:
        config, file_errors, file_warnings = _with_watchlist_files(config, at)
        errors += file_errors
        warnings += file_warnings
        errors += _cross_reference_errors(config, at)
    if errors:
        raise ConfigError(errors)
    assert config is not None
    return config.model_copy(update={"warnings": warnings})


def _message(error: Mapping[str, Any], model: type[BaseModel], loc: KeyPath) -> str:
    if error["type"] == "extra_forbidden":
        return f"unknown key (check the spelling){did_you_mean(str(loc[-1]), fields_at(model, loc[:-1]))}"
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
