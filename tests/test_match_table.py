"""Table-driven matching and query-language cases (tests/fixtures/*.yaml)."""

from pathlib import Path

import pytest
import yaml

from pipeline.config import EntityConfig
from pipeline.match.watchlist import Watchlist
from pipeline.match.query import Document, QueryError, evaluate, parse_query
from pipeline.config.compile import entity_spec

FIXTURES = Path(__file__).parent / "fixtures"
MATCH = yaml.safe_load((FIXTURES / "match_cases.yaml").read_text(encoding="utf-8"))
QUERY = yaml.safe_load((FIXTURES / "query_cases.yaml").read_text(encoding="utf-8"))


def build(entities: list[dict]) -> Watchlist:
    return Watchlist(entity_spec(EntityConfig.model_validate(e)) for e in entities)


WATCHLISTS = {name: build(entities) for name, entities in MATCH["watchlists"].items()}


@pytest.mark.parametrize("case", MATCH["cases"], ids=lambda c: c.get("title", "") + c["text"][:40])
def test_match_case(case):
    fields = {"title": case.get("title", ""), "text": case["text"]}
    mentions = WATCHLISTS[case["watchlist"]].find(fields)
    found = [[m.entity, fields[m.field][m.position : m.position + m.length]] for m in mentions]
    assert found == case["expect"]


QUERY_WATCHLIST = build(QUERY["watchlist"])
ARTICLE = QUERY["article"]
DOCUMENT = Document.build(ARTICLE, QUERY_WATCHLIST.find(ARTICLE))
ENTITY_NAMES = [e["name"] for e in QUERY["watchlist"]]


@pytest.mark.parametrize("case", QUERY["cases"], ids=lambda c: c["query"])
def test_query_case(case):
    verdict = evaluate(parse_query(case["query"], ENTITY_NAMES), DOCUMENT)
    assert verdict.matched is case["matches"]
    if "terms" in case:
        assert [t for t in verdict.terms if not t.startswith("@")] == case["terms"]


@pytest.mark.parametrize("case", QUERY["errors"], ids=lambda c: c["query"])
def test_query_error_names_the_position(case):
    with pytest.raises(QueryError) as caught:
        parse_query(case["query"], ENTITY_NAMES)
    assert case["message"] in str(caught.value)
