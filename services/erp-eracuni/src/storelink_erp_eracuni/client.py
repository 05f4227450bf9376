"""The e-računi API client of one API user (implements `ErpClient`).

Login as documented (WS-AUTH): `username`, `md5pass` = MD5(USERNAME + password), `token`; no other
login field is sent. One call of a user is in flight at a time (a second one is refused, ER3, and
the documented limit of 4 requests in 4 s is then met by e-računi delaying its answers); refusals by
that lock and HTTP 429 did nothing and are waited out. A create is never resent after an unknown
outcome here: the processor looks the document up by its reference first. Amounts travel as JSON
numbers written and read as Decimal (never float).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import httpx
import simplejson
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from storelink_contracts import DocumentKind, DocumentRequested, FiscalCodes
from storelink_erp_eracuni import assumptions as A
from storelink_erp_eracuni import listing
from storelink_erp_eracuni import protocol as P
from storelink_erp_eracuni.errors import ErpBusy, classify
from storelink_erp_eracuni.mapping import (
    INVOICES,
    LIST_METHODS,
    EracuniOptions,
    MappingError,
    as_decimal,
    build_document,
    cancel_offer_reason,
    cancelled_slot,
    credit_note_reason,
    invoice_header,
    method_of,
)
from storelink_erp_kit.client import ErpDocumentRef, PriceLevel, StockLevel
from storelink_erp_kit.errors import ErpAuthFailed, ErpError, ErpRejected, ErpUnavailable
from storelink_erp_kit.http import fenced, post_json
from storelink_erp_kit.listing import ErpDocument
from storelink_kit.retrying import RetryAfterOr
from storelink_kit.verdicts import ConnectionVerdict, Verdict

DEFAULT_URL = P.DEFAULT_URL
_user_locks: defaultdict[tuple[str, str, str], asyncio.Lock] = defaultdict(asyncio.Lock)
_dumps = partial(simplejson.dumps, use_decimal=True)
_loads = partial(simplejson.loads, use_decimal=True)


def login_of(creds: dict[str, Any]) -> tuple[str, str, str]:
    """(username, md5pass, token) from a company's e-računi settings, or why they cannot log in.

    `md5pass` may be stored as such or derived from the API user's `password` (WS-AUTH). A
    `secret_key` alone (what this hub asked for before) is not a documented login: say what to enter."""
    username = str(creds.get("username") or "")
    token = str(creds.get("token") or "")
    md5 = str(creds.get("md5pass") or "")
    if not md5 and creds.get("password"):
        md5 = P.md5pass(username, str(creds["password"]))
    if not md5 and creds.get("secret_key"):
        raise ErpAuthFailed(
            "the e-računi settings hold a secret_key, but e-računi's documented login is the API user's "
            "name, password (sent as md5pass) and the organization token: enter the password (or its "
            "md5pass) in the company's e-računi settings",
            code="credentials_legacy",
        )
    missing = [
        name for name, value in (("username", username), ("password", md5), ("token", token)) if not value
    ]
    if missing:
        raise ErpRejected(
            f"the e-računi credentials lack {', '.join(missing)}: enter them in the company's e-računi "
            "settings",
            code="credentials_incomplete",
        )
    return username, md5, token


class EracuniClient:
    invoices_made_from_sales_orders = True
    """An invoice of a sales order is made FROM it (SalesOrderCreateInvoice, WS-ORDER)."""

    def __init__(
        self,
        *,
        username: str,
        md5pass: str,
        token: str,
        url: str = DEFAULT_URL,
        timeout: float = 30.0,
        options: EracuniOptions | None = None,
        busy_attempts: int = 6,
        busy_backoff_seconds: float = 5.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.username = username
        self._md5pass = md5pass
        self._token = token
        self.url = url
        self.timeout = timeout
        self.options = options or EracuniOptions()
        self.busy_attempts = busy_attempts
        self.busy_backoff_seconds = busy_backoff_seconds
        self._http = fenced(http or httpx.AsyncClient())
        self._own_http = http is None
        self._lock = _user_locks[(url, username.upper(), token)]

    @classmethod
    def from_credentials(
        cls,
        creds: dict[str, Any],
        *,
        url: str = DEFAULT_URL,
        timeout: float = 30.0,
        busy_backoff_seconds: float = 5.0,
    ) -> EracuniClient:
        username, md5, token = login_of(creds)
        return cls(
            username=username,
            md5pass=md5,
            token=token,
            url=str(creds.get("url") or url),
            timeout=timeout,
            options=EracuniOptions.from_credentials(creds),
            busy_backoff_seconds=busy_backoff_seconds,
        )

    def __repr__(self) -> str:
        return f"EracuniClient(username={self.username!r}, url={self.url!r})"

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    def envelope(self, method: str, parameters: dict[str, Any]) -> dict[str, Any]:
        """Exactly the documented keys (protocol.ENVELOPE_KEYS)."""
        values = (self.username, self._md5pass, self._token, method, parameters)
        return dict(zip(P.ENVELOPE_KEYS, values, strict=True))

    async def _once(self, method: str, parameters: dict[str, Any], writes: bool) -> Any:
        async with self._lock:
            try:
                response, data = await post_json(
                    self._http,
                    self.url,
                    self.envelope(method, parameters),
                    erp_name="e-računi",
                    timeout=self.timeout,
                    writes=writes,
                    dumps=_dumps,
                    loads=_loads,
                )
            except ErpUnavailable as exc:
                if exc.code == "429":
                    raise ErpBusy(exc.reason, code="429", retry_after=exc.retry_after) from None
                raise
        return result_of(method, response.status_code, data)

    async def call(self, method: str, parameters: dict[str, Any], *, writes: bool = False) -> Any:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(ErpBusy),
            stop=stop_after_attempt(self.busy_attempts),
            wait=_busy_wait(self.busy_backoff_seconds),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._once(method, parameters, writes)
        raise AssertionError("unreachable")  # pragma: no cover

    # ---------------------------------------------------------------- documents

    def _request(self, doc: DocumentRequested, related: ErpDocumentRef | None) -> tuple[str, dict[str, Any]]:
        """The one call that makes this document (method, parameters), or why none can."""
        try:
            if doc.kind is DocumentKind.CREDIT_NOTE:
                raise ErpRejected(credit_note_reason(doc, related.number if related else None), code="manual")
            if doc.kind is DocumentKind.CANCELLATION:
                return self._cancellation(doc, related)
            if doc.kind in INVOICES and related is not None:
                # the invoice of a sales order: made from it (WS-ORDER SalesOrderCreateInvoice; ER7)
                header = invoice_header(doc, self.options)
                return P.SALES_ORDER_CREATE_INVOICE, {A.DOCUMENT_ID: related.erp_id, "SalesInvoice": header}
            return build_document(doc, self.options)
        except MappingError as exc:
            raise ErpRejected(str(exc), code="mapping") from None

    def _cancellation(
        self, doc: DocumentRequested, related: ErpDocumentRef | None
    ) -> tuple[str, dict[str, Any]]:
        if related is None or not doc.refers_to:
            raise ErpRejected("a cancellation must name the document it cancels", code="mapping")
        if cancelled_slot(doc.refers_to) != "sales_order":
            raise ErpRejected(cancel_offer_reason(doc, related.number), code="manual")
        return P.SALES_ORDER_CANCEL, {A.DOCUMENT_ID: related.erp_id}

    def render(self, doc: DocumentRequested, related: ErpDocumentRef | None = None) -> dict[str, Any]:
        method, parameters = self._request(doc, related)
        body = self.envelope(method, parameters)
        body["md5pass"] = "***"
        body["token"] = "***"  # noqa: S105 - masking
        # the body as sent, read back for printing (amounts become plain JSON numbers again)
        return {"method": "POST", "url": self.url, "json": simplejson.loads(_dumps(body))}

    async def create_document(
        self, doc: DocumentRequested, related: ErpDocumentRef | None = None
    ) -> ErpDocumentRef:
        method, parameters = self._request(doc, related)
        result = await self.call(method, parameters, writes=True)
        if doc.kind is DocumentKind.CANCELLATION:
            assert related is not None
            return ErpDocumentRef(erp_id=related.erp_id, number=related.number)
        ref = ref_from_result(result, method)
        return await self._with_fiscal(doc, ref)

    async def _with_fiscal(self, doc: DocumentRequested, ref: ErpDocumentRef) -> ErpDocumentRef:
        """A fiscally verified invoice's ZOI/EOR are read back with SalesInvoiceGet (ER9)."""
        if not doc.fiscalize or doc.kind not in INVOICES or ref.fiscal is not None:
            return ref
        result = await self.call(P.SALES_INVOICE_GET, {A.DOCUMENT_ID: ref.erp_id})
        invoice = result.get("SalesInvoice") if isinstance(result, dict) else None
        fiscal = fiscal_of(invoice if isinstance(invoice, dict) else {})
        return ErpDocumentRef(erp_id=ref.erp_id, number=ref.number, fiscal=fiscal)

    async def find_document(self, doc: DocumentRequested) -> ErpDocumentRef | None:
        if doc.kind in (DocumentKind.CANCELLATION, DocumentKind.CREDIT_NOTE):
            return None  # a cancellation is simply sent again (ER7); credit notes are never sent
        _, wrapper = method_of(doc.kind)
        day = doc.issued_at.astimezone(UTC).date()
        result = await self.call(
            LIST_METHODS[wrapper],
            {
                A.LIST_DATE_FROM: (day - timedelta(days=1)).isoformat(),
                A.LIST_DATE_TO: (day + timedelta(days=1)).isoformat(),
            },
        )
        for row in listing.listed_rows(result, wrapper):
            if str(row.get("reference")) == doc.order_number:
                return await self._with_fiscal(doc, ref_from_result(row, LIST_METHODS[wrapper]))
        return None

    async def list_documents(self, first_day: date, last_day: date) -> list[ErpDocument]:
        """`DocumentLister`: the documents dated within the days, for reconciliation (ER13)."""
        return await listing.list_documents(self, first_day, last_day)

    # ---------------------------------------------------------------- connection test, stock, prices

    async def test_connection(self) -> ConnectionVerdict:
        today = datetime.now(UTC).date().isoformat()
        try:
            await self.call(P.SALES_INVOICE_LIST, {A.LIST_DATE_FROM: today, A.LIST_DATE_TO: today})
        except ErpAuthFailed as exc:
            code = exc.code or ""
            verdict = (
                Verdict.MISSING_PERMISSION
                if code == "privileges"
                else Verdict.WRONG_SECRET
                if code == "auth:secret"
                else Verdict.WRONG_ACCOUNT
            )
            return ConnectionVerdict(verdict, exc.reason)
        except ErpUnavailable as exc:
            return ConnectionVerdict(Verdict.UNREACHABLE, exc.reason)
        except ErpError as exc:
            return ConnectionVerdict(Verdict.UNEXPECTED, exc.reason)
        return ConnectionVerdict(
            Verdict.OK, f"e-računi answers for API user {self.username}; the password and token work"
        )

    async def read_stock(self, warehouse: str | None = None) -> list[StockLevel]:
        """Available stock per warehouse. An answer as long as the documented 50 000-record cap may be
        cut short, so then the stock is read again per product, in chunks of product codes."""
        params: dict[str, Any] = {"queryType": P.STOCK_QUERY_AVAILABLE_PER_WAREHOUSE}
        if warehouse:
            params["warehouseCode"] = warehouse
        rows = stock_rows(await self.call(P.WAREHOUSE_STOCK, params))
        if len(rows) >= P.STOCK_RECORD_CAP:
            codes = [str(row[A.PRODUCT_CODE]) for row in product_rows(await self.call(P.PRODUCT_LIST, {}))]
            rows = []
            for chunk in _chunks(codes, A.STOCK_CODES_PER_CALL):
                rows += stock_rows(await self.call(P.WAREHOUSE_STOCK, {**params, "productCode": chunk}))
        return stock_levels(rows, warehouse)

    async def read_prices(self, price_lists: list[str]) -> list[PriceLevel]:
        """Each product's sales price from ProductList (WS-PRODUCT; fields ER11), under the price list
        name `e-racuni-product-price`; other price-list names are not e-računi's."""
        if A.PRODUCT_PRICE_LIST not in price_lists:
            return []
        return price_levels(product_rows(await self.call(P.PRODUCT_LIST, {})))


