"""What both Wix catalog versions offer (V1 and V3 differ in every call), and what they share."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

from storelink_connector_kit.errors import ShopError
from storelink_connector_kit.platform import CatalogItem, PriceUpdate, PushOutcome, StockUpdate
from storelink_connector_wix.assumptions import V1_STALE_CODES


class WixCatalog(Protocol):
    """One site's catalog in the version Wix runs it in (`GET /stores/v3/provision/version`)."""

    label: str
    """"V1" or "V3", as Test connection reports it."""

    async def load(self) -> list[CatalogItem]: ...

    async def set_stock(self, updates: Sequence[StockUpdate]) -> PushOutcome: ...

    async def set_prices(self, updates: Sequence[PriceUpdate]) -> PushOutcome: ...

    async def probe(self) -> None:
        """Read one product: raises the ShopError that says why products cannot be read."""
        ...


def dig(data: Any, path: Sequence[str]) -> Any:
    """The value at `path` in nested JSON objects; None where a step is missing or not an object."""
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def quantity(value: Decimal) -> int:
    return max(0, int(value))


def error_text(exc: ShopError) -> str:
    """Wix's own code and description from a documented error body, else the error itself."""
    try:
        error = json.loads(exc.body).get("details", {}).get("applicationError", {})
    except (ValueError, AttributeError):
        error = {}
    if isinstance(error, Mapping) and error.get("code"):
        return f"HTTP {exc.status} {error['code']}: {error.get('description') or ''}".strip()
    return str(exc)


def record_bulk_results(
    data: Mapping[str, Any],
    chunk: Sequence[StockUpdate | PriceUpdate],
    outcome: PushOutcome,
    revisions: dict[str, str],
) -> None:
    results = data.get("results") or []
    for index, u in enumerate(chunk):
        result = results[index] if index < len(results) and isinstance(results[index], Mapping) else {}
        meta = result.get("itemMetadata") or {}
        if meta.get("success") is True:
            outcome.written.append(u.sku)
            item = result.get("item")
            if isinstance(item, Mapping) and item.get("id"):
                revisions[str(item["id"])] = str(item.get("revision"))
        else:
            code = dig(meta, ("error", "code")) or "UNKNOWN"
            outcome.failed[u.sku] = (
                f"Wix refused it: {code} {dig(meta, ('error', 'description')) or ''}".strip()
            )
            if code in V1_STALE_CODES:
                outcome.catalog_stale = True
