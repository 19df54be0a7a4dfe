"""Cleaning after extraction: drop the lines that say what they are (subscribe, share, donate…).

trafilatura keeps what sits inside the article container, and publishers put their paywall
modal, plan prices, share prompts, donation pleas and newsletter boxes there. These rules work
line by line on the extracted text, in English and Chinese, in named families (`LINE_RULES`) so
the benchmark's ablation can weigh each one; plus a cut-off: once a subscription barrier starts
in the second half of the text, everything after it is the barrier (plans, prices, benefits).

A line is dropped only when its own words say it is not article prose; such a line is the
positive evidence the safety net (`pipeline.extract.safety`) accepts for a dropped block. Bare
URL and copyright lines are kept: dropping them cost recall (cited links and credits are part of
some articles).
"""

from __future__ import annotations

import hashlib
import re
from typing import Container, Iterable

from pipeline.extract.rules import ALL_RULES, Rules


def _english(pattern: str) -> str:
    return rf"(?ix:^({pattern})$)"


# Each family: the whole line must match one of its patterns.
LINE_RULES: dict[str, tuple[str, ...]] = {
    "subscription": (
        _english(r"""
            (subscribe|sign\ up|log\ ?in|register|join)\b.{0,60} |
            already\ (a\ )?(subscriber|subscribed|registered|member)\b.{0,40} |
            renews?\ automatically.{0,40} |
            cancel\ anytime.{0,20} |
            (you('|’)ve|you\ have)\ reached\ your\ (free\ )?(article\ )?limit.*"""),
    ),
    "prices": (
        _english(r"""[₹$€£¥]\ ?[\d.,]+(\s*/\s*(month|year|mo|yr|week))? | \d+\ (months?|years?|weeks?)"""),
    ),
    "teasers": (
        _english(r"""
            (also\ read|read\ also|read\ more|read\ next|more\ from\ this\ section|recommended\ for\ you|
             related\ (stories|articles|news)|most\ (read|popular)|trending\ now|top\ stories|
             you\ may\ also\ like|don('|’)t\ miss)\b.{0,200} |
            (related|see\ more|see\ also|also\ on\ [\w.]+|read\ next|more\ on\ this(\ story)?)\s*:.{0,200}"""),
        # a teaser link to another story, tagged the tabloid way: "Headline words here [INSIGHT]"
        r"^(\S+\s+){3,}.{0,200}\[[A-Z]{3,}\]\s*\|?$",
    ),
    "share": (
        _english(r"""(share|share\ this|share\ on|follow\ us|like\ us)\b.{0,40} | (click|tap)\ here\ to\b.{0,80}"""),
    ),
    "notices": (
        _english(r"""
            disclaimer:.{0,300} |
            advertisement|sponsored|ad|google\ ads?\ ?\d*|open\ popup|welcome\ back!? |
            this\ copy\ is\ for\ your\ personal,?\ non-commercial\ use\b.* |
            our\ (standards|editorial\ (standards|principles|guidelines))\s*:.{0,120} |
            .{0,40}\btrust\ principles\.?"""),
    ),
    "tags": (
        _english(r"""
            (tags?|tagged(\ with|\ as)?|topics?|filed\ under|categories|keywords|related\ topics)\s*[:：]?.{0,0} |
            (tags?|tagged(\ with|\ as)?|filed\ under|keywords)\s*[:：].{0,300}"""),
    ),
    "consent": (
        _english(r"""(we\ use\ cookies|this\ (site|website)\ uses\ cookies|accept\ (all\ )?cookies).*"""),
    ),
    "donation": (
        _english(r"""
            (donate|support\ (us|our\ work)|make\ a\ (donation|contribution)|
             (your\ )?(contribution|donation)s?\ (will\ )?help).{0,200} |
            .{0,80}\bis\ a\ non-?profit\b.{0,80}\bwe\ need\ your\ support.* |
            (?=.{0,250}$).*\bsupport\ our\ (journalism|reporting|newsroom)\b.*"""),
    ),
    "credits": (
        _english(r"""
            (photo|image|file\ photo|picture|photograph)s?\s*(:|/|credit).{0,120} |
            \(?(photo|photograph|image|picture)s?\ (by|courtesy(\ of)?)\b.{0,100} |
            getty\ images|reuters|afp|ap\ photo |
            (reuters|afp|ap|epa|xinhua|getty\ images)\s*/\s*[^.!?]{0,60}"""),
    ),
    "contact": (
        _english(r"""
            (write\ to|email|e-mail|contact)\b.{0,80}\b[\w.+-]+@[\w-]+\.[\w.]+.{0,120} |
            .{0,80}\bmay\ be\ reached\ at\b.{0,150}"""),
    ),
    "newsletter": (
        _english(r"""(?=.{0,250}$)(?=.*\bnewsletters?\b)(?=.*\b(sign\ up|subscrib\w*|inbox)\b).*"""),
    ),
    "chinese": (
        r"^(.{0,20}(订阅|会员|登录|注册).{0,20}|分享到.{0,40}|.{0,10}免责声明.*|责任编辑.{0,20}|"
        r"版权所有.{0,60}|(点击|扫码|扫描二维码).{0,40}|关注我们.{0,30}|相关(阅读|新闻|文章).{0,40}|"
        r"(广告|推荐阅读|热门文章|延伸阅读)[:：]?.{0,40})$",
    ),
}
ALL_FAMILIES = frozenset(LINE_RULES)


def _compile(families: Iterable[str]) -> re.Pattern[str]:
    """One pattern for the families: a line is junk when it matches any of theirs."""
    return re.compile("|".join(f"(?:{p})" for family in sorted(families) for p in LINE_RULES[family]))


_ALL_LINE_RULES = _compile(ALL_FAMILIES)  # what the crawl uses, compiled once at import

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


def junk_rule(families: frozenset[str] = ALL_FAMILIES) -> re.Pattern[str]:
    """The compiled line rules of `families` (all of them, compiled once, unless ablating)."""
    if not families:
        return re.compile(r"(?!)")
    return _ALL_LINE_RULES if families == ALL_FAMILIES else _compile(families)


def is_junk_line(line: str, families: frozenset[str] = ALL_FAMILIES) -> bool:
    """The line's own words say it is a prompt, notice or credit (in one of `families`)."""
    return bool(junk_rule(families).match(line.strip()))


def cut_barrier_tail(lines: list[str]) -> list[str]:
    """Drop a trailing subscription barrier (its first line and all after it)."""
    total = sum(len(line) for line in lines) or 1
    seen = 0
    for index, line in enumerate(lines):
        if seen >= total * _BARRIER_ZONE and _BARRIER_START.match(line.strip()):
            return lines[:index]
        seen += len(line)
    return lines


def clean_text(
    text: str, boilerplate: Container[str] = frozenset(), rules: Rules = ALL_RULES
) -> str:
    """Article text without barrier, widget and share lines, and without learned boilerplate."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if rules.barrier_cut:
        lines = cut_barrier_tail(lines)
    junk = junk_rule(rules.line_families())
    kept = [
        line
        for line in lines
        if not junk.match(line)
        and (not boilerplate or line_key(line) not in boilerplate)
    ]
    return "\n".join(kept).strip()
