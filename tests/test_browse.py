"""`newswatch serve` as a real process on a database filled by a real crawl, driven in Chromium."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipeline.cli.site_server import DEMO_SITE, SiteServer
from tests.conftest import ROOT, free_port, newswatch, site_config, smtp_server, write_config

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds}s")


def start_serve(config: Path, port: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "--config", str(config), "serve", "--port", str(port), *extra],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One real crawl of the fixture site for the whole module: the tests here only read it."""
    tmp_path = tmp_path_factory.mktemp("browse")
    with SiteServer(DEMO_SITE) as site, smtp_server() as smtp:
        config = write_config(tmp_path, site_config(site, smtp))
        result = newswatch("--config", str(config), "crawl", env={"SMTP_PASSWORD": "s3cret-not-stored"})
        assert result.returncode == 0, result.stderr
        yield config, site


@pytest.fixture(scope="module")
def served(crawled):
    config, _ = crawled
    port = free_port()
    process = start_serve(config, port)
    try:
        wait_for(f"http://127.0.0.1:{port}/-/versions.json")
        yield f"http://127.0.0.1:{port}", config
    finally:
        stop(process)


def get_json(url: str) -> dict:
    return json.loads(urllib.request.urlopen(url, timeout=10).read())


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium not installed (.ci/run installs it)")
def test_latest_mentions_and_search_in_chromium(served):
    from playwright.sync_api import sync_playwright

    base, _ = served
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        page = browser.new_page()
        page.goto(f"{base}/news/latest_mentions")
        assert "Latest mentions" in page.title() or page.locator("h1").inner_text().startswith("Latest mentions")
        cells = page.locator("table.rows-and-columns tbody tr")
        assert cells.count() >= 8
        headlines = page.locator("td.col-headline").all_inner_texts()
        assert "海康威视被指在新疆项目中提供监控设备" in headlines
        assert page.locator("td.col-link a").first.get_attribute("href").startswith("http://127.0.0.1")
        page.screenshot(path=str(ARTIFACTS / "latest-mentions.png"), full_page=True)

        page.goto(f"{base}/news/articles")
        page.fill("input#_search", "Hikvision")
        page.locator("input#_search").press("Enter")
        page.wait_for_url("**_search=Hikvision**")
        titles = page.locator("td.col-title").all_inner_texts()
        assert sorted(titles) == sorted([
            "NGOs urge Norway's oil fund to divest from Hikvision, Dahua",
            'Quote of the Day: Hikvision and Dahua pledge to "support the Ten Principles"',
        ])
        page.screenshot(path=str(ARTIFACTS / "search-hikvision.png"), full_page=True)
        browser.close()


def test_facets_labels_and_canned_queries_are_served(served):
    base, _ = served
    articles = get_json(f"{base}/news/articles.json?_shape=objects&_facet=source")
    assert {f["value"] for f in articles["facet_results"]["source"]["results"]} == {"abw", "dtm"}
    queries = get_json(f"{base}/news.json")["queries"]
    assert {q["name"] for q in queries} >= {
        "latest_mentions", "mentions_per_entity_per_day", "alerts_sent_and_failed", "source_health",
        "stories_several_outlets"}
    alerts = get_json(f"{base}/news/alerts_sent_and_failed.json?_shape=objects&status=sent")
    assert len(alerts["rows"]) == 3
    health = get_json(f"{base}/news/source_health.json?_shape=objects")
    assert {r["source"]: r["health"] for r in health["rows"]} == {"abw": "ok", "dtm": "ok"}
    assert all(r["articles"] >= 2 for r in health["rows"])
    # mentions show the article's headline as the label of article_id
    mentions = get_json(f"{base}/news/mentions.json?_shape=objects&_labels=on")
    assert any(r["article_id"]["label"].startswith("NGOs urge") for r in mentions["rows"])


def test_no_secret_lands_in_the_database(crawled):
    config, _ = crawled
    db = (config.parent / "news.db").read_bytes()
    assert b"s3cret-not-stored" not in db


def test_public_mode_refuses_sql_and_download(crawled):
    config, _ = crawled
    port = free_port()
    process = start_serve(config, port, "--public")
    try:
        wait_for(f"http://127.0.0.1:{port}/-/versions.json")
        for path in ("/news.json?sql=select+1", "/news.db"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10)
            assert refused.value.code == 403
        ok = get_json(f"http://127.0.0.1:{port}/news/latest_mentions.json?_shape=objects")
        assert ok["rows"]
    finally:
        stop(process)


def test_crawl_and_browsing_at_the_same_time(served):
    base, config = served
    errors: list[str] = []
    crawl = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "--config", str(config), "crawl"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while crawl.poll() is None:
        try:
            get_json(f"{base}/news/latest_mentions.json?_shape=objects")
        except urllib.error.HTTPError as exc:
            errors.append(exc.read().decode())
    out, err = crawl.communicate()
    assert crawl.returncode == 0, err
    assert "locked" not in err and errors == []
