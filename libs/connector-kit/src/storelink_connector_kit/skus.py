"""sku → shop item mapping, built from the shop's catalog and refreshed.

Refreshed when it is older than `max_age`, when a write says the catalog moved (a product deleted,
a revision changed), and — at most every `unknown_refresh` — when a sku is not in it, so a product
just created in the shop is picked up without hammering the API for a sku that will never exist.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from storelink_connector_kit.platform import CatalogItem, ShopApi


@dataclass(slots=True)
class _Entry:
    items: dict[str, CatalogItem]
    loaded_at: float
    duplicates: list[str] = field(default_factory=list)


class SkuCatalog:
    def __init__(
        self,
        *,
        max_age: float = 3600.0,
        unknown_refresh: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_age = max_age
        self.unknown_refresh = unknown_refresh
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        self.loads = 0

    async def items(
        self, connection_id: str, api: ShopApi, *, wanted: set[str] | None = None
    ) -> dict[str, CatalogItem]:
        entry = self._entries.get(connection_id)
        age = self.clock() - entry.loaded_at if entry else None
        stale = entry is None or (age is not None and age > self.max_age)
        if not stale and wanted and entry is not None and age is not None:
            stale = bool(wanted - entry.items.keys()) and age > self.unknown_refresh
        if stale:
            entry = await self._load(connection_id, api)
        assert entry is not None
        return entry.items

    def invalidate(self, connection_id: str) -> None:
        self._entries.pop(connection_id, None)

    def update(self, connection_id: str, item: CatalogItem) -> None:
        """Keep a written item's new ref (a V3 revision, say) without reloading everything."""
        entry = self._entries.get(connection_id)
        if entry is not None:
            entry.items[item.sku] = item

    def duplicates(self, connection_id: str) -> list[str]:
        entry = self._entries.get(connection_id)
        return list(entry.duplicates) if entry else []

    async def _load(self, connection_id: str, api: ShopApi) -> _Entry:
        items: dict[str, CatalogItem] = {}
        duplicates: list[str] = []
        for item in await api.load_catalog():
            sku = item.sku.strip()
            if not sku:
                continue
            if sku in items:
                duplicates.append(sku)
                continue
            items[sku] = item
        self.loads += 1
        entry = _Entry(items, self.clock(), duplicates)
        self._entries[connection_id] = entry
        return entry
