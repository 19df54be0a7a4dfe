"""Value types every part of the config shares: lists, http(s) URLs, e-mail addresses.

One rule per kind of value, with one wording, wherever it is written: in a watchlist entry, a rule,
or a channel's settings (the models in `alerts/` use these too, which is why this module imports
nothing of newswatch and nothing heavy).

Lists: `aliases: Hikvision` means one alias, and stays accepted as a one-item list. A single string
holding a comma (`aliases: Elbit Systems, Elbit Systems Ltd`) almost always means two items written
without brackets, and silently becoming one alias that never matches is the worst outcome, so it is
an error that shows the list to write (and the quoted form, for the rare item that holds a comma).
"""

from __future__ import annotations

import re
from email.utils import parseaddr
from typing import Annotated, Any
from urllib.parse import urlsplit

import yaml
from pydantic import AfterValidator, BeforeValidator


def flow_list(items: list[str]) -> str:
    """Items as a YAML flow list, quoted where YAML would read them otherwise: [A, B, '002415']."""
    return yaml.safe_dump(items, default_flow_style=True, allow_unicode=True, width=10**6).strip()


def one_or_many(value: Any) -> Any:
    """A list as written; one plain item as a one-item list; a comma-separated string refused."""
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if len(parts) > 1:
            quoted = yaml.safe_dump([value], default_flow_style=True, allow_unicode=True, width=10**6).strip()
            raise ValueError(f"write a list: {flow_list(parts)} (or, for one item holding a comma, {quoted})")
        return [value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                raise ValueError(
                    f"entry {index} ({item}) is a number: write it in quotes, as text "
                    "(YAML reads an unquoted 002415 as the number 1293)"
                )
    return value


StringList = Annotated[list[str], BeforeValidator(one_or_many)]


def http_url(value: str) -> str:
    """An http(s) URL with a host: what a feed, a page or a webhook needs to be reachable at all."""
    parts = urlsplit(value.strip()) if isinstance(value, str) else None
    if (parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or any(c.isspace() for c in value.strip())):
        raise ValueError(
            f"{value!r} is not an http(s) URL: write it with its scheme and host, "
            "such as https://hooks.slack.com/services/…"
        )
    return value


_ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]]+@([^@\s<>(),;:\"\[\]]+)$")


def email_address(value: str) -> str:
    """An address such as team@example.org, or with a display name: 'newswatch <nw@example.org>'."""
    _, address = parseaddr(value)
    match = _ADDRESS.match(address) if address else None
    domain = match.group(1) if match else ""
    labels = domain.split(".")
    if not match or (len(labels) < 2 and domain != "localhost") or not all(labels):
        raise ValueError(f"{value!r} is not an e-mail address such as team@example.org")
    return value


HttpUrl = Annotated[str, AfterValidator(http_url)]
EmailAddress = Annotated[str, AfterValidator(email_address)]
