"""Config mistakes a new user makes, each an error naming its line (or a `check` warning)."""

from functools import partial
from pathlib import Path

import pytest

from alerts import SETTINGS
from pipeline.config import ConfigError
from pipeline.config import parse_config as parse_without_channels
from tests.conftest import newswatch, write_config

parse_config = partial(parse_without_channels, channel_types=SETTINGS)

BASE = """\
database: news.db
sources:
  - name: cdt
    feed: https://chinadigitaltimes.net/feed/
    every: 30m
watchlist:
  - name: Elbit Systems
    aliases: [Elbit Systems, Elbit Systems Ltd]
rules:
  - name: ngo-team
    channels: [team-slack]
channels:
  team-slack:
    type: slack
    webhook_url: https://hooks.example.net/services/T0/B0/x
"""


def errors_of(text: str, base_dir: Path = Path("/cfg")) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, base_dir, {})
    return caught.value.errors


def test_the_base_config_is_valid():
    assert parse_config(BASE, Path("/cfg"), {}).watchlist[0].aliases == ["Elbit Systems", "Elbit Systems Ltd"]


def test_a_comma_separated_string_is_not_one_alias():
    text = BASE.replace("aliases: [Elbit Systems, Elbit Systems Ltd]", "aliases: Elbit Systems, Elbit Systems Ltd")
    assert errors_of(text) == [
        "line 8: watchlist[0].aliases: write a list: [Elbit Systems, Elbit Systems Ltd] "
        "(or, for one item holding a comma, ['Elbit Systems, Elbit Systems Ltd'])"]


def test_one_alias_without_brackets_is_still_one_alias():
    config = parse_config(BASE.replace("aliases: [Elbit Systems, Elbit Systems Ltd]", "aliases: Elbit"),
                          Path("/cfg"), {})
    assert config.watchlist[0].aliases == ["Elbit"]
    one_with_comma = BASE.replace("[Elbit Systems, Elbit Systems Ltd]", '["Elbit Systems, Ltd"]')
    assert parse_config(one_with_comma, Path("/cfg"), {}).watchlist[0].aliases == ["Elbit Systems, Ltd"]


def test_rule_channels_and_email_recipients_follow_the_same_rule():
    text = BASE.replace("channels: [team-slack]", "channels: team-slack, team-email")
    assert errors_of(text) == ["line 11: rules[ngo-team].channels: write a list: [team-slack, team-email] "
                               "(or, for one item holding a comma, ['team-slack, team-email'])"]
    single = parse_config(BASE.replace("channels: [team-slack]", "channels: team-slack"), Path("/c"), {})
    assert single.rules[0].channels == ["team-slack"]


def test_a_bare_number_as_ticker_must_be_quoted():
    text = BASE.replace("aliases: [Elbit Systems, Elbit Systems Ltd]", "ticker: [002415]")
    assert errors_of(text) == ["line 8: watchlist[0].ticker: entry 0 (1293) is a number: write it in quotes, "
                               "as text (YAML reads an unquoted 002415 as the number 1293)"]


def test_duplicate_keys_name_both_lines():
    text = BASE.replace("    every: 30m\n", "    every: 30m\n    every: 1m\n") + \
        "watchlist:\n  - name: Hikvision\n"
    errors = errors_of(text)
    assert "line 6: sources[cdt].every: given 2 times, on lines 5 and 6: only the last would count; " \
           "keep one (merge them if both hold entries)" in errors
    assert "line 17: watchlist: given 2 times, on lines 7 and 17: only the last would count; " \
           "keep one (merge them if both hold entries)" in errors


def test_an_unclosed_quote_is_reported_where_it_opened():
    at_end = BASE.replace('aliases: [Elbit Systems, Elbit Systems Ltd]', 'aliases: [Elbit Systems, "Elbit Systems Ltd]')
    assert errors_of(at_end) == ["line 8, column 30: this quote is never closed (the file ends inside it)"]
    closed_later = BASE.replace("  - name: cdt", '  - name: "cdt').replace("    type: slack", '    type: "slack"')
    (error,) = errors_of(closed_later)
    assert error.startswith("line 3, column 11: this quote is closed only on line 14: is its closing quote missing?")


def test_urls_need_a_scheme_and_a_host():
    text = BASE.replace("https://hooks.example.net/services/T0/B0/x", "hooks.slack.com/services/x")
    assert errors_of(text) == [
        "line 15: channels.team-slack.webhook_url: 'hooks.slack.com/services/x' is not an http(s) URL: "
        "write it with its scheme and host, such as https://hooks.slack.com/services/…"]
    feed = BASE.replace("feed: https://chinadigitaltimes.net/feed/", "feed: chinadigitaltimes.net/feed/")
    assert errors_of(feed)[0].startswith("line 4: sources[cdt].feed: 'chinadigitaltimes.net/feed/' is not an http(s) URL")