# -------------------------------------------------------------------- reading answers (pure)


def result_of(method: str, http_status: int, data: Any) -> Any:
    """The `result` of an ok answer; an error answer as the ErpError a person can act on (ER1)."""
    envelope = data.get(A.RESPONSE) if isinstance(data, dict) else None
    if not isinstance(envelope, dict):
        raise ErpRejected(
            f"e-računi answered {method} without the response envelope (HTTP {http_status}): "
            "check the API address (…/WebServicesSI/API)",
            code="not_json",
        )
    if envelope.get("status") == A.STATUS_OK:
        return envelope.get("result")
    raise classify(str(envelope.get("description") or ""), method=method)


def fiscal_of(row: dict[str, Any]) -> FiscalCodes | None:
    zoi, eor = row.get(A.ZOI), row.get(A.EOR)
    return FiscalCodes(zoi=str(zoi), eor=str(eor) if eor else None) if zoi else None


def ref_from_result(result: Any, method: str) -> ErpDocumentRef:
    if not isinstance(result, dict) or not result.get(A.DOCUMENT_ID):
        raise ErpUnavailable(f"e-računi answered {method} without a documentID", code="no_document_id")
    number = result.get("number")
    return ErpDocumentRef(
        erp_id=str(result[A.DOCUMENT_ID]), number=str(number) if number else None, fiscal=fiscal_of(result)
    )


