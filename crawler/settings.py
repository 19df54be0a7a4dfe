"""Scrapy settings built from the `fetch:` section of config.yaml."""

from __future__ import annotations

from typing import Any

from pipeline.config.schema import FetchConfig


def build_settings(fetch: FetchConfig) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "USER_AGENT": fetch.user_agent,
        "ROBOTSTXT_OBEY": fetch.obey_robots_txt,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": fetch.concurrency_per_domain,
        "DOWNLOAD_TIMEOUT": fetch.timeout,
        "DNS_TIMEOUT": min(fetch.timeout, 20),
        "DOWNLOAD_MAXSIZE": fetch.max_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_VERIFY_CERTIFICATES": True,
        "REDIRECT_MAX_TIMES": 5,
        "RETRY_TIMES": 1,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "LOG_ENABLED": True,
        "NEWSWATCH_MAX_ITEMS_PER_SOURCE": fetch.max_items_per_source,
        "NEWSWATCH_ALLOW_PRIVATE_NETWORKS": fetch.allow_private_networks,
        # Only http(s) is ever fetched; the other schemes' handlers are switched off.
        "DOWNLOAD_HANDLERS": {"file": None, "data": None, "ftp": None, "s3": None},
        "DOWNLOADER_MIDDLEWARES": {"crawler.netguard.NetGuardMiddleware": 50,
                                   "crawler.headers.SourceHeadersMiddleware": 60},
        "ITEM_PIPELINES": {"crawler.pipelines.IngestPipeline": 100},
        "CLOSESPIDER_TIMEOUT": 0,
    }
    if not fetch.allow_private_networks:
        settings["TWISTED_DNS_RESOLVER"] = "crawler.netguard.GuardedResolver"
    return settings
