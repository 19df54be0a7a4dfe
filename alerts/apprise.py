"""Apprise channel: one message to one or more Apprise URLs (Teams, Discord, Telegram, Matrix, ntfy,
Mattermost, Pushover, generic json:// and form:// webhooks…), so alerts reach the tools people use.

Rendering is ours (`alerts.render`: the subject as the title, the plain text as the body); Apprise
is only the transport. Each URL is checked when the config is read (`check` refuses a URL no Apprise
plugin understands), and a failed send says which service failed (its URL with secrets masked, as
Apprise prints it) and whether retrying can help: an HTTP 4xx answer (a bad token, a removed
webhook) is permanent; a 5xx, 429, timeout or refused connection is transient. The outbox retries
either way; the wording tells the operator which one needs them. Apprise (0.25 s to import) is
imported only when an apprise channel is configured.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from alerts.render import subject, text
from alerts.settings import ChannelSettings
from pipeline.models import DeliveryError, Message, PermanentDeliveryError

_HTTP_STATUS = re.compile(r"error=(\d{3})")
TRANSIENT_STATUSES = {408, 425, 429}


@lru_cache(maxsize=1)
def _asset() -> Any:
    """Apprise's settings for every send, made once (on first use, with Apprise's import).

    Apprise's records stay with Apprise: each send's records are captured by its own handlers
    and quoted in our DeliveryError, so letting them reach the root log printed every failure
    twice ("WARNING apprise: A Connection error…" above "team-chat: FAILED: …")."""
    import logging

    import apprise

    logging.getLogger("apprise").propagate = False
    return apprise.AppriseAsset(storage_mode=apprise.PersistentStoreMode.MEMORY)  # never writes files


def _service(url: str) -> Any:
    """The Apprise plugin for a URL, or None when no plugin understands it."""
    import apprise

    return apprise.Apprise.instantiate(url, asset=_asset())


def apprise_url(value: str) -> str:
    if _service(value) is None:
        raise ValueError(
            f"{value!r} is not an Apprise URL that newswatch can send to (such as json://host/path, "
            "ntfys://topic, discord://webhook_id/token, tgram://bot_token/chat_id, msteams://…)"
        )
    return value


def _as_list(value: Any) -> Any:
    # Not `one_or_many`: an Apprise URL may hold commas (ntfy's `tags=a,b`).
    return [value] if isinstance(value, str) else value


class AppriseSettings(ChannelSettings):
    type: Literal["apprise"]
    urls: Annotated[list[Annotated[str, AfterValidator(apprise_url)]], BeforeValidator(_as_list),
                    Field(min_length=1)]
    timeout: Annotated[float, Field(gt=0)] = 30.0


def _masked(url: str) -> str:
    """The service as Apprise prints it with privacy on (tokens masked), without the long query."""
    return url.split("?", 1)[0]


def failure_reason(logs: list[str], status_name: str) -> tuple[str, bool]:
    """(what went wrong, permanent?) from one service's Apprise log lines."""
    detail = logs[-1] if logs else f"no detail from Apprise ({status_name.lower()})"
    codes = [int(code) for line in logs for code in _HTTP_STATUS.findall(line)]
    if codes:
        code = codes[-1]
        permanent = 400 <= code < 500 and code not in TRANSIENT_STATUSES
        return f"HTTP {code}: {detail}", permanent
    return detail, False


class AppriseChannel:
    def __init__(self, name: str, config: AppriseSettings):
        self.name = name
        self.config = config

    def send(self, message: Message) -> None:
        import apprise

        services = apprise.Apprise(asset=_asset())
        for url in self.config.urls:
            services.add(url)
        result = services.notify(body=text(message), title=subject(message),
                                 body_format=apprise.NotifyFormat.TEXT, timeout=self.config.timeout)
        if result:
            return
        problems = []
        permanent_all = True
        for service in result:
            if service:
                continue
            reason, permanent = failure_reason([e.message for e in service.logs()], service.status.name)
            permanent_all = permanent_all and permanent
            problems.append(f"{_masked(service.url)}: {reason}")
        if not problems:
            problems.append("; ".join(e.message for e in result.logs()) or f"Apprise status {result.status.name}")
            permanent_all = False
        advice = ("permanent: check the URL and its token, retrying will not help" if permanent_all
                  else "transient: it is retried later")
        error = PermanentDeliveryError if permanent_all else DeliveryError
        raise error(f"Apprise: {'; '.join(problems)} ({advice})")
