"""Canonical article URLs: one article, one key, however a feed or share button decorated the link."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Click identifiers that never change what page is served.
_TRACKING_EXACT = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
    "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "mkt_tok", "oly_anon_id", "oly_enc_id",
    "vero_id", "wickedid", "__hssc", "__hstc", "__hsfp", "hsctatracking", "rb_clickid", "s_cid",
    "cmpid", "ncid", "ocid", "sr_share", "share", "ref_src", "ref_url",
}
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_")


def _is_tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered in _TRACKING_EXACT or lowered.startswith(_TRACKING_PREFIXES)


def canonicalize(url: str) -> str:
    """Lower-case scheme and host, drop the fragment, default ports and click identifiers."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
    elif ":" in host:
        host = f"[{host}]"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    )
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, query, ""))


def _bare_host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def same_site(a: str, b: str) -> bool:
    """Same host, ignoring a leading www."""
    return bool(_bare_host(a)) and _bare_host(a) == _bare_host(b)


def article_url(fetched_url: str, canonical_link: str | None) -> str:
    """The key an article is stored under: its rel=canonical when on the same site, else the fetched URL."""
    if canonical_link:
        absolute = urljoin(fetched_url, canonical_link.strip())
        if urlsplit(absolute).scheme in ("http", "https") and same_site(absolute, fetched_url):
            return canonicalize(absolute)
    return canonicalize(fetched_url)
