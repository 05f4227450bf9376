"""Every MetaKocka behaviour the adapter and the simulator rely on that the vendor does NOT document,
in ONE place (the MetaKocka part of `libs/erp-kit/ERP-ASSUMPTIONS.md` points here).

What IS documented is listed with its source in `docs/vendor-facts.md` (## MetaKocka) and shown by
the examples in `tests/corpus/metakocka/`. The sources, read 2026-12-01:

- MK-API: the public repository `metakocka/metakocka_api_base`, `docs/*.md` and `README.md`
  (commit 50df059);
- MK-OLD: the old Slovenian reference http://dev.metakocka.si/eshop/index.html ("Splošna oblika
  klicev": the `opr_code` table 0-6, `opr_code_app` / `opr_desc_app`);
- MK-HELP: https://metakocka.freshdesk.com/en/support/solutions/articles/3000071708 (sales order
  for a not-integrated shop: `delivery_type` and `method_of_payment` "must be set").

Each constant below is an ASSUMPTION [A]; the text says what we assume, why, and who uses it. Pin
each against a MetaKocka test company (https://devmainsi.metakocka.si) before production.
"""

from __future__ import annotations

from typing import Final

SOURCE_API: Final = "github.com/metakocka/metakocka_api_base docs/ (read 2026-12-01)"
SOURCE_OLD: Final = "http://dev.metakocka.si/eshop/index.html (read 2026-12-01)"
SOURCE_HELP: Final = "metakocka.freshdesk.com article 3000071708 (read 2026-12-01)"

# --------------------------------------------------------------------------- errors

QUOTA_RETRY_AFTER_SECONDS: Final = 30.0
"""[A] MK-OLD documents `opr_code` 5 "Quote exceeds" (too many requests in a period) but its limits
section ("Omejitev števila klicev") gives no waiting time. We wait at least 30 s before the next
attempt; the processor's attempts stay bounded, and when they run out the DocumentFailed is
retryable and keeps MetaKocka's text. (MK-API's import_inventory.md shows a business message under
code 5 too, so the text is always kept in the reason.) Used by `errors.classify`."""

PRIVILEGE_WORDS: Final = ("permission", "privilege", "no access", "access denied", "not authorized")
"""[A] MK-OLD has no code for missing rights of the API user. If MetaKocka refuses a call for rights,
we assume it is an application error (code 6) whose text carries one of these words. The simulator's
`denied_methods` answers exactly so. Used by `errors.classify` and the simulator's `dispatch`."""

DUPLICATE_WORDS: Final = ("already exists", "unique", "duplicate")
"""[A] MK-API README (22.12.2019) says the customer order number of a sales order is unique, not how
the refusal reads. We assume a code 2 or 6 whose text names `buyer_order` and one of these words; the
adapter then adopts the existing order through `get_document` by `buyer_order` (documented)."""

NOT_FOUND_WORDS: Final = ("not found", "cannot find", "does not exist", "ne obstaja")
"""[A] MK-API documents no "not found" answer of get_document; get_proof_of_delivery.md shows
code 6 "Cannot find sales order with buyer order '5662'". We read any of these words as "no such
document" in `client.find_document`; the simulator answers so (code 6)."""

FURS_ERROR_CODES: Final = ("4001", "4002", "4003", "4004")
"""MK-API put_sales_bill_send_to_furs.md lists these error ids, not the field they come in. [A] They
may arrive as `opr_code` or as `opr_code_app` (with `opr_code` 6); `errors.classify` reads both."""

# --------------------------------------------------------------------------- documents

SEND_TO_FURS_ON_PUT_DOCUMENT: Final = True
"""`send_to_furs` is documented only on the old `v1/json/put_sales_bill` (MK-API
put_sales_bill_send_to_furs.md: bill and FURS call are one atomic transaction; the answer carries
`furs_zoi`, `furs_eor`, `furs_qr_code`), so fiscally verified INVOICES are sent there
(`mapping.build_put_sales_bill`, since 2026-12-01; before, they went through put_document). put_sales_bill
documents no credit note, so [A] a credit note of a fiscally verified invoice (which must be verified
too) is `put_document` `sales_bill_credit_note` with the same flag, answered with the same fields.
The simulator verifies only those on put_document and ignores the flag on a put_document bill."""

PUT_SALES_BILL_CURRENCY: Final = "EUR"
"""MK-API's put_sales_bill examples carry no currency field. [A] A put_sales_bill bill is in euro (a
Slovenian company's own currency, the only one FURS verification is about); a fiscal invoice in any
other currency is refused with what a person must do, never sent without its currency."""

PUT_SALES_BILL_SHARED_FIELDS: Final = ("profit_center", "notes")
"""[A] put_sales_bill's documented examples show no cost center and no notes. We send the cost center
as `profit_center` and the invoice's legal note (reverse charge, OSS, export) as `notes`, the
put_document names; the simulator stores them as given."""

FISCAL_CODES_READ_BACK: Final = True
"""MK-API README 21.4.2020: get_document of a bill returns `furs_zoi` and `furs_eor`. When a fiscal
create answer (or a document found by reference after a lost answer) lacks them, the client reads the
bill with get_document; if MetaKocka still has none, the attempt is a retryable failure that says so
- an invoice is never reported as fiscally verified without the codes MetaKocka returned."""

DELIVERY_AND_PAYMENT_ALWAYS_SENT: Final = True
"""MK-API's minimal put_document requests omit `delivery_type` and `method_of_payment` (so the
simulator never demands them); MK-HELP asks shops to set both. We always send both."""

