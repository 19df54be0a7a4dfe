"""Any message as Slack Block Kit (with fallback text), escaped so a headline cannot ping @channel.

Slack's mrkdwn has three control characters (&, <, >); every piece of text from an article goes
through `escape`, and link URLs through `link`, so a title cannot fake or end a link early.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from alerts.render import published, split_highlight, subject
from pipeline.models import AlertMessage, DigestMessage, Message, Notice

SECTION_CHARS = 2900
MAX_BLOCKS = 45
EVENT_TYPES = {AlertMessage: "newswatch_alert", DigestMessage: "newswatch_digest", Notice: "newswatch_notice"}


def escape(text: str) -> str:
    """Slack's three control characters: a headline cannot ping @channel or fake a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


ZWSP = "\u200b"  # zero-width space: a boundary Slack sees and the reader does not


def bold(text: str, before: str = "", after: str = "") -> str:
    """`*text*`, with a zero-width space where a letter touches an asterisk.

    Slack's mrkdwn only reads `*…*` as bold when the asterisks stand at a word boundary, so in
    `据报道，*紫金矿业*在塞尔维亚` (no spaces in Chinese) or `*Hikvision*'s` the highlight showed as
    literal asterisks. A zero-width space gives Slack its boundary without changing what is read."""
    left = ZWSP if before and not before[-1].isspace() else ""
    right = ZWSP if after and not after[0].isspace() else ""
    return f"{left}*{text}*{right}"


def snippet_mrkdwn(snippet: str, alias: str) -> str:
    pieces = split_highlight(snippet, alias)
    out = []
    for index, (text, hit) in enumerate(pieces):
        before = pieces[index - 1][0] if index else ""
        after = pieces[index + 1][0] if index + 1 < len(pieces) else ""
        out.append(bold(escape(text), before, after) if hit else escape(text))
    return "".join(out)


def link(url: str, title: str) -> str:
    """A Slack link whose URL cannot end the link early and whose title is escaped."""
    safe = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    return f"<{safe}|{escape(title)}>"


def outlets_mrkdwn(message: AlertMessage) -> str:
    """'Covered by 3 outlets: wire-daily, metro-herald, asia-markets', each linked to its copy."""
    links = ", ".join(link(o.url, o.source) for o in message.outlets[:20])
    more = f" and {len(message.outlets) - 20} more" if len(message.outlets) > 20 else ""
    return f"Covered by {len(message.outlets)} outlets: {links}{more}"


def slack_payload(message: Message) -> dict[str, Any]:
    """The webhook body: blocks and fallback text, and the message's key as Slack message metadata
    (`metadata.event_payload.key`), where a receiver can recognise and drop a resend."""
    payload = render_payload(message)
    if message.key:
        payload["metadata"] = {"event_type": EVENT_TYPES[type(message)], "event_payload": {"key": message.key}}
    return payload


@singledispatch
def render_payload(message: Message) -> dict[str, Any]:
    raise TypeError(f"no Slack payload for {type(message).__name__}")


@render_payload.register
def _(message: AlertMessage) -> dict[str, Any]:
    title = escape(message.title)
    entities = escape(", ".join(message.entities))
    paywall = " :lock: paywalled" if message.paywalled else ""
    lines = [
        f"• *{escape(m.entity)}* ({m.field}): {snippet_mrkdwn(m.snippet, m.alias)}"
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
                        f"{message.source} · {published(message) or 'date unknown'} · "
                        f"{'rules' if len(message.rules) > 1 else 'rule'} {message.rule} · {message.why}"
                    ),
                }
            ],
        },
    ]
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:SECTION_CHARS]}})
    if len(message.outlets) > 1:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": outlets_mrkdwn(message)}]})
    return {"text": f"newswatch: {entities}: {title}{paywall}", "blocks": blocks}


@render_payload.register
def _(message: DigestMessage) -> dict[str, Any]:
    """One header, then per entity a heading and its articles, within Slack's block limits."""
    heading = escape(subject(message))
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": heading}}]
    for group in message.groups:
        lines = []
        for m in group.messages:
            paywall = " :lock:" if m.paywalled else ""
            line = f"• *{link(m.url, m.title)}*{paywall} · {escape(m.source)} · {escape(published(m) or 'date unknown')}"
            if m.mentions:
                line += f"\n    {snippet_mrkdwn(m.mentions[0].snippet, m.mentions[0].alias)}"
            if len(m.outlets) > 1:
                line += f"\n    {outlets_mrkdwn(m)}"
            lines.append(line)
        text = f"*{escape(group.entity)}* ({len(group.messages)})\n" + "\n".join(lines)
        if len(text) > SECTION_CHARS:
            text = text[:SECTION_CHARS].rsplit("\n", 1)[0] + "\n…"
        if len(blocks) >= MAX_BLOCKS:
            blocks.append({"type": "context", "elements": [
                {"type": "mrkdwn", "text": "… more entities in the database"}]})
            break
        blocks.append({"type": "divider"})
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    return {"text": heading, "blocks": blocks}


@render_payload.register
def _(message: Notice) -> dict[str, Any]:
    icon = {"down": ":red_circle:", "recovered": ":large_green_circle:", "silent": ":zzz:"}.get(message.kind, "")
    text = f"{icon} *{escape(message.headline)}*\n{escape(message.text)}".strip()
    return {
        "text": escape(f"newswatch: {message.headline}"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_CHARS]}}],
    }
