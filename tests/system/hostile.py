"""Hostile requests against the webhook routes, generated from a seed (the same seed, the same
requests): wrong tokens and connections, bad JSON, huge and deep bodies, odd encodings and content
types, odd methods and paths. None of them is a valid delivery, so none may publish anything."""

from __future__ import annotations

import gzip
import json
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    """A webhook route to attack: the service that serves it and a real connection of it."""

    service: str
    platform: str
    connection_id: str
    token: str


@dataclass(frozen=True)
class Hostile:
    kind: str
    service: str
    method: str
    path: str
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


GZIP_BOMB = gzip.compress(b"[" * 5_000_000)


def deep(levels: int, opener: str = "[", closer: str = "]") -> bytes:
    return (opener * levels + closer * levels).encode()


def deep_object(levels: int) -> bytes:
    return ('{"a":' * levels + "1" + "}" * levels).encode()


def _text(rng: random.Random, n: int) -> str:
    alphabet = string.ascii_letters + string.digits + "-_.~%/\\\"'{}[]:; \t\u00e9\u0161\u4e2d\U0001f600\x00"
    return "".join(rng.choice(alphabet) for _ in range(n))


def _bodies(rng: random.Random, order_id: str) -> list[tuple[str, bytes, str]]:
    """(kind, body, content type) — each invalid as a delivery."""
    doorbell = {"data": {"orderId": order_id}}
    return [
        ("not json", b"\x00\xff{{not json", "application/json"),
        ("truncated json", json.dumps(doorbell).encode()[:-3], "application/json"),
        ("trailing garbage", json.dumps(doorbell).encode() + b"}}}", "application/json"),
        ("empty", b"", "application/json"),
        ("whitespace", b" \n\t ", "application/json"),
        ("scalar", b"42", "application/json"),
        ("string", b'"hello"', "application/json"),
        ("array", b"[1,2,3]", "application/json"),
        ("null", b"null", "application/json"),
        ("NaN and Infinity", b'{"data": {"orderId": NaN, "number": Infinity}}', "application/json"),
        (
            "huge number",
            b'{"data": {"orderId": 1e999999, "number": 123456789012345678901234567890}}',
            "application/json",
        ),
        ("deep array 1000", deep(1000), "application/json"),
        ("deep object 1000", deep_object(1000), "application/json"),
        ("deep array 100000", deep(100_000), "application/json"),
        ("duplicate keys", b'{"data": {"orderId": "a", "orderId": "b"}, "data": 1}', "application/json"),
        ("BOM", b"\xef\xbb\xbf" + json.dumps(doorbell).encode(), "application/json"),
        ("UTF-16", json.dumps(doorbell).encode("utf-16"), "application/json; charset=utf-16"),
        ("latin-1 bytes", '{"data": {"orderId": "caf\u00e9"}}'.encode("latin-1"), "application/json"),
        ("invalid UTF-8", b'{"data": {"orderId": "\xc3\x28\xa0\xa1"}}', "application/json"),
        ("null bytes", b'{"data": {"orderId": "\x00\x00"}}', "application/json"),
        ("lone surrogate", b'{"data": {"orderId": "\\ud800"}}', "application/json"),
        (
            "wrong shapes",
            json.dumps({"data": {"orderId": {"$gt": ""}, "number": ["1"]}}).encode(),
            "application/json",
        ),
        ("random unicode", json.dumps({"data": {"orderId": _text(rng, 50)}}).encode(), "application/json"),
        (
            "over the size limit",
            json.dumps({"data": {"orderId": order_id, "pad": "x" * 300_000}}).encode(),
            "application/json",
        ),
        ("far over the size limit", b"[" + b"0," * 2_000_000 + b"0]", "application/json"),
        ("text/plain", json.dumps(doorbell).encode(), "text/plain"),
        ("no content type", json.dumps(doorbell).encode(), ""),
        ("xml", b"<order id='1'/>", "application/xml"),
        ("form, broken", b"a=%%%&&=b", "application/x-www-form-urlencoded"),
        ("form, deep json field", b"data=" + deep(1000), "application/x-www-form-urlencoded"),
        ("form, deep object field", b"data=" + deep_object(1000), "application/x-www-form-urlencoded"),
        (
            "deep JSON as text in a field",
            json.dumps({"data": deep(1000).decode()}).encode(),
            "application/json",
        ),
        ("form, unknown order", b"data=%7B%22orderId%22%3A%22x%22%7D", "application/x-www-form-urlencoded"),
        (
            "multipart",
            b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b--",
            "multipart/form-data; boundary=b",
        ),
        ("odd charset", json.dumps(doorbell).encode(), "application/json; charset=klingon"),
        (
            "random bytes",
            bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4000))),
            "application/json",
        ),
    ]


UNKNOWN_ORDER = "0badc0de-0000-4000-8000-000000000000"
"""An order id of the right shape that no shop knows (asked of the shop: 422)."""
NOT_AN_ORDER = "not-an-order"
"""No order id at all (refused before the shop is asked)."""


