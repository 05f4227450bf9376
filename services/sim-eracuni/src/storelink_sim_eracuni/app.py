"""The e-računi JSON API (`POST …/WebServicesSI/API`) as documented (erp-apis.md §2), in FastAPI.

Behaviour: credentials and method in the body; the `response.status` envelope, errors in
"Error nr: N #field - text; " form, often with HTTP 500; one request in flight per API user (a
second one is refused with the lock message); a per-user rate limit answering 429 + Retry-After;
documents listed by date with their `reference`; stock per warehouse. Faults: delay, 5xx pages,
error descriptions, and answers lost after the document was stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
import uuid
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

LOCK_MESSAGE = "Another web request is currently being processed. Please try again later."
FISCAL_METHODS = {
    "Cash",
    "Visa",
    "EurocardMastercard",
    "Diners",
    "Amex",
    "Stripe",
    "PayPal",
    "CorvusPay",
    "KeksPay",
}
CREATE = {
    "SalesQuoteCreate": "SalesQuote",
    "SalesOrderCreate": "SalesOrder",
    "SalesInvoiceCreate": "SalesInvoice",
}
LIST = {"SalesQuoteList": "SalesQuote", "SalesOrderList": "SalesOrder", "SalesInvoiceList": "SalesInvoice"}


@dataclass
class User:
    username: str
    secret_key: str
    token: str
    denied_methods: set[str] = field(default_factory=set)
    fiscal_unit: bool = True


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
    faults: Faults = field(default_factory=Faults)
    calls: Counter[str] = field(default_factory=Counter)
    in_flight: Counter[str] = field(default_factory=Counter)
    max_in_flight: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(7))  # noqa: S311 - simulation only
    next_id: int = 254000

    def add_user(self, username: str, secret_key: str, token: str, **kw: Any) -> User:
        user = User(username, secret_key, token, **kw)
        self.users[username] = user
        self.documents.setdefault(token, [])
        self.stock.setdefault(token, [])
        return user

    def set_faults(self, **kw: Any) -> None:
        self.faults = Faults(**kw)
        self.rng = random.Random(self.faults.seed)  # noqa: S311


def error(description: str, method: str, status: int = 500) -> JSONResponse:
    return JSONResponse(
        {
            "response": {
                "status": "error",
                "description": description,
                "apiMethod": method,
                "release": "1030.3",
                "serverTime": time.strftime("%Y-%m-%dT%H:%M:%S"),
            }
        },
        status_code=status,
    )


def ok(result: Any) -> JSONResponse:
    return JSONResponse({"response": {"status": "ok", "result": result}})


def _num(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def validate(wrapper: str, doc: Any, user: User) -> str | None:
    problems = []
    if not isinstance(doc, dict):
        return f"Error nr: 1 #{wrapper} - missing document; "
    if not doc.get("buyerName"):
        problems.append("#buyerName - Buyer name is mandatory")
    if doc.get("buyerVatRegistration") == "Registered" and not doc.get("buyerTaxNumber"):
        problems.append("#buyerTaxNumber - VAT ID entry is mandatory for buyer registered for VAT")
    items = doc.get("Items")
    if not isinstance(items, list) or not items:
        problems.append("#Items - At least one item is required")
    else:
        for i, it in enumerate(items, start=1):
            if _num(it.get("quantity")) is None:
                problems.append(f"#Items[{i}].quantity - Invalid number")
            prices = [k for k in ("price", "netPrice") if k in it]
            if len(prices) != 1 or _num(it[prices[0]]) is None:
                problems.append(f"#Items[{i}].price - Exactly one of price or netPrice is required")
            if "price" in it and doc.get("type") not in ("Retail", "Gross"):
                problems.append(f"#Items[{i}].price - Gross price needs type Retail or Gross")
    if doc.get("type") == "Retail":
        if doc.get("methodOfPayment") not in FISCAL_METHODS:
            problems.append(
                f"#methodOfPayment - Method of payment {doc.get('methodOfPayment')} is not allowed "
                "for a retail invoice"
            )
        if not user.fiscal_unit or not doc.get("cashRegisterCode"):
            problems.append("#cashRegisterCode - Fiscalized business unit is not set up and activated")
    if not problems:
        return None
    return " ".join(f"Error nr: {n} {p};" for n, p in enumerate(problems, start=1)) + " "


def create_app(state: EracuniState | None = None) -> FastAPI:
    state = state or EracuniState()
    app = FastAPI(title="e-računi simulator")
    app.state.sim = state
    window: defaultdict[str, deque[float]] = defaultdict(deque)
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

    @app.post("/WebServicesSI/API", response_model=None)
    async def api(request: Request) -> JSONResponse | HTMLResponse:
        try:
            body = await request.json()
        except ValueError:
            return error("Error nr: 1 #request - Request is not valid JSON; ", "")
        method = str(body.get("method") or "")
        state.calls[method] += 1
        f = state.faults
        if f.delay_seconds:
            await asyncio.sleep(f.delay_seconds)
        if f.fail_5xx_next > 0:
            f.fail_5xx_next -= 1
            return HTMLResponse("<html><body>502 Bad Gateway</body></html>", status_code=502)
        user = state.users.get(str(body.get("username")))
        if user is None or body.get("secretKey") != user.secret_key:
            return error("Login failed: invalid username or secretKey", method)
        if body.get("token") != user.token:
            return error("Login failed: invalid token (organization not found)", method)
        if f.rate_limit_per_second:
            now = time.monotonic()
            q = window[user.username]
            while q and now - q[0] > 1.0:
                q.popleft()
            if len(q) >= f.rate_limit_per_second:
                state.calls["rate_limited"] += 1
                return JSONResponse(
                    {"response": {"status": "error", "description": "Too many requests"}},
                    status_code=429,
                    headers={"Retry-After": "1"},
                )
            q.append(now)
        if state.in_flight[user.username] > 0 or f.lock_next > 0:
            if f.lock_next > 0:
                f.lock_next -= 1
            state.calls["lock_refused"] += 1
            return error(LOCK_MESSAGE, method)
        state.in_flight[user.username] += 1
        state.max_in_flight = max(state.max_in_flight, state.in_flight[user.username])
        try:
            await asyncio.sleep(0)
            if method in user.denied_methods:
                return error(f"User {user.username} has no privilege for {method}", method)
            if f.error_next:
                return error(f.error_next.pop(0), method)
            return await dispatch(user, method, body.get("parameters") or {})
        finally:
            state.in_flight[user.username] -= 1

    async def dispatch(user: User, method: str, params: dict[str, Any]) -> JSONResponse:
        docs = state.documents[user.token]
        if method in CREATE:
            wrapper = CREATE[method]
            problem = validate(wrapper, params.get(wrapper), user)
            if problem:
                return error(problem, method)
            doc = dict(params[wrapper])
            state.next_id += 1
            counters[(user.token, wrapper)] += 1
            doc["documentID"] = f"60:{state.next_id}"
            doc["number"] = f"{counters[(user.token, wrapper)]}-WEB-1"
            doc["kind"] = wrapper
            if doc.get("type") == "Retail":
                doc["zoi"] = hashlib.md5(doc["documentID"].encode()).hexdigest()  # noqa: S324 - simulated
                doc["eor"] = str(uuid.uuid5(uuid.NAMESPACE_OID, doc["documentID"]))
            docs.append(doc)
            state.calls["stored"] += 1
            f = state.faults
            if (f.hang_after_store_every and state.calls["stored"] % f.hang_after_store_every == 0) or (
                f.hang_after_store_ratio and state.rng.random() < f.hang_after_store_ratio
            ):
                state.calls["answers_lost"] += 1
                await asyncio.sleep(f.hang_seconds)
            result = {"date": doc.get("date"), "documentID": doc["documentID"], "number": doc["number"]}
            if "zoi" in doc:
                result.update(zoi=doc["zoi"], eor=doc["eor"])
            return ok(result)
        if method in LIST:
            wrapper = LIST[method]
            lo, hi = str(params.get("dateFrom") or ""), str(params.get("dateTo") or "9999")
            rows = [d for d in docs if d["kind"] == wrapper and lo <= str(d.get("date")) <= hi]
            return ok({wrapper + "s": rows})
        if method == "WarehouseGetArticleStockQuantity":
            rows = state.stock[user.token]
            if params.get("warehouseCode"):
                rows = [r for r in rows if r.get("warehouseCode") == params["warehouseCode"]]
            return ok({"StockQuantityInfo": rows})
        return error(f"Error nr: 1 #method - Unknown method {method}; ", method)

    return app


def main() -> None:
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="e-računi API simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8902)
    parser.add_argument("--user", action="append", default=[], help="USERNAME:SECRET_KEY:TOKEN (repeatable)")
    args = parser.parse_args()
    state = EracuniState()
    for spec in args.user or ["api@example.si:dev-secret:dev-token"]:
        username, secret, token = spec.split(":", 2)
        state.add_user(username, secret, token)
    uvicorn.run(create_app(state), host=args.host, port=args.port, log_level="warning")
