"""Every Shopamine fact this connector relies on that the reference (shop-apis.md §2) does NOT verify
— in ONE place. Public documentation stops after the intro and the Items page, so the orders entity,
list parameters, price fields, scopes, errors and webhooks below are our assumptions [I]. The
simulator (storelink_sim_shopamine) implements exactly these; a correction made here must be made
there too (tests/unit/connectors_shopamine/test_sim_mirrors_assumptions.py checks that they agree).
Pin each one against a real store (ask support@shopamine.com for the full v2.1 docs and a test shop).

Verified [V] and used elsewhere without repeating: `Authorization: Bearer <token>`; base URL
`https://api.shopamine.com/<shop-domain>/api/v1`; the generic verbs (GET `<entity>/list` answering
`{"data": [...]}`, POST `<entity>/create`, GET/POST(update)/DELETE `<entity>/<id>`); items by
`id`, `by_external_id/<id>` and `by_sku/<sku>`; the item fields `id`, `external_id`, `sku`, `name`
(localized string, `__` = default language), `type` (`physical` | `variants`), `stock_amount` (int).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

# --------------------------------------------------------------------------- address & transport

API_HOST: Final = "https://api.shopamine.com"
"""[V] The HTTPS gateway; the shop's own domain follows as the first path segment."""

WWW_FOR_BARE_DOMAINS: Final = True
"""[I] The gateway knows a shop by the domain it is published on, and Shopamine shops are published
on `www.` (the only documented example is `/www.example.com/api/v1`). So a bare two-label domain
(`example.si`) is addressed as `www.example.si`; a deeper host (`shop.example.si`) is kept as it is."""

RATE_PER_MINUTE: Final = 300
"""[I] No rate limit is documented. We stay at 5 requests per second per shop and honour 429 +
Retry-After if the gateway sends them."""

# --------------------------------------------------------------------------- lists

LIST_PAGE_PARAM: Final = "page"
LIST_LIMIT_PARAM: Final = "limit"
LIST_PAGE_LIMIT: Final = 100
"""[I] "Common parameters for lists" exist but were unreadable. We assume 1-based `page` and
`limit` (maximum 100). [V] The list answer is an object with a single field `data`
(https://misc.shopamine.com/restapi/, read 2026-12-01), so a page shorter than `limit` ends the
list; a `paging` object `{"page", "limit", "total", "pages"}` is still read if a shop sends one."""

ORDERS_MODIFIED_SINCE_PARAM: Final = "modified_since"
"""[I] Orders list filter: ISO-8601 UTC (the format of the ERP API's `lastModified`), inclusive,
answering oldest `modified` first (ties by `id`). The connector pages by keyset on `modified`
(api.ShopamineApi.list_orders), which needs exactly this order."""

ORDERS_NUMBER_PARAM: Final = "number"
"""[I] Orders list filter by order number. If the shop ignores it, the connector still finds the
order: it scans the orders modified in the last NUMBER_LOOKUP_WINDOW and compares numbers itself."""

NUMBER_LOOKUP_WINDOW: Final = timedelta(days=3)
NUMBER_LOOKUP_MAX_PAGES: Final = 20

ENTITY_MAY_BE_WRAPPED: Final = True
"""[I] Read/create/update are documented to "return the entity"; we accept it bare or wrapped as
`{"data": {...}}`."""

# --------------------------------------------------------------------------- auth & errors

SCOPE_ITEMS: Final = "items"
SCOPE_ORDERS: Final = "orders"
"""[I] "Available scopes" are ticked per data source; we need the items and the orders sources."""

ERROR_CODE_API_DISABLED: Final = "api_not_enabled"
ERROR_CODE_SCOPE: Final = "scope_missing"
ERROR_CODE_UNKNOWN_SHOP: Final = "unknown_shop"
"""[I] Error bodies follow the documented delete answer: `{"status": "failed", "error_msg": "..."}`,
plus an `error_code`. A bad token is 401; a missing scope is 403 `scope_missing`; a shop whose API
access support has not activated yet is 403 `api_not_enabled`; a domain the gateway does not know
is 404 `unknown_shop`; a 404 on an item or order has another (or no) code. The gateway checks in
this order: shop known, API access enabled, token, rate limit, scope."""

API_DISABLED_HINTS: Final = ("not enabled", "not activated", "api_not_enabled", "api access")
"""Words that mark a 403 as "API access not enabled" when the body has no `error_code`."""

# --------------------------------------------------------------------------- items: stock & prices

STOCK_FIELD: Final = "stock_amount"
"""[V] Whole units. [I] A partial update body (`{"stock_amount": 67}`) is accepted."""

