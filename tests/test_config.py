"""Config: every error reported with its location; ${VAR}; unknown keys; check and init commands."""

from functools import partial
from pathlib import Path

import pytest

from alerts import SETTINGS
from pipeline.config import ConfigError, parse_duration
from pipeline.config import parse_config as parse_without_channels
from tests.conftest import ROOT, newswatch, rows, write_config

# As every command reads a config: channels checked against the channel registry.
parse_config = partial(parse_without_channels, channel_types=SETTINGS)

GOOD = """
database: news.db
sources:
  - name: cdt
    feed: https://chinadigitaltimes.net/feed/
    every: 30m
watchlist:
  - name: Hikvision
    aliases: [Hikvision, 海康威视]
alerts:
  - name: team
    channels: [team-slack]
channels:
  team-slack:
    type: slack
    webhook_url: ${SLACK_URL}
"""


def errors_of(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, Path("/cfg"), env or {})
    return caught.value.errors


def test_valid_config_resolves_env_and_database_path():
    config = parse_config(GOOD, Path("/cfg"), {"SLACK_URL": "https://hooks.example/x"})
    assert config.channels["team-slack"].webhook_url == "https://hooks.example/x"
    assert config.database_path == Path("/cfg/news.db")
    assert config.sources[0].every == 1800


def test_missing_env_variable_is_named():
    assert errors_of(GOOD) == ["line 16: channels.team-slack.webhook_url: environment variable SLACK_URL is not set"]


def test_env_default_is_used():
    config = parse_config(GOOD.replace("${SLACK_URL}", "${SLACK_URL:-https://x.example/h}"), Path("/c"), {})
    assert config.channels["team-slack"].webhook_url == "https://x.example/h"


def test_every_error_has_its_location():
    text = GOOD.replace("every: 30m", "every: 30 minutes\n    feeed: x").replace(
        "aliases: [Hikvision, 海康威视]", "aliases: [Hikvision, '  ']"
    ).replace("type: slack", "type: pager")
    errors = errors_of(text, {"SLACK_URL": "https://hooks.example/x"})
    joined = "\n".join(errors)
    assert "line 6: sources[cdt].every: '30 minutes' is not a duration" in joined
    assert "line 7: sources[cdt].feeed: unknown key (check the spelling) (did you mean 'feed'?)" in joined
    assert "watchlist[0].aliases: entry 1 is blank" in joined
    assert "channels.team-slack: type must be one of email, slack, console" in joined


def test_cross_references_are_checked():
    text = GOOD.replace("channels: [team-slack]", "channels: [team-slak]\n    entities: [Hikvison]")
    errors = errors_of(text, {"SLACK_URL": "https://hooks.example/x"})
    assert "line 13: alerts[team].entities[0]: no watchlist entity named 'Hikvison' (did you mean 'Hikvision'?)" in errors
    assert "line 12: alerts[team].channels[0]: no channel named 'team-slak' (did you mean 'team-slack'?)" in errors


def test_yaml_syntax_error_names_the_line():
    errors = errors_of("sources:\n  - name: [unclosed\n")
    assert errors[0].startswith("line ")


def test_duplicate_names_are_errors():
    text = GOOD.replace("watchlist:\n", "watchlist:\n  - name: Hikvision\n    aliases: [HIK]\n")
    assert any("watchlist[1].name: 'Hikvision' is already used" in e for e in errors_of(text, {"SLACK_URL": "https://hooks.example/x"}))


