"""One story, one alert: the same wire story on three sites, rewrites, updates, different articles.

Three loopback sites (tests/fixtures/stories) carry one wire story under their own headlines and
boilerplate; metro-herald's copy is trimmed by two paragraphs. wire-daily also has a different
article about Hikvision the same day. The real CLI crawls them; aiosmtpd and a webhook receive.
"""

from __future__ import annotations

import sqlite3
from contextlib import ExitStack
from pathlib import Path
from typing import Iterator

import pytest

from pipeline.browse.queries import STORIES_SEVERAL_OUTLETS
from pipeline.cli.site_server import Route, SiteServer
from tests.conftest import FIXTURES, newswatch, site_config, write_config

STORIES = FIXTURES / "stories"
SITES = {"wire-daily": "/feed.xml", "metro-herald": "/atom.xml", "asia-markets": "/feed.xml"}
WIRE_PAGE = "/world/2024/05/14/hikvision-shares-slide-us-curbs.html"
REWORDED = STORIES / "reworded" / "us-blacklists-hikvision-units.html"


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
def outlets() -> Iterator[dict[str, SiteServer]]:
    with ExitStack() as stack:
        yield {name: stack.enter_context(SiteServer(STORIES / name)) for name in SITES}


def stories_config(tmp_path: Path, outlets: dict[str, SiteServer], smtp=None, webhook=None,
                   extra_rules: str = "") -> Path:
    sources = "\n".join(
        f"  - name: {name}\n    feed: {server.url(SITES[name])}" for name, server in outlets.items()
    )
    text = site_config(next(iter(outlets.values())), smtp, webhook, sources=sources,
                       extra_rules=extra_rules)
    return write_config(tmp_path, text)


def crawl(config: Path) -> str:
    result = newswatch("--config", str(config), "crawl")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_wire_story_on_three_sites_is_one_story_and_one_alert_per_channel(tmp_path, outlets, smtp, webhook):
    config = stories_config(tmp_path, outlets, smtp, webhook)
    crawl(config)
    db = tmp_path / "news.db"

    assert rows(db, "select count(*) from articles") == [(4,)]
    stories = rows(db, "select s.article_count, count(distinct a.source) from stories s"
                       " join articles a on a.story_id = s.id group by s.id order by s.article_count")
    # The wire story (three outlets, three headlines) and the different Hikvision analysis piece.
    assert stories == [(1, 1), (3, 3)]

    # One alert per channel for the wire story, one for the analysis: two emails, two Slack posts.
    assert len(smtp.messages) == 2 and len(webhook.posts) == 2
    wire_mail = next(m for m in smtp.messages if "European councils" not in m["Subject"])
    text = wire_mail.get_body(("plain",)).get_content()
    assert "Covered by 3 outlets:" in text
    for name in SITES:
        assert f"- {name}: " in text
    assert "Chinese camera giant hit by new US export rules" in text  # the trimmed copy's headline
    html = wire_mail.get_body(("html",)).get_content()
    assert "Covered by 3 outlets" in html and outlets["metro-herald"].base in html
    slack = next(p for p in webhook.posts if "European councils" not in p["text"])
    assert any("Covered by 3 outlets" in e["text"] for b in slack["blocks"] if b["type"] == "context"
               for e in b["elements"])

    # Datasette's "stories covered by several outlets" lists the wire story alone.
    several = rows(db, STORIES_SEVERAL_OUTLETS)
    assert [(r[3], r[4]) for r in several] == [(3, 3)]

    # A later crawl (a new process) sends nothing more.
    crawl(config)
    assert len(smtp.messages) == 2 and len(webhook.posts) == 2


def test_reworded_copy_in_a_later_crawl_joins_the_stored_story(tmp_path, outlets, smtp):
    config = stories_config(tmp_path, outlets, smtp)
    crawl(config)
    assert len(smtp.messages) == 2
    # A fourth outlet publishes the wire copy edited for house style, after the first crawl.
    with SiteServer(STORIES / "reworded") as gulf:
        gulf.routes["/feed.xml"] = Route(
            f"""<rss version="2.0"><channel><title>Gulf Business Review</title><link>{gulf.base}/</link>
<item><title>US blacklists more Hikvision units over Xinjiang</title>
<link>{gulf.url('/us-blacklists-hikvision-units.html')}</link><guid>gbr-1</guid></item>
</channel></rss>""".encode(), headers={"Content-Type": "application/rss+xml"})
        text = config.read_text().replace(
            "sources:\n", f"sources:\n  - name: gulf-business\n    feed: {gulf.url('/feed.xml')}\n", 1)
        config.write_text(text)
        out = crawl(config)
    assert "gulf-business: read, 1 new article(s), 0 alert(s) queued" in out
    db = tmp_path / "news.db"
    gulf_story = rows(db, "select story_id from articles where source = 'gulf-business'")[0][0]
    wire_story = rows(db, "select story_id from articles where url like ?", f"%{WIRE_PAGE}")[0][0]
    assert gulf_story == wire_story
    assert rows(db, "select article_count from stories where id = ?", wire_story) == [(4,)]
    assert len(smtp.messages) == 2


