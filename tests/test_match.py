"""Matching as a user sees it: which words in which text count as a mention of which company."""

import pytest

from pipeline.match.watchlist import EntitySpec, Watchlist

WATCHLIST = Watchlist(
    [
        EntitySpec("Hikvision", ["Hikvision", "Hangzhou Hikvision Digital Technology", "海康威视", "002415"]),
        EntitySpec(
            "Dahua Technology",
            ["Dahua Technology", "Zhejiang Dahua Technology", "大华股份", "002236"],
            weak_aliases=["Dahua"],
            context=["surveillance", "camera", "CCTV", "Xinjiang", "technology"],
        ),
        EntitySpec("L'Oréal", ["L'Oréal"]),
        EntitySpec("GE", ["GE", "General Electric"]),
    ]
)


def found(text: str, title: str = "") -> list[tuple[str, str]]:
    mentions = WATCHLIST.find({"title": title, "text": text})
    return [(m.entity, (title if m.field == "title" else text)[m.position : m.position + m.length]) for m in mentions]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("海康威视发布年报", [("Hikvision", "海康威视")]),
        ("华为和Hikvision的摄像头", [("Hikvision", "Hikvision")]),
        ("股票代码002415上涨", [("Hikvision", "002415")]),
        ("Order 10024150 shipped", []),
        ("HIKVISION-made cameras", [("Hikvision", "HIKVISION")]),
        ("Hikvision’s profits", [("Hikvision", "Hikvision")]),
        ("Hikvisions everywhere", []),
        ("Loreal and L’OREAL and L'Oréal", [("L'Oréal", "L’OREAL"), ("L'Oréal", "L'Oréal")]),
        ("Zhejiang Dahua Technology said", [("Dahua Technology", "Zhejiang Dahua Technology")]),
        ("ge is not GE", [("GE", "GE")]),
        ("Ge Wei met general electric staff", [("GE", "general electric")]),
    ],
)
def test_aliases(text, expected):
    assert found(text) == expected


def test_weak_alias_needs_context_within_25_words():
    assert found("Chen Dahua, a farmer, won a prize.") == []
    assert found("Dahua sells surveillance cameras.") == [("Dahua Technology", "Dahua")]
    far = "Dahua " + "word " * 30 + "surveillance"
    assert found(far) == []
    near = "Dahua " + "word " * 20 + "surveillance"
    assert found(near) == [("Dahua Technology", "Dahua")]


def test_weak_alias_counts_with_a_strong_alias_elsewhere_in_the_article():
    assert found("Dahua said so.", title="Dahua Technology results") == [
        ("Dahua Technology", "Dahua Technology"),
        ("Dahua Technology", "Dahua"),
    ]


def test_weak_alias_in_chinese_uses_a_character_window():
    spec = Watchlist([EntitySpec("Dahua", ["大华股份"], weak_aliases=["大华"], context=["监控"])])
    assert [m.alias for m in spec.find({"text": "大华发布新款监控设备"})] == ["大华"]
    assert spec.find({"text": "大华" + "的" * 60 + "监控"}) == []


def test_positions_map_back_through_folding():
    text = "Straße ﬁnance: Hikvision"
    [mention] = WATCHLIST.find({"text": text})
    assert text[mention.position : mention.position + mention.length] == "Hikvision"
    assert "Hikvision" in mention.snippet
