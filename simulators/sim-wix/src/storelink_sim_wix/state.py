"""The simulated Wix world: accounts and keys, sites with a catalog (V1 or V3), inventory, eCom
orders, plus the test switches (rate limit, injected failures and delays) and call counters."""

from __future__ import annotations

import bisect
import itertools
import time
import uuid
from collections import Counter, UserDict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any


class OrderBook(UserDict[str, dict[str, Any]]):
    """A site's orders by id, and the same orders in (updatedDate, id) order, the order the
    connectors' incremental search asks for: a search reads from where its bound starts instead of
    filtering every order the site ever had (issue 13: a simulator stays flat as it fills). Every
    write goes through `self[id] = order` (UserDict routes update/pop/del there too)."""

    def __init__(self) -> None:
        self.by_updated: list[tuple[str, str]] = []
        self._keys: dict[str, tuple[str, str]] = {}
        super().__init__()

    @staticmethod
    def key_of(order_id: str, order: dict[str, Any]) -> tuple[str, str]:
        return (str(order.get("updatedDate")), order_id)

    def __setitem__(self, order_id: str, order: dict[str, Any]) -> None:
        self._unindex(order_id)
        key = self.key_of(order_id, order)
        bisect.insort(self.by_updated, key)
        self._keys[order_id] = key
        self.data[order_id] = order

    def __delitem__(self, order_id: str) -> None:
        del self.data[order_id]
        self._unindex(order_id)

    def _unindex(self, order_id: str) -> None:
        old = self._keys.pop(order_id, None)
        if old is not None:
            del self.by_updated[bisect.bisect_left(self.by_updated, old)]

    def updated_from(self, start: tuple[str, ...]) -> Iterator[dict[str, Any]]:
        """The orders whose (updatedDate, id) is >= `start`, in that order."""
        for i in range(bisect.bisect_left(self.by_updated, start), len(self.by_updated)):
            yield self.data[self.by_updated[i][1]]


V1 = "V1_CATALOG"
V3 = "V3_CATALOG"
NOT_INSTALLED = "STORES_NOT_INSTALLED"
V1_DEFAULT_VARIANT = "00000000-0000-0000-0000-000000000000"


MONEY_MOVED = ("PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED", "FULLY_REFUNDED")


def card_payment(order: dict[str, Any], when: str, method: str = "CreditCard") -> dict[str, Any]:
    """A payment record as List Transactions documents it (tests/corpus/wix/transactions_*.json).

    ASSUMPTION (simulated shop behaviour): an order the shop reports paid has one approved online
    card payment of its total, unless a test recorded other payments first."""
    total = ((order.get("priceSummary") or {}).get("total") or {}).get("amount", "0")
    return {
        "id": new_id(),
        "regularPaymentDetails": {
            "paymentMethod": method,
            "offlinePayment": method in ("offline", "Cash", "InPerson"),
            "status": "APPROVED",
            "providerTransactionId": new_id(),
        },
        "createdDate": when,
        "amount": {"amount": total},
        "refundDisabled": False,
    }


def new_id() -> str:
    return str(uuid.uuid4())


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


@dataclass
class ApiKey:
    key: str
    account_id: str
    permissions: set[str] = field(default_factory=lambda: {"stores", "ecom"})


@dataclass
class V1Product:
    id: str
    name: str
    sku: str
    price: Decimal
    managed: bool = False
    # variant id → {"sku", "price", "choices"}; unmanaged products have the default variant only
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    stock: dict[str, int] = field(default_factory=dict)


@dataclass
class V3Product:
    id: str
    name: str
    revision: int
    variants: list[dict[str, Any]]
    options: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class V3Inventory:
    id: str
    product_id: str
    variant_id: str
    quantity: int
    revision: int = 1
    track: bool = True


