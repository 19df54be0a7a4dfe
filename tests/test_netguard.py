"""The private-network guard: which addresses and URLs are refused before any connection."""

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest

from crawler.netguard import NetGuardMiddleware, is_public_address, refusal_for_url


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "224.0.0.1", "240.0.0.1"],
)
def test_non_public_addresses(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses(address):
    assert is_public_address(address)


@pytest.mark.parametrize(
    "url, word",
    [
        ("http://127.0.0.1:8080/feed", "private"),
        ("http://[::1]/feed", "private"),
        ("http://169.254.169.254/latest/meta-data/", "private"),
        ("file:///etc/passwd", "scheme"),
        ("ftp://example.org/feed", "scheme"),
    ],
)
def test_refused_urls_say_why(url, word):
    reason = refusal_for_url(url)
    assert reason and reason.startswith("refused") and word in reason


def test_public_name_is_left_to_the_resolver():
    assert refusal_for_url("https://example.org/feed.xml") is None


def test_every_request_through_the_middleware_is_checked():
    # Redirect hops and robots.txt requests are ordinary requests in the downloader chain.
    guard = NetGuardMiddleware(crawler=None)
    with pytest.raises(IgnoreRequest, match="private"):
        guard.process_request(Request("http://10.0.0.5/robots.txt"))
    assert guard.process_request(Request("https://example.org/a.html")) is None
