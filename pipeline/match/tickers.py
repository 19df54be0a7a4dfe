"""Stock codes in the forms articles write them.

`2899.HK` is written `2899.HK`, `02899.HK`, `HK:2899`, `HKEX: 2899`, `SEHK:02899`, or bare: `2899`.
The exchange forms name the company on their own. A bare number does not ("more than 2899
volunteers"): it counts only next to a stock-code word or in an article that also names the
company (`pipeline.match.watchlist`, kind TICKER). Hong Kong codes are zero-padded to five digits
as often as not, so both spellings are matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TICKER = re.compile(
    r"^\s*(?:(?P<ex1>[A-Za-z]{1,8})\s*:\s*(?P<c1>[A-Za-z0-9][\w\-]*)"
    r"|(?P<c2>[A-Za-z0-9][\w\-]*)\.(?P<ex2>[A-Za-z]{1,4})"
    r"|(?P<c3>[A-Za-z0-9][\w\-.]*))\s*$"
)
# The names an exchange goes by in ticker forms (the first is the suffix form: 2899.HK).
EXCHANGES = (
    ("HK", "HKEX", "SEHK", "HKG"),
    ("SZ", "SZSE", "SHE"),
    ("SS", "SH", "SSE", "SHA"),
    ("T", "TYO", "TSE"),
    ("KS", "KRX", "KOSPI"),
    ("TW", "TWSE", "TPE"),
    ("L", "LSE", "LON"),
)
_SYNONYMS = {name: group for group in EXCHANGES for name in group}


@dataclass(frozen=True)
class TickerForms:
    exchange_forms: tuple[str, ...]  # count on their own
    bare: tuple[str, ...]  # count only with evidence


def code_variants(code: str, exchange: str) -> list[str]:
    """A Hong Kong code with and without its zero padding (2899 <-> 02899); others as written."""
    if exchange in _SYNONYMS.get("HK", ()) and code.isdigit():
        plain = code.lstrip("0") or "0"
        return list(dict.fromkeys([code, plain, plain.zfill(5), plain.zfill(4)]))
    return [code]


def ticker_forms(ticker: str) -> TickerForms:
    """'2899.HK' -> exchange forms (2899.HK, 02899.HK, HK:2899, HKEX: 02899, …) and bare (2899, 02899)."""
    match = _TICKER.match(ticker)
    if not match:
        return TickerForms((ticker.strip(),), ())
    code = match.group("c1") or match.group("c2") or match.group("c3")
    exchange = (match.group("ex1") or match.group("ex2") or "").upper()
    if not exchange:
        return TickerForms((), (code,))
    names = _SYNONYMS.get(exchange, (exchange,))
    codes = code_variants(code, exchange)
    forms = [f"{c}.{names[0] if exchange in _SYNONYMS else exchange}" for c in codes]
    forms += [f"{c}.{exchange}" for c in codes]
    forms += [f"{name}{sep}{c}" for name in names for sep in (":", ": ") for c in codes]
    return TickerForms(tuple(dict.fromkeys(forms)), tuple(codes))
