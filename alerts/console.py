"""Console channel: prints the alert (used by `newswatch demo`)."""

from __future__ import annotations

import sys
from typing import TextIO

from alerts.render import render
from pipeline.config import ConsoleChannelConfig
from pipeline.digest import DigestMessage
from pipeline.health import Notice
from pipeline.message import AlertMessage


class ConsoleChannel:
    def __init__(self, name: str, config: ConsoleChannelConfig, stream: TextIO | None = None):
        self.name = name
        self.config = config
        self.stream = stream

    def send(self, message: AlertMessage) -> None:
        stream = self.stream or sys.stdout
        stream.write(f"=== ALERT ({self.name}, rule {message.rule}) ===\n")
        stream.write(render("email.txt", message))
        stream.write("\n")
        stream.flush()

    def send_digest(self, digest: DigestMessage) -> None:
        from alerts.digest_render import digest_text

        self.write(f"=== DIGEST ({self.name}, rule {digest.rule}) ===\n{digest_text(digest)}\n")

    def send_notice(self, notice: Notice) -> None:
        from alerts.digest_render import notice_text

        self.write(f"=== NOTICE ({self.name}) ===\n{notice_text(notice)}\n")

    def write(self, text: str) -> None:
        stream = self.stream or sys.stdout
        stream.write(text)
        stream.flush()
