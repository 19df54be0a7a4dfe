"""Slack channel: an incoming webhook with Block Kit and fallback text.

What Slack answers decides what newswatch does next: 200 sent; 429 rate limited (the rest of the
pass's messages to this webhook wait, until Retry-After when it says); another 4xx permanent
(`no_service` 404, `channel_is_archived` 410, `invalid_payload` 400: retrying cannot help);
5xx, a refused connection or a timeout transient (a timeout also pauses the webhook for the pass).
The SDK's own rate-limit retries are off: they slept inside the pass and then sent the next
message 0.01 s later anyway.
"""

from __future__ import annotations

import socket
from typing import Annotated, Any, Literal

from pydantic import Field
from slack_sdk.webhook import WebhookClient

from alerts.render_slack import slack_payload
from alerts.settings import ChannelSettings
from pipeline.config.values import HttpUrl
from pipeline.models import DeliveryError, Message, PermanentDeliveryError

MAX_RETRY_AFTER_S = 6 * 3600.0


class SlackSettings(ChannelSettings):
    type: Literal["slack"]
    webhook_url: HttpUrl  # scheme and host: "hooks.slack.com/services/…" is refused by `check`
    timeout: Annotated[float, Field(gt=0)] = 30.0


def retry_after(headers: dict[str, Any]) -> float:
    """Seconds from a Retry-After header (Slack sends seconds), 60 s when it is missing or odd."""
    values = {k.lower(): v for k, v in (headers or {}).items()}
    raw = values.get("retry-after")
    raw = raw[0] if isinstance(raw, list) and raw else raw
    try:
        return min(max(float(raw), 1.0), MAX_RETRY_AFTER_S)
    except (TypeError, ValueError):
        return 60.0


def is_timeout(exc: BaseException) -> bool:
    reason = getattr(exc, "reason", None)
    return isinstance(exc, (TimeoutError, socket.timeout)) or isinstance(reason, (TimeoutError, socket.timeout))


class SlackChannel:
    def __init__(self, name: str, config: SlackSettings, client: WebhookClient | None = None):
        self.name = name
        self.config = config
        self.client = client or WebhookClient(config.webhook_url, timeout=int(config.timeout), retry_handlers=[])

    def send(self, message: Message) -> None:
        self.post(slack_payload(message))

    def post(self, payload: dict[str, Any]) -> None:
        try:
            response = self.client.send(text=payload["text"], blocks=payload["blocks"],
                                        metadata=payload.get("metadata"))
        except Exception as exc:  # the SDK raises several URL/OS error types
            raise DeliveryError(f"Slack webhook: {type(exc).__name__}: {exc}", pause=is_timeout(exc)) from None
        status, body = response.status_code, (response.body or "")[:200]
        if status == 200:
            return
        if status == 429:
            wait = retry_after(response.headers)
            raise DeliveryError(f"Slack webhook rate limited (HTTP 429): waiting {wait:g}s", retry_after=wait)
        if 400 <= status < 500:
            raise PermanentDeliveryError(f"Slack webhook answered HTTP {status}: {body} (permanent: check the webhook)")
        raise DeliveryError(f"Slack webhook answered HTTP {status}: {body}")
