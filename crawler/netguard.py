"""Keep the crawl off private networks: a name resolver and a downloader middleware.

A hostile feed can link to http://169.254.169.254/ or to a name that resolves to 10.0.0.5. With
`fetch.allow_private_networks: false` no request of any kind (feed, page, robots.txt, redirect hop)
may reach a loopback, private, link-local or reserved address. The check is on the *resolved*
address, inside Scrapy's own DNS resolution (no second lookup that could answer differently):

* `GuardedResolver` drops non-public addresses from every resolution and remembers why;
* `NetGuardMiddleware` refuses non-http(s) schemes and IP-literal hosts up front, and turns the
  resulting "no address" lookup failure into a refusal that names the private address.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import CannotResolveHostError, IgnoreRequest, NotConfigured
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from zope.interface import implementer, provider

ALLOWED_SCHEMES = ("http", "https")


def is_public_address(address: str) -> bool:
    """True for globally routable unicast addresses only."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@provider(IResolutionReceiver)
class _PublicOnlyReceiver:
    def __init__(self, receiver: Any, host: str, refusals: dict[str, str]):
        self._receiver = receiver
        self._host = host
        self._refusals = refusals

    def resolutionBegan(self, resolution: Any) -> None:
        self._receiver.resolutionBegan(resolution)

    def addressResolved(self, address: Any) -> None:
        if is_public_address(getattr(address, "host", "")):
            self._receiver.addressResolved(address)
        else:
            self._refusals[self._host.lower()] = address.host

    def resolutionComplete(self) -> None:
        self._receiver.resolutionComplete()


@implementer(IHostnameResolver)
class GuardedResolver:
    """The reactor's name resolver, with non-public addresses filtered out."""

    def __init__(self, reactor: Any):
        self.reactor = reactor
        self.original = reactor.nameResolver
        self.refusals: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> "GuardedResolver":
        return cls(reactor)

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def resolveHostName(
        self,
        resolutionReceiver: Any,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Any = None,
        transportSemantics: str = "TCP",
    ) -> Any:
        return self.original.resolveHostName(
            _PublicOnlyReceiver(resolutionReceiver, hostName, self.refusals),
            hostName,
            portNumber,
            addressTypes,
            transportSemantics,
        )


def refusal_for_url(url: str) -> str | None:
    """Why `url` may not be fetched before any lookup (scheme, IP-literal host), or None."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return f"refused: scheme {parts.scheme!r} is not http or https ({url})"
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    if not is_public_address(host):
        return f"refused: {host} is a private, loopback or reserved address ({url})"
    return None


class NetGuardMiddleware:
    """Downloader middleware; steps aside (NotConfigured) when private networks are allowed."""

    def __init__(self, crawler: Any):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> "NetGuardMiddleware":
        if crawler.settings.getbool("NEWSWATCH_ALLOW_PRIVATE_NETWORKS"):
            raise NotConfigured("private networks allowed by config")
        return cls(crawler)

    def process_request(self, request: Any) -> None:
        reason = refusal_for_url(request.url)
        if reason:
            raise IgnoreRequest(reason)

    def process_exception(self, request: Any, exception: BaseException) -> None:
        if not isinstance(exception, (DNSLookupError, CannotResolveHostError)):
            return None
        from twisted.internet import reactor

        resolver = getattr(reactor, "nameResolver", None)
        host = (urlsplit(request.url).hostname or "").lower()
        address = getattr(resolver, "refusals", {}).get(host)
        if address:
            raise IgnoreRequest(
                f"refused: {host} resolves to {address}, a private, loopback or reserved address"
                f" ({request.url})"
            )
        return None
