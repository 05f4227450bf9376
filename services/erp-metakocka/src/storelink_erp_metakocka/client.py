"""The MetaKocka API client of one company (implements `ErpClient`).

Every call is a POST with the credentials in the JSON body. `put_document` is never retried here:
the shared processor decides, after a lookup by `buyer_order`. Searches of one company run strictly
one after another (MetaKocka queues them anyway, erp-apis.md §1.3), so they share a lock.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from storelink_contracts import DocumentKind, DocumentRequested, FiscalCodes
from storelink_erp_kit.client import ConnectionVerdict, ErpDocumentRef, PriceLevel, StockLevel, Verdict
from storelink_erp_kit.errors import ErpAuthFailed, ErpError, ErpRejected, ErpUnavailable
from storelink_erp_kit.http import post_json
from storelink_erp_metakocka.errors import classify
from storelink_erp_metakocka.mapping import MappingError, MetakockaOptions, build_put_document, doc_type_of

DEFAULT_BASE_URL = "https://main.metakocka.si/rest/eshop/"
PATHS: dict[str, str] = {
    "put_document": "v1/put_document",
    "get_document": "v1/get_document",
    "search": "v1/search",
    "put_transaction": "v1/put_transaction",
    "product_list": "v1/json/product_list",
    "warehouse_stock": "v1/json/warehouse_stock",
    "warehouse_list": "v1/json/warehouse_list",
}
PAGE = 1000
SEARCH_PAGE = 100
_search_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)


def parse_decimal(text: Any) -> Decimal:
    """MetaKocka numbers are strings, sometimes with a decimal comma ("19,99")."""
    try:
        return Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        raise ErpRejected(f"MetaKocka returned {text!r} where a number was expected") from None


class MetakockaClient:
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
        self._http = http or httpx.AsyncClient()
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
            raise classify(data, method=method)
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
        return {"method": "POST", "url": self.url("put_document"), "json": body}

    def _build(self, doc: DocumentRequested, related: ErpDocumentRef | None) -> dict[str, Any]:
        try:
            return build_put_document(doc, self.options, related)
        except MappingError as exc:
            raise ErpRejected(str(exc), code="mapping") from None

    async def create_document(
        self, doc: DocumentRequested, related: ErpDocumentRef | None = None
    ) -> ErpDocumentRef:
        data = await self.call("put_document", self._build(doc, related), writes=True)
        return _ref(data)

    async def find_document(self, doc: DocumentRequested) -> ErpDocumentRef | None:
        doc_type = doc_type_of(doc.kind)
        if doc.kind is DocumentKind.SALES_ORDER:
            try:
                data = await self.call(
                    "get_document", {"doc_type": doc_type, "buyer_order": doc.order_number}
                )
            except ErpRejected as exc:
                if "not found" in exc.reason.lower():
                    return None
                raise
            return _ref(data)
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
                rows = data.get("result") or []
                for row in rows:
                    if (
                        str(row.get("buyer_order")) == doc.order_number
                        or str(row.get("title")) == doc.order_number
                    ):
                        return _ref(row)
                if len(rows) < SEARCH_PAGE:
                    return None
                offset += SEARCH_PAGE

    # ------------------------------------------------------------------ connection test

    async def test_connection(self) -> ConnectionVerdict:
        try:
            await self.call("warehouse_list", {})
            async with _search_locks[self.company_id]:
                await self.call("search", {"doc_type": "sales_order", "result_type": "doc", "limit": "1"})
        except ErpAuthFailed as exc:
            verdict = (
                Verdict.MISSING_PRIVILEGES
                if (exc.code or "").startswith("privileges")
                else (Verdict.WRONG_SECRET if "secret" in exc.reason else Verdict.WRONG_ACCOUNT)
            )
            return ConnectionVerdict(verdict, exc.reason)
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
            str(w.get("mk_id")): str(w.get("mark") or w.get("name")) for w in data.get("warehouse_list") or []
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
        totals: dict[tuple[str, str], Decimal] = {}
        offset = 0
        while True:
            data = await self.call("warehouse_stock", {**request, "offset": str(offset)})
            rows = data.get("stock_list") or []
            for row in rows:
                mark = marks.get(str(row.get("warehouse_id")), str(row.get("warehouse_id")))
                code = str(row.get("code") or row.get("count_code"))
                qty = parse_decimal(
                    row["free_amount"] if row.get("free_amount") not in (None, "") else row["amount"]
                )
                totals[(mark, code)] = totals.get((mark, code), Decimal(0)) + qty
            if len(rows) < PAGE:
                break
            offset += PAGE
        return [StockLevel(warehouse=w, sku=s, quantity=q) for (w, s), q in sorted(totals.items())]

    async def read_prices(self, price_lists: list[str]) -> list[PriceLevel]:
        wanted = set(price_lists)
        out: list[PriceLevel] = []
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
            products = data.get("product_list") or []
            for product in products:
                code = str(product.get("code") or product.get("count_code"))
                for entry in product.get("pricelist") or []:
                    name = str(entry.get("count_code"))
                    if name not in wanted:
                        continue
                    level = _price_level(name, code, entry)
                    if level is not None:
                        out.append(level)
            if len(products) < PAGE:
                break
            offset += PAGE
        return out


def _price_level(name: str, code: str, entry: dict[str, Any]) -> PriceLevel | None:
    defs = entry.get("price_def") or []
    if isinstance(defs, dict):
        defs = [defs]
    # the base tier: no quantity threshold (or the lowest one)
    base = min(defs, key=lambda d: parse_decimal(d.get("amount_from") or "0"), default=None)
    if base is None:
        return None
    factor = base.get("tax_factor")
    rate = (
        parse_decimal(factor) * 100
        if factor not in (None, "")
        else parse_decimal(base.get("tax_desc") or "0")
    )
    return PriceLevel(
        price_list=name,
        sku=code,
        currency=str(entry.get("currency_code") or "EUR"),
        tax_rate=rate.normalize(),
        net=parse_decimal(base["price"]) if base.get("price") not in (None, "") else None,
        gross=parse_decimal(base["price_with_tax"]) if base.get("price_with_tax") not in (None, "") else None,
    )


def _ref(data: dict[str, Any]) -> ErpDocumentRef:
    zoi = data.get("furs_zoi")
    fiscal = (
        FiscalCodes(zoi=str(zoi), eor=str(data.get("furs_eor")) if data.get("furs_eor") else None)
        if zoi
        else None
    )
    return ErpDocumentRef(erp_id=str(data["mk_id"]), number=data.get("count_code"), fiscal=fiscal)
