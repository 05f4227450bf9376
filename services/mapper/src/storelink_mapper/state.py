"""The mapper's only memory: in-process, rebuilt from Kafka, never needed for correctness.

- `Recency`: the newest `updated_at` seen per order key, so a snapshot older than one already mapped
  is skipped (it could at most repeat documents, see decide.py, but it could also re-open a resolved
  needs-attention item). Bounded; an evicted or forgotten key only means an old snapshot is mapped
  again, which idempotency keys make harmless.
- `Waiting`: orders that could not be mapped (unknown connection, data problems), newest snapshot
  per order, grouped by connection, so new settings re-map them at once. Lost on restart: their
  needs-attention events stay on the attention topic, and the next snapshot of each order (or a
  replay of the orders topic) maps them again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime

from storelink_contracts import Envelope, OrderReceived


class Recency:
    def __init__(self, capacity: int = 200_000) -> None:
        self.capacity = capacity
        self._newest: OrderedDict[str, datetime] = OrderedDict()

    def newest(self, key: str) -> datetime | None:
        return self._newest.get(key)

    def is_stale(self, key: str, updated_at: datetime) -> bool:
        """True when a strictly newer snapshot of this order was already mapped."""
        seen = self._newest.get(key)
        return seen is not None and updated_at < seen

    def record(self, key: str, updated_at: datetime) -> None:
        seen = self._newest.get(key)
        if seen is None or updated_at > seen:
            self._newest[key] = updated_at
        self._newest.move_to_end(key)
        while len(self._newest) > self.capacity:
            self._newest.popitem(last=False)

    def record_all(self, items: Iterable[tuple[str, datetime]]) -> None:
        for key, at in items:
            self.record(key, at)

    def __len__(self) -> int:
        return len(self._newest)


Parked = tuple[Envelope | None, OrderReceived]


class Waiting:
    def __init__(self, per_connection: int = 10_000) -> None:
        self.per_connection = per_connection
        self._by_connection: dict[str, OrderedDict[str, Parked]] = {}

    def park(self, envelope: Envelope | None, order: OrderReceived) -> None:
        orders = self._by_connection.setdefault(order.connection_id, OrderedDict())
        key = order.message_key()
        current = orders.get(key)
        if current is None or current[1].updated_at <= order.updated_at:
            orders[key] = (envelope, order)
            orders.move_to_end(key)
        while len(orders) > self.per_connection:
            orders.popitem(last=False)

    def release(self, order: OrderReceived) -> None:
        """The order mapped fine from a newer snapshot: it waits no more."""
        orders = self._by_connection.get(order.connection_id)
        if orders is not None:
            current = orders.get(order.message_key())
            if current is not None and current[1].updated_at <= order.updated_at:
                del orders[order.message_key()]

    def is_waiting(self, order: OrderReceived) -> bool:
        orders = self._by_connection.get(order.connection_id)
        return orders is not None and order.message_key() in orders

    def of(self, connection_id: str) -> list[Parked]:
        return list(self._by_connection.get(connection_id, {}).values())

    def drop(self, connection_id: str) -> int:
        return len(self._by_connection.pop(connection_id, {}))

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_connection.values())
