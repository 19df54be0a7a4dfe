"""Console channel: prints each message (used by `newswatch demo`)."""

from __future__ import annotations

import sys
from typing import Literal, TextIO

from alerts.render import text
from alerts.settings import ChannelSettings
from pipeline.models import AlertMessage, DigestMessage, Message


class ConsoleSettings(ChannelSettings):
    type: Literal["console"]


def banner(channel: str, message: Message) -> str:
    if isinstance(message, AlertMessage):
        return f"=== ALERT ({channel}, rule {message.rule}) ==="
    if isinstance(message, DigestMessage):
        return f"=== DIGEST ({channel}, rule {message.rule}) ==="
    return f"=== NOTICE ({channel}) ==="


class ConsoleChannel:
    def __init__(self, name: str, config: ConsoleSettings, stream: TextIO | None = None):
        self.name = name
        self.config = config
        self.stream = stream

    def send(self, message: Message) -> None:
        stream = self.stream or sys.stdout
        stream.write(f"{banner(self.name, message)}\n{text(message)}\n")
        stream.flush()
