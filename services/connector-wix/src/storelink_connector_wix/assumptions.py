"""Every Wix fact the connector and the simulator rely on, in ONE place: each names its documented
source (read 2026-12-01), or is marked ASSUMPTION when the documentation does not say it.

The simulator (storelink_sim_wix) keeps its own copies of the assumed values, each marked with the
name used here; `tests/unit/vendor/wix/test_conformance.py` checks the two agree. Correct a value here
and in the simulator together, and say where the correction came from.

Sources (all read 2026-12-01):
- ORDER: the eCom Order object, https://dev.wix.com/docs/api-reference/business-solutions/e-commerce/
  orders/orders/order-object.md, as published in the eCom order SDK typings (Velo/SDK type
  definitions `interfaces-ecommerce-v1-payment-settings-provider`, `Order`, code corpus) and the REST
  spec `all/all-apis/orders.service.json` (Get Order example) in github:wix-incubator/wix-rest-docs
  @ c0e4ada8.
- SEARCH: https://dev.wix.com/docs/rest/api-reference/wix-e-commerce/orders/search-orders
- TRANSACTIONS: wix-rest-docs `all/guides/orders/docs/example_flows.md` (List Transactions for
  Multiple Orders, request and response example); https://dev.wix.com/docs/api-reference/
  business-solutions/e-commerce/orders/order-transactions/introduction.md; payment method names:
  wix-rest-docs `all/guides/cashier-pay/docs/entities/entities-supported-values.md`.
- CHECKOUT_FIELDS: https://support.wix.com/en/article/customizing-the-checkout-settings (custom
  checkout fields); wix-rest-docs `all/guides/orders/docs/order_conversion.md` (customFields).
- ERRORS: https://dev.wix.com/api/rest/getting-started/errors (status codes incl. 409 and 428;
  `message` + `details.applicationError{code, description, data}`).
- V3_INVENTORY: https://dev.wix.com/docs/rest/business-solutions/stores/catalog-v3/
  inventory-items-v3/bulk-update-inventory-items (POST /stores/v3/bulk/inventory-items/update,
  "428 Failed Precondition: there are 2 errors with this status code").
- V3_PRODUCTS: github:wix/skills @ f02bfb23 `skills/wix-manage/references/stores/
  update-product-with-options.md` and `skills/wix-app/references/STORES_VERSIONING.md`.
- V3_QUERY: https://dev.wix.com/docs/api-reference/business-solutions/stores/skills/query-products;
  github:wix/skills @ f02bfb23 `skills/wix-app/references/stores/QUERY.md`.
- V3_GET_PRODUCT: https://dev.wix.com/docs/rest/business-solutions/stores/catalog-v3/products-v3/
  get-product; github:wix/skills @ f02bfb23 `skills/wix-app/references/stores/GET_PRODUCT.md`.
- V1_CATALOG: wix-rest-docs `all/all-apis/stores-catalog.service.json`,
  `all/all-apis/stores-inventory.service.json` (examples of bulk update, variants, inventory).
- WEBHOOKS: https://dev.wix.com/docs/rest/articles/getting-started/webhook-resend-policy;
  wix-rest-docs `guides/Webhooks.md`.
- RATE: https://dev.wix.com/docs/rest/articles/get-started/rate-limits (200 requests a minute per
  app instance).
"""

from __future__ import annotations

from decimal import Decimal

from storelink_contracts import PaymentMethod, PaymentStatus

API_BASE_URL = "https://www.wixapis.com"
"""[V ORDER, SEARCH] every REST example."""

RATE_PER_MINUTE = 200
"""[V RATE] 200/min per app instance. ASSUMPTION: the same budget per site for API-key traffic."""

SEARCH_PAGE_LIMIT = 100
"""[V SEARCH] Search Orders default and maximum `cursorPaging.limit`."""

SEARCH_NEXT_CURSOR = ("metadata", "cursors", "next")
"""ASSUMPTION: where Search Orders puts the next cursor (`metadata.cursors.next`, with
`metadata.hasNext`). Follow-up pages send only `cursorPaging.cursor` [V: Wix query language]."""

