"""What `check` warns about in a config that is valid but probably not what the user meant.

Each warning names the place and what to do: example values left in from the starter config
(`smtp.example.org`, `example.org` addresses, `hooks.slack.com/services/CHANGE/ME`), a source read
more often than once a minute from a site you do not run, sources no rule could alert on, and
channels no rule sends to. Pure: the config in, the warnings out.
"""

from __future__ import annotations

import ipaddress
import re
from fnmatch import fnmatchcase
from typing import Any, Iterator
from urllib.parse import urlsplit

from pydantic import BaseModel

from pipeline.config.durations import format_duration
from pipeline.config.schema import Config, RuleConfig, SourceConfig

POLITE_EVERY_S = 60.0
_EXAMPLE = re.compile(r"(?:^|[@/.\s])(?:[\w-]+\.)*example\.(?:org|com|net)\b|CHANGE/ME", re.IGNORECASE)


def config_warnings(config: Config) -> list[str]:
    return [*placeholder_warnings(config), *schedule_warnings(config), *reach_warnings(config)]


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True)
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")
    elif isinstance(value, str):
        yield where, value


def placeholder_warnings(config: Config) -> list[str]:
    """Example values of the starter config still in place: alerts would go nowhere."""
    found = [(where, value) for name, channel in config.channels.items()
             for where, value in _strings(channel, f"channels.{name}") if _EXAMPLE.search(value)]
    warnings = [f"{where}: {value!r} is an example value left from the starter: put your own there"
                for where, value in found if not where.endswith(".password")]
    if _EXAMPLE.search(config.fetch.user_agent):
        warnings.append(f"fetch.user_agent: {config.fetch.user_agent!r} names an example address: say how a "
                        "site's owner can reach you (a URL or an e-mail address)")
    return warnings


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def schedule_warnings(config: Config) -> list[str]:
    """`every` under a minute is for a server you run; another site's owner may block you."""
    return [
        f"sources[{source.name}].every: {format_duration(source.every)} is more often than once a minute "
        f"against {urlsplit(source.url).hostname}, a site you do not run: 1m or more is polite "
        "(and a site may block a reader that polls faster)"
        for source in config.sources
        if source.cron is None and source.every < POLITE_EVERY_S and not is_loopback(source.url)
    ]


def rule_can_alert(config: Config, rule: RuleConfig, source: SourceConfig) -> bool:
    """Whether `rule` could ever alert on an article of `source`: it is enabled, it has entities
    to look for, and its `sources:` (if any) take this source in."""
    if not rule.enabled or not config.rule_entities(rule):
        return False
    return rule.sources is None or any(fnmatchcase(source.name, pattern) for pattern in rule.sources)


def reach_warnings(config: Config) -> list[str]:
    """Sources no rule could alert on, rules that alert on nothing, channels nothing is sent to."""
    warnings = []
    for rule in config.rules:
        if not config.rule_entities(rule):
            what = "entities is empty" if rule.entities is not None else "the watchlist is empty"
            warnings.append(f"rules[{rule.name}]: {what}, so this rule alerts on nothing")
    read = [s for s in config.sources if s.enabled]
    if read and not config.rules:
        warnings.append("rules: there are none, so sources are read and stored but nothing will alert "
                        "(add a rule with the channels to tell)")
    elif read:
        silent = [s.name for s in read if not any(rule_can_alert(config, r, s) for r in config.rules)]
        if silent and len(silent) == len(read) and len(read) > 1:
            warnings.append(f"sources: no rule could alert on any of the {len(read)} sources")
        else:
            warnings += [f"sources[{name}]: no rule could alert on it" for name in silent]
    used = {name for rule in config.rules for name in rule.channels} | {config.admin_channel}
    warnings += [f"channels.{name}: no rule sends to it (and it is not the admin_channel)"
                 for name in config.channels if name not in used]
    return warnings