EMAIL = BASE + """\
  team-email:
    type: email
    smtp_host: smtp.example.org
    from: newswatch@example.org
    to: [team@example.org]
"""


def test_email_addresses_are_checked():
    assert parse_config(EMAIL, Path("/cfg"), {}).channels["team-email"].to == ["team@example.org"]
    named = EMAIL.replace("from: newswatch@example.org", 'from: "newswatch <nw@example.org>"')
    assert parse_config(named, Path("/cfg"), {}).channels["team-email"].from_ == "newswatch <nw@example.org>"
    bad = EMAIL.replace("from: newswatch@example.org", "from: newswatch.example.org").replace(
        "to: [team@example.org]", "to: [team@example.org, team@@example.org, ops@example]")
    assert errors_of(bad) == [
        "line 19: channels.team-email.from: 'newswatch.example.org' is not an e-mail address such as team@example.org",
        "line 20: channels.team-email.to[1]: 'team@@example.org' is not an e-mail address such as team@example.org",
        "line 20: channels.team-email.to[2]: 'ops@example' is not an e-mail address such as team@example.org"]
    one = EMAIL.replace("to: [team@example.org]", "to: team@example.org, ops@example.org")
    assert errors_of(one)[0].startswith("line 20: channels.team-email.to: write a list: [team@example.org, ops@example.org]")


def test_unknown_keys_and_names_get_a_did_you_mean():
    keys = BASE.replace("    every: 30m", "    evrey: 30m").replace("    aliases:", "    alises:")
    assert errors_of(keys) == [
        "line 5: sources[cdt].evrey: unknown key (check the spelling) (did you mean 'every'?)",
        "line 8: watchlist[0].alises: unknown key (check the spelling) (did you mean 'aliases'?)"]
    names = BASE.replace("channels: [team-slack]", "channels: [team-slak]").replace(
        "rules:", "rules:\n  - name: b\n    channels: [team-slack]\n    entities: [Elbit System]")
    assert errors_of(names) == [
        "line 12: rules[b].entities[0]: no watchlist entity named 'Elbit System' (did you mean 'Elbit Systems'?)",
        "line 14: rules[ngo-team].channels[0]: no channel named 'team-slak' (did you mean 'team-slack'?)"]
    typo_type = BASE.replace("type: slack", "type: slak")
    assert errors_of(typo_type) == ["line 13: channels.team-slack: type must be one of email, slack, console, apprise "
                                    "(did you mean 'slack'?)"]


def test_a_csv_cell_with_a_comma_but_no_bar_is_a_warning_with_file_and_line(tmp_path):
    (tmp_path / "list.csv").write_text(
        "name,aliases\nAdani Ports,\"Adani Ports, APSEZ\"\nZijin Mining,\"Zijin Mining Group Co., Ltd.|紫金矿业\"\n"
        "Acme,Acme|Acme Corp\n", encoding="utf-8")
    config = parse_config(BASE + "watchlist_files: [list.csv]\n", tmp_path, {})
    assert config.warnings == ["list.csv:2: aliases: 'Adani Ports, APSEZ' has a comma but no |, so it is one value; "
                               "if you meant several, write Adani Ports|APSEZ"]
    by_name = {e.name: e.aliases for e in config.watchlist}
    assert by_name["Adani Ports"] == ["Adani Ports, APSEZ"]  # as documented: only | separates
    assert by_name["Zijin Mining"] == ["Zijin Mining Group Co., Ltd.", "紫金矿业"]
    path = write_config(tmp_path, BASE + "watchlist_files: [list.csv]\n")
    checked = newswatch("--config", str(path), "check")
    assert checked.returncode == 0 and "warning: list.csv:2: aliases: 'Adani Ports, APSEZ'" in checked.stderr


def test_check_shows_each_mistake_with_its_line(tmp_path):
    text = BASE.replace("aliases: [Elbit Systems, Elbit Systems Ltd]", "aliases: Elbit Systems, Elbit Systems Ltd")
    text = text.replace("    every: 30m\n", "    every: 30m\n    every: 1h\n")
    text = text.replace("https://hooks.example.net/services/T0/B0/x", "hooks.slack.com/services/x")
    result = newswatch("--config", str(write_config(tmp_path, text)), "check")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0] == f"config error in {tmp_path / 'config.yaml'}:"
    assert "  line 6: sources[cdt].every: given 2 times, on lines 5 and 6: only the last would count; " \
           "keep one (merge them if both hold entries)" in lines
    assert any(line.startswith("  line 9: watchlist[0].aliases: write a list: [Elbit Systems, Elbit Systems Ltd]")
               for line in lines)
    assert any(line.startswith("  line 16: channels.team-slack.webhook_url: 'hooks.slack.com/services/x'")
               for line in lines)


