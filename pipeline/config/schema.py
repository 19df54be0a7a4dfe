"""The shape of config.yaml: one strict pydantic model per section.

A typo in a monitoring config must never be silently ignored (the alert simply never comes), so
every model forbids unknown keys. Channel settings are not here: each channel module in `alerts/`
owns its settings model, and `pipeline.config.loading` validates `channels:` against the registry
the composition root (`pipeline.cli`) passes in.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Union

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from pipeline.config import schedules
from pipeline.config.durations import parse_duration
from pipeline.config.values import StringList, http_url, one_or_many
from pipeline.models import RuleEntities


def _time_zone(value: str) -> str:
    schedules.zone(value)
    return value


def _cron(value: str) -> str:
    schedules.cron_trigger(value)
    return value


def _flag_or_list(value: Any) -> Any:
    """`case_sensitive: true`, or which aliases: a list, with the lists' one rule (values.one_or_many)."""
    return value if isinstance(value, bool) else one_or_many(value)


TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
CronExpression = Annotated[str, AfterValidator(_cron)]
SOURCE_KINDS = ("feed", "sitemap", "section", "site")  # the key present decides the kind (crawler.listings)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FetchConfig(Strict):
    user_agent: str = "newswatch/0.1 (+https://example.org/contact)"
    obey_robots_txt: bool = True
    allow_private_networks: bool = False
    timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    max_bytes: Annotated[int, Field(gt=0)] = 10 * 1024 * 1024
    concurrency_per_domain: Annotated[int, Field(ge=1, le=32)] = 2
    max_items_per_source: Annotated[int, Field(ge=1)] = 200


class LinkSelector(Strict):
    """Which links of a section page are articles: a CSS selector, or a regex over the link's URL."""

    css: str | None = None
    regex: str | None = None

    @model_validator(mode="after")
    def _one(self) -> "LinkSelector":
        if (self.css is None) == (self.regex is None):
            raise ValueError("give css or regex")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"{self.regex!r} is not a regular expression: {exc}") from None
        return self


