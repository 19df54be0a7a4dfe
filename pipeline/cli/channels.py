"""`newswatch channels test CHANNEL`: send a sample message and say whether it got through.

`newswatch alerts test` is the old name of the same command and still works.
"""

from __future__ import annotations

from datetime import datetime, timezone

import click

from pipeline.cli.common import EXIT_CONFIG, EXIT_FAILED, build_channels, fail, open_config
from pipeline.config.suggest import did_you_mean
from pipeline.models import AlertMessage, DeliveryError, DigestGroup, DigestMessage, MentionLine, Message, Notice


def sample(kind: str) -> Message:
    alert = AlertMessage(
        rule="test",
        entities=["Hikvision"],
        title="newswatch test alert: Hikvision <sample> & co",
        url="https://example.org/newswatch-test",
        source="newswatch",
        published=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        paywalled=False,
        mentions=[MentionLine("Hikvision", "Hikvision", "text",
                              "… this is a sample: if you read it, the channel works and Hikvision is highlighted …")],
        why="a test sent by `newswatch channels test`",
    )
    if kind == "digest":
        return DigestMessage("test", "a test", [DigestGroup("Hikvision", [alert, alert])])
    if kind == "notice":
        return Notice("sample-source", "down", "A test notice from `newswatch channels test`.")
    return alert


def test_channel(ctx: click.Context, channel: str, kind: str) -> None:
    config, _ = open_config(ctx)
    if channel not in config.channels:
        names = ", ".join(config.channels) or "none"
        fail(f"config error: no channel named {channel!r}{did_you_mean(channel, config.channels)} "
             f"(channels: {names})", EXIT_CONFIG)
    target = build_channels({channel: config.channels[channel]})[channel]
    try:
        target.send(sample(kind))
    except DeliveryError as exc:
        fail(f"{channel}: FAILED: {exc}", EXIT_FAILED)
    click.echo(f"{channel}: sample {kind} sent")


def kind_option(command):  # type: ignore[no-untyped-def]
    return click.option(
        "--kind", type=click.Choice(["alert", "digest", "notice"]), default="alert", show_default=True,
        help="What to send: a sample alert, digest or source notice.")(command)


@click.group("channels")
def channels_group() -> None:
    """Channels: where alerts, digests and notices go."""


@channels_group.command("test")
@click.argument("channel")
@kind_option
@click.pass_context
def channels_test(ctx: click.Context, channel: str, kind: str) -> None:
    """Send a sample message to CHANNEL and say whether it got through."""
    test_channel(ctx, channel, kind)


@click.group("alerts", hidden=True)
def alerts_group() -> None:
    """Old name of `channels` (still accepted)."""


@alerts_group.command("test")
@click.argument("channel")
@kind_option
@click.pass_context
def alerts_test(ctx: click.Context, channel: str, kind: str) -> None:
    """Old name of `channels test`."""
    click.echo("note: `newswatch alerts test` is now `newswatch channels test`", err=True)
    test_channel(ctx, channel, kind)
