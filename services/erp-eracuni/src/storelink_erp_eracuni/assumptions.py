"""Every e-računi behaviour we rely on that e-računi's documentation does NOT state: the one place.

Documented facts live in `storelink_erp_eracuni.protocol` (each with its source). What is here is
an ASSUMPTION: some come from third-party code that talks to e-računi ([3p], named), some are our
own reading. The adapter AND the simulator (simulators/sim-eracuni) use these names, so changing an
assumption after a check against a real e-računi test account is a change in this file only.
Listed for people in docs/vendor-facts.md ("e-računi", "Assumed"); this file is the reference.
"""

from __future__ import annotations

from typing import Final

# ER1 ----------------------------------------------------------------------------- the answer envelope
RESPONSE: Final = "response"
STATUS_OK: Final = "ok"
STATUS_ERROR: Final = "error"
"""ER1 [3p WMD-hosting/craft-commerce-eracuni tests/fixtures/invoices/*.json]: JSON answers are
`{"response": {"status": "ok", "result": …}}`; errors `{"response": {"status": "error",
"description": "Error nr: 1 #field - text; ", "apiMethod": …}}`, often with HTTP 500. The wiki shows
only the XML form `<response status="ok">` (WS-ORDER)."""

# ER2 ----------------------------------------------------------------------------- login and rights
LOGIN_FAILED_DESCRIPTION: Final = "Login failed: invalid username or password (md5pass)"
TOKEN_FAILED_DESCRIPTION: Final = "Login failed: invalid token (organization not found)"  # noqa: S105
NO_PRIVILEGE_DESCRIPTION: Final = "User {username} has no privilege for {method}"
"""ER2: the wording of a refused login, token or privilege is not documented; we only rely on it
mentioning "password"/"md5pass"/"login", "token", "privilege"/"permission"."""

# ER3 ----------------------------------------------------------------------------- busy and 429
LOCK_DESCRIPTION: Final = "Another web request is currently being processed. Please try again later."
BUSY_PATTERNS: Final = (
    "another web request is currently being processed",
    "concurrent usage of atomic api operations",
)
"""ER3 [3p WMD src/core/Client.php]: a second call of one API user while one is running is refused
with this text, and e-računi may answer HTTP 429 (+ Retry-After); both did nothing. The documented
limit (4 requests in 4 s, answers delayed: WS-AUTH) is in `protocol`."""

# ER4 ----------------------------------------------------------------------------- numbers
"""ER4: amounts and quantities are JSON numbers as in the documented examples (WS-INVOICE); whether
e-računi also accepts numbers as strings is not documented, so we never send strings and the
simulator refuses them."""

# ER5 ----------------------------------------------------------------------------- finding a document
LIST_DATE_FROM: Final = "dateFrom"
LIST_DATE_TO: Final = "dateTo"
"""ER5: `SalesQuoteList` / `SalesOrderList` / `SalesInvoiceList` take `dateFrom`/`dateTo` and list
documents (under `"<Kind>s"`, or as a plain list) with `documentID`, `number`, `date` and the
`reference` we sent; a document is found by reference within ±1 day of its date."""

# ER6 ----------------------------------------------------------------------------- documents
INVOICE_STATUS_ISSUED: Final = "IssuedInvoice"
TYPE_RETAIL: Final = "Retail"
TYPE_GROSS: Final = "Gross"
"""ER6 [3p WMD InvoiceBuilder.php, fixtures]: `status: "IssuedInvoice"` issues the invoice at create
time; B2C gross documents say `type: "Retail"` (fiscalised) or `"Gross"` and give items a gross
`price`; B2B documents give `netPrice` and no `type` (the documented example: net price + general
VAT rate, WS-INVOICE). Header fields `reference`, `orderReference`, `costPosition`,
`warehouseCode`, `businessUnit`, `cashRegisterCode`, `methodOfPayment`, `documentCurrency`,
`buyerCountry`, `buyerTaxNumber`, `buyerVatRegistration` ("Registered"/"None"), item `productCode`,
`vatPercentage`, `discountPercentage` are [3p] names."""

CREATED_RESULT_KEYS: Final = ("documentID", "number", "date")
"""ER6 [3p WMD b2c-retail-paypal.json]: a create answers `result: {date, documentID, number,
paymentReference}`; `documentID` ("60:254939") identifies the document in later calls."""

# ER7 ----------------------------------------------------------------------------- cancel / invoice an order
DOCUMENT_ID: Final = "documentID"
"""ER7: `SalesOrderCancel` and `SalesOrderCreateInvoice` are documented by name only (WS-ORDER); we
assume both take the order's `documentID` (the identifier WS-ORDER documents for SalesOrderGet:
"no other parameter … is needed"). Cancelling an order again answers ok; cancelling an invoiced
order is an error. `SalesOrderCreateInvoice` also takes the invoice header fields we would send on
SalesInvoiceCreate under `"SalesInvoice"` (status, dates, payment method, fiscal fields), answers like
a create (`documentID`, `number`, `date`), and the invoice keeps the order's items and reference."""