class SourceConfig(Strict):
    name: Annotated[str, Field(min_length=1)]
    feed: str | None = None
    sitemap: str | None = None
    section: str | None = None
    site: str | None = None
    every: float = 1800.0
    cron: CronExpression | None = None
    timezone: TimeZoneName | None = None
    expect_new_within: float | None = None
    enabled: bool = True
    max_age: float = 2 * 86400.0  # sitemaps: only entries dated within this are fetched
    links: LinkSelector | None = None  # section pages: which links are articles (default: guessed)
    pages: Annotated[int, Field(ge=1, le=50)] = 1  # section pages: follow "next" up to this many pages
    headers: dict[str, str] = {}  # sent to the source's own host only (a subscriber's cookie)

    @field_validator("every", "expect_new_within", "max_age", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float | None:
        return None if value is None else parse_duration(value)

    @field_validator("links", mode="before")
    @classmethod
    def _css_by_default(cls, value: Any) -> Any:
        return {"css": value} if isinstance(value, str) else value

    @field_validator("headers")
    @classmethod
    def _header_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", name):
                raise ValueError(f"{name!r} is not an HTTP header name")
            if "\r" in text or "\n" in text:
                raise ValueError(f"the value of {name} holds a line break")
        return value

    @model_validator(mode="after")
    def _one_kind_one_schedule(self) -> "SourceConfig":
        kinds = [kind for kind in SOURCE_KINDS if getattr(self, kind) is not None]
        if len(kinds) != 1:
            raise ValueError(f"give exactly one of {', '.join(SOURCE_KINDS)} (the URL to read)")
        if self.cron is not None and "every" in self.model_fields_set:
            raise ValueError("give either every or cron, not both")
        for key in ("links", "pages"):
            if key in self.model_fields_set and kinds[0] not in ("section", "site"):
                raise ValueError(f"{key} is for section (or site) sources, not {kinds[0]}")
        return self

    @field_validator("feed", "sitemap", "section", "site")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return None if value is None else http_url(value)

    @property
    def kind(self) -> str:
        """Which listing parser reads this source: the kind key that is present."""
        return next(kind for kind in SOURCE_KINDS if getattr(self, kind) is not None)

    @property
    def url(self) -> str:
        """The listing's URL, whatever the kind."""
        return str(getattr(self, self.kind))


class EntityConfig(Strict):
    name: Annotated[str, Field(min_length=1)]
    aliases: StringList = []  # `aliases: Hikvision` is one alias; "A, B" must be written [A, B]
    weak_aliases: StringList = []
    context: StringList = []
    exclude: StringList = []
    ticker: StringList = []
    case_sensitive: Annotated[Union[bool, list[str]], BeforeValidator(_flag_or_list)] = False

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


class RuleConfig(Strict):
    """One entry of `rules:` (formerly `alerts:`): who hears about what."""

    name: Annotated[str, Field(min_length=1)]
    entities: StringList | None = None
    channels: Annotated[StringList, Field(min_length=1)]
    query: str | None = None
    min_mentions: Annotated[int, Field(ge=1)] = 1
    in_title: bool = False
    sources: list[str] | None = None  # source names or globs (cn-*); default: every source
    enabled: bool = True
    timezone: TimeZoneName | None = None  # of the digest schedule (declared first: `digest` reads it)
    digest: str | None = None  # None: one alert per article, at once

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            schedules.parse_digest(value, info.data.get("timezone"))
        return value


class StoriesConfig(Strict):
    """When a new article joins an earlier one's story instead of starting its own (and alerting)."""

    window: float = 7 * 86400.0
    min_containment: Annotated[float, Field(gt=0, le=1)] = 0.5
    min_jaccard: Annotated[float, Field(ge=0, le=1)] = 0.2

    @field_validator("window", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        return parse_duration(value)


class Config(Strict):
    database: str = "newswatch.db"
    fetch: FetchConfig = FetchConfig()
    sources: list[SourceConfig] = []
    watchlist: list[EntityConfig] = []
    watchlist_files: StringList = []
    rules: list[RuleConfig] = []
    # name -> the channel's settings model (validated against the channel registry), or the raw
    # mapping when loaded without one (the crawl child, which never sends).
    channels: dict[str, Any] = {}
    stories: StoriesConfig = StoriesConfig()
    admin_channel: str | None = None
    source_down_after: Annotated[int, Field(ge=1)] = 5
    # A source's first pass alerts only what was published this long before it: no backlog flood.
    alert_backlog: float = 86400.0
    base_dir: Path = Field(default=Path("."), exclude=True)
    # Where each watchlist entity was defined ("watchlist[0]" or "file.csv:12"), for messages.
    entity_origins: dict[str, str] = Field(default_factory=dict, exclude=True)
    # What `check` should tell the user: old key names still accepted, and the like.
    warnings: list[str] = Field(default_factory=list, exclude=True)

    @field_validator("alert_backlog", mode="before")
    @classmethod
    def _backlog(cls, value: Any) -> float:
        return parse_duration(value)

    @field_validator("channels")
    @classmethod
    def _typed_channels(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name, settings in value.items():
            if isinstance(settings, BaseModel):
                continue
            if not isinstance(settings, dict) or not isinstance(settings.get("type"), str):
                raise ValueError(f"channel {name!r} needs a type (such as email, slack or console)")
        return value

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

    def sources_to_read(self, names: list[str] | tuple[str, ...] = ()) -> list[SourceConfig]:
        """The named sources (read as asked, even with `enabled: false`), else every enabled one."""
        if names:
            return [s for s in self.sources if s.name in names]
        return [s for s in self.sources if s.enabled]

    def rule_entities(self, rule: RuleConfig) -> list[str]:
        return rule.entities if rule.entities is not None else [e.name for e in self.watchlist]

    def entities_by_rule(self) -> dict[str, RuleEntities]:
        """Each rule's entities (an alert message lists only the mentions its rule asked for), with
        the rule's time zone (its message shows times in it)."""
        return {rule.name: RuleEntities(self.rule_entities(rule), rule.timezone) for rule in self.rules}
