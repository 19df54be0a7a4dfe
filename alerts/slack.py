"""Slack channel: an incoming webhook with Block Kit and fallback text; honours 429 Retry-After."""

from __future__ import annotations

from typing import Any

from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from alerts.render import split_highlight
from pipeline.config import SlackChannelConfig
from pipeline.digest import DigestMessage
from pipeline.health import Notice
from pipeline.message import AlertMessage, DeliveryError


def escape(text: str) -> str:
    """Slack's three control characters: a headline cannot ping @channel or fake a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _snippet(snippet: str, alias: str) -> str:
    return "".join(
        f"*{escape(text)}*" if hit else escape(text) for text, hit in split_highlight(snippet, alias)
    )


snippet_mrkdwn = _snippet


def link(url: str, title: str) -> str:
    """A Slack link whose URL cannot end the link early and whose title is escaped."""
    safe = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    return f"<{safe}|{escape(title)}>"


def outlets_mrkdwn(message: AlertMessage) -> str:
    """'Covered by 3 outlets: wire-daily, metro-herald, asia-markets', each linked to its copy."""
    links = ", ".join(link(o.url, o.source) for o in message.outlets[:20])
    more = f" and {len(message.outlets) - 20} more" if len(message.outlets) > 20 else ""
    return f"Covered by {len(message.outlets)} outlets: {links}{more}"


def build_payload(message: AlertMessage) -> dict[str, Any]:
    title = escape(message.title)
    entities = escape(", ".join(message.entities))
    paywall = " :lock: paywalled" if message.paywalled else ""
    lines = [
        f"• *{escape(m.entity)}* ({m.field}): {_snippet(m.snippet, m.alias)}"
        for m in message.mentions[:10]
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{link(message.url, message.title)}*{paywall}"}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": escape(
                        f"{message.source} · {message.published or 'date unknown'} · {message.why}"
                    ),
                }
            ],
        },
    ]
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}})
    if len(message.outlets) > 1:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": outlets_mrkdwn(message)}]})
    return {"text": f"newswatch: {entities}: {title}{paywall}", "blocks": blocks}


class SlackChannel:
    def __init__(self, name: str, config: SlackChannelConfig, client: WebhookClient | None = None):
        self.name = name
        self.config = config
        self.client = client or WebhookClient(
            config.webhook_url,
            timeout=int(config.timeout),
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
        )

    def send(self, message: AlertMessage) -> None:
        self.post(build_payload(message))

    def send_digest(self, digest: DigestMessage) -> None:
        from alerts.digest_render import digest_slack_payload

        self.post(digest_slack_payload(digest))

    def send_notice(self, notice: Notice) -> None:
        from alerts.digest_render import notice_slack_payload

        self.post(notice_slack_payload(notice))

    def post(self, payload: dict[str, Any]) -> None:
        try:
            response = self.client.send(text=payload["text"], blocks=payload["blocks"])
        except Exception as exc:  # the SDK raises several URL/OS error types
            raise DeliveryError(f"Slack webhook: {type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            raise DeliveryError(f"Slack webhook answered HTTP {response.status_code}: {response.body[:200]}")
