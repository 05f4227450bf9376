"""What e-računi's own documentation says about its WS API (every value here names its source).

Sources, all read 2026-12-01 (short names used below and in docs/vendor-facts.md):
- WS-AUTH: https://e-racuni.com/WikiDoc/WikiPage?page=WS+Authentication
- WS-INVOICE: https://e-racuni.com/WikiDoc/WikiPage?page=WS+API+SalesInvoice
- WS-ORDER: https://e-racuni.com/WikiDoc/WikiPage?page=WS+API+SalesOrder
  (its JSON SalesOrderCreate example is on https://e-racuni.com/Croatian/WikiPage?page=WS+API+SalesOrder)
- WS-WAREHOUSE: https://e-racuni.com/WikiDoc/WikiPage?page=WS+API+Warehouse
- WS-PRODUCT: https://e-racuni.com/WikiDoc/WikiPage?page=WS+API+Product

Everything the documentation leaves open is in `storelink_erp_eracuni.assumptions`, not here.
"""

from __future__ import annotations

import hashlib

DEFAULT_URL = "https://e-racuni.com/WebServicesSI/API"
"""WS-INVOICE: `POST https://e-racuni.com/WebServicesSI/API` with `Content-Type: application/json`."""

ENVELOPE_KEYS = ("username", "md5pass", "token", "method", "parameters")
"""WS-INVOICE and WS-ORDER JSON examples: these five keys, nothing else (no `secretKey` anywhere)."""

STOCK_RECORD_CAP = 50_000
"""WS-WAREHOUSE: without `productCode` the answer holds "the first 50 000 records"."""

RATE_LIMIT_REQUESTS = 4
RATE_LIMIT_WINDOW_SECONDS = 4.0
"""WS-AUTH: at most 4 requests in 4 s from one client user account; e-računi delays its answers, so a
client that waits for each answer before sending the next needs no delay of its own."""

# Method names (WS-INVOICE, WS-ORDER, WS-WAREHOUSE, WS-PRODUCT method tables).
SALES_INVOICE_CREATE = "SalesInvoiceCreate"
SALES_INVOICE_GET = "SalesInvoiceGet"
SALES_INVOICE_LIST = "SalesInvoiceList"
SALES_ORDER_CREATE = "SalesOrderCreate"
SALES_ORDER_LIST = "SalesOrderList"
SALES_ORDER_CANCEL = "SalesOrderCancel"  # "Cancel sales order."
SALES_ORDER_CREATE_INVOICE = "SalesOrderCreateInvoice"  # "Create sales invoice from sales order."
WAREHOUSE_STOCK = "WarehouseGetArticleStockQuantity"
PRODUCT_LIST = "ProductList"  # "Get list of products for specified criteria"

STOCK_QUERY_AVAILABLE_PER_WAREHOUSE = "perWarehouseAvailableStock"
"""WS-WAREHOUSE `queryType`: the available quantity (stock minus what unshipped sales orders hold)."""

INVOICE_METHODS = frozenset(
    {
        "SalesInvoiceGet",
        "POSSalesInvoiceGet",
        "SalesInvoiceGetPDF",
        "SalesInvoiceGetUPNPDF",
        "SalesInvoiceGetPublicURL",
        "SalesInvoiceCreate",
        "SalesInvoiceImport",
        "SalesInvoiceUpdate",
        "SalesInvoiceDelete",
        "SalesInvoiceCancel",
        "SalesInvoiceList",
        "POSSalesInvoiceList",
        "SalesInvoiceSendByEmail",
        "SalesInvoicePaymentRecordAdd",
        "SalesInvoiceInstallmentsCreate",
        "SalesInvoiceAttachmentAdd",
        "SalesInvoiceAttachmentSetDefault",
        "SalesInvoiceAttachmentGet",
        "SalesInvoiceAttachmentList",
    }
)
"""WS-INVOICE's whole method table: it has no credit-note (dobropis) method."""


def md5pass(username: str, password: str) -> str:
    """WS-AUTH: the MD5 hex of the user name in UPPER CASE followed by the password exactly as set
    (`echo -n "MICKAkovac" | md5sum` for user micka, password kovac)."""
    return hashlib.md5((username.upper() + password).encode("utf-8"), usedforsecurity=False).hexdigest()