INVALID_PAGING_STATUS = 400
"""ASSUMPTION (simulator): a V1 `paging.offset` that is not a whole number >= 0 is answered 400
INVALID_ARGUMENT with the standard error body [V ERRORS]. The documentation does not say what Wix
answers; the connector never sends such an offset, so only the simulator's own input check rests
on it (a 500, or a slice from the end, would be neither Wix nor useful)."""

V3_NEXT_CURSOR = ("pagingMetadata", "cursors", "next")
"""ASSUMPTION: where V3 query endpoints (products, inventory items) put the next cursor."""

V3_QUERY_PRODUCTS_PATH = "/stores/v3/products/query"
"""[V V3_QUERY] Query Products lists up to 100 products a call WITHOUT their variants ("V3
queryProducts does not return variants"; "Search Products and Query Products responses do not
include variantsInfo.variants"); none of the values `fields` takes is a variant list. The connector
takes only the product ids from it. (Until 2026-12-01 it read variants from this call with
`fields: ["VARIANT_INFO"]`, which is not a documented value.)"""

V3_GET_PRODUCT_PATH = "/stores/v3/products/{id}"
"""[V V3_GET_PRODUCT] `GET /stores/v3/products/{productId}` answers `{product}` with `revision`,
`options` and `variantsInfo.variants[{id, sku, price{actualPrice{amount}}, choices, ...}]` (a
variant's `sku` may be null). The catalog read makes one call per product (through the same rate
limit); a price update re-reads each of its products first ("Re-read the product before every
variant-level update"), so a variant the merchant added meanwhile is sent back, not dropped.
ASSUMPTION (V3_GET_PRODUCT_MISSING): an unknown or deleted product id answers 404 NOT_FOUND with
the standard error body [V ERRORS]; the connector then treats its skus as stale."""

BULK_MAX = 100
"""[V V1_CATALOG] bulk product update/adjust take up to 100 products. ASSUMPTION: the same cap for
POST /stores/v3/bulk/inventory-items/update and /stores/v3/bulk/products/update (no documented max)."""

TRANSACTIONS_MAX_IDS = 100
"""ASSUMPTION: List Transactions For Multiple Orders takes up to 100 order ids (one Search page)."""

TRANSACTIONS_PATH = "/ecom/v1/payments/list-by-ids"
"""[V TRANSACTIONS] POST with `{"orderIds": [...]}`; answers `{"orderTransactions": [{orderId,
payments[{id, amount{amount}, createdDate, regularPaymentDetails{paymentMethod, offlinePayment,
status, ...} | giftcardPaymentDetails{...}}], refunds[...]}]}`."""

ORDER_TRANSACTIONS_KEY = "orderTransactions"
"""Where the connector attaches an order's transactions (the documented `OrderTransactions`
object) to the order JSON it maps. Not a Wix order field: Wix orders carry no payment method [V
ORDER: "To retrieve an order's payment ... details ... pass the order ID to List Transactions"]."""

TAX_RATE_MAX = Decimal(1)
"""[V ORDER] `taxInfo.taxRate` / `taxDetails.taxRate` are decimal fractions ("0.13" = 13 %),
between 0 and 1. A value outside that range is refused (strict about money), not guessed."""

SHIPPING_DESTINATION_PATHS = (
    ("shippingInfo", "logistics", "shippingDestination"),
    ("shippingInfo", "shippingDestination"),
)
"""[V ORDER] `shippingInfo.logistics.shippingDestination{address, contactDetails}`; [T reference
§1.12] Automations payloads use `shippingInfo.shippingDestination`. Both are looked at, in order."""

SHIPPING_RATE_WHEN_MISSING = "highest goods rate"
"""ASSUMPTION: shipping without a tax rate (no `shippingInfo.cost.taxDetails`/`taxInfo`) is taxed at
the highest rate among the goods (the usual EU rule for an ancillary shipping charge)."""

LINE_TOTAL_FIELDS = ("totalPriceAfterTax", "totalPriceBeforeTax")
"""[V ORDER] a line's `totalPriceAfterTax` is "after all discounts and tax" and `totalPriceBeforeTax`
"after discounts, and before tax". The connector takes the line total on the shop's basis from them
(gross when `taxIncludedInPrices`) and the unit price from `priceBeforeDiscounts` (else `price`), so
the line's discount is whatever separates the two - subtracted exactly once, whichever way Wix
spreads a coupon over `price` and `totalDiscount`. Without the totals: unit = `priceBeforeDiscounts`
(else `price`), discount = `totalDiscount` ("for the line's entire quantity")."""

