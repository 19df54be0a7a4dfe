"""Configuration: load config.yaml, expand ${VAR}, validate, and report every error with its place.

A typo in a monitoring config must never be silently ignored (the alert simply never comes), so
every model forbids unknown keys and all errors are collected and shown together, each with a
location such as ``watchlist[1].aliases``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (
    AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
    model_validator,
)

from pipeline import schedule

DEFAULT_CONFIG = "config.yaml"
_ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")
_DURATION_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfigError(Exception):
    """Raised with every problem found in a config; each entry names where it is."""

    def __init__(self, errors: list[str], path: Path | None = None):
        self.errors = errors
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(where + "; ".join(errors))


def parse_duration(value: str | int | float) -> float:
    """Seconds in '30s', '15m', '2h' or '1d' (a bare number is seconds)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION_PATTERN.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration such as 30s, 15m, 2h or 1d")
        seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


def _time_zone(value: str) -> str:
    schedule.zone(value)
    return value


def _cron(value: str) -> str:
    schedule.cron_trigger(value)
    return value


TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
CronExpression = Annotated[str, AfterValidator(_cron)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FetchConfig(_Strict):
    user_agent: str = "newswatch/0.1 (+https://example.org/contact)"
    obey_robots_txt: bool = True
    allow_private_networks: bool = False
    timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    max_bytes: Annotated[int, Field(gt=0)] = 10 * 1024 * 1024
    concurrency_per_domain: Annotated[int, Field(ge=1, le=32)] = 2
    max_items_per_feed: Annotated[int, Field(ge=1)] = 200


class SourceConfig(_Strict):
    name: Annotated[str, Field(min_length=1)]
    feed: str
    every: float = 1800.0
    cron: CronExpression | None = None
    timezone: TimeZoneName | None = None
    expect_new_within: float | None = None

    @field_validator("every", "expect_new_within", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float | None:
        return None if value is None else parse_duration(value)

    @model_validator(mode="after")
    def _one_schedule(self) -> "SourceConfig":
        if self.cron is not None and "every" in self.model_fields_set:
            raise ValueError("give either every or cron, not both")
        return self

    @field_validator("feed")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value, re.IGNORECASE):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value


class EntityConfig(_Strict):
    name: Annotated[str, Field(min_length=1)]
    aliases: list[str] = []
    weak_aliases: list[str] = []
    context: list[str] = []
    exclude: list[str] = []
    ticker: list[str] = []
    case_sensitive: Union[bool, list[str]] = False

    @field_validator("aliases", "weak_aliases", "context", "exclude", "ticker", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, (str, int)) and not isinstance(value, bool) else value

    @field_validator("aliases", "weak_aliases", "context", "exclude", "ticker")
    @classmethod
    def _no_blank(cls, values: list[str]) -> list[str]:
        for index, value in enumerate(values):
            if not str(value).strip():
                raise ValueError(f"entry {index} is blank")
        return [str(v) for v in values]

    @property
    def strong_aliases(self) -> list[str]:
        """Aliases that match on their own; an entity without aliases matches its name."""
        return self.aliases or [self.name]


class AlertRuleConfig(_Strict):
    name: Annotated[str, Field(min_length=1)]
    entities: list[str] | None = None
    channels: Annotated[list[str], Field(min_length=1)]
    query: str | None = None
    min_mentions: Annotated[int, Field(ge=1)] = 1
    in_title: bool = False
    timezone: TimeZoneName | None = None  # of the digest schedule (declared first: `digest` reads it)
    digest: str | None = None  # None: one alert per article, at once

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            schedule.parse_digest(value, info.data.get("timezone"))
        return value


class EmailChannelConfig(_Strict):
    type: Literal["email"]
    smtp_host: str
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: str | None = None
    from_: Annotated[str, Field(alias="from")]
    to: Annotated[list[str], Field(min_length=1)]
    timeout: Annotated[float, Field(gt=0)] = 30.0


class SlackChannelConfig(_Strict):
    type: Literal["slack"]
    webhook_url: str
    timeout: Annotated[float, Field(gt=0)] = 30.0


class ConsoleChannelConfig(_Strict):
    type: Literal["console"]


class StoriesConfig(_Strict):
    """When a new article joins an earlier one's story instead of starting its own (and alerting)."""

    window: float = 7 * 86400.0
    min_containment: Annotated[float, Field(gt=0, le=1)] = 0.5
    min_jaccard: Annotated[float, Field(ge=0, le=1)] = 0.2

    @field_validator("window", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        return parse_duration(value)


ChannelConfig = Annotated[
    Union[EmailChannelConfig, SlackChannelConfig, ConsoleChannelConfig],
    Field(discriminator="type"),
]
CHANNEL_TYPES = ("email", "slack", "console")


class Config(_Strict):
    database: str = "newswatch.db"
    fetch: FetchConfig = FetchConfig()
    sources: list[SourceConfig] = []
    watchlist: list[EntityConfig] = []
    watchlist_files: list[str] = []
    alerts: list[AlertRuleConfig] = []
    channels: dict[str, ChannelConfig] = {}
    stories: StoriesConfig = StoriesConfig()
    admin_channel: str | None = None
    source_down_after: Annotated[int, Field(ge=1)] = 5
    base_dir: Path = Field(default=Path("."), exclude=True)
    # Where each watchlist entity was defined ("watchlist[0]" or "file.csv:12"), for messages.
    entity_origins: dict[str, str] = Field(default_factory=dict, exclude=True)

    @property
    def database_path(self) -> Path:
        """The database file, relative paths taken from the config file's folder."""
        path = Path(self.database).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    def rule_entities(self, rule: AlertRuleConfig) -> list[str]:
        return rule.entities if rule.entities is not None else [e.name for e in self.watchlist]


def expand_env(tree: Any, environ: dict[str, str], where: str = "") -> tuple[Any, list[str]]:
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


def format_location(loc: tuple[Any, ...]) -> str:
    """('watchlist', 1, 'aliases') -> 'watchlist[1].aliases'."""
    text = ""
    parts = list(loc)
    # A discriminated channel puts its type tag into the location; the user never wrote it.
    if len(parts) >= 3 and parts[0] == "channels" and parts[2] in CHANNEL_TYPES:
        del parts[2]
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text = _join(text, part)
    return text or "(top)"


def _with_watchlist_files(config: Config) -> tuple[Config, list[str]]:
    """Add the entities of `watchlist_files:`; duplicate names are errors naming both places."""
    from pipeline.watchlist_files import load_watchlist_files

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


def alias_conflicts(config: Config) -> list[str]:
    """Strong aliases claimed by more than one entity: each hit will count for all of them."""
    from pipeline.textnorm import fold_term

    owners: dict[str, list[str]] = {}
    for entity in config.watchlist:
        for alias in entity.strong_aliases:
            owners.setdefault(fold_term(alias), []).append(entity.name)
    return [
        f"alias {key!r} is claimed by " + ", ".join(
            f"{name} ({config.entity_origins.get(name, '?')})" for name in names)
        for key, names in owners.items()
        if len(set(names)) > 1
    ]


def _cross_reference_errors(config: Config) -> list[str]:
    errors: list[str] = []
    errors += _duplicates("sources", [s.name for s in config.sources])
    errors += _duplicates("alerts", [r.name for r in config.alerts])
    entity_names = {e.name for e in config.watchlist}
    for index, entity in enumerate(config.watchlist):
        if entity.weak_aliases and not entity.context and not entity.aliases:
            errors.append(
                f"watchlist[{index}].weak_aliases: weak aliases need aliases or context words "
                "to ever count"
            )
    for index, rule in enumerate(config.alerts):
        for position, name in enumerate(rule.entities or []):
            if name not in entity_names:
                errors.append(f"alerts[{index}].entities[{position}]: no watchlist entity named {name!r}")
        for position, name in enumerate(rule.channels):
            if name not in config.channels:
                errors.append(f"alerts[{index}].channels[{position}]: no channel named {name!r}")
        if rule.query is not None:
            from pipeline.query import QueryError, parse_query

            try:
                parse_query(rule.query, entity_names)
            except QueryError as exc:
                errors.append(f"alerts[{index}].query: {exc}")
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


def parse_config(text: str, base_dir: Path, environ: dict[str, str] | None = None) -> Config:
    """Validate config text; raise ConfigError listing every problem."""
    try:
        tree = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError([f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    if not isinstance(tree, dict):
        raise ConfigError(["(top): the config must be a mapping of keys such as sources, watchlist"])
    tree, errors = expand_env(tree, dict(os.environ if environ is None else environ))
    config = None
    try:
        config = Config.model_validate({**tree, "base_dir": base_dir})
    except ValidationError as exc:
        for error in exc.errors():
            errors.append(f"{format_location(error['loc'])}: {_message(error)}")
    if config is not None:
        config, file_errors = _with_watchlist_files(config)
        errors += file_errors + _cross_reference_errors(config)
    if errors:
        raise ConfigError(errors)
    assert config is not None
    return config


def _message(error: dict[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (check the spelling)"
    if error["type"] == "union_tag_invalid":
        return f"type must be one of {', '.join(CHANNEL_TYPES)}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def resolve_config_path(path: str | os.PathLike[str] | None) -> Path:
    """--config, else $NEWSWATCH_CONFIG, else ./config.yaml."""
    return Path(path or os.environ.get("NEWSWATCH_CONFIG") or DEFAULT_CONFIG)


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    config_path = resolve_config_path(path)
    try:
        text = config_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"cannot read config file: {exc.strerror}"], config_path) from None
    try:
        return parse_config(text, config_path.resolve().parent)
    except ConfigError as exc:
        exc.path = config_path
        raise
