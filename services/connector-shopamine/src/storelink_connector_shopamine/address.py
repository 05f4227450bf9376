"""The store address a person pastes → the shop domain the API gateway knows (pure).

People paste `www.shop.si`, `https://www.shop.si/`, `HTTP://Shop.si/sl/izdelki?x=1`, the admin
address, or even the API URL itself. All of them name the same shop; anything that does not name a
shop gets an error saying what is wrong with it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from storelink_connector_shopamine.assumptions import API_HOST, WWW_FOR_BARE_DOMAINS

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_API_HOSTS = {urlsplit(API_HOST).hostname or "", "api.shopamine.com"}


class StoreAddressError(ValueError):
    """The store address cannot name a Shopamine shop; the message says why and what to enter."""


def shop_domain(address: str) -> str:
    """`HTTPS://Shop.si/sl/` → `www.shop.si`; raises StoreAddressError with a reason."""
    text = (address or "").strip()
    if not text:
        raise StoreAddressError("the store address is empty: enter your shop's address, e.g. www.myshop.si")
    if any(ch.isspace() for ch in text):
        raise StoreAddressError(f"the store address {text!r} contains spaces: enter only the address")
    if "://" not in text:
        text = "https://" + text.lstrip("/")
    try:
        parts = urlsplit(text)
        host = parts.hostname
        _ = parts.port
    except ValueError as exc:
        raise StoreAddressError(f"{address.strip()!r} is not a web address ({exc})") from None
    if "@" in parts.netloc:
        raise StoreAddressError(
            f"{address.strip()!r} looks like an e-mail address or holds a login: enter the shop's web address"
        )
    if parts.scheme.lower() not in ("http", "https"):
        raise StoreAddressError(f"{address.strip()!r} is not a web address (scheme {parts.scheme!r})")
    if not host:
        raise StoreAddressError(f"{address.strip()!r} has no host name")
    host = host.rstrip(".").lower()
    if host in _API_HOSTS:
        segments = [s for s in parts.path.split("/") if s]
        if not segments:
            raise StoreAddressError(
                "that is the Shopamine API address; enter your own shop's address, e.g. www.myshop.si"
            )
        return shop_domain(segments[0])
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise StoreAddressError(f"{host!r} is not a valid domain name") from None
    labels = host.split(".")
    if re.fullmatch(r"[\d.]+", host):
        raise StoreAddressError(f"{host} is an IP address: enter the shop's domain name, e.g. www.myshop.si")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise StoreAddressError(f"{host!r} is not a full domain name: enter it like www.myshop.si")
    if not re.fullmatch(r"[a-z]{2,63}|xn--[a-z0-9-]+", labels[-1]):
        raise StoreAddressError(f"{host!r} does not end in a valid top-level domain (like .si or .com)")
    if WWW_FOR_BARE_DOMAINS and len(labels) == 2:
        host = "www." + host
    return host


def api_base_url(domain: str, host: str | None = None) -> str:
    """`https://api.shopamine.com/<domain>/api/v1` (the gateway host overridable for a simulator)."""
    return f"{(host or API_HOST).rstrip('/')}/{domain}/api/v1"
