"""Channels against real receivers: aiosmtpd for email, an HTTP webhook receiver for Slack."""

import time

import pytest

from alerts.email import EmailChannel
from alerts.slack import SlackChannel
from alerts.email import EmailSettings
from alerts.slack import SlackSettings
from pipeline.models import AlertMessage, DeliveryError, MentionLine, PermanentDeliveryError

MESSAGE = AlertMessage(
    rule="ngo-team",
    entities=["Hikvision"],
    title="Hikvision <!channel> & friends\r\nBcc: victim@example.org",
    url="https://news.example/a?id=1",
    source="abw",
    published="2024-03-12T09:30:00+00:00",
    paywalled=True,
    mentions=[MentionLine("Hikvision", "Hikvision", "text", "… rights groups said HIKVISION cameras <b>were</b> used …")],
    why="Hikvision in the title; 1 mention of Hikvision",
)


def email_channel(smtp, **extra):
    config = EmailSettings.model_validate(
        {"type": "email", "smtp_host": smtp.host, "smtp_port": smtp.port, "security": "none",
         "from": "nw@example.org", "to": ["team@example.org"], **extra}
    )
    return EmailChannel("team-email", config)


def test_email_headers_survive_crlf_in_titles(smtp):
    email_channel(smtp).send(MESSAGE)
    [received] = smtp.messages
    assert received["Bcc"] is None
    assert "\n" not in received["Subject"] and "victim@example.org" in received["Subject"]
    assert received["Subject"].startswith("[newswatch] Hikvision: Hikvision")
    assert "[paywalled]" in received["Subject"]
    assert smtp.inbox.envelopes[0].rcpt_tos == ["team@example.org"]


def test_email_body_has_link_source_and_escaped_highlighted_html(smtp):
    email_channel(smtp).send(MESSAGE)
    html = smtp.messages[0].get_body(("html",)).get_content()
    text = smtp.messages[0].get_body(("plain",)).get_content()
    assert '<a href="https://news.example/a?id=1">' in html
    assert "<mark>HIKVISION</mark>" in html
    assert "&lt;b&gt;were&lt;/b&gt;" in html  # article text cannot inject markup
    assert "**HIKVISION**" in text and "Source: abw" in text and "paywalled" in text


def test_email_to_a_closed_port_is_a_delivery_error():
    config = EmailSettings.model_validate(
        {"type": "email", "smtp_host": "127.0.0.1", "smtp_port": 9, "security": "none",
         "from": "a@example.org", "to": ["b@example.org"], "timeout": 2})
    with pytest.raises(DeliveryError, match="127.0.0.1:9"):
        EmailChannel("x", config).send(MESSAGE)


def slack_channel(webhook):
    return SlackChannel("team-slack", SlackSettings(type="slack", webhook_url=webhook.url, timeout=5))


def test_slack_escapes_control_characters(webhook):
    slack_channel(webhook).send(MESSAGE)
    [post] = webhook.posts
    assert "<!channel>" not in post["text"]
    assert "&lt;!channel&gt; &amp; friends" in post["text"]
    section = post["blocks"][0]["text"]["text"]
    assert section.startswith("*<https://news.example/a?id=1|Hikvision &lt;!channel&gt;")
    assert "*HIKVISION*" in post["blocks"][2]["text"]["text"]


def test_slack_429_is_not_retried_inside_the_send_but_says_how_long_to_wait(webhook):
    webhook.responses = [(429, {"Retry-After": "7"})]
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        slack_channel(webhook).send(MESSAGE)
    assert webhook.attempts == 1 and time.monotonic() - started < 5
    assert caught.value.retry_after == 7 and caught.value.pause


@pytest.mark.parametrize(("status", "body"), [(404, "no_service"), (410, "channel_is_archived"),
                                              (400, "invalid_payload")])
def test_slack_4xx_is_permanent(webhook, status, body):
    webhook.responses = [(status, {})]
    with pytest.raises(PermanentDeliveryError, match=f"HTTP {status}"):
        slack_channel(webhook).send(MESSAGE)


def test_slack_error_status_is_a_delivery_error(webhook):
    webhook.responses = [(500, {})]
    with pytest.raises(DeliveryError, match="HTTP 500"):
        slack_channel(webhook).send(MESSAGE)
