"""The kit's pusher, told which price list a price belongs to.

Shopamine keeps B2C and B2B prices in different item fields, so a price write must know the kind of
its price list. The kit's PriceUpdate carries only amount, basis and currency; the push state kind
is `price:<list name>`, and the connection's PriceListSetting gives the kind. This subclass adds
exactly that (ListPriceUpdate) and nothing else. It goes away once the kit's PriceUpdate carries
the price list (listed in the report for the kit).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from storelink_connector_kit.platform import CatalogItem, PushOutcome, ShopApi
from storelink_connector_kit.push import PRICE_PREFIX, SyncPusher
from storelink_connector_kit.runtime import Connector
from storelink_connector_kit.store import Wanted
from storelink_connector_shopamine.api import ListPriceUpdate, ShopamineApi


class ShopaminePusher(SyncPusher):
    async def _write(
        self, api: ShopApi, kind: str, wanted: Sequence[Wanted], items: dict[str, CatalogItem]
    ) -> PushOutcome:
        if not wanted or not kind.startswith(PRICE_PREFIX) or not isinstance(api, ShopamineApi):
            return await super()._write(api, kind, wanted, items)
        name = kind[len(PRICE_PREFIX) :]
        connection = self.connections.registry.get(api.connection_id)
        setting = next((s for s in (connection.price_lists if connection else []) if s.name == name), None)
        if setting is None:
            reason = f"price list {name} is no longer set on this connection"
            return PushOutcome(failed={w.sku: reason for w in wanted})
        updates = []
        for w in wanted:
            basis, _, currency = w.meta.partition(":")
            updates.append(
                ListPriceUpdate(
                    w.sku, Decimal(w.value), basis == "gross", currency, items[w.sku], setting.kind, name
                )
            )
        return await api.set_prices(updates)


def use_shopamine_pusher(connector: Connector) -> Connector:
    """Swap the kit's pusher for the price-list-aware one (before the connector starts)."""
    old = connector.pusher
    connector.pusher = ShopaminePusher(
        old.connections,
        old.store,
        old.catalog,
        debounce_seconds=old.debounce_seconds,
        retry_seconds=old.retry_seconds,
    )
    return connector
