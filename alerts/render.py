"""Rendering, apart from transport: any message as a subject line, plain text or HTML.

Every channel renders through here (Slack's blocks are `alerts.render_slack`), so a new channel
implements transport only. HTML goes through autoescaped templates; subjects through `one_line`,
so a headline cannot split a header.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache, singledispatch
from zoneinfo import ZoneInfo

import jinja2

from pipeline.match.textnorm import fold, fold_term
from pipeline.models import AlertMessage, DigestMessage, Message, Notice

SUBJECT_CHARS = 250


def split_highlight(snippet: str, alias: str) -> list[tuple[str, bool]]:
    """Snippet pieces, True where the alias appears (found the way the matcher finds it)."""
    folded = fold(snippet)
    key = fold_term(alias)
    pieces: list[tuple[str, bool]] = []
    cursor = 0
    search_from = 0
    while key:
        at = folded.text.find(key, search_from)
        if at < 0:
            break
        start, end = folded.original_span(at, at + len(key))
        pieces.append((snippet[cursor:start], False))
        pieces.append((snippet[start:end], True))
        cursor, search_from = end, at + len(key)
    pieces.append((snippet[cursor:], False))
    return [(text, hit) for text, hit in pieces if text]


def local_time(stamp: str | None, zone: str | None = None) -> str | None:
    """An ISO 8601 time as a reader wants it, in the rule's zone: 'Wed 5 Mar 2025, 10:30 (Asia/Shanghai)'.

    A date alone stays a date ('Wed 5 Mar 2025'); a time without an offset is taken as UTC (as the
    database keeps them); text that is not ISO 8601 is shown as it is. None when there is none."""
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if len(stamp.strip()) <= 10:  # '2025-03-05': a day, not midnight
        day = date(moment.year, moment.month, moment.day)
        return f"{day:%a} {day.day} {day:%b %Y}"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone(ZoneInfo(zone or "UTC"))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({zone or 'UTC'})"


def published(message: AlertMessage) -> str | None:
    """When the article was published, in its rule's zone (None: unknown)."""
    return local_time(message.published, message.timezone)


def one_line(text: str) -> str:
    """Header-safe: no CR/LF or other control characters can split a header."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("alerts", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals["split_highlight"] = split_highlight
    env.globals["published"] = published
    return env


def render_template(template: str, **values: object) -> str:
    """Any bundled template with the same environment (autoescaped HTML, highlight helper)."""
    return _environment().get_template(template).render(**values)


@singledispatch
def subject(message: Message) -> str:
    raise TypeError(f"no subject for {type(message).__name__}")


@subject.register
def _(message: AlertMessage) -> str:
    entities = ", ".join(message.entities) or message.rule
    marker = " [paywalled]" if message.paywalled else ""
    return one_line(f"[newswatch] {entities}: {message.title}{marker}")[:SUBJECT_CHARS]


@subject.register
def _(message: DigestMessage) -> str:
    counts = ", ".join(f"{g.entity} {len(g.messages)}" for g in message.groups)
    plural = "s" if message.count != 1 else ""
    return one_line(f"[newswatch] digest {message.rule}: {message.count} article{plural} ({counts})")[:SUBJECT_CHARS]


@subject.register
def _(message: Notice) -> str:
    return one_line(f"[newswatch] {message.headline}")[:SUBJECT_CHARS]


@singledispatch
def text(message: Message) -> str:
    raise TypeError(f"no text for {type(message).__name__}")


@text.register
def _(message: AlertMessage) -> str:
    return render_template("email.txt", m=message)


@text.register
def _(message: DigestMessage) -> str:
    return render_template("digest.txt", d=message)


@text.register
def _(message: Notice) -> str:
    return f"{message.headline}\n\n{message.text}\n\n-- \nnewswatch source health\n"


@singledispatch
def html(message: Message) -> str | None:
    """The HTML part, or None where plain text says it all (notices)."""
    return None


@html.register
def _(message: AlertMessage) -> str:
    return render_template("email.html", m=message)


@html.register
def _(message: DigestMessage) -> str:
    return render_template("digest.html", d=message)