def generate(seed: int, count: int, targets: list[Target], real_orders: dict[str, str]) -> Iterator[Hostile]:
    """`count` hostile requests, deterministic for a seed, spread over the targets; `real_orders`
    (platform -> an order the shop has, not delivered yet) ride on the requests with a wrong token."""
    rng = random.Random(seed)
    made = 0
    while made < count:
        for target in targets:
            if made >= count:
                return
            if target.platform == "metakocka":
                batch = _erp_round(rng, target)
            else:
                batch = _shop_round(rng, target, real_orders.get(target.platform, UNKNOWN_ORDER))
            for request in batch:
                yield request
                made += 1
                if made >= count:
                    return


def _doorbell(order_id: str) -> bytes:
    """A doorbell both connectors read (Wix: data.orderId; Shopamine: order_id)."""
    return json.dumps({"data": {"orderId": order_id}, "order_id": order_id}).encode()


def _erp_round(rng: random.Random, t: Target) -> Iterator[Hostile]:
    """MetaKocka's signed stock webhook: unknown tenants, missing or odd signatures, bad bodies."""
    own = f"/webhooks/metakocka/{t.connection_id}"
    body = json.dumps({"stock_list": [{"code": "SKU-1", "amount": "5", "warehouse_id": "100"}]}).encode()
    odd_text = "".join(rng.choice("\u00e4\u00f6\u00fc\u20ac\u00df\u00ff\u00bf\u4e2d") for _ in range(40))
    signatures = ["", "AAAA", "\u00e9t\u00e9", "=" * 100, odd_text]  # sendable: no CR, LF or NUL
    yield Hostile(
        "unknown tenant", t.service, "POST", f"/webhooks/metakocka/nobody-{rng.randrange(10**9)}", body
    )
    for signature in signatures:
        headers = {"Content-Type": "application/json", "X-MetaKocka-Signature": signature}
        yield Hostile("odd signature", t.service, "POST", own, body, headers)
    for kind, content, content_type in _bodies(rng, NOT_AN_ORDER):
        yield Hostile(
            f"stock webhook: {kind}", t.service, "POST", own, content, {"Content-Type": content_type}
        )
    for method in ("GET", "PUT", "DELETE"):
        yield Hostile(f"stock webhook: method {method}", t.service, method, own, body)


def _shop_round(rng: random.Random, t: Target, real_order: str) -> Iterator[Hostile]:
    own = f"/webhooks/{t.platform}/{t.connection_id}"
    json_type = {"Content-Type": "application/json"}
    doorbell = _doorbell(real_order)
    wrong_token = "".join(rng.choice(string.ascii_letters + string.digits + "-_") for _ in range(43))
    identity: list[tuple[str, str]] = [
        ("wrong token", f"{own}/{wrong_token}"),
        ("token of one char changed", f"{own}/{t.token[:-1]}{'A' if t.token[-1] != 'A' else 'B'}"),
        ("token upper-cased", f"{own}/{t.token.upper()}"),
        ("empty token", f"{own}/"),
        ("huge token", f"{own}/{'t' * rng.choice([1_000, 8_000])}"),
        ("unknown connection", f"/webhooks/{t.platform}/conn-{rng.randrange(10**9)}/{t.token}"),
        (
            "other platform",
            f"/webhooks/{'shopamine' if t.platform == 'wix' else 'wix'}/{t.connection_id}/{t.token}",
        ),
        ("unknown platform", f"/webhooks/nosuchshop/{t.connection_id}/{t.token}"),
        ("path traversal", f"/webhooks/{t.platform}/..%2F..%2F{t.connection_id}/{t.token}"),
        ("unicode in the path", f"/webhooks/{t.platform}/{t.connection_id}/%F0%9F%98%80{t.token}"),
        ("percent-encoded junk", f"/webhooks/{t.platform}/%00%ff/{'%' * 5}"),
        ("extra segment", f"{own}/{t.token}/extra"),
    ]
    for kind, path in identity:
        yield Hostile(kind, t.service, "POST", path, doorbell, json_type)
    for method in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS"):
        yield Hostile(f"method {method}", t.service, method, f"{own}/{t.token}", doorbell, json_type)
    for kind, body, content_type in _bodies(rng, NOT_AN_ORDER):
        headers = {"Content-Type": content_type} if content_type else {}
        yield Hostile(kind, t.service, "POST", f"{own}/{t.token}", body, headers)
    yield Hostile(
        "order the shop does not know",
        t.service,
        "POST",
        f"{own}/{t.token}",
        _doorbell(UNKNOWN_ORDER),
        json_type,
    )
    unknown = _doorbell(UNKNOWN_ORDER)
    odd: list[tuple[str, dict[str, str], bytes]] = [
        ("gzip claimed, garbage sent", {**json_type, "Content-Encoding": "gzip"}, b"not gzip at all"),
        ("gzip bomb", {**json_type, "Content-Encoding": "gzip"}, GZIP_BOMB),
        ("gzip of a doorbell", {**json_type, "Content-Encoding": "gzip"}, gzip.compress(unknown)),
        ("odd header bytes", {**json_type, "X-Forwarded-For": "\u00ff" * 100}, unknown),
    ]
    for kind, headers, body in odd:
        yield Hostile(kind, t.service, "POST", f"{own}/{t.token}", body, headers)