PICKUP_PATH = ("shippingInfo", "logistics", "pickupDetails")
"""[V ORDER] `pickupDetails{address, pickupMethod: STORE_PICKUP | PICKUP_POINT}` is the other arm of
the `logistics` one-of; `recipientInfo` holds the recipient's contact details. The goods go to the
pickup address, so it is the order's shipping address (where the supply takes place for VAT)."""

WRONG_SITE_STATUS = 404
"""ASSUMPTION: a site id the key's account does not own answers 404 (or a 403 whose body mentions
the site). A 403 otherwise means the key lacks the Wix Stores / eCommerce permission [V ERRORS]."""

AUTOMATION_ORDER_KEYS = ("orderId", "order_id", "id", "entityId")
AUTOMATION_NUMBER_KEYS = ("orderNumber", "order_number", "number")
"""[T reference §1.12] Keys an Automations "All keys and values" body uses for the order. The body
is `{"data": {...}}`, sometimes with the order nested under `data.order`."""

V1_DEFAULT_VARIANT = "00000000-0000-0000-0000-000000000000"
"""[V V1_CATALOG] the single variant of a V1 product without managed variants."""

V1_STALE_CODES = frozenset({"PRODUCT_NOT_FOUND", "NOT_FOUND", "ITEM_NOT_FOUND", "REVISION_MISMATCH"})
"""[V V1_CATALOG] bulk results name a missing product `PRODUCT_NOT_FOUND` (example "Partially update
the weight of 2 products"). ASSUMPTION: the other codes for V3 bulk results."""

# --------------------------------------------------------------------------- order states

SKIPPED_ORDER_STATUSES = frozenset({"INITIALIZED", "PENDING", "REJECTED"})
"""Order `status` values that are never imported [V ORDER, SEARCH]:
- INITIALIZED: "created, but not yet approved or canceled"; Search Orders never returns it.
- PENDING: "Order pending" (preview) - not approved yet; imported once it is APPROVED.
- REJECTED: "This happens when pending payments fail" - the order was never approved, so it was
  never imported and there is nothing to cancel: it must never become a sales order.
APPROVED orders are imported ("either an online payment is received or total = 0; offline orders
are approved automatically"); CANCELED orders are imported as cancelled."""

PAYMENT_STATUSES: dict[str, PaymentStatus] = {
    "NOT_PAID": PaymentStatus.UNPAID,
    "PAID": PaymentStatus.PAID,
    "PARTIALLY_PAID": PaymentStatus.PARTIALLY_PAID,
    "PARTIALLY_REFUNDED": PaymentStatus.PARTIALLY_REFUNDED,
    "FULLY_REFUNDED": PaymentStatus.REFUNDED,
    "PENDING": PaymentStatus.PENDING,
    "PENDING_MERCHANT": PaymentStatus.PENDING,
    "DECLINED": PaymentStatus.UNPAID,
    "CANCELED": PaymentStatus.VOIDED,
}
"""[V ORDER] every documented `paymentStatus`, with what it means here:
- PENDING ("payments pending ... two-step payments, manual review") and PENDING_MERCHANT ("payment
  received, but not yet confirmed by the payment provider"): not paid yet - no invoice.
- DECLINED ("one or more payments declined"): not paid - no invoice.
- CANCELED ("one or more payments canceled"): voided - no invoice.
UNSPECIFIED and any value Wix adds later are read as PENDING (not paid): a tolerant reader never
invoices money it cannot confirm."""

MONEY_MOVED = frozenset({"PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED", "FULLY_REFUNDED"})
"""Payment states for which the connector asks Wix for the order's transactions (the payment
method decides fiscal verification of the invoice)."""

# --------------------------------------------------------------------------- payments

APPROVED_PAYMENT_STATUSES = frozenset({"APPROVED", "REFUNDED", "PARTIALLY_REFUNDED"})
"""[V TRANSACTIONS] `regularPaymentDetails.status` "APPROVED" in the documented example.
ASSUMPTION: REFUNDED / PARTIALLY_REFUNDED payments were approved first (money was received)."""