def check_warnings(tmp_path, text: str) -> list[str]:
    result = newswatch("--config", str(write_config(tmp_path, text)), "check")
    assert result.returncode == 0, result.stderr
    return [line.removeprefix("warning: ") for line in result.stderr.splitlines() if line.startswith("warning: ")]


def test_check_warns_about_example_values_left_in(tmp_path):
    warnings = check_warnings(tmp_path, EMAIL.replace("channels: [team-slack]", "channels: [team-slack, team-email]")
                              .replace("https://hooks.example.net/services/T0/B0/x",
                                       "https://hooks.slack.com/services/CHANGE/ME"))
    assert warnings == [
        "channels.team-slack.webhook_url: 'https://hooks.slack.com/services/CHANGE/ME' is an example value left "
        "from the starter: put your own there",
        "channels.team-email.smtp_host: 'smtp.example.org' is an example value left from the starter: put your own there",
        "channels.team-email.from: 'newswatch@example.org' is an example value left from the starter: put your own there",
        "channels.team-email.to[0]: 'team@example.org' is an example value left from the starter: put your own there",
        "fetch.user_agent: 'newswatch/0.1 (+https://example.org/contact)' names an example address: say how a "
        "site's owner can reach you (a URL or an e-mail address)"]


OWN = BASE.replace("https://hooks.example.net/services/T0/B0/x", "https://hooks.slack.com/services/T0/B0/x") + \
    'fetch:\n  user_agent: "newswatch (+mailto:desk@ngo.test)"\n'


def test_a_clean_config_has_no_warnings(tmp_path):
    assert check_warnings(tmp_path, OWN) == []


def test_check_warns_about_polling_someone_elses_site_every_few_seconds(tmp_path):
    text = OWN.replace("every: 30m", "every: 30s").replace(
        "watchlist:", "  - name: mine\n    feed: http://127.0.0.1:8080/feed\n    every: 5s\nwatchlist:")
    assert check_warnings(tmp_path, text) == [
        "sources[cdt].every: 30s is more often than once a minute against chinadigitaltimes.net, a site you do "
        "not run: 1m or more is polite (and a site may block a reader that polls faster)"]


def test_check_warns_when_nothing_could_alert_and_about_unused_channels(tmp_path):
    no_rules = OWN.replace("rules:\n  - name: ngo-team\n    channels: [team-slack]\n", "")
    assert check_warnings(tmp_path, no_rules) == [
        "rules: there are none, so sources are read and stored but nothing will alert (add a rule with the "
        "channels to tell)",
        "channels.team-slack: no rule sends to it (and it is not the admin_channel)"]
    empty = OWN.replace("    channels: [team-slack]\n", "    channels: [team-slack]\n    entities: []\n")
    assert check_warnings(tmp_path, empty) == [
        "rules[ngo-team]: entities is empty, so this rule alerts on nothing",
        "sources[cdt]: no rule could alert on it"]


def test_compound_durations_and_weeks_work_wherever_a_duration_goes():
    text = BASE.replace("every: 30m", "every: 1h30m\n    expect_new_within: 1w").replace(
        "    channels: [team-slack]\n", "    channels: [team-slack]\n    digest: every 1h30m\n") + "stories:\n  window: 2w\n"
    config = parse_config(text, Path("/cfg"), {})
    assert config.sources[0].every == 5400 and config.sources[0].expect_new_within == 7 * 86400
    assert config.stories.window == 14 * 86400
    from pipeline.config.schedules import parse_digest
    assert parse_digest(config.rules[0].digest).interval_s == 5400


def test_case_sensitive_written_as_one_string_with_commas_is_one_clear_error():
    text = BASE.replace("aliases: [Elbit Systems, Elbit Systems Ltd]", "aliases: [GE, ABB]\n    case_sensitive: GE, ABB")
    assert errors_of(text) == ["line 9: watchlist[0].case_sensitive: write a list: [GE, ABB] "
                               "(or, for one item holding a comma, ['GE, ABB'])"]


def test_names_on_the_command_line_get_a_did_you_mean(tmp_path):
    path = write_config(tmp_path, OWN)
    channel = newswatch("--config", str(path), "channels", "test", "team-slak")
    assert channel.returncode == 2 and "no channel named 'team-slak' (did you mean 'team-slack'?)" in channel.stderr
    rule = newswatch("--config", str(path), "match", "--rule", "ngo-taem", str(path))
    assert rule.returncode == 2 and "no rule named 'ngo-taem' (did you mean 'ngo-team'?)" in rule.stderr
    source = newswatch("--config", str(path), "crawl", "--source", "ctd")
    assert source.returncode == 2 and "no source named 'ctd' (did you mean 'cdt'?)" in source.stderr
