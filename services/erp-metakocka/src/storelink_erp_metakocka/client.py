"""The MetaKocka API client of one company (implements `ErpClient`).

Every call is a POST with the credentials in the JSON body. `put_document` is never retried here:
the shared processor decides, after a lookup by `buyer_order`. Searches of one company run strictly
one after another (MetaKocka queues them anyway, erp-apis.md §1.3), so they share a lock.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import httpx

from storelink_contracts import DocumentKind, DocumentRequested, FiscalCodes
from storelink_erp_kit.client import ErpDocumentRef, PriceLevel, StockLevel
from storelink_erp_kit.errors import ErpAuthFailed, ErpError, ErpRejected, ErpUnavailable
from storelink_erp_kit.http import fenced, post_json
from storelink_erp_kit.listing import ErpDocument
from storelink_erp_metakocka.assumptions import NOT_FOUND_WORDS, STOCK_SKU_FIELDS
from storelink_erp_metakocka.errors import classify
from storelink_erp_metakocka.mapping import (
    MappingError,
    MetakockaOptions,
    build_cancellation,
    build_put_document,
    build_put_sales_bill,
    doc_type_of,
    sent_with_put_sales_bill,
)
from storelink_kit.verdicts import ConnectionVerdict, Verdict

DEFAULT_BASE_URL = "https://main.metakocka.si/rest/eshop/"
PATHS: dict[str, str] = {
    "put_document": "v1/put_document",
    "put_sales_bill": "v1/json/put_sales_bill",
    "get_document": "v1/get_document",
    "search": "v1/search",
    "put_transaction": "v1/put_transaction",
    "change_document_status": "v1/change_document_status",
    "product_list": "v1/json/product_list",
    "warehouse_stock": "v1/json/warehouse_stock",
    "warehouse_list": "v1/json/warehouse_list",
}
PAGE = 1000
SEARCH_PAGE = 100
_search_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)


def search_lock(company_id: str) -> asyncio.Lock:
    """The one lock all searches of a company take (MetaKocka runs them one after another)."""
    return _search_locks[company_id]


def parse_decimal(text: Any) -> Decimal:
    """MetaKocka numbers are strings, sometimes with a decimal comma ("19,99")."""
    try:
        return Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        raise ErpRejected(f"MetaKocka returned {text!r} where a number was expected") from None


def as_list(value: Any) -> list[dict[str, Any]]:
    """A documented list field, tolerant of MetaKocka's one-element shape: product_list.md (1.2) shows
    one product as an object, not a list; a missing or empty field is no rows."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [row for row in value if isinstance(row, dict)]
    return []


def sku_of(row: dict[str, Any]) -> str:
    return str(next((row[k] for k in STOCK_SKU_FIELDS if row.get(k) not in (None, "")), ""))


def parse_stock_levels(data: dict[str, Any], marks: dict[str, str]) -> list[StockLevel]:
    """A warehouse_stock answer (or the stock webhook's body, same shape; warehouse_stock.md,
    webhooks.md): `free_amount` where the company uses reservations, else `amount`, summed over the
    rows of one product in one warehouse (lots, serial numbers, microlocations)."""
    totals: dict[tuple[str, str], Decimal] = {}
    for row in as_list(data.get("stock_list")):
        mark = marks.get(str(row.get("warehouse_id")), str(row.get("warehouse_id")))
        raw = row.get("free_amount") if row.get("free_amount") not in (None, "") else row.get("amount")
        key = (mark, sku_of(row))
        totals[key] = totals.get(key, Decimal(0)) + parse_decimal(raw)
    return [StockLevel(warehouse=w, sku=s, quantity=q) for (w, s), q in sorted(totals.items())]


def _is_sales_tier(entry: dict[str, Any]) -> bool:
    return str(entry.get("sales_purchase") or "sales").lower() != "purchase"


def _tier_start(entry: dict[str, Any]) -> Decimal:
    price_def = entry.get("price_def")
    start = price_def.get("amount_from") if isinstance(price_def, dict) else None
    return parse_decimal(start) if start not in (None, "") else Decimal(0)