PRICE_FIELD_B2C: Final = "price"
PRICE_FIELD_B2B: Final = "price_b2b"
"""[I] Price fields on an item were not seen. We assume the retail (B2C) price is `price` and the
business (B2B) price `price_b2b`, both decimals with 2 places, and that the shop takes the number as
given: whether it is gross or net is the connection's setting (B2C gross, B2B net by default, as
MetaKocka does), so the owner matches it to how the shop's price lists are configured."""

VARIANT_CONTAINER_TYPE: Final = "variants"
"""[V] A `variants` item is a container; [I] its choices are items of their own (`parent_id` set)
with their own sku and stock, so the container itself is never written."""

# --------------------------------------------------------------------------- orders

ORDER_STATUS: Final = {
    "new": "pending",
    "pending": "pending",
    "confirmed": "confirmed",
    "processing": "confirmed",
    "in_progress": "confirmed",
    "shipped": "fulfilled",
    "completed": "fulfilled",
    "delivered": "fulfilled",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "refunded": "refunded",
}
"""[I] Order `status` values and their canonical OrderStatus."""

ORDER_STATUS_NOT_IMPORTED: Final = frozenset({"cart", "draft", "abandoned"})
"""[I] Checkouts that never became orders: not imported (the mapping returns None)."""

PAYMENT_STATUS: Final = {
    "unpaid": "unpaid",
    "not_paid": "unpaid",
    "pending": "pending",
    "authorized": "pending",
    "partially_paid": "partially_paid",
    "paid": "paid",
    "partially_refunded": "partially_refunded",
    "refunded": "refunded",
    "voided": "voided",
    "cancelled": "voided",
}
"""[I] Order `payment_status` values."""

PAYMENT_METHOD: Final = {
    "card": "card",
    "credit_card": "card",
    "paypal": "paypal",
    "bank_transfer": "bank_transfer",
    "upn": "bank_transfer",
    "proforma": "bank_transfer",
    "cod": "cash_on_delivery",
    "cash_on_delivery": "cash_on_delivery",
    "povzetje": "cash_on_delivery",
    "cash": "cash",
}
"""[I] Order `payment_method` codes (Slovenian shops: UPN = bank transfer, povzetje = COD)."""

ORDER_FIELDS: Final = """
[I] The order JSON (mirrored by the simulator's `new_order`):
{
  "id": 1234,                          int, the key used by orders/{id}
  "number": "2026-00042",              shown to the buyer
  "created": "2026-11-20T10:00:00Z",   ISO-8601 (Z or offset)
  "modified": "2026-11-20T10:05:00Z",  bumped on every change; the modified_since filter uses it
  "status": "new",                     see ORDER_STATUS
  "payment_status": "paid",            see PAYMENT_STATUS
  "payment_method": "card",            see PAYMENT_METHOD
  "paid_at": null | ISO-8601,
  "currency": "EUR",
  "prices_include_tax": true,          line, shipping and fee prices are gross when true
  "customer": {"type": "person" | "company", "first_name", "last_name", "company", "vat_id",
               "email", "phone"},
  "billing_address":  {"name", "company", "street", "street2", "city", "postal_code", "region",
                       "country": "SI"},
  "shipping_address": same shape, or null = same as billing,
  "items": [{"id", "item_id", "variant_id", "sku", "name" (string or localized string),
             "quantity", "price" (per unit), "tax_rate" (percent, 22 = 22 %),
             "discount" (line total)}],
  "shipping": {"name", "price", "tax_rate", "discount"} | null,
  "fees": [{"name", "price", "tax_rate"}],
  "discounts": [{"name", "code", "amount"}],  order-level coupons not spread over the lines
  "totals": {"subtotal", "shipping", "discount", "tax", "total"},
  "note": "..."
}
Numbers may be JSON numbers or strings; they are read as Decimal, never through a float.
"""

TAX_RATE_IS_PERCENT: Final = True
"""[I] `tax_rate` is a percentage (22); a value of 1 or less is read as a fraction (0.22)."""

# --------------------------------------------------------------------------- webhooks

WEBHOOK_ORDER_ID_KEYS: Final = ("order_id", "orderId", "id")
WEBHOOK_ORDER_NUMBER_KEYS: Final = ("order_number", "orderNumber", "number")
WEBHOOK_NESTING_KEYS: Final = ("data", "order", "object")
"""[I] Shopamine webhooks are not documented. The ingress accepts any JSON object that names an
order by id or number (at the top or nested under `data` / `order` / `object`), e.g.
`{"event": "order.updated", "order_id": 1234}`. It is a doorbell: the order itself is always
fetched through the API, never taken from the body."""
