"""The configuration: its schema, how it is loaded and checked, and what its schedules mean.

`from pipeline.config import Config, load_config` is all most callers need.
"""

from pipeline.config.durations import format_duration, parse_duration
from pipeline.config.loading import (
    ChannelTypes, ConfigError, load_config, parse_config, read_config, resolve_config_path,
)
from pipeline.config.schema import (
    Config, EntityConfig, FetchConfig, RuleConfig, SourceConfig, StoriesConfig, Strict,
)

__all__ = [
    "ChannelTypes", "Config", "ConfigError", "EntityConfig", "FetchConfig", "RuleConfig",
    "SourceConfig", "StoriesConfig", "Strict", "format_duration", "load_config", "parse_config",
    "parse_duration", "read_config", "resolve_config_path",
]
