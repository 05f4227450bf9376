"""The e-računi WS API (`POST …/WebServicesSI/API`) as its documentation describes it, in FastAPI.

Documented (sources in `storelink_erp_eracuni.protocol`, read 2026-12-01): the JSON body
`{username, md5pass, token, method, parameters}` with md5pass = MD5(USERNAME + password); amounts and
quantities as JSON numbers; the method names; `documentID` as a document's identifier; stock per
warehouse with at most 50 000 records when no `productCode` is given; at most 4 requests in 4 s per
user, answered late rather than refused (`pace_requests`, off by default to keep tests fast).
Assumed (each named in `storelink_erp_eracuni.assumptions`): the JSON answer envelope and error
texts (ER1-ER3), strings refused as numbers (ER4), list lookups (ER5), document fields (ER6),
cancel / invoice-from-order (ER7), fiscal verification and where ZOI/EOR are read (ER8, ER9), the
stock and product rows (ER10, ER11). Faults for tests: delay, 5xx pages, error descriptions, the
per-user lock, HTTP 429, answers lost after the document was stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
import uuid
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import simplejson
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from storelink_erp_eracuni import assumptions as A
from storelink_erp_eracuni import protocol as P

CREATE = {
    "SalesQuoteCreate": "SalesQuote",
    P.SALES_ORDER_CREATE: "SalesOrder",
    P.SALES_INVOICE_CREATE: "SalesInvoice",
}
LIST = {
    "SalesQuoteList": "SalesQuote",
    P.SALES_ORDER_LIST: "SalesOrder",
    P.SALES_INVOICE_LIST: "SalesInvoice",
}
GET = {"SalesOrderGet": "SalesOrder", P.SALES_INVOICE_GET: "SalesInvoice"}
NUMBER_FIELDS = ("quantity", "price", "netPrice", "vatPercentage", "discountPercentage")


@dataclass
class User:
    username: str
    password: str
    token: str
    denied_methods: set[str] = field(default_factory=set)
    fiscal_unit: bool = True
    """The fiscal business unit is set up and activated (WS-INVOICE: needed for fiscal invoices)."""

    @property
    def md5pass(self) -> str:
        return P.md5pass(self.username, self.password)


@dataclass
class Faults:
    delay_seconds: float = 0.0
    hang_after_store_ratio: float = 0.0
    hang_after_store_every: int = 0
    hang_seconds: float = 5.0
    fail_5xx_next: int = 0
    lock_next: int = 0
    error_next: list[str] = field(default_factory=list)
    rate_limit_per_second: int = 0
    seed: int = 7


@dataclass
class EracuniState:
    users: dict[str, User] = field(default_factory=dict)
    documents: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    stock: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    products: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    pace_requests: bool = False
    calls: Counter[str] = field(default_factory=Counter)
    in_flight: Counter[str] = field(default_factory=Counter)
    max_in_flight: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(7))  # noqa: S311 - simulation only
    next_id: int = 254000

    def add_user(self, username: str, password: str, token: str, **kw: Any) -> User:
        user = User(username, password, token, **kw)
        self.users[username] = user
        self.documents.setdefault(token, [])
        self.stock.setdefault(token, [])
        self.products.setdefault(token, [])
        return user

    def user(self, username: str) -> User | None:
        """User names are matched without regard to case (the documented examples write MICKA and micka)."""
        return next((u for u in self.users.values() if u.username.upper() == username.upper()), None)

    def set_faults(self, **kw: Any) -> None:
        self.faults = Faults(**kw)
        self.rng = random.Random(self.faults.seed)  # noqa: S311

    def new_id(self) -> str:
        self.next_id += 1
        return f"60:{self.next_id}"


def answer(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Decimals go out as JSON numbers digit for digit."""
    return Response(
        simplejson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def error(description: str, method: str, status: int = 500) -> Response:
    return answer(
        {
            A.RESPONSE: {
                "status": A.STATUS_ERROR,
                "description": description,
                "apiMethod": method,
                "release": "1030.3",
                "serverTime": time.strftime("%Y-%m-%dT%H:%M:%S"),
            }
        },
        status,
    )


def ok(result: Any) -> Response:
    return answer({A.RESPONSE: {"status": A.STATUS_OK, "result": result}})


def field_errors(problems: list[str]) -> str:
    return " ".join(f"Error nr: {n} {p};" for n, p in enumerate(problems, start=1)) + " "


def is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def validate(wrapper: str, doc: Any, user: User) -> str | None:
    if not isinstance(doc, dict):
        return f"Error nr: 1 #{wrapper} - missing document; "
    problems: list[str] = []
    if not doc.get("buyerName"):
        problems.append("#buyerName - Buyer name is mandatory")
    if doc.get("buyerVatRegistration") == "Registered" and not doc.get("buyerTaxNumber"):
        problems.append("#buyerTaxNumber - VAT ID entry is mandatory for buyer registered for VAT")
    items = doc.get("Items")
    if not isinstance(items, list) or not items:
        problems.append("#Items - At least one item is required")
    else:
        for i, it in enumerate(items, start=1):
            problems += [
                f"#Items[{i}].{name} - Invalid number"
                for name in NUMBER_FIELDS
                if name in it and not is_number(it[name])
            ]
            if "quantity" not in it:
                problems.append(f"#Items[{i}].quantity - Invalid number")
            prices = [k for k in ("price", "netPrice") if k in it]
            if len(prices) != 1:
                problems.append(f"#Items[{i}].price - Exactly one of price or netPrice is required")
            if "price" in it and doc.get("type") not in (A.TYPE_RETAIL, A.TYPE_GROSS):
                problems.append(f"#Items[{i}].price - Gross price needs type Retail or Gross")
    if wrapper == "SalesInvoice":
        problems += fiscal_problems(doc, user)
    return field_errors(problems) if problems else None


def fiscal_problems(doc: dict[str, Any], user: User) -> list[str]:
    """ER8: a Retail invoice, or any issued invoice with a cash register code, is fiscally verified."""
    fiscal = doc.get("type") == A.TYPE_RETAIL or bool(doc.get(A.CASH_REGISTER_CODE))
    if not fiscal:
        return []
    problems = []
    if doc.get("methodOfPayment") not in A.FISCAL_PAYMENT_METHODS:
        problems.append(
            f"#methodOfPayment - Method of payment {doc.get('methodOfPayment')} is not allowed "
            "for a fiscalized invoice"
        )
    if not user.fiscal_unit or not doc.get(A.CASH_REGISTER_CODE):
        problems.append("#cashRegisterCode - Fiscalized business unit is not set up and activated")
    return problems


def fiscalize(doc: dict[str, Any]) -> None:
    if doc.get("status") == A.INVOICE_STATUS_ISSUED and (
        doc.get("type") == A.TYPE_RETAIL or doc.get(A.CASH_REGISTER_CODE)
    ):
        doc[A.ZOI] = hashlib.md5(doc["documentID"].encode(), usedforsecurity=False).hexdigest()
        doc[A.EOR] = str(uuid.uuid5(uuid.NAMESPACE_OID, doc["documentID"]))


def create_app(state: EracuniState | None = None) -> FastAPI:
    state = state or EracuniState()
    app = FastAPI(title="e-računi simulator")
    app.state.sim = state
    window: defaultdict[str, deque[float]] = defaultdict(deque)
    paced: defaultdict[str, deque[float]] = defaultdict(deque)
    counters: Counter[tuple[str, str]] = Counter()

    @app.get("/_sim/stats")
    async def stats() -> dict[str, Any]:
        return {
            "calls": dict(state.calls),
            "documents": {t: len(d) for t, d in state.documents.items()},
            "max_in_flight": state.max_in_flight,
        }

    @app.post("/_sim/faults")
    async def faults(request: Request) -> dict[str, Any]:
        state.set_faults(**(await request.json()))
        return {"ok": True}

    # Arranging the simulated organisation over HTTP (`make up`'s demo); not e-računi's API.

    @app.get("/_sim/documents/{token}")
    async def documents(token: str) -> list[dict[str, Any]]:
        return state.documents.get(token, [])

    @app.put("/_sim/stock/{token}")
    async def put_stock(token: str, request: Request) -> dict[str, Any]:
        """Rows as ER10 reads them: {productCode, warehouseCode, quantityOnStock}."""
        state.stock[token] = json.loads(await request.body(), parse_float=Decimal)
        return {"ok": True}

    @app.put("/_sim/products/{token}")
    async def put_products(token: str, request: Request) -> dict[str, Any]:
        """Rows as ER11 reads them: {productCode, retailPrice, vatPercentage}."""
        state.products[token] = json.loads(await request.body(), parse_float=Decimal)
        return {"ok": True}

    async def pace(username: str) -> None:
        """WS-AUTH: 4 requests in 4 s per user; a faster client's answers are delayed, not refused."""
        q = paced[username]
        now = time.monotonic()
        while q and now - q[0] >= P.RATE_LIMIT_WINDOW_SECONDS:
            q.popleft()
        if len(q) >= P.RATE_LIMIT_REQUESTS:
            state.calls["paced"] += 1
            await asyncio.sleep(P.RATE_LIMIT_WINDOW_SECONDS - (now - q[0]))
            q.popleft()
        q.append(time.monotonic())

    @app.post("/WebServicesSI/API", response_model=None)
    async def api(request: Request) -> Response:
        try:
            body = json.loads(await request.body(), parse_float=Decimal)
        except ValueError:
            return error("Error nr: 1 #request - Request is not valid JSON; ", "")
        if not isinstance(body, dict):
            return error("Error nr: 1 #request - Request is not a JSON object; ", "")
        method = str(body.get("method") or "")
        state.calls[method] += 1
        f = state.faults
        if f.delay_seconds:
            await asyncio.sleep(f.delay_seconds)
        if f.fail_5xx_next > 0:
            f.fail_5xx_next -= 1
            return HTMLResponse("<html><body>502 Bad Gateway</body></html>", status_code=502)
        user = state.user(str(body.get("username") or ""))
        if user is None or body.get("md5pass") != user.md5pass:
            return error(A.LOGIN_FAILED_DESCRIPTION, method)
        if body.get("token") != user.token:
            return error(A.TOKEN_FAILED_DESCRIPTION, method)
        if state.pace_requests:
            await pace(user.username)
        if f.rate_limit_per_second:
            now = time.monotonic()
            q = window[user.username]
            while q and now - q[0] > 1.0:
                q.popleft()
            if len(q) >= f.rate_limit_per_second:
                state.calls["rate_limited"] += 1
                return answer(
                    {A.RESPONSE: {"status": A.STATUS_ERROR, "description": "Too many requests"}},
                    429,
                    {"Retry-After": "1"},
                )
            q.append(now)
        if state.in_flight[user.username] > 0 or f.lock_next > 0:
            if f.lock_next > 0:
                f.lock_next -= 1
            state.calls["lock_refused"] += 1
            return error(A.LOCK_DESCRIPTION, method)
        state.in_flight[user.username] += 1
        state.max_in_flight = max(state.max_in_flight, state.in_flight[user.username])
        try:
            await asyncio.sleep(0)
            if method in user.denied_methods:
                return error(A.NO_PRIVILEGE_DESCRIPTION.format(username=user.username, method=method), method)
            if f.error_next:
                return error(f.error_next.pop(0), method)
            params = body.get("parameters") or {}
            if not isinstance(params, dict):
                return error("Error nr: 1 #parameters - Parameters must be an object; ", method)
            return await dispatch(user, method, params)
        finally:
            state.in_flight[user.username] -= 1

    async def store(user: User, wrapper: str, doc: dict[str, Any], method: str) -> Response:
        docs = state.documents[user.token]
        doc["documentID"] = state.new_id()
        counters[(user.token, wrapper)] += 1
        doc["number"] = f"{counters[(user.token, wrapper)]}-WEB-1"
        doc["kind"] = wrapper
        doc.setdefault("date", doc.get("dateOfSupplyFrom") or time.strftime("%Y-%m-%d"))
        if wrapper == "SalesInvoice":
            fiscalize(doc)
        docs.append(doc)
        state.calls["stored"] += 1
        f = state.faults
        if (f.hang_after_store_every and state.calls["stored"] % f.hang_after_store_every == 0) or (
            f.hang_after_store_ratio and state.rng.random() < f.hang_after_store_ratio
        ):
            state.calls["answers_lost"] += 1
            await asyncio.sleep(f.hang_seconds)
        return ok({key: doc[key] for key in A.CREATED_RESULT_KEYS})

    def find(user: User, wrapper: str, document_id: Any) -> dict[str, Any] | None:
        for doc in state.documents[user.token]:
            if doc["kind"] == wrapper and doc["documentID"] == document_id:
                return doc
        return None

    async def dispatch(user: User, method: str, params: dict[str, Any]) -> Response:
        if method in CREATE:
            wrapper = CREATE[method]
            problem = validate(wrapper, params.get(wrapper), user)
            if problem:
                return error(problem, method)
            return await store(user, wrapper, dict(params[wrapper]), method)
        if method in LIST:
            wrapper = LIST[method]
            lo = str(params.get(A.LIST_DATE_FROM) or "")
            hi = str(params.get(A.LIST_DATE_TO) or "9999")
            docs = state.documents[user.token]
            return ok(
                {wrapper + "s": [d for d in docs if d["kind"] == wrapper and lo <= str(d["date"]) <= hi]}
            )
        if method in GET:
            doc = find(user, GET[method], params.get(A.DOCUMENT_ID))
            if doc is None:
                return error("Error nr: 1 #documentID - Document not found; ", method)
            return ok({GET[method]: doc})
        if method == P.SALES_ORDER_CANCEL:
            return cancel_order(user, params, method)
        if method == P.SALES_ORDER_CREATE_INVOICE:
            return await invoice_order(user, params, method)
        if method == P.WAREHOUSE_STOCK:
            return ok([{A.STOCK_ROW: row} for row in stock_rows(user, params)])
        if method == P.PRODUCT_LIST:
            return ok(state.products[user.token])
        return error(f"Error nr: 1 #method - Unknown method {method}; ", method)

    def cancel_order(user: User, params: dict[str, Any], method: str) -> Response:
        order = find(user, "SalesOrder", params.get(A.DOCUMENT_ID))
        if order is None:
            return error("Error nr: 1 #documentID - Sales order not found; ", method)
        if order.get("invoiceID"):
            return error("Error nr: 1 #documentID - Invoiced sales order cannot be cancelled; ", method)
        order["status"] = "Cancelled"
        return ok({A.DOCUMENT_ID: order["documentID"]})

    async def invoice_order(user: User, params: dict[str, Any], method: str) -> Response:
        order = find(user, "SalesOrder", params.get(A.DOCUMENT_ID))
        if order is None:
            return error("Error nr: 1 #documentID - Sales order not found; ", method)
        if order.get("status") == "Cancelled" or order.get("invoiceID"):
            return error("Error nr: 1 #documentID - Sales order is cancelled or already invoiced; ", method)
        header = params.get("SalesInvoice") or {}
        if not isinstance(header, dict):
            return error("Error nr: 1 #SalesInvoice - Invoice header must be an object; ", method)
        copied = {
            k: v for k, v in order.items() if k not in ("documentID", "number", "kind", "date", "status")
        }
        invoice = {**copied, **header}
        problem = validate("SalesInvoice", invoice, user)
        if problem:
            return error(problem, method)
        result = await store(user, "SalesInvoice", invoice, method)
        order["invoiceID"] = invoice["documentID"]
        return result

    def stock_rows(user: User, params: dict[str, Any]) -> list[dict[str, Any]]:
        rows = state.stock[user.token]
        if params.get("warehouseCode"):
            rows = [r for r in rows if r.get(A.STOCK_WAREHOUSE_CODE) == params["warehouseCode"]]
        codes = params.get("productCode")
        if codes is None:
            return rows[: P.STOCK_RECORD_CAP]
        wanted = {codes} if isinstance(codes, str) else set(codes)
        return [r for r in rows if r.get(A.STOCK_PRODUCT_CODE) in wanted]

    return app


def main() -> None:
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="e-računi API simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8902)
    parser.add_argument("--user", action="append", default=[], help="USERNAME:PASSWORD:TOKEN (repeatable)")
    args = parser.parse_args()
    state = EracuniState()
    for spec in args.user or ["api@example.si:dev-password:dev-token"]:
        username, password, token = spec.split(":", 2)
        state.add_user(username, password, token)
    uvicorn.run(create_app(state), host=args.host, port=args.port, log_level="warning")
