"""Channels: one module per channel type behind `pipeline.models.Channel.send`, and this registry.

A channel module holds its settings model and its transport; rendering is shared (`render`,
`render_slack`). A new channel is one module plus one line in REGISTRY.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from pydantic import BaseModel

from alerts.apprise import AppriseChannel, AppriseSettings
from alerts.console import ConsoleChannel, ConsoleSettings
from alerts.email import EmailChannel, EmailSettings
from alerts.slack import SlackChannel, SlackSettings
from pipeline.models import Channel

REGISTRY: dict[str, tuple[type[BaseModel], Callable[[str, Any], Channel]]] = {
    "email": (EmailSettings, EmailChannel),
    "slack": (SlackSettings, SlackChannel),
    "console": (ConsoleSettings, ConsoleChannel),
    "apprise": (AppriseSettings, AppriseChannel),
}
# `type:` -> settings model: what config validation checks `channels:` against.
SETTINGS: dict[str, type[BaseModel]] = {kind: settings for kind, (settings, _) in REGISTRY.items()}


def build_channel(name: str, config: Any) -> Channel:
    return REGISTRY[config.type][1](name, config)


def build_channels(channels: Mapping[str, Any]) -> dict[str, Channel]:
    return {name: build_channel(name, config) for name, config in channels.items()}
