"""Stock codes in the forms articles write them: `002415.SZ`, `SZ:002415`, `SZ: 002415`, `002415`."""

from __future__ import annotations

import re

_TICKER = re.compile(
    r"^\s*(?:(?P<ex1>[A-Za-z]{1,8})\s*:\s*(?P<c1>[A-Za-z0-9][\w\-]*)"
    r"|(?P<c2>[A-Za-z0-9][\w\-]*)\.(?P<ex2>[A-Za-z]{1,4})"
    r"|(?P<c3>[A-Za-z0-9][\w\-.]*))\s*$"
)


def ticker_forms(ticker: str) -> list[str]:
    """'002415.SZ' -> ['002415.SZ', 'SZ:002415', 'SZ: 002415', '002415'] (all its common forms)."""
    match = _TICKER.match(ticker)
    if not match:
        return [ticker.strip()]
    code = match.group("c1") or match.group("c2") or match.group("c3")
    exchange = (match.group("ex1") or match.group("ex2") or "").upper()
    forms = [code]
    if exchange:
        forms = [f"{code}.{exchange}", f"{exchange}:{code}", f"{exchange}: {code}", code]
    return forms