# ER8 ----------------------------------------------------------------------------- fiscal verification
CASH_REGISTER_CODE: Final = "cashRegisterCode"
BUSINESS_UNIT: Final = "businessUnit"
FISCAL_PAYMENT_METHODS: Final = frozenset(
    {"Cash", "Visa", "EurocardMastercard", "Diners", "Amex", "Stripe", "PayPal", "CorvusPay", "KeksPay"}
)
"""ER8 [3p WMD README, InvoiceCreator.php; e-računi.hr values]: an issued invoice with a
`cashRegisterCode` (the electronic device) in a `businessUnit` (the business premises) set up and
activated for fiscal verification (that much is documented, WS-INVOICE), paid by one of these
methods, is fiscally verified by e-računi. This holds for B2B (net price) invoices too; `type:
"Retail"` is only the B2C gross form. The Slovenian method values may differ: a company overrides
them with `payment_methods` in its e-računi settings."""

ZOI: Final = "zoi"
EOR: Final = "eor"
"""ER9: the fiscal codes come back from `SalesInvoiceGet` with `documentID` as `result.SalesInvoice.zoi`
/ `.eor` (the create answer [3p] carries none). The JSON field names are not documented."""

# ER10 ---------------------------------------------------------------------------- stock
STOCK_ROW: Final = "StockQuantityInfo"
STOCK_PRODUCT_CODE: Final = "productCode"
STOCK_WAREHOUSE_CODE: Final = "warehouseCode"
STOCK_QUANTITY: Final = "quantityOnStock"
"""ER10 [3p: an OpenCart e-računi module and a Laravel stock sync, both reading JSON answers]: the
result is a list of `{"StockQuantityInfo": {"productCode", "warehouseCode", "quantityOnStock"}}`
(a lone row may be an object, not a list). WS-WAREHOUSE shows only the XML `<StockQuantityInfo
productCode=… …>`. A repeated `productCode` parameter is a JSON array. A row without the quantity
field is an error, never 0."""

STOCK_CODES_PER_CALL: Final = 500
"""Our choice (not e-računi's): product codes per per-product stock call once an answer reached the
documented 50 000-record cap."""

# ER11 ---------------------------------------------------------------------------- prices
PRODUCT_CODE: Final = "productCode"
PRODUCT_GROSS_PRICE: Final = "retailPrice"
PRODUCT_VAT_RATE: Final = "vatPercentage"
PRODUCT_PRICE_LIST: Final = "e-racuni-product-price"
PRICE_CURRENCY: Final = "EUR"
"""ER11 [3p: the same OpenCart module reads `ProductList` rows `{productCode, retailPrice,
vatPercentage}`]: `ProductList` (documented by name, WS-PRODUCT) without criteria answers every
product (no paging) with its gross sales price `retailPrice` and VAT rate, in the organisation's
currency (EUR for a Slovenian company). e-računi has one sales price per product; a connection asks
for it with the price list named `e-racuni-product-price` (B2C sends it gross, B2B derives the net
price). Named price lists (`ProductPriceListGet`, documented by name only) are not read."""

# ER12 ---------------------------------------------------------------------------- what is not automatic
"""ER12: no credit-note method and no quote-cancel method are documented (WS-INVOICE lists none), so
credit notes and cancelled offers end as a failed document that says what a person must do in
e-računi."""

# ER13 ---------------------------------------------------------------------------- listing for reconciliation
RECONCILE_WRAPPERS: Final = ("SalesQuote", "SalesOrder", "SalesInvoice")
HOME_COUNTRY: Final = "SI"
REFERENCE_FIELDS: Final = ("reference", "orderReference")
ITEMS: Final = "Items"
"""ER13: `SalesQuoteList`, `SalesOrderList` and `SalesInvoiceList` are documented by name only
(WS-INVOICE, WS-ORDER method tables; the quote pair [3p Ruby EracuniClient]). We assume that with
the ER5 `dateFrom`/`dateTo` (both days included) one call answers every document of the range (no
paging, as ER11), each row the document as created: its `reference` (else `orderReference`),
`documentID`, `number`, `date` and `Items` with `quantity`, a gross `price` or a `netPrice`,
`vatPercentage` and `discountPercentage`. The gross and the VAT per rate are summed from the items,
each line to the cent (no documented total field is read). A listed row without `Items` fails the
read: a missing amount must never be reported as 0. An invoice is foreign when its `buyerCountry`, or
the two-letter prefix of its `buyerTaxNumber`, is not the organisation's country (`SI`: the
WebServicesSI edition), the rule the mapper chose the kind by."""
