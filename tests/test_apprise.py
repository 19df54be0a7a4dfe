"""The apprise channel against a real loopback receiver, through Apprise's generic json:// scheme."""

import pytest

from alerts.apprise import AppriseChannel, AppriseSettings
from pipeline.models import AlertMessage, DeliveryError, MentionLine
from tests.conftest import free_port, newswatch, write_config

MESSAGE = AlertMessage(
    rule="investors", entities=["Zijin Mining"], title="紫金矿业海外扩张提速", url="https://news.example/zijin",
    source="caixin", published="2025-03-05T02:30:00+00:00", paywalled=False,
    mentions=[MentionLine("Zijin Mining", "紫金矿业", "text", "…据报道，紫金矿业在塞尔维亚的铜矿…")],
    why="紫金矿业 in the title; 2 mentions",
)


def json_url(webhook) -> str:
    return webhook.url.replace("http://", "json://", 1)


def channel(*urls: str, timeout: float = 5) -> AppriseChannel:
    return AppriseChannel("team-chat", AppriseSettings(type="apprise", urls=list(urls), timeout=timeout))


def test_an_alert_reaches_the_receiver_with_title_headline_and_snippet(webhook):
    channel(json_url(webhook)).send(MESSAGE)
    [post] = webhook.posts
    assert post["title"] == "[newswatch] Zijin Mining: 紫金矿业海外扩张提速"
    assert post["message"].startswith("紫金矿业海外扩张提速\n")
    assert "- Zijin Mining (text): …据报道，**紫金矿业**在塞尔维亚的铜矿…" in post["message"]
    assert "Link: https://news.example/zijin" in post["message"]
    assert post["type"] == "info"


def test_several_urls_each_get_the_message(webhook):
    channel(json_url(webhook), json_url(webhook).replace("/services/", "/other/")).send(MESSAGE)
    assert len(webhook.posts) == 2 and {p["title"] for p in webhook.posts} == {
        "[newswatch] Zijin Mining: 紫金矿业海外扩张提速"}


def test_a_4xx_answer_is_a_permanent_delivery_error(webhook):
    webhook.responses = [(403, {})]
    with pytest.raises(DeliveryError) as caught:
        channel(json_url(webhook)).send(MESSAGE)
    assert "HTTP 403" in str(caught.value) and "permanent: check the URL and its token" in str(caught.value)
    assert webhook.attempts == 1


def test_a_5xx_answer_or_a_closed_port_is_transient(webhook):
    webhook.responses = [(503, {})]
    with pytest.raises(DeliveryError, match=r"HTTP 503.*transient: it is retried later"):
        channel(json_url(webhook)).send(MESSAGE)
    with pytest.raises(DeliveryError, match=r"json://127\.0\.0\.1:\d+/x: .*onnection.*transient"):
        channel(f"json://127.0.0.1:{free_port()}/x", timeout=3).send(MESSAGE)


CONFIG = """\
database: news.db
watchlist:
  - name: Hikvision
rules:
  - name: team
    channels: [team-chat]
channels:
  team-chat:
    type: apprise
    urls: {urls}
"""


def test_channels_test_sends_through_apprise(tmp_path, webhook):
    path = write_config(tmp_path, CONFIG.format(urls=json_url(webhook)))
    result = newswatch("--config", str(path), "channels", "test", "team-chat")
    assert result.returncode == 0, result.stderr
    assert "team-chat: sample alert sent" in result.stdout
    [post] = webhook.posts
    assert post["title"].startswith("[newswatch] Hikvision: newswatch test alert")
    assert "**Hikvision** is highlighted" in post["message"]
    webhook.responses = [(404, {})]
    failed = newswatch("--config", str(path), "channels", "test", "team-chat", "--kind", "digest")
    assert failed.returncode == 1 and "team-chat: FAILED: Apprise:" in failed.stderr and "HTTP 404" in failed.stderr
    assert "WARNING apprise" not in failed.stderr  # said once, in the FAILED line


def test_a_url_no_apprise_plugin_knows_is_a_config_error(tmp_path):
    path = write_config(tmp_path, CONFIG.format(urls="[hooks.slack.com/services/x]"))
    result = newswatch("--config", str(path), "check")
    assert result.returncode == 2
    assert "line 10: channels.team-chat.urls[0]: 'hooks.slack.com/services/x' is not an Apprise URL" in result.stderr
