"""Extraction on seed-shaped pages: article sentences kept, paywall/subscription/widget text gone."""

from pathlib import Path

import pytest

from pipeline.extract.article import ExtractionError, extract
from pipeline.cli.site_server import DEMO_SITE

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


def test_utf8_text_without_an_early_charset_declaration_is_not_mojibake():
    html = ("<html><head><title>Хиквижн</title></head><body><article>"
            + "<p>Компания Hikvision сообщила о росте выручки на двенадцать процентов за год.</p>" * 3
            + "<p>“Curly quotes” stay curly.</p></article></body></html>")
    result = extract(html)
    assert "Компания Hikvision сообщила о росте выручки" in result.text
    assert "“Curly quotes” stay curly." in result.text


def test_article_body_split_into_chunks_is_kept_whole():
    result = extract((PAGES / "split-body-chunks.html").read_bytes())
    assert "awarded Zhejiang Dahua Technology a contract" in result.text
    assert "the contract could be reviewed if national guidance changed" in result.text
    assert "Advertisement" not in result.text


def test_article_inside_a_widget_container_is_not_pruned():
    result = extract((PAGES / "blog-widget-article.html").read_bytes())
    assert "Hikvision cameras are installed in at least forty council buildings" in result.text
    assert "Old post one" not in result.text


def test_menu_shaped_text_counts_as_navigation_but_prose_does_not():
    from pipeline.extract.article import looks_like_navigation

    menu = "\n".join(["Home", "News", "Sport", "Business", "Contact us", "About"] * 5)
    prose = "Hikvision shares fell sharply on Monday after the report.\nShort line\n海康威视周一股价大幅下跌，此前一份报告指出其在新疆的项目。"
    assert looks_like_navigation(menu)
    assert not looks_like_navigation(prose)


@pytest.mark.parametrize("line", [
    "Related: SpaceX's Starship and Super Heavy Mars Rocket in Pictures",
    "SEE MORE: Hong Kong protests: 800 students under siege in university",
    "Write to Al Root at allen.root@example.com",
    "Have a tip? Amy Kuperinsky may be reached at akuperinsky@example.com.",
    "Get the latest updates right in your inbox. Subscribe to our newsletters.",
    "This copy is for your personal, non-commercial use only.",
    "China furious at Macron for Hong Kong protest jibe [INSIGHT]",
])
def test_teaser_contact_and_newsletter_lines_are_junk(line):
    from pipeline.extract.clean import is_junk_line

    assert is_junk_line(line)


@pytest.mark.parametrize("line", [
    "Related companies were not named in the filing, the regulator said.",
    "The newsletter's editor said readers had asked for more coverage of Xinjiang.",
    "[CNBC]",
    "Emails seen by reporters show that the contract was signed in 2019.",
])
def test_article_sentences_near_those_rules_are_kept(line):
    from pipeline.extract.clean import is_junk_line

    assert not is_junk_line(line)