def _rows(result: Any, wrapper: str | None) -> list[dict[str, Any]]:
    """A list of rows, each maybe wrapped as {wrapper: row} or {wrapper: [rows]}; one row may be an object."""
    items = result if isinstance(result, list) else [] if result is None else [result]
    out: list[dict[str, Any]] = []
    for entry in items:
        inner = entry.get(wrapper, entry) if isinstance(entry, dict) and wrapper else entry
        for row in inner if isinstance(inner, list) else [inner]:
            if not isinstance(row, dict):
                raise ErpRejected(
                    f"e-računi answered a row that is not an object: {row!r}", code="bad_answer"
                )
            out.append(row)
    return out


def stock_rows(result: Any) -> list[dict[str, Any]]:
    return _rows(result, A.STOCK_ROW)


def product_rows(result: Any) -> list[dict[str, Any]]:
    rows = _rows(result, "Product")
    for row in rows:
        if not row.get(A.PRODUCT_CODE):
            raise ErpRejected("e-računi listed a product without its productCode", code="bad_answer")
    return rows


def stock_levels(rows: list[dict[str, Any]], warehouse: str | None) -> list[StockLevel]:
    """Rows → stock per (warehouse, SKU). A row without a product code or quantity fails the whole
    read: a missing number must never reach a shop as a stock of 0 (ER10)."""
    totals: dict[tuple[str, str], Decimal] = {}
    for row in rows:
        code = row.get(A.STOCK_PRODUCT_CODE)
        if not code:
            raise ErpRejected("e-računi answered a stock row without productCode", code="stock_row")
        if A.STOCK_QUANTITY not in row:
            raise ErpRejected(
                f"e-računi answered the stock of {code} without the field {A.STOCK_QUANTITY!r}: no stock is "
                "published until this is checked (assumption ER10)",
                code="stock_quantity_missing",
            )
        qty = as_decimal(row[A.STOCK_QUANTITY])
        if qty is None:
            raise ErpRejected(
                f"e-računi returned {row[A.STOCK_QUANTITY]!r} as the stock of {code}", code="stock_quantity"
            )
        key = (str(row.get(A.STOCK_WAREHOUSE_CODE) or warehouse or "*"), str(code))
        totals[key] = totals.get(key, Decimal(0)) + qty
    return [StockLevel(warehouse=w, sku=s, quantity=q) for (w, s), q in sorted(totals.items())]