PAYMENT_TYPES_DOCUMENTED: Final = frozenset({"Gotovina", "Transakcijski račun", "PayPal"})
METHODS_OF_PAYMENT_DOCUMENTED: Final = frozenset({"PayPal", "Po povzetju", "on_delivery"})
"""MK-API examples use these `mark_paid.payment_type` and `method_of_payment` values; there is no
enumeration (they are the company's register values). [A] "Kartica" (card) and "Drugo" (other) are
our guesses for the remaining methods; every value can be overridden per company with
`payment_types` in the credentials JSON. Used by `mapping.DEFAULT_PAYMENT_TYPES`."""

DUE_DATE_IS_DOCUMENT_DATE: Final = True
"""MK-API shows `duo_payment` (the due date) in every bill and credit-note example and in the full
sales order. [A] A shop order is paid when ordered or on delivery, so we send the document date."""

SERVICE_CODES_ARE_REGISTER_VALUES: Final = True
"""[A] Shipping, fees, discounts and rounding are service products with the codes `dostava`,
`strosek`, `popust`, `zaokrozitev` (overridable with `service_codes`). MK-API documents negative
coupon lines as services ("how to put discount with value on order")."""

CANCEL_STATUS_KEY: Final = "cancel_status"
"""MK-API change_document_status.md changes a sales order's status by `buyer_order`; the value is the
description column of the company's own status register, so there is no fixed "cancelled" value.
When the credentials carry `cancel_status`, a cancellation of a not-invoiced sales order sets it;
otherwise (and for offers, which have no documented cancel call) the DocumentFailed says what a
person must do in MetaKocka."""

SEARCH_MATCH_FIELDS: Final = ("buyer_order", "title")
"""[A] For documents other than sales orders, `search` with `query` = the shop order number and
`result_type: "doc"` finds them (MK-API search_concept.md: `query` is MetaKocka's search field); only
exact matches on these fields count. Used by `client.find_document`."""

PROFIT_CENTER_FOR_COST_CENTER: Final = True
"""[A] Storelink's cost center goes to `profit_center` (documented field of the sales order)."""

# --------------------------------------------------------------------------- stock and prices

STOCK_FREE_AMOUNT_FIRST: Final = True
"""MK-API warehouse_stock.md: with reservations the rows carry `amount`, `reserved_amount`,
`free_amount`; without, only `amount`. Rows repeat per lot / microlocation. We publish
`free_amount` when present, else `amount`, summed per warehouse and product."""

STOCK_SKU_FIELDS: Final = ("code", "count_code")
"""[A] The shop SKU is the product's `code` (Šifra); a row without `code` (warehouse_stock.md's basic
example has only `count_code`) falls back to `count_code`."""

PRICE_TIER_IS_LOWEST_FROM: Final = True
"""MK-API product_list.md (1.2): a price list may appear several times per product, one entry per
quantity tier (`price_def.amount_to` / `amount_from`), marked `sales_purchase` sales or purchase.
We publish only sales tiers (entries without `sales_purchase` count as sales) and, per price list
and SKU, only the base tier: no `amount_from`, else the lowest one."""

PRICE_DISCOUNT_ROUNDING: Final = "ROUND_HALF_UP to 0.01"
"""MK-API documents `price_def.discount` (percent) next to the price; [A] the shop price is the price
less that discount, rounded half-up to the cent (MetaKocka's own rounding is not documented)."""

WEBHOOK_SECRET_KEY: Final = "webhook_secret"  # noqa: S105 - the name of a setting
"""MK-API webhooks.md: MetaKocka signs with the webhook's `client_secret` (HMAC-SHA1, base64, header
`X-MetaKocka-Signature`). [A] The credentials JSON carries it as `webhook_secret`; the URL is
`/webhooks/metakocka/<tenant_id>`."""

# --------------------------------------------------------------------------- reconciliation

RECONCILE_DOC_TYPES: Final = {
    "sales_offer": "offer",
    "sales_order": "sales_order",
    "sales_bill_domestic": "invoice_domestic",
    "sales_bill_retail": "invoice_domestic",
    "sales_bill_foreign": "invoice_foreign",
    "sales_bill_credit_note": "credit_note",
}
"""The document types the reconciliation reads, each with the Storelink kind it stands for.
MK-API search_examples.md shows the `doc_date_from` / `doc_date_to` window on sales_bill_domestic and
sales_order; [A] it works the same on the other sales documents (search_query_advance_discovery.md
lists the advanced parameters per doc_type and is to be checked against a test company). [A] A
retail bill is reconciled as a domestic invoice. Used by `listing.list_documents`."""

RECONCILE_LINE_AMOUNTS: Final = "amount * (price_with_tax or price * (1 + tax_factor)) * (1 - discount/100)"
"""MK-API search_examples.md documents `sum_all` (the gross total) on a document read by search, which
the reconciliation takes as the ERP's gross. VAT per rate is documented only as `sum_tax_<code>` keyed
by the company's tax codes (e.g. `sum_tax_ex4`), which a document made with `tax_factor` lines does
not name; [A] so the VAT per rate is computed from the document's own `product_list` rows (their
`tax_factor`, `price_with_tax` or `price`, `amount` and `discount` percent, each line to the cent),
and so is the gross when `sum_all` is missing. A row with only a tax code adds to the gross, not to
any rate. Used by `listing.document_of`; the simulator answers `sum_basic` / `sum_all` from the rows."""

RECONCILE_BILL_DATE: Final = "doc_date = bill_date"
"""[A] put_sales_bill takes `bill_date` as `dd.mm.yyyy` (put_sales_bill_examples.md); a bill read back
by search carries `doc_date` (search_examples.md). We assume it is the bill_date, so a fiscally verified
bill falls in the date window of its bill date. The simulator stores it so."""