def test_check_exits_2_listing_errors(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(GOOD.replace("every: 30m", "every: soon"), encoding="utf-8")
    result = newswatch("--config", str(path), "check")
    assert result.returncode == 2
    assert "line 6: sources[cdt].every" in result.stderr
    assert "SLACK_URL is not set" in result.stderr


def test_check_summarises_a_valid_config(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = newswatch("--config", str(path), "check", env={"SLACK_URL": "https://h.example/x"})
    assert result.returncode == 0, result.stderr
    assert "sources (1):" in result.stdout and "cdt: https://chinadigitaltimes.net/feed/" in result.stdout
    assert "Hikvision: Hikvision, 海康威视" in result.stdout


def test_config_from_environment_variable_path(tmp_path):
    path = tmp_path / "elsewhere.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = newswatch("check", cwd=tmp_path, env={"NEWSWATCH_CONFIG": str(path), "SLACK_URL": "https://hooks.example/x"})
    assert result.returncode == 0, result.stderr


def test_init_writes_a_starter_that_checks(tmp_path):
    result = newswatch("init", str(tmp_path / "c.yaml"))
    assert result.returncode == 0
    written = (tmp_path / "c.yaml").read_text(encoding="utf-8")
    assert "# newswatch configuration" in written
    assert newswatch("--config", str(tmp_path / "c.yaml"), "check").returncode == 0
    again = newswatch("init", str(tmp_path / "c.yaml"))  # still the starter: said so, nothing written
    assert again.returncode == 0 and "is already the starter config" in again.stdout
    (tmp_path / "c.yaml").write_text(written + "# edited\n", encoding="utf-8")
    assert newswatch("init", str(tmp_path / "c.yaml")).returncode == 2  # never overwrites silently
    assert (tmp_path / "c.yaml").read_text(encoding="utf-8").endswith("# edited\n")


def test_repository_config_is_the_starter():
    assert (ROOT / "config.yaml").read_text() == (ROOT / "pipeline/cli/starter_config.yaml").read_text()


def test_missing_config_file_is_exit_2(tmp_path):
    result = newswatch("--config", str(tmp_path / "nope.yaml"), "crawl")
    assert result.returncode == 2
    assert "cannot read config file" in result.stderr


def test_stories_section_is_optional_and_checked():
    env = {"SLACK_URL": "https://hooks.example/x"}
    assert parse_config(GOOD, Path("/cfg"), env).stories.window == 7 * 86400
    tuned = parse_config(GOOD + "stories:\n  window: 2d\n  min_containment: 0.7\n", Path("/cfg"), env)
    assert tuned.stories.window == 2 * 86400 and tuned.stories.min_containment == 0.7
    errors = errors_of(GOOD + "stories:\n  treshold: 0.8\n  min_jaccard: 2\n", env)
    assert "line 18: stories.treshold: unknown key (check the spelling)" in errors
    assert any(e.startswith("line 19: stories.min_jaccard:") for e in errors)


def test_old_key_names_still_work_and_check_names_the_new_ones(tmp_path):
    old = GOOD + "fetch:\n  max_items_per_feed: 50\n"
    config = parse_config(old, Path("/cfg"), {"SLACK_URL": "https://hooks.example/x"})
    assert [r.name for r in config.rules] == ["team"] and config.fetch.max_items_per_source == 50
    assert config.warnings == ["alerts: now called rules; alerts is still accepted",
                               "fetch.max_items_per_feed: now called max_items_per_source; "
                               "max_items_per_feed is still accepted"]
    path = write_config(tmp_path, old)
    checked = newswatch("--config", str(path), "check", env={"SLACK_URL": "https://hooks.example/x"})
    assert checked.returncode == 0 and "warning: alerts: now called rules" in checked.stderr
    both = GOOD + GOOD[GOOD.index("alerts:"):GOOD.index("channels:")].replace("alerts:", "rules:")
    assert "line 10: alerts: give rules only (alerts is its old name)" in errors_of(both, {"SLACK_URL": "https://hooks.example/x"})


def test_errors_under_an_old_key_are_named_as_written():
    errors = errors_of(GOOD.replace("channels: [team-slack]", "channels: [pager]"), {"SLACK_URL": "https://hooks.example/x"})
    assert errors == ["line 12: alerts[team].channels[0]: no channel named 'pager'"]


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30), ("15m", 900), ("2h", 7200), ("1d", 86400), ("1w", 604800), ("1h30m", 5400),
    ("2d12h", 216000), (45, 45), ("90", 90)])
def test_one_duration_parser_reads_every_form(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["soon", "1 day", "h", "30x", "-5m", "0s", True])
def test_durations_that_mean_nothing_are_errors(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_source_status_is_words_with_the_http_status_apart(tmp_path):
    from sqlite_utils import Database

    from pipeline.store.migrations import MIGRATIONS
    from pipeline.store.sqlite import Store

    path = tmp_path / "old.db"
    db = Database(path)
    MIGRATIONS.apply(db, stop_before="0030_seen_listing_updated")
    db["sources"].insert_all([{"name": "a", "last_status": "304"}, {"name": "b", "last_status": "200"},
                              {"name": "c", "last_status": "failed"}])
    db["seen"].insert({"key": "k", "source": "a", "first_seen": "x", "feed_updated": "2024-01-01"})
    db.close()
    Store.open(path).close()
    assert rows(path, "select name, last_status, http_status from sources order by name") == [
        ("a", "not_modified", 304), ("b", "read", 200), ("c", "failed", None)]
    assert rows(path, "select listing_updated from seen") == [("2024-01-01",)]


def test_channels_test_and_its_old_name(tmp_path):
    path = write_config(tmp_path, GOOD.replace("type: slack\n    webhook_url: ${SLACK_URL}", "type: console"))
    new = newswatch("--config", str(path), "channels", "test", "team-slack")
    old = newswatch("--config", str(path), "alerts", "test", "team-slack")
    assert new.returncode == old.returncode == 0
    assert "=== ALERT (team-slack, rule test) ===" in new.stdout and "team-slack: sample alert sent" in old.stdout
    assert "now `newswatch channels test`" in old.stderr
