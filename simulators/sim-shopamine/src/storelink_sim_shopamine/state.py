"""The simulator's world: shops, their tokens and scopes, items, orders, injected faults and a log of
every call. Plain Python so tests can arrange and inspect it directly while the HTTP app serves it.

What the real API does that is not documented is mirrored from the connector's assumptions module
(storelink_connector_shopamine.assumptions); the simulator does not import it, so the two can be
compared by a test instead of agreeing by construction.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

ALL_SCOPES = frozenset({"items", "orders"})


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "+"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class SimError(Exception):
    """An answer the API gives instead of data: HTTP status, error_code, error_msg."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


@dataclass(slots=True)
class Fault:
    """Answer the next `times` matching calls with `status` (0 = answer normally) after `delay`."""

    status: int
    times: int = 1
    path_contains: str = ""
    method: str = ""
    retry_after: float | None = None
    delay: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return (not self.method or self.method.upper() == method) and self.path_contains in path


@dataclass(frozen=True, slots=True)
class Call:
    shop: str
    method: str
    route: str
    status: int
    path: str


@dataclass(slots=True)
class Shop:
    domain: str
    tokens: dict[str, frozenset[str]] = field(default_factory=dict)
    api_enabled: bool = True
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    rate_limit: tuple[int, float] | None = None
    """(requests, per seconds): beyond it the gateway answers 429 with Retry-After."""
    _recent: deque[float] = field(default_factory=deque)
    _next_item: int = 1
    _next_order: int = 1000
    _last_modified: datetime = field(default_factory=lambda: datetime(2000, 1, 1, tzinfo=UTC))

    # ------------------------------------------------------------------ clock

    def stamp(self) -> str:
        """A `modified` value strictly newer than every earlier one of this shop."""
        now = datetime.now(UTC)
        if now <= self._last_modified:
            now = self._last_modified + timedelta(microseconds=1)
        self._last_modified = now
        return iso(now)

    # ------------------------------------------------------------------ items

    def add_item(
        self,
        sku: str | None,
        *,
        name: str | dict[str, str] | None = None,
        external_id: str | None = None,
        stock_amount: int = 0,
        price: str | None = None,
        price_b2b: str | None = None,
        type: str = "physical",
        parent_id: int | None = None,
    ) -> dict[str, Any]:
        if sku is not None and self.item_by_sku(sku) is not None:
            raise ValueError(f"sku {sku} exists")
        item_id = self._next_item
        self._next_item += 1
        item: dict[str, Any] = {
            "id": item_id,
            "external_id": external_id,
            "sku": sku,
            "name": name if isinstance(name, dict) else {"__": name or f"Item {sku or item_id}"},
            "type": type,
            "parent_id": parent_id,
            "stock_amount": stock_amount,
            "avail_in_days": 14,
            "tax_class_id": 1,
            "price": price,
            "price_b2b": price_b2b,
            "modified": self.stamp(),
        }
        self.items[item_id] = item
        return item

    def item_by_sku(self, sku: str) -> dict[str, Any] | None:
        return next((i for i in self.items.values() if i.get("sku") == sku), None)

    def item_by_external_id(self, external_id: str) -> dict[str, Any] | None:
        return next((i for i in self.items.values() if i.get("external_id") == external_id), None)

    def stock_of(self, sku: str) -> int:
        item = self.item_by_sku(sku)
        if item is None:
            raise KeyError(sku)
        return int(item["stock_amount"])

    def update_item(self, item: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        """POST update: a partial body is merged; ids are immutable; sku stays unique."""
        if "id" in body and body["id"] != item["id"]:
            raise SimError(400, "invalid", "id cannot be changed")
        if "external_id" in body and body["external_id"] != item["external_id"] and item["external_id"]:
            raise SimError(400, "invalid", "external_id is immutable")
        changes: dict[str, Any] = {}
        for key, value in body.items():
            if key in ("id", "modified"):
                continue
            if key == "stock_amount":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise SimError(400, "invalid", "stock_amount must be an integer")
            elif key in ("price", "price_b2b"):
                changes[key] = _price(key, value)
                continue
            elif key == "sku" and value is not None:
                other = self.item_by_sku(str(value))
                if other is not None and other["id"] != item["id"]:
                    raise SimError(409, "duplicate", f"sku {value} is used by item {other['id']}")
            changes[key] = value
        item.update(changes)
        item["modified"] = self.stamp()
        return item

    # ------------------------------------------------------------------ orders

    def add_order(self, order: dict[str, Any]) -> dict[str, Any]:
        order = copy.deepcopy(order)
        if "id" not in order or order["id"] is None:
            order["id"] = self._next_order
        self._next_order = max(self._next_order, int(order["id"])) + 1
        order.setdefault("number", f"2026-{order['id']:05d}")
        stamp = self.stamp()
        order.setdefault("created", stamp)
        order["modified"] = stamp
        self.orders[int(order["id"])] = order
        return order

    def update_order(self, order_id: int, **changes: Any) -> dict[str, Any]:
        order = self.orders[order_id]
        order.update(copy.deepcopy(changes))
        order["modified"] = self.stamp()
        return order

    def orders_since(self, since: datetime | None) -> list[dict[str, Any]]:
        chosen = [o for o in self.orders.values() if since is None or parse_iso(o["modified"]) >= since]
        return sorted(chosen, key=lambda o: (parse_iso(o["modified"]), int(o["id"])))

    # ------------------------------------------------------------------ rate limit

    def admit(self) -> float | None:
        """None when the call may proceed, else the seconds to wait (for Retry-After)."""
        if self.rate_limit is None:
            return None
        limit, window = self.rate_limit
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= window:
            self._recent.popleft()
        if len(self._recent) >= limit:
            oldest = self._recent[0] if self._recent else now
            return max(0.001, window - (now - oldest))
        self._recent.append(now)
        return None


def _price(key: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (bool, float)):
        raise SimError(400, "invalid", f"{key} must be a decimal number")
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        raise SimError(400, "invalid", f"{key} must be a decimal number") from None
    if not amount.is_finite() or amount < 0:
        raise SimError(400, "invalid", f"{key} must be zero or more")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise SimError(400, "invalid", f"{key} has more than 2 decimal places")
    return format(amount.quantize(Decimal("0.01")), "f")


class Sim:
    """All shops behind one gateway, the injected faults and the call log (thread-safe enough for
    a server thread plus a test: every mutation holds `lock`)."""

    def __init__(self) -> None:
        self.shops: dict[str, Shop] = {}
        self.faults: list[Fault] = []
        self.calls: list[Call] = []
        self.lock = threading.RLock()
        self.latency = 0.0
        """Seconds every API answer waits (a distant shop), on top of any injected delay."""
        self.fail_every = 0
        """When > 0, every n-th API call answers `fail_status` (after the one-off faults)."""
        self.fail_status = 503
        self.limit_every = 0
        """When > 0, every n-th API call (own count) is refused by the rate limiter: 429 + Retry-After."""
        self.retry_after: float | None = 0.05
        self.fail_cycle: list[Fault] = []
        """When set, the n-th every-`fail_every` failure is `fail_cycle[n % len]` instead of
        `fail_status` (mixed 429 with Retry-After, 5xx and slow answers that time a client out)."""
        self._seen = 0
        self._seen_for_limit = 0

    def add_shop(
        self,
        domain: str,
        tokens: dict[str, Iterable[str]] | None = None,
        *,
        api_enabled: bool = True,
    ) -> Shop:
        shop = Shop(
            domain=domain,
            tokens={t: frozenset(s) for t, s in (tokens or {}).items()},
            api_enabled=api_enabled,
        )
        self.shops[domain] = shop
        return shop

    def inject(
        self,
        status: int,
        *,
        times: int = 1,
        path_contains: str = "",
        method: str = "",
        retry_after: float | None = None,
        delay: float = 0.0,
    ) -> Fault:
        fault = Fault(status, times, path_contains, method, retry_after, delay)
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                    return fault
            self._seen += 1
            if self.fail_every > 0 and self._seen % self.fail_every == 0:
                if self.fail_cycle:
                    return self.fail_cycle[(self._seen // self.fail_every - 1) % len(self.fail_cycle)]
                retry_after = self.retry_after if self.fail_status == 429 else None
                return Fault(self.fail_status, 0, retry_after=retry_after)
            if self.limit_every > 0:
                self._seen_for_limit += 1
                if self._seen_for_limit % self.limit_every == 0:
                    return Fault(429, 0, retry_after=self.retry_after)
        return None

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def count(
        self,
        *,
        method: str | None = None,
        route: str | None = None,
        shop: str | None = None,
        status: int | None = None,
    ) -> int:
        with self.lock:
            return sum(
                1
                for c in self.calls
                if (method is None or c.method == method)
                and (route is None or c.route == route)
                and (shop is None or c.shop == shop)
                and (status is None or c.status == status)
            )

    def reset_calls(self) -> None:
        with self.lock:
            self.calls.clear()

    def statuses(self) -> dict[int, int]:
        with self.lock:
            counts: dict[int, int] = {}
            for call in self.calls:
                counts[call.status] = counts.get(call.status, 0) + 1
            return counts