PAYMENT_METHODS: dict[str, PaymentMethod] = {
    "creditcard": PaymentMethod.CARD,
    "pointofsale": PaymentMethod.CARD,
    "cash": PaymentMethod.CASH,
    "inperson": PaymentMethod.CASH,
    "paypal": PaymentMethod.PAYPAL,
    "sepa": PaymentMethod.BANK_TRANSFER,
    "sofort": PaymentMethod.BANK_TRANSFER,
    "ideal": PaymentMethod.BANK_TRANSFER,
    "giropay": PaymentMethod.BANK_TRANSFER,
    "trustly": PaymentMethod.BANK_TRANSFER,
    "przelewy24": PaymentMethod.BANK_TRANSFER,
    "poli": PaymentMethod.BANK_TRANSFER,
    "rapidtransfer": PaymentMethod.BANK_TRANSFER,
    "nordeasolo": PaymentMethod.BANK_TRANSFER,
    "klarna": PaymentMethod.OTHER,
    "alipay": PaymentMethod.OTHER,
    "skrill": PaymentMethod.OTHER,
    "neteller": PaymentMethod.OTHER,
    "paysafecard": PaymentMethod.OTHER,
    "paysafecash": PaymentMethod.OTHER,
    "bitcoin": PaymentMethod.OTHER,
    "bitpay": PaymentMethod.OTHER,
    "mercadopago": PaymentMethod.OTHER,
    "unionpay": PaymentMethod.OTHER,
    "unipay": PaymentMethod.OTHER,
    "fake": PaymentMethod.OTHER,
}
"""`regularPaymentDetails.paymentMethod` (case-insensitive) → our PaymentMethod. The names are the
documented Cashier payment methods [V TRANSACTIONS: entities-supported-values.md]; ASSUMPTION: the
order transactions use the same names. Card and point-of-sale payments are card; cash and in-person
payments are cash (either way cash-like for fiscal verification). "Offline" (a manual payment the
merchant defined: bank transfer? cash on delivery?) and any unlisted name are UNKNOWN on purpose:
the mapper then asks a person instead of silently skipping fiscal verification."""

# --------------------------------------------------------------------------- buyer VAT id

DEFAULT_VAT_ID_FIELD = "VAT ID"
"""The connection setting `buyer_vat_id_field` (Wix credentials): the title of the checkout custom
field in which EU business buyers enter their VAT number [V CHECKOUT_FIELDS: merchants add custom
checkout fields; the order carries them as `customFields[{title, translatedTitle, value}]`]. Default
"VAT ID"; an empty setting reads no VAT id. `billingInfo.contactDetails.vatId` is documented "for
Brazil only" (CPF = individual, CNPJ = corporation) [V ORDER]: only a CNPJ makes the buyer a company.
ASSUMPTION: a custom field's `value` is a string, or `{"stringValue": ...}` as in
order_conversion.md."""

# --------------------------------------------------------------------------- catalog V3 writes

V3_PRECONDITION_STATUS = 428
"""[V ERRORS, V3_INVENTORY] Bulk Update Inventory Items answers whole-request errors with HTTP 428
("preconditions must be met, e.g. a required field wasn't passed"). The two documented 428 errors
are not named in the stored docs. ASSUMPTION (simulator): an item without `revision`, and a
`quantity` for an item that does not track quantity without `trackQuantity: true`, are 428 with the
standard error body. The connector isolates the refused item(s) by splitting the chunk in halves,
so one bad item does not hold back the other 99."""

V3_VARIANTS_NEED_OPTIONS = True
"""[V V3_PRODUCTS] "To update variantsInfo.variants, also pass options, and vice versa"; each
variant is replaced whole, so it is sent back as Wix gave it with only the price changed."""

# --------------------------------------------------------------------------- webhooks

WEBHOOK_DEADLINE_SECONDS = 1.25
"""[V WEBHOOKS] a webhook fails on a timeout of 1250 ms or a non-200 answer."""

WEBHOOK_RESEND_AFTER_SECONDS = (60, 600, 3600, 7200, 7200, 7200, 14400, 14400, 14400, 28800, 28800, 43200)
"""[V WEBHOOKS] up to 12 more attempts after a failure: 1 min, 10 min, 1 h, 2 h ×3, 4 h ×3, 8 h ×2,
12 h - each after the previous failure. Resends can arrive out of order. ASSUMPTION: Automations
"Send via webhook" posts follow the same policy (it is documented for app webhooks)."""
