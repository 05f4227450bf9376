"""Every Wix fact this connector relies on that the reference marks as inference [I] or third-party
[T] — in ONE place. The simulator (storelink_sim_wix) implements exactly these, so a correction
here is a correction in both. Verify against a live site before trusting them blindly.

Verified facts used elsewhere (not repeated here): `Authorization: <key>` without Bearer plus
`wix-site-id`; base https://www.wixapis.com; POST /ecom/v1/orders/search with INITIALIZED orders
hidden; GET /ecom/v1/orders/{id}; GET /stores/v3/provision/version; the Catalog V1/V3 stock and
price endpoints; V3 revisions; 200 requests per minute.
"""

from __future__ import annotations

API_BASE_URL = "https://www.wixapis.com"

RATE_PER_MINUTE = 200
"""[I] The documented 200/min budget is per app instance; we assume the same per site for API keys."""

SEARCH_PAGE_LIMIT = 100
"""[V] Search Orders default and maximum `cursorPaging.limit`."""

SEARCH_NEXT_CURSOR = ("metadata", "cursors", "next")
"""[I] Where Search Orders puts the next cursor (`metadata.cursors.next`, with `metadata.hasNext`).
Follow-up pages send only `cursorPaging.cursor` — the cursor encodes filter and sort [V]."""

V3_NEXT_CURSOR = ("pagingMetadata", "cursors", "next")
"""[I] Where V3 query endpoints (products, inventory items) put the next cursor."""

BULK_MAX = 100
"""[V] bulk product update/adjust take up to 100 products; [I] the same cap is assumed for
POST /stores/v3/bulk/inventory-items/update (no documented maximum)."""

TAX_RATE_IS_FRACTION = True
"""[I] eCom `taxDetails.taxRate` is a decimal fraction ("0.22" = 22 %). A value above 1 is taken
as a percentage already, so either reading gives the right rate."""

SHIPPING_DESTINATION_PATHS = (
    ("shippingInfo", "logistics", "shippingDestination"),
    ("shippingInfo", "shippingDestination"),
)
"""[I] The recipient: `shippingInfo.logistics.shippingDestination` in eCom; Automations payloads
use `shippingInfo.shippingDestination`. Both are looked at, in this order."""

WRONG_SITE_STATUS = 404
"""[I] A site id the key's account does not own: we assume 404 (or a 403 whose body mentions the
site). A 403 otherwise means the key lacks the Wix Stores / eCommerce permission."""

AUTOMATION_ORDER_KEYS = ("orderId", "order_id", "id", "entityId")
AUTOMATION_NUMBER_KEYS = ("orderNumber", "order_number", "number")
"""[T] Keys an Automations "All keys and values" body uses for the order (S10: `orderNumber`; an id
under `orderId`/`id` is seen in some payloads). The body is `{"data": {...}}`, sometimes with the
order nested under `data.order`."""

V1_DEFAULT_VARIANT = "00000000-0000-0000-0000-000000000000"
"""[V] The single variant of a V1 product without managed variants."""
