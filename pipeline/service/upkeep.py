"""What happens around crawls: health after each pass, notices, due digests, alert retries.

Shared by `newswatch crawl` (from cron) and the daemon, so both keep health and send digests the
same way; nothing here fetches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Mapping

from pipeline.config import Config, SourceConfig
from pipeline.config.schedules import cron_trigger, trigger_interval
from pipeline.models import Channel, CrawlReport, Notice
from pipeline.outbox.deliver import (
    DeliveryReport, deliver_alerts, deliver_digests, deliver_notices, never,
)
from pipeline.outbox.digests import instant_only
from pipeline.service.health import check_silent, record_pass
from pipeline.store.sqlite import Store


@dataclass
class UpkeepReport:
    notices: list[Notice] = field(default_factory=list)
    notices_sent: DeliveryReport = field(default_factory=DeliveryReport)
    digests: DeliveryReport = field(default_factory=DeliveryReport)
    retried: DeliveryReport | None = None


def interval_of(source: SourceConfig, now: datetime) -> float:
    """A source's period in seconds: `every`, or the gap between two fire times of its `cron`."""
    if source.cron:
        return trigger_interval(cron_trigger(source.cron, source.timezone), now)
    return source.every


def deliver_instant(store: Store, config: Config, channels: Mapping[str, Channel],
                    stop: Callable[[], bool] = never, retry_failed: bool = True) -> DeliveryReport:
    """Pending alerts of instant rules (digest rules' alerts wait for their digest); failed ones
    too when `retry_failed` (every `crawl` from cron; the daemon only on its retry schedule)."""
    return deliver_alerts(store, channels, config.entities_by_rule(), include=instant_only(config), stop=stop,
                          retry_failed=retry_failed)


def after_pass(
    config: Config, store: Store, channels: Mapping[str, Channel], report: CrawlReport, now: datetime,
    stop: Callable[[], bool] = never, retry_failed: bool = True,
) -> UpkeepReport:
    """Fold the pass into source health, send new notices (failed ones too when `retry_failed`)
    and any digest now due."""
    result = UpkeepReport()
    result.notices = record_pass(store, config, report, now, lambda s: interval_of(s, now))
    result.notices_sent = deliver_notices(store, channels, config.admin_channel, stop, retry_failed)
    result.digests = deliver_digests(store, config, channels, now, stop=stop)
    return result


def maintenance(
    config: Config, store: Store, channels: Mapping[str, Channel], now: datetime,
    retry: bool = False, stop: Callable[[], bool] = never,
) -> UpkeepReport:
    """Periodic work between crawls: silent sources, notices, due digests, and any instant alert
    still pending (a crawl that crashed after committing it, a pass that died while sending it);
    with `retry`, failed alerts, digests and notices too."""
    result = UpkeepReport()
    result.notices = check_silent(store, config, now)
    result.notices_sent = deliver_notices(store, channels, config.admin_channel, stop, retry_failed=retry)
    result.digests = deliver_digests(store, config, channels, now, retry_failed=retry, stop=stop)
    result.retried = deliver_instant(store, config, channels, stop, retry_failed=retry)
    return result
