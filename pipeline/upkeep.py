"""What happens around crawls: health after each pass, notices, due digests, alert retries.

Shared by `newswatch crawl` (from cron) and the daemon, so both keep health and send digests the
same way; nothing here fetches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping

from pipeline.config import Config, SourceConfig
from pipeline.crawl import rule_entities
from pipeline.deliver import DeliveryReport, deliver_pending
from pipeline.digest import DigestReport, deliver_digests, instant_only
from pipeline.health import Notice, check_silent, deliver_notices, record_pass
from pipeline.schedule import cron_trigger, trigger_interval
from pipeline.report import CrawlReport
from pipeline.store import Store


def never() -> bool:
    return False


@dataclass
class UpkeepReport:
    notices: list[Notice] = field(default_factory=list)
    notices_sent: int = 0
    notices_failed: int = 0
    digests: DigestReport = field(default_factory=DigestReport)
    retried: DeliveryReport | None = None


def interval_of(source: SourceConfig, now: datetime) -> float:
    """A source's period in seconds: `every`, or the gap between two fire times of its `cron`."""
    if source.cron:
        return trigger_interval(cron_trigger(source.cron, source.timezone), now)
    return source.every


def after_pass(
    config: Config, store: Store, channels: Mapping[str, Any], report: CrawlReport, now: datetime,
    stop: Callable[[], bool] = never,
) -> UpkeepReport:
    """Fold the pass into source health, send new notices and any digest now due."""
    result = UpkeepReport()
    result.notices = record_pass(store, config, report, now, lambda s: interval_of(s, now))
    result.notices_sent, result.notices_failed = deliver_notices(store, channels, config.admin_channel, stop)
    result.digests = deliver_digests(store, config, channels, rule_entities(config), now, stop=stop)
    return result


def maintenance(
    config: Config, store: Store, channels: Mapping[str, Any], now: datetime,
    retry: bool = False, stop: Callable[[], bool] = never,
) -> UpkeepReport:
    """Periodic work between crawls: silent sources, notices, due digests; with `retry`, failed alerts."""
    result = UpkeepReport()
    result.notices = check_silent(store, config, now)
    result.notices_sent, result.notices_failed = deliver_notices(store, channels, config.admin_channel, stop)
    result.digests = deliver_digests(store, config, channels, rule_entities(config), now,
                                     retry_failed=retry, stop=stop)
    if retry:
        result.retried = deliver_pending(store, channels, rule_entities(config),
                                         include=instant_only(config), stop=stop)
    return result