def price_levels(rows: list[dict[str, Any]]) -> list[PriceLevel]:
    """ProductList rows → gross prices (ER11). A row without a price or VAT rate fails the read."""
    levels = []
    for row in rows:
        code = str(row[A.PRODUCT_CODE])
        gross, rate = as_decimal(row.get(A.PRODUCT_GROSS_PRICE)), as_decimal(row.get(A.PRODUCT_VAT_RATE))
        if gross is None or rate is None:
            raise ErpRejected(
                f"e-računi listed product {code} without a readable {A.PRODUCT_GROSS_PRICE!r} and "
                f"{A.PRODUCT_VAT_RATE!r}: no price is published until this is checked (assumption ER11)",
                code="price_missing",
            )
        levels.append(
            PriceLevel(
                price_list=A.PRODUCT_PRICE_LIST,
                sku=code,
                currency=A.PRICE_CURRENCY,
                tax_rate=rate,
                gross=gross,
            )
        )
    return levels


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


BUSY_RETRY_AFTER_CAP_SECONDS = 120.0
"""The longest wait e-računi's own Retry-After gets before the next try (the same cap as the shops')."""


def _busy_wait(base: float) -> RetryAfterOr:
    """e-računi's Retry-After when it gave one (the kit's one rule), else backoff from `base`."""
    return RetryAfterOr(
        wait_exponential_jitter(multiplier=base, max=base * 6, jitter=base / 2),
        cap=BUSY_RETRY_AFTER_CAP_SECONDS,
    )