def parse_price_levels(data: dict[str, Any], wanted: set[str]) -> list[PriceLevel]:
    """One price per price list and SKU from a product_list answer with `return_pricelist`
    (product_list.md 1.2): sales tiers only, the base tier (no or the lowest `amount_from`), its
    `discount` applied. Assumptions PRICE_TIER_IS_LOWEST_FROM, PRICE_DISCOUNT_ROUNDING."""
    out: list[PriceLevel] = []
    for product in as_list(data.get("product_list")):
        sku = sku_of(product)
        tiers: dict[str, list[dict[str, Any]]] = {}
        for entry in as_list(product.get("pricelist")):
            name = str(entry.get("count_code"))
            if name in wanted and _is_sales_tier(entry):
                # one tier per entry as documented; a list of price_def is read as tiers too
                tiers.setdefault(name, []).extend(
                    {**entry, "price_def": price_def} for price_def in as_list(entry.get("price_def"))
                )
        for name, entries in tiers.items():
            level = _price_level(name, sku, min(entries, key=_tier_start))
            if level is not None:
                out.append(level)
    return out


class MetakockaClient:
    invoices_made_from_sales_orders = False
    """Every invoice is its own put_document / put_sales_bill."""

    def __init__(
        self,
        *,
        company_id: str,
        secret_key: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30.0,
        options: MetakockaOptions | None = None,
        http: httpx.AsyncClient | None = None,
        webhook_secret: str | None = None,
    ) -> None:
        self.company_id = str(company_id)
        self.webhook_secret = webhook_secret
        self._secret_key = secret_key
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = timeout
        self.options = options or MetakockaOptions()
        self._http = fenced(http or httpx.AsyncClient())
        self._own_http = http is None

    @classmethod
    def from_credentials(
        cls, creds: dict[str, Any], *, base_url: str = DEFAULT_BASE_URL, timeout: float = 30.0
    ) -> MetakockaClient:
        missing = [k for k in ("company_id", "secret_key") if not creds.get(k)]
        if missing:
            raise ErpRejected(
                f"the MetaKocka credentials lack {', '.join(missing)}: enter them in the connection settings",
                code="credentials_incomplete",
            )
        return cls(
            company_id=str(creds["company_id"]),
            secret_key=str(creds["secret_key"]),
            base_url=str(creds.get("base_url") or base_url),
            timeout=timeout,
            options=MetakockaOptions.from_credentials(creds),
            webhook_secret=str(creds["webhook_secret"]) if creds.get("webhook_secret") else None,
        )

    def __repr__(self) -> str:  # never the secret key
        return f"MetakockaClient(company_id={self.company_id!r}, base_url={self.base_url!r})"

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    # ------------------------------------------------------------------ transport

    def request_body(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"secret_key": self._secret_key, "company_id": self.company_id, **body}

    def url(self, method: str) -> str:
        return self.base_url + PATHS[method]

    async def call(self, method: str, body: dict[str, Any], *, writes: bool = False) -> dict[str, Any]:
        response, data = await post_json(
            self._http,
            self.url(method),
            self.request_body(body),
            erp_name="MetaKocka",
            timeout=self.timeout,
            writes=writes,
        )
        if not isinstance(data, dict):
            raise ErpRejected(
                f"MetaKocka answered {method} with a web page instead of JSON (HTTP {response.status_code}): "
                "the API address is wrong; check the MetaKocka base URL",
                code="not_json",
            )
        if str(data.get("opr_code", "0")) != "0":
            raise classify(data, method=method, writes=writes)
        if response.status_code >= 500:
            raise ErpUnavailable(
                f"MetaKocka failed with HTTP {response.status_code}", code=str(response.status_code)
            )
        return data

    # ------------------------------------------------------------------ documents

    def render(self, doc: DocumentRequested, related: ErpDocumentRef | None = None) -> dict[str, Any]:
        """The body `create_document` sends, credentials masked (for `storelink render`)."""
        body = self.request_body(self._build(doc, related))
        body["secret_key"] = "***"  # noqa: S105 - masking
        return {"method": "POST", "url": self.url(self._method_of(doc)), "json": body}

    def _build(self, doc: DocumentRequested, related: ErpDocumentRef | None) -> dict[str, Any]:
        try:
            if doc.kind is DocumentKind.CANCELLATION:
                return build_cancellation(doc, self.options, related)
            if sent_with_put_sales_bill(doc):
                return build_put_sales_bill(doc, self.options)
            return build_put_document(doc, self.options, related)
        except MappingError as exc:
            raise ErpRejected(str(exc), code="mapping") from None

    def _method_of(self, doc: DocumentRequested) -> str:
        if doc.kind is DocumentKind.CANCELLATION:
            return "change_document_status"
        return "put_sales_bill" if sent_with_put_sales_bill(doc) else "put_document"

    async def create_document(
        self, doc: DocumentRequested, related: ErpDocumentRef | None = None
    ) -> ErpDocumentRef:
        body = self._build(doc, related)
        data = await self.call(self._method_of(doc), body, writes=True)
        if doc.kind is DocumentKind.CANCELLATION:  # the answer is only opr_code: the order it changed
            return related or ErpDocumentRef(erp_id=str(body.get("mk_id") or doc.order_number))
        return await self._with_fiscal(doc, ref_from_answer(data))

    async def _with_fiscal(self, doc: DocumentRequested, ref: ErpDocumentRef) -> ErpDocumentRef:
        """A fiscally verified document carries exactly the codes MetaKocka returned: from the answer,
        else read back with get_document (assumptions.FISCAL_CODES_READ_BACK)."""
        if not doc.fiscalize or ref.fiscal is not None:
            return ref
        data = await self.call("get_document", {"doc_type": doc_type_of(doc.kind), "doc_id": ref.erp_id})
        fiscal = fiscal_of(data)
        if fiscal is None:
            raise ErpUnavailable(
                f"MetaKocka stored document {ref.number or ref.erp_id} for order {doc.order_number} but "
                "returned no ZOI/EOR for it: check its fiscal verification (FURS) in MetaKocka",
                code="furs_codes_missing",
            )
        return ErpDocumentRef(erp_id=ref.erp_id, number=ref.number, fiscal=fiscal)

    async def find_document(self, doc: DocumentRequested) -> ErpDocumentRef | None:
        if doc.kind is DocumentKind.CANCELLATION:
            return None  # setting the same status again is harmless: never looked up
        doc_type = doc_type_of(doc.kind)
        if doc.kind is DocumentKind.SALES_ORDER:
            try:
                data = await self.call(
                    "get_document", {"doc_type": doc_type, "buyer_order": doc.order_number}
                )
            except ErpRejected as exc:
                if any(word in exc.reason.lower() for word in NOT_FOUND_WORDS):
                    return None
                raise
            return ref_from_answer(data)
        found = await self._search_document(doc, doc_type)
        return await self._with_fiscal(doc, found) if found is not None else None

    async def _search_document(self, doc: DocumentRequested, doc_type: str) -> ErpDocumentRef | None:
        async with _search_locks[self.company_id]:
            offset = 0
            while True:
                data = await self.call(
                    "search",
                    {
                        "doc_type": doc_type,
                        "query": doc.order_number,
                        "result_type": "doc",
                        "limit": str(SEARCH_PAGE),
                        "offset": str(offset),
                    },
                )
                rows = as_list(data.get("result"))
                for row in rows:
                    if (
                        str(row.get("buyer_order")) == doc.order_number
                        or str(row.get("title")) == doc.order_number
                    ):
                        return ref_from_answer(row)
                if len(rows) < SEARCH_PAGE:
                    return None
                offset += SEARCH_PAGE

    async def list_documents(self, first_day: date, last_day: date) -> list[ErpDocument]:
        """`DocumentLister`: the documents dated within the days, for reconciliation."""
        from storelink_erp_metakocka.listing import list_documents

        return await list_documents(self, first_day, last_day)

    # ------------------------------------------------------------------ connection test

    async def test_connection(self) -> ConnectionVerdict:
        try:
            await self.call("warehouse_list", {})
            async with _search_locks[self.company_id]:
                await self.call("search", {"doc_type": "sales_order", "result_type": "doc", "limit": "1"})
        except ErpAuthFailed as exc:
            return ConnectionVerdict(_auth_verdict(exc.code or ""), exc.reason)
        except ErpUnavailable as exc:
            return ConnectionVerdict(Verdict.UNREACHABLE, exc.reason)
        except ErpError as exc:
            return ConnectionVerdict(Verdict.UNEXPECTED, exc.reason)
        return ConnectionVerdict(
            Verdict.OK, f"MetaKocka company {self.company_id} answers; the API key works"
        )

    # ------------------------------------------------------------------ stock and prices

    async def warehouses(self) -> dict[str, str]:
        data = await self.call("warehouse_list", {})
        return {
            str(w.get("mk_id")): str(w.get("mark") or w.get("name"))
            for w in as_list(data.get("warehouse_list"))
        }

    async def read_stock(self, warehouse: str | None = None) -> list[StockLevel]:
        """Shop-synced products' stock, summed per warehouse and code (lots and microlocations)."""
        marks = await self.warehouses()
        request: dict[str, Any] = {"eshop_sync": "true", "limit": str(PAGE)}
        if warehouse is not None:
            ids = [mk for mk, mark in marks.items() if mark == warehouse]
            if not ids:
                raise ErpRejected(
                    f"MetaKocka has no warehouse with mark {warehouse!r}: check the warehouse in the "
                    "connection settings",
                    code="warehouse",
                )
            request["wh_id_list"] = ",".join(ids)
        rows: list[dict[str, Any]] = []
        offset = 0
        while True:
            data = await self.call("warehouse_stock", {**request, "offset": str(offset)})
            page = as_list(data.get("stock_list"))
            rows += page
            if len(page) < PAGE:
                break
            offset += PAGE
        return parse_stock_levels({"stock_list": rows}, marks)

    async def read_prices(self, price_lists: list[str]) -> list[PriceLevel]:
        wanted = set(price_lists)
        products: list[dict[str, Any]] = []
        offset = 0
        while True:
            data = await self.call(
                "product_list",
                {
                    "eshop_sync": "true",
                    "return_pricelist": "true",
                    "show_tax_factor": "true",
                    "limit": str(PAGE),
                    "offset": str(offset),
                },
            )
            page = as_list(data.get("product_list"))
            products += page
            if len(page) < PAGE:
                break
            offset += PAGE
        return parse_price_levels({"product_list": products}, wanted)


