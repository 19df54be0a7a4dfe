"""Email channel: multipart text + HTML over SMTP (STARTTLS, SSL or plain), login only if configured."""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Annotated, Callable, Literal

from pydantic import BeforeValidator, Field

from alerts.render import html, subject, text
from alerts.settings import ChannelSettings
from pipeline.config.values import EmailAddress, one_or_many
from pipeline.models import DeliveryError, Message, PermanentDeliveryError


class EmailSettings(ChannelSettings):
    type: Literal["email"]
    smtp_host: str
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: str | None = None
    from_: Annotated[EmailAddress, Field(alias="from")]
    to: Annotated[list[EmailAddress], BeforeValidator(one_or_many), Field(min_length=1)]
    timeout: Annotated[float, Field(gt=0)] = 30.0


SmtpFactory = Callable[[EmailSettings], smtplib.SMTP]


def connect_smtp(config: EmailSettings) -> smtplib.SMTP:
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


def message_id(config: EmailSettings, message: Message) -> str:
    """The message's idempotency key as its Message-ID, so a resend is recognisable as the same
    mail (a message without a key, such as a channel test, gets a fresh one)."""
    domain = config.from_.rpartition("@")[2] or None
    if not message.key:
        return make_msgid(domain=domain)
    return f"<{message.key}@{domain or 'newswatch.invalid'}>"


def build_email(config: EmailSettings, message: Message) -> EmailMessage:
    """Headers and a text (+ HTML) body; the subject is header-safe (`one_line`)."""
    email = EmailMessage()
    email["Subject"] = subject(message)
    email["From"] = config.from_
    email["To"] = ", ".join(config.to)
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message_id(config, message)
    email.set_content(text(message))
    body = html(message)
    if body is not None:
        email.add_alternative(body, subtype="html")
    return email


def smtp_error(where: str, exc: BaseException) -> DeliveryError:
    """A 5xx reply (550 no such mailbox, 554 rejected) is permanent; a timeout pauses the server for
    the pass (a hung server would otherwise cost its timeout once per message); the rest is retried."""
    text = f"{where}: {type(exc).__name__}: {exc}"
    codes = [getattr(exc, "smtp_code", None)]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
    if codes and all(isinstance(c, int) and 500 <= c < 600 for c in codes):
        return PermanentDeliveryError(f"{text} (permanent: the server refused it)")
    # smtplib reports a timeout while reading a reply as SMTPServerDisconnected("…: timed out")
    timed_out = isinstance(exc, (TimeoutError, socket.timeout)) or "timed out" in str(exc)
    return DeliveryError(text, pause=timed_out)


class EmailChannel:
    def __init__(self, name: str, config: EmailSettings, connect: SmtpFactory = connect_smtp):
        self.name = name
        self.config = config
        self.connect = connect

    def send(self, message: Message) -> None:
        email = build_email(self.config, message)
        try:
            client = self.connect(self.config)
            try:
                client.send_message(email)
            except BaseException:
                client.close()  # not QUIT: a server that stopped answering would be waited for again
                raise
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
        except (smtplib.SMTPException, OSError) as exc:
            raise smtp_error(f"SMTP {self.config.smtp_host}:{self.config.smtp_port}", exc) from None