def test_updated_article_keeps_its_story_and_alerts_only_for_a_new_match(tmp_path, outlets, smtp):
    rule = """  - name: dahua-desk
    entities: [Dahua Technology]
    channels: [team-email]"""
    config = stories_config(tmp_path, outlets, smtp, extra_rules=rule)
    crawl(config)
    db = tmp_path / "news.db"
    analysis = "/analysis/2024/05/14/hikvision-european-councils.html"
    (article_id, story_id), = rows(db, "select id, story_id from articles where url like ?", f"%{analysis}")
    # wire story: ngo-team and dahua-desk, in one message naming both; analysis: ngo-team only.
    assert len(smtp.messages) == 2
    assert any('rules "ngo-team, dahua-desk"' in m.get_body(("plain",)).get_content() for m in smtp.messages)

    # The site corrects the analysis and mentions Dahua; the feed item's date moves on.
    site = outlets["wire-daily"]
    page = site.resolve(analysis).body.decode()
    correction = ("<p>Correction: an earlier version omitted that Zhejiang Dahua Technology, "
                  "the second-largest camera maker, faces the same tenders.</p>\n</article>")
    site.routes[analysis] = Route(page.replace("</article>", correction, 1).encode(),
                                  headers={"Content-Type": "text/html; charset=utf-8"})
    feed = site.resolve("/feed.xml").body.decode()
    site.routes["/feed.xml"] = Route(
        feed.replace("Tue, 14 May 2024 09:40:00 GMT", "Tue, 14 May 2024 15:05:00 GMT").encode(),
        headers={"Content-Type": "application/rss+xml"})
    before = len(site.requests_for(analysis))
    out = crawl(config)
    assert "wire-daily: read, 0 new article(s), 2 alert(s) queued, 1 updated article(s)" in out
    assert len(site.requests_for(analysis)) == before + 1
    assert len(site.requests_for(WIRE_PAGE)) == 1  # its feed date did not change: not refetched
    (text, new_story), = rows(db, "select text, story_id from articles where id = ?", article_id)
    assert "Correction:" in text and new_story == story_id
    # dahua-desk's match is new; ngo-team alerted on this story already, for Hikvision: the
    # update names Dahua Technology, one of its entities, for the first time: one follow-up. Both
    # go to the one channel in one message.
    assert len(smtp.messages) == 3
    assert "Dahua Technology" in smtp.messages[-1]["Subject"]
    assert rows(db, "select rule, new_entity from alerts where story_id = ? order by id", story_id) == [
        ("ngo-team", ""), ("dahua-desk", ""), ("ngo-team", "Dahua Technology")]
    assert "updated: now mentions Dahua Technology" in smtp.messages[-1].get_body(("plain",)).get_content()

    # The same update listed again: nothing fetched, nothing sent.
    crawl(config)
    assert len(site.requests_for(analysis)) == before + 1 and len(smtp.messages) == 3


def test_update_without_a_new_match_sends_nothing(tmp_path, outlets, smtp):
    config = stories_config(tmp_path, outlets, smtp)
    crawl(config)
    site = outlets["metro-herald"]
    path = "/business/chinese-camera-giant-us-export-rules.html"
    page = site.resolve(path).body.decode()
    site.routes[path] = Route(page.replace("</article>", "<p>This story has been updated with "
                              "the foreign ministry's comment on Hikvision.</p></article>", 1).encode(),
                              headers={"Content-Type": "text/html; charset=utf-8"})
    feed = site.resolve("/atom.xml").body.decode()
    site.routes["/atom.xml"] = Route(feed.replace("2024-05-14T07:31:00Z", "2024-05-14T11:00:00Z").encode(),
                                     headers={"Content-Type": "application/atom+xml"})
    out = crawl(config)
    assert "metro-herald: read, 0 new article(s), 0 alert(s) queued, 1 updated article(s)" in out
    assert len(smtp.messages) == 2
    assert rows(tmp_path / "news.db", "select count(*) from articles where text like '%updated with%'") == [(1,)]
