"""Slack channel: an incoming webhook with Block Kit and fallback text; honours 429 Retry-After."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from alerts.render_slack import slack_payload
from alerts.settings import ChannelSettings
from pipeline.config.values import HttpUrl
from pipeline.models import DeliveryError, Message


class SlackSettings(ChannelSettings):
    type: Literal["slack"]
    webhook_url: HttpUrl  # scheme and host: "hooks.slack.com/services/…" is refused by `check`
    timeout: Annotated[float, Field(gt=0)] = 30.0


class SlackChannel:
    def __init__(self, name: str, config: SlackSettings, client: WebhookClient | None = None):
        self.name = name
        self.config = config
        self.client = client or WebhookClient(
            config.webhook_url,
            timeout=int(config.timeout),
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
        )

    def send(self, message: Message) -> None:
        self.post(slack_payload(message))

    def post(self, payload: dict[str, Any]) -> None:
        try:
            response = self.client.send(text=payload["text"], blocks=payload["blocks"],
                                        metadata=payload.get("metadata"))
        except Exception as exc:  # the SDK raises several URL/OS error types
            raise DeliveryError(f"Slack webhook: {type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            raise DeliveryError(f"Slack webhook answered HTTP {response.status_code}: {response.body[:200]}")
