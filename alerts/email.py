"""Email channel: multipart text + HTML over SMTP (STARTTLS, SSL or plain), login only if configured."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Callable

from alerts.render import render, subject
from pipeline.config import EmailChannelConfig
from pipeline.digest import DigestMessage
from pipeline.health import Notice
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
    return compose(config, subject(message), render("email.txt", message), render("email.html", message))


def compose(config: EmailChannelConfig, subject_line: str, text: str, html: str | None = None) -> EmailMessage:
    """Headers and a text (+ HTML) body; the subject must already be header-safe (`one_line`)."""
    email = EmailMessage()
    email["Subject"] = subject_line
    email["From"] = config.from_
    email["To"] = ", ".join(config.to)
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain=config.from_.rpartition("@")[2] or None)
    email.set_content(text)
    if html is not None:
        email.add_alternative(html, subtype="html")
    return email


class EmailChannel:
    def __init__(self, name: str, config: EmailChannelConfig, connect: SmtpFactory = connect_smtp):
        self.name = name
        self.config = config
        self.connect = connect

    def send(self, message: AlertMessage) -> None:
        self.transmit(build_email(self.config, message))

    def send_digest(self, digest: DigestMessage) -> None:
        from alerts.digest_render import digest_html, digest_subject, digest_text

        self.transmit(compose(self.config, digest_subject(digest), digest_text(digest), digest_html(digest)))

    def send_notice(self, notice: Notice) -> None:
        from alerts.digest_render import notice_subject, notice_text

        self.transmit(compose(self.config, notice_subject(notice), notice_text(notice)))

    def transmit(self, email: EmailMessage) -> None:
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