def _auth_verdict(code: str) -> Verdict:
    if code.startswith("privileges"):
        return Verdict.MISSING_PERMISSION
    if code.startswith("ip_not_allowed"):
        return Verdict.IP_NOT_ALLOWED
    return Verdict.WRONG_SECRET  # opr_code 3 names the secret_key and company_id pair together


def _price_level(name: str, sku: str, entry: dict[str, Any]) -> PriceLevel | None:
    base = entry.get("price_def")
    if not isinstance(base, dict):
        return None
    factor = base.get("tax_factor")
    rate = (
        parse_decimal(factor) * 100
        if factor not in (None, "")
        else parse_decimal(base.get("tax_desc") or "0")
    )
    discount = parse_decimal(base["discount"]) if base.get("discount") not in (None, "") else Decimal(0)

    def amount(key: str) -> Decimal | None:
        if base.get(key) in (None, ""):
            return None
        value = parse_decimal(base[key])
        if not discount:
            return value
        return (value * (100 - discount) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    net, gross = amount("price"), amount("price_with_tax")
    if net is None and gross is None:
        return None
    return PriceLevel(
        price_list=name,
        sku=sku,
        currency=str(entry.get("currency_code") or "EUR"),
        tax_rate=rate.normalize(),
        net=net,
        gross=gross,
    )


def fiscal_of(data: dict[str, Any]) -> FiscalCodes | None:
    """`furs_zoi` / `furs_eor` of a put_sales_bill answer or a get_document bill, as MetaKocka gave them."""
    zoi, eor = data.get("furs_zoi"), data.get("furs_eor")
    return FiscalCodes(zoi=str(zoi), eor=str(eor) if eor else None) if zoi else None


def ref_from_answer(data: dict[str, Any]) -> ErpDocumentRef:
    """A put_document / put_sales_bill answer (documents_concept.md 1.2.4; put_sales_bill_send_to_furs.md)."""
    return ErpDocumentRef(erp_id=str(data["mk_id"]), number=data.get("count_code"), fiscal=fiscal_of(data))
