"""Cleaning after extraction: drop subscription, consent, donation, share and 'also read' lines.

Also dropped: 'Related:'/'See more:' teasers, newsletter sign-up promos, author contact footers
("Write to X at x@example.com") and reprint notices; on 181 benchmark news pages these rules
removed 25 junk lines and one reference line (a newsletter plug in an article about that
newsletter). Bare URL and copyright lines are kept: dropping them cost recall there (cited links
and credits are part of some articles).

trafilatura keeps what sits inside the article container, and publishers put their paywall modal,
plan prices and newsletter boxes there. These rules work line by line on the extracted text, in
English and Chinese, plus a cut-off: once a subscription barrier starts near the end of the text,
everything after it is the barrier (plans, prices, benefits lists).
"""

from __future__ import annotations

import hashlib
import re
from typing import Container

_JUNK_LINE = re.compile(
    r"""^(
        (subscribe|sign\ up|log\ ?in|register|join)\b.{0,60}$ |
        already\ (a\ )?(subscriber|subscribed|registered|member)\b.{0,40}$ |
        renews?\ automatically.{0,40}$ |
        cancel\ anytime.{0,20}$ |
        (you('|’)ve|you\ have)\ reached\ your\ (free\ )?(article\ )?limit.*$ |
        (also\ read|read\ also|read\ more|more\ from\ this\ section|recommended\ for\ you|
         related\ (stories|articles|news)|most\ (read|popular)|trending\ now|top\ stories|
         you\ may\ also\ like|don('|’)t\ miss)\b.{0,200}$ |
        (share|share\ this|share\ on|follow\ us|like\ us)\b.{0,40}$ |
        (click|tap)\ here\ to\b.{0,80}$ |
        disclaimer:.{0,300}$ |
        (advertisement|sponsored|ad|google\ ads?\ ?\d*|open\ popup|welcome\ back!?)$ |
        (we\ use\ cookies|this\ (site|website)\ uses\ cookies|accept\ (all\ )?cookies).*$ |
        (donate|support\ (us|our\ work)|make\ a\ (donation|contribution)|
         (your\ )?(contribution|donation)s?\ (will\ )?help).{0,200}$ |
        .{0,80}\bis\ a\ non-?profit\b.{0,80}\bwe\ need\ your\ support.*$ |
        [₹$€£¥]\ ?[\d.,]+(\s*/\s*(month|year|mo|yr|week))?$ |
        \d+\ (months?|years?|weeks?)$ |
        (photo|image|file\ photo|picture)\s*(:|/|credit).{0,120}$ |
        (getty\ images|reuters|afp|ap\ photo)$ |
        (related|see\ more|see\ also|also\ on\ [\w.]+|read\ next|more\ on\ this(\ story)?)\s*:.{0,200}$ |
        (write\ to|email|e-mail|contact)\b.{0,80}\b[\w.+-]+@[\w-]+\.[\w.]+.{0,120}$ |
        .{0,80}\bmay\ be\ reached\ at\b.{0,150}$ |
        (?=.{0,250}$)(?=.*\bnewsletters?\b)(?=.*\b(sign\ up|subscrib\w*|inbox)\b).*$ |
        this\ copy\ is\ for\ your\ personal,?\ non-commercial\ use\b.*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# A teaser link to another story, tagged the tabloid way: "Headline words here [INSIGHT]".
_TEASER_TAG = re.compile(r"^(\S+\s+){3,}.{0,200}\[[A-Z]{3,}\]\s*\|?$")
_JUNK_LINE_ZH = re.compile(
    r"^(.{0,20}(订阅|会员|登录|注册).{0,20}|分享到.{0,40}|.{0,10}免责声明.*|责任编辑.{0,20}|"
    r"版权所有.{0,60}|(点击|扫码|扫描二维码).{0,40}|关注我们.{0,30}|相关(阅读|新闻|文章).{0,40}|"
    r"(广告|推荐阅读|热门文章|延伸阅读)[:：]?.{0,40})$"
)
# A line that starts the subscription barrier: it and everything after it go.
_BARRIER_START = re.compile(
    r"^((you('|’)ve|you\ have)\ reached\ your\ (free\ )?(article\ )?limit|"
    r"subscribe\ (now\ )?(to|for)\ (read|continue|unlimited|the\ full|cdt|our)|"
    r"here('|’)s\ what('|’)s\ included|choose\ (your|a)\ plan|"
    r"already\ (a\ )?subscriber|subscribe\ to\ \w+$|"
    r"(成为会员|订阅全文|开通会员|付费订阅))",
    re.IGNORECASE | re.VERBOSE,
)
_BARRIER_ZONE = 0.5  # a barrier start counts as the tail only in the second half of the text


def line_key(line: str) -> str:
    """Stable key of a line for the learned per-site boilerplate counts."""
    normal = " ".join(line.split()).casefold()
    return hashlib.blake2b(normal.encode("utf-8"), digest_size=12).hexdigest()


def is_junk_line(line: str) -> bool:
    stripped = line.strip()
    return bool(
        _JUNK_LINE.match(stripped) or _JUNK_LINE_ZH.match(stripped) or _TEASER_TAG.match(stripped)
    )


def cut_barrier_tail(lines: list[str]) -> list[str]:
    """Drop a trailing subscription barrier (its first line and all after it)."""
    total = sum(len(line) for line in lines) or 1
    seen = 0
    for index, line in enumerate(lines):
        if seen >= total * _BARRIER_ZONE and _BARRIER_START.match(line.strip()):
            return lines[:index]
        seen += len(line)
    return lines


def clean_text(text: str, boilerplate: Container[str] = frozenset()) -> str:
    """Article text without barrier, widget and share lines, and without learned boilerplate."""
    lines = [line.strip() for line in text.splitlines()]
    lines = cut_barrier_tail([line for line in lines if line])
    kept = [
        line
        for line in lines
        if not is_junk_line(line) and (not boilerplate or line_key(line) not in boilerplate)
    ]
    return "\n".join(kept).strip()