@dataclass
class Site:
    site_id: str
    account_id: str
    catalog: str = V3
    orders: OrderBook = field(default_factory=OrderBook)
    payments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Order id → its payments, as List Transactions returns them (the orders carry no method)."""
    v1_products: dict[str, V1Product] = field(default_factory=dict)
    v3_products: dict[str, V3Product] = field(default_factory=dict)
    v3_inventory: dict[str, V3Inventory] = field(default_factory=dict)
    v3_precondition_refused: set[str] = field(default_factory=set)
    """Test switch: inventory items whose bulk update Wix refuses with 428."""
    variants_lost: int = 0

    # ------------------------------------------------------------------ reading state for tests

    def stock_by_sku(self) -> dict[str, int]:
        if self.catalog == V1:
            out = {}
            for p in self.v1_products.values():
                for vid, v in p.variants.items():
                    out[v["sku"]] = p.stock.get(vid, 0)
            return out
        skus = {v["id"]: v.get("sku") for p in self.v3_products.values() for v in p.variants}
        return {
            str(skus[i.variant_id]): i.quantity for i in self.v3_inventory.values() if i.variant_id in skus
        }

    def price_by_sku(self) -> dict[str, Decimal]:
        if self.catalog == V1:
            out = {}
            for p in self.v1_products.values():
                for v in p.variants.values():
                    out[v["sku"]] = v["price"] if p.managed else p.price
            return out
        return {
            v["sku"]: Decimal(str(v["price"]["actualPrice"]["amount"]))
            for p in self.v3_products.values()
            for v in p.variants
        }


@dataclass
class Faults:
    fail_next: int = 0
    fail_status: int = 503
    fail_every: int = 0
    limit_every: int = 0
    """When > 0, every n-th call (own count) is refused as rate limited: 429 without Retry-After,
    which Wix does not document (shared/reference/shop-apis.md, rate limits)."""
    delay_next: int = 0
    delay_seconds: float = 0.0
    paths: tuple[str, ...] = ()
    cycle: list[dict[str, Any]] = field(default_factory=list)
    """With `fail_every`: the n-th failure answers as `cycle[n % len]`, e.g. {"status": 429,
    "retry_after": 1}, {"status": 503}, {"status": 504, "delay": 3} (a timeout: the answer comes after
    the client gave up, and nothing was changed)."""

    def applies(self, path: str) -> bool:
        return not self.paths or any(path.startswith(p) for p in self.paths)


class WixSim:
    def __init__(
        self, *, rate_limit: int = 200, window_seconds: float = 60.0, send_retry_after: bool = True
    ) -> None:
        self.keys: dict[str, ApiKey] = {}
        self.sites: dict[str, Site] = {}
        self.rate_limit = rate_limit
        self.window_seconds = window_seconds
        self.send_retry_after = send_retry_after
        self.faults = Faults()
        self.calls: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self._hits: dict[str, deque[float]] = {}
        self._seq = itertools.count(1)
        self._clock_base = datetime.now(UTC)
        self._last_time = self._clock_base

    # ------------------------------------------------------------------ setup helpers

    def add_key(self, account_id: str, permissions: set[str] | None = None, key: str | None = None) -> str:
        key = key or f"IST.{uuid.uuid4().hex}{uuid.uuid4().hex}"
        self.keys[key] = ApiKey(
            key, account_id, permissions if permissions is not None else {"stores", "ecom"}
        )
        return key

    def add_site(self, account_id: str, catalog: str = V3, site_id: str | None = None) -> Site:
        site = Site(site_id or new_id(), account_id, catalog)
        self.sites[site.site_id] = site
        return site

    def now(self) -> datetime:
        """Strictly increasing timestamps (ms), so updatedDate orders changes as Wix would."""
        now = max(datetime.now(UTC), self._last_time + timedelta(milliseconds=1))
        now = now.replace(microsecond=(now.microsecond // 1000) * 1000)
        if now <= self._last_time:
            now = self._last_time + timedelta(milliseconds=1)
        self._last_time = now
        return now

    def reset_counters(self) -> None:
        self.calls.clear()
        self.statuses.clear()

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def writes(self) -> int:
        return sum(
            n for route, n in self.calls.items() if route.split(" ")[0] in ("PATCH", "PUT") or "bulk" in route
        )

    # ------------------------------------------------------------------ orders

    def put_order(self, site: Site, order: dict[str, Any]) -> dict[str, Any]:
        """Create or replace an order as the shop would: stamps updatedDate (and createdDate)."""
        now = iso(self.now())
        order = dict(order)
        order.setdefault("id", new_id())
        old = site.orders.get(order["id"])
        order["createdDate"] = old["createdDate"] if old else order.get("createdDate") or now
        order["updatedDate"] = now
        if "number" not in order:
            order["number"] = str(10000 + next(self._seq))
        site.orders[order["id"]] = order
        if order.get("paymentStatus") in MONEY_MOVED and not site.payments.get(order["id"]):
            site.payments[order["id"]] = [card_payment(order, now)]
        return order

    def touch_order(self, site: Site, order_id: str) -> None:
        """A change that leaves the order's content alone (Wix bumps updatedDate anyway)."""
        order = site.orders[order_id]
        order["updatedDate"] = iso(self.now())
        site.orders[order_id] = order  # re-indexed by its new updatedDate

    # ------------------------------------------------------------------ rate limiting

    def rate_check(self, site_id: str) -> float | None:
        """None when allowed; else seconds until a call would be allowed."""
        now = time.monotonic()
        hits = self._hits.setdefault(site_id, deque())
        while hits and now - hits[0] >= self.window_seconds:
            hits.popleft()
        if len(hits) >= self.rate_limit:
            return max(0.001, self.window_seconds - (now - hits[0])) if hits else self.window_seconds
        hits.append(now)
        return None
