"""Email channel: multipart text + HTML over SMTP (STARTTLS, SSL or plain), login only if configured."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Callable

from alerts.render import render, subject
from pipeline.config import EmailChannelConfig
from pipeline.message import AlertMessage, DeliveryError

SmtpFactory = Callable[[EmailChannelConfig], smtplib.SMTP]


def connect_smtp(config: EmailChannelConfig) -> smtplib.SMTP:
    """The real transport: an SMTP connection secured as the config says, logged in if asked."""
    if config.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            config.smtp_host, config.smtp_port, timeout=config.timeout,
            context=ssl.create_default_context(),
        )
    else:
        client = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.timeout)
        if config.security == "starttls":
            client.starttls(context=ssl.create_default_context())
    if config.username and config.password:
        client.login(config.username, config.password)
    return client


def build_email(config: EmailChannelConfig, message: AlertMessage) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = subject(message)
    email["From"] = config.from_
    email["To"] = ", ".join(config.to)
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain=config.from_.rpartition("@")[2] or None)
    email.set_content(render("email.txt", message))
    email.add_alternative(render("email.html", message), subtype="html")
    return email


class EmailChannel:
    def __init__(self, name: str, config: EmailChannelConfig, connect: SmtpFactory = connect_smtp):
        self.name = name
        self.config = config
        self.connect = connect

    def send(self, message: AlertMessage) -> None:
        email = build_email(self.config, message)
        try:
            client = self.connect(self.config)
            try:
                client.send_message(email)
            finally:
                try:
                    client.quit()
                except smtplib.SMTPException:
                    pass
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"SMTP {self.config.smtp_host}:{self.config.smtp_port}: {type(exc).__name__}: {exc}"
            ) from None
