"""Alert channels: one module per channel type behind `pipeline.message.Channel`, and this registry."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from alerts.console import ConsoleChannel
from alerts.email import EmailChannel
from alerts.slack import SlackChannel
from pipeline.message import Channel

REGISTRY: dict[str, Callable[[str, Any], Channel]] = {
    "email": EmailChannel,
    "slack": SlackChannel,
    "console": ConsoleChannel,
}


def build_channel(name: str, config: Any) -> Channel:
    return REGISTRY[config.type](name, config)


def build_channels(channels: Mapping[str, Any]) -> dict[str, Channel]:
    return {name: build_channel(name, config) for name, config in channels.items()}
