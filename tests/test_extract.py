"""Extraction on seed-shaped pages: article sentences kept, paywall/subscription/widget text gone."""

from pathlib import Path

import pytest

from pipeline.extract import ExtractionError, extract
from pipeline.site_server import DEMO_SITE

PAGES = Path(__file__).parent / "fixtures" / "pages"


def page(path: str) -> bytes:
    return (DEMO_SITE / path).read_bytes()


def test_paywall_inside_article_is_removed_and_flagged():
    result = extract(page("business/ngos-urge-norway-divest-hikvision-dahua.html"), "https://abw.example/x")
    assert "six organisations called for divestment from Hangzhou Hikvision Digital Technology" in result.text
    assert "Both companies were added to a US trade blacklist in October 2019" in result.text
    for junk in ["free articles", "Subscribe", "₹", "Renews automatically", "Already subscribed",
                 "premium stories", "ALSO READ", "Sensex", "Share on", "Disclaimer", "Most read"]:
        assert junk not in result.text, junk
    assert result.paywalled is True
    assert result.title == "NGOs urge Norway's oil fund to divest from Hikvision, Dahua"
    assert result.author == "ABW Wire Desk"
    assert result.language == "en"


def test_cdt_shaped_page_loses_widgets_and_donation_popup():
    result = extract(page("dtm/quote-of-the-day-hikvision-dahua-global-compact.html"))
    assert "have joined the United Nations Global Compact" in result.text
    assert "I am pleased to confirm that our company supports the Ten Principles" in result.text
    for junk in ["Subscribe to DTM", "Browsers Unbounded", "Google Ads", "Giving Assistant",
                 "Anti-censorship", "Firefly", "Welcome back", "non-profit", "Open popup", "Share this"]:
        assert junk not in result.text, junk
    assert result.paywalled is False


def test_chinese_page_keeps_article_and_drops_share_disclaimer_and_membership_lines():
    result = extract(page("zh/haikang-xinjiang.html"))
    assert "海康威视和大华股份在新疆多个公共安全项目中提供了人脸识别摄像头" in result.text
    for junk in ["分享到", "免责声明", "订阅会员", "热门文章", "华为发布新款手机"]:
        assert junk not in result.text, junk
    assert result.language == "zh"


def test_teaser_only_page_is_kept_and_marked_paywalled():
    result = extract((PAGES / "teaser-only-paywalled.html").read_bytes())
    assert "Three European pension funds are reviewing their holdings in Hikvision" in result.text
    assert "Subscribe" not in result.text and "$1 for 4 weeks" not in result.text
    assert result.paywalled is True


def test_same_page_extracted_five_times_gives_the_same_text():
    html = page("business/ngos-urge-norway-divest-hikvision-dahua.html")
    texts = {extract(html).text for _ in range(5)}
    assert len(texts) == 1 and len(texts.pop()) > 500


@pytest.mark.parametrize("html", [b"", b"   ", b"<html><body><nav>Home</nav></body></html>"])
def test_pages_without_article_text_say_why(html):
    with pytest.raises(ExtractionError):
        extract(html)
