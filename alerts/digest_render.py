"""Digests and admin notices as text, HTML and Slack blocks; no transport here.

The same escaping rules as single alerts: HTML through autoescaped templates, email headers
through `one_line`, Slack text through `escape` so a headline cannot ping @channel.
"""

from __future__ import annotations

from typing import Any

from alerts.render import one_line, render_template
from alerts.slack import escape, link, outlets_mrkdwn, snippet_mrkdwn
from pipeline.digest import DigestMessage
from pipeline.health import Notice

SLACK_SECTION_CHARS = 2900
SLACK_MAX_BLOCKS = 45


def digest_subject(digest: DigestMessage) -> str:
    counts = ", ".join(f"{g.entity} {len(g.messages)}" for g in digest.groups)
    plural = "s" if digest.count != 1 else ""
    return one_line(f"[newswatch] digest {digest.rule}: {digest.count} article{plural} ({counts})")[:250]


def digest_text(digest: DigestMessage) -> str:
    return render_template("digest.txt", d=digest)


def digest_html(digest: DigestMessage) -> str:
    return render_template("digest.html", d=digest)


def digest_slack_payload(digest: DigestMessage) -> dict[str, Any]:
    """One header, then per entity a heading and its articles, within Slack's block limits."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": escape(digest_subject(digest))}}
    ]
    for group in digest.groups:
        lines = []
        for m in group.messages:
            paywall = " :lock:" if m.paywalled else ""
            line = f"• *{link(m.url, m.title)}*{paywall} · {escape(m.source)} · {escape(m.published or 'date unknown')}"
            if m.mentions:
                line += f"\n    {snippet_mrkdwn(m.mentions[0].snippet, m.mentions[0].alias)}"
            if len(m.outlets) > 1:
                line += f"\n    {outlets_mrkdwn(m)}"
            lines.append(line)
        text = f"*{escape(group.entity)}* ({len(group.messages)})\n" + "\n".join(lines)
        if len(text) > SLACK_SECTION_CHARS:
            text = text[:SLACK_SECTION_CHARS].rsplit("\n", 1)[0] + "\n…"
        if len(blocks) >= SLACK_MAX_BLOCKS:
            blocks.append({"type": "context", "elements": [
                {"type": "mrkdwn", "text": "… more entities in the database"}]})
            break
        blocks.append({"type": "divider"})
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    return {"text": escape(digest_subject(digest)), "blocks": blocks}


def notice_subject(notice: Notice) -> str:
    return one_line(f"[newswatch] {notice.headline}")[:250]


def notice_text(notice: Notice) -> str:
    return f"{notice.headline}\n\n{notice.text}\n\n-- \nnewswatch source health\n"


def notice_slack_payload(notice: Notice) -> dict[str, Any]:
    icon = {"down": ":red_circle:", "recovered": ":large_green_circle:", "silent": ":zzz:"}.get(notice.kind, "")
    text = f"{icon} *{escape(notice.headline)}*\n{escape(notice.text)}".strip()
    return {
        "text": escape(f"newswatch: {notice.headline}"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:SLACK_SECTION_CHARS]}}],
    }
