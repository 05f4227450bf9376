"""The MetaKocka REST API as documented (erp-apis.md §1), served by FastAPI.

Behaviour: credentials in the body; `opr_code`/`opr_desc` errors with HTTP 200; a web page for a
wrong path; unique customer order number on sales orders; get_document by buyer_order; search
(one at a time per company, at most 100 per page); warehouse_stock / product_list paging; fiscal
verification codes. Faults: delays, 5xx pages, error bodies, and answers lost *after* storing.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from storelink_sim_metakocka.state import SimState

V1 = {
    "put_document",
    "update_document",
    "delete_document",
    "get_document",
    "search",
    "put_transaction",
    "change_document_status",
    "mark_orders_as_shipped",
    "source_stock",
}
V1_JSON = {
    "product_list",
    "product_add",
    "product_update",
    "warehouse_stock",
    "warehouse_list",
    "put_sales_bill",
    "add_payment",
}
DOC_TYPES = {
    "sales_offer",
    "sales_order",
    "sales_bill_domestic",
    "sales_bill_foreign",
    "sales_bill_retail",
    "sales_bill_prepaid",
    "sales_bill_credit_note",
}
BILLS = {"sales_bill_domestic", "sales_bill_foreign", "sales_bill_retail"}
NOT_FOUND_PAGE = "<html><head><title>MetaKocka</title></head><body><h1>404 Not Found</h1></body></html>"


def err(code: str, desc: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"opr_code": code, "opr_desc": desc, "opr_time_ms": "3", **extra})


def ok(**data: Any) -> JSONResponse:
    return JSONResponse({"opr_code": "0", "opr_time_ms": "5", **data})


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value).replace(",", "."))
    except (InvalidOperation, ValueError):
        return None


def validate_document(body: dict[str, Any]) -> str | None:
    doc_type = body.get("doc_type")
    if doc_type not in DOC_TYPES:
        valid = ",".join(sorted(DOC_TYPES))
        return f"Paramether 'doc_type' has invalid value : {doc_type}. Valid values : {valid}"
    partner = body.get("partner")
    if not isinstance(partner, dict) or not partner.get("customer"):
        return "Paramether 'partner.customer' is mandatory"
    for name in ("doc_date", "delivery_type", "method_of_payment"):
        if not body.get(name):
            return f"Paramether '{name}' is mandatory"
    lines = body.get("product_list")
    if not isinstance(lines, list) or not lines:
        return "Paramether 'product_list' is mandatory"
    for i, line in enumerate(lines, start=1):
        if not (line.get("code") or line.get("count_code") or line.get("name")):
            return f"Paramether 'product_list[{i}].code' is mandatory"
        if _number(line.get("amount")) is None:
            return f"Paramether 'product_list[{i}].amount' has invalid value : {line.get('amount')}"
        prices = [k for k in ("price", "price_with_tax") if k in line]
        if len(prices) != 1 or _number(line[prices[0]]) is None:
            return f"Paramether 'product_list[{i}]' needs exactly one valid price or price_with_tax"
        if "tax" not in line and _number(line.get("tax_factor")) is None:
            return f"Paramether 'product_list[{i}].tax_factor' has invalid value : {line.get('tax_factor')}"
    return None


def create_app(state: SimState | None = None) -> FastAPI:
    state = state or SimState()
    app = FastAPI(title="MetaKocka simulator")
    app.state.sim = state
    search_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
    counters: defaultdict[tuple[str, str], int] = defaultdict(int)

    # ---------------------------------------------------------------- control API (not MetaKocka's)

    @app.get("/_sim/stats")
    async def stats() -> dict[str, Any]:
        return state.stats()

    @app.get("/_sim/documents/{company_id}")
    async def documents(company_id: str) -> list[dict[str, Any]]:
        return state.documents.get(company_id, [])

    @app.post("/_sim/faults")
    async def faults(request: Request) -> dict[str, Any]:
        state.set_faults(**(await request.json()))
        return {"ok": True}

    @app.post("/_sim/companies")
    async def companies(request: Request) -> dict[str, Any]:
        data = await request.json()
        known = data.pop("known_products", None)
        denied = set(data.pop("denied_methods", []))
        state.add_company(
            known_products=set(known) if known is not None else None, denied_methods=denied, **data
        )
        return {"ok": True}

    @app.put("/_sim/stock/{company_id}")
    async def put_stock(company_id: str, request: Request) -> dict[str, Any]:
        state.stock[company_id] = await request.json()
        return {"ok": True}

    @app.put("/_sim/products/{company_id}")
    async def put_products(company_id: str, request: Request) -> dict[str, Any]:
        state.products[company_id] = await request.json()
        return {"ok": True}

    # ---------------------------------------------------------------- the API

    @app.post("/rest/eshop/v1/json/{method}", response_model=None)
    async def v1_json(method: str, request: Request) -> JSONResponse | HTMLResponse:
        if method not in V1_JSON:
            return HTMLResponse(NOT_FOUND_PAGE, status_code=404)
        return await dispatch(method, request)

    @app.post("/rest/eshop/v1/{method}", response_model=None)
    async def v1(method: str, request: Request) -> JSONResponse | HTMLResponse:
        if method not in V1:
            return HTMLResponse(NOT_FOUND_PAGE, status_code=404)
        return await dispatch(method, request)

    async def dispatch(method: str, request: Request) -> JSONResponse | HTMLResponse:
        state.calls[method] += 1
        f = state.faults
        if f.delay_seconds:
            await asyncio.sleep(f.delay_seconds)
        if f.fail_5xx_next > 0:
            f.fail_5xx_next -= 1
            return HTMLResponse("<html><body>503 Service Unavailable (MetaKocka update)</body></html>", 503)
        if f.html_next > 0:
            f.html_next -= 1
            return HTMLResponse(NOT_FOUND_PAGE, status_code=200)
        try:
            body = await request.json()
        except ValueError:
            return err("2", "Request body is not valid JSON")
        if not isinstance(body, dict):
            return err("2", "Request body must be a JSON object")
        company = state.companies.get(str(body.get("company_id", "")))
        if company is None:
            return err("1", f"Company with id {body.get('company_id')} does not exist")
        if body.get("secret_key") != company.secret_key:
            return err("1", "Invalid secret_key for this company")
        if method in company.denied_methods:
            return err("1", f"API user has no permission for method {method}")
        if f.error_next:
            return JSONResponse(f.error_next.pop(0))
        handler = HANDLERS.get(method)
        if handler is None:
            return err("6", f"Method {method} is not simulated")
        return await handler(company.company_id, body)

    async def put_document(cid: str, body: dict[str, Any]) -> JSONResponse:
        problem = validate_document(body)
        if problem:
            return err("2", problem)
        company = state.companies[cid]
        docs = state.documents[cid]
        doc_type = body["doc_type"]
        if company.known_products is not None:
            missing = [
                ln.get("code")
                for ln in body["product_list"]
                if ln.get("service") != "true" and ln.get("code") not in company.known_products
            ]
            if missing:
                return err(
                    "2",
                    f"Product with count_code {missing[0]} not found",
                    product_not_found_list=[{"code": c} for c in missing],
                )
        if (
            doc_type == "sales_order"
            and body.get("buyer_order")
            and any(
                d["doc_type"] == "sales_order" and d.get("buyer_order") == body["buyer_order"] for d in docs
            )
        ):
            return err("2", f"Sales order with buyer_order {body['buyer_order']} already exists")
        fiscal = body.get("send_to_furs") == "true"
        if fiscal and not company.fiscal_register:
            return err("4001", "Certified cash register is not set on company")
        f = state.faults
        if f.slow_store_seconds:
            await asyncio.sleep(f.slow_store_seconds)
        # a second look after the wait: the same order may have been stored meanwhile
        if (
            doc_type == "sales_order"
            and body.get("buyer_order")
            and any(
                d["doc_type"] == "sales_order" and d.get("buyer_order") == body["buyer_order"] for d in docs
            )
        ):
            return err("2", f"Sales order with buyer_order {body['buyer_order']} already exists")
        state.next_mk_id += 1
        counters[(cid, doc_type)] += 1
        stored = {k: v for k, v in body.items() if k not in ("secret_key",)}
        stored["mk_id"] = str(state.next_mk_id)
        stored["count_code"] = (
            body.get("count_code") or f"{doc_type[:2].upper()}-2026-{counters[(cid, doc_type)]:05d}"
        )
        if fiscal and doc_type in BILLS:
            stored["furs_zoi"] = hashlib.md5(stored["mk_id"].encode()).hexdigest()  # noqa: S324 - simulated
            stored["furs_eor"] = str(uuid.uuid5(uuid.NAMESPACE_OID, stored["mk_id"]))
        docs.append(stored)
        state.calls["stored"] += 1
        hang = (f.hang_after_store_every and state.calls["stored"] % f.hang_after_store_every == 0) or (
            f.hang_after_store_ratio and state.rng.random() < f.hang_after_store_ratio
        )
        if hang:
            state.calls["answers_lost"] += 1
            await asyncio.sleep(f.hang_seconds)
        answer = {"mk_id": stored["mk_id"], "count_code": stored["count_code"]}
        if "furs_zoi" in stored:
            answer.update(furs_zoi=stored["furs_zoi"], furs_eor=stored["furs_eor"])
        return ok(**answer)

    async def get_document(cid: str, body: dict[str, Any]) -> JSONResponse:
        doc_type = body.get("doc_type")
        for d in state.documents[cid]:
            if d["doc_type"] != doc_type:
                continue
            if (body.get("doc_id") and d["mk_id"] == str(body["doc_id"])) or (
                doc_type == "sales_order"
                and body.get("buyer_order")
                and d.get("buyer_order") == body["buyer_order"]
            ):
                return ok(**d)
        return err("2", "Document not found")

    async def search(cid: str, body: dict[str, Any]) -> JSONResponse:
        async with search_locks[cid]:  # one search at a time per company, the others queue
            state.concurrent_searches += 1
            state.max_concurrent_searches = max(state.max_concurrent_searches, state.concurrent_searches)
            try:
                await asyncio.sleep(0)
                limit = min(int(body.get("limit") or 100), 100)
                offset = int(body.get("offset") or 0)
                query = str(body.get("query") or "")
                hits = [
                    d
                    for d in state.documents[cid]
                    if d["doc_type"] == body.get("doc_type")
                    and (
                        not query
                        or query in (d.get("buyer_order") or "")
                        or query in (d.get("title") or "")
                        or query == d.get("count_code")
                    )
                ]
                page = hits[offset : offset + limit]
                return ok(result_all_records=str(len(hits)), result_count=str(len(page)), result=page)
            finally:
                state.concurrent_searches -= 1

    async def warehouse_list(cid: str, body: dict[str, Any]) -> JSONResponse:
        return ok(warehouse_list=state.warehouses[cid])

    async def warehouse_stock(cid: str, body: dict[str, Any]) -> JSONResponse:
        rows = state.stock[cid]
        if body.get("eshop_sync") == "true":
            rows = [r for r in rows if r.get("eshop_sync", "true") == "true"]
        if body.get("wh_id_list"):
            ids = set(str(body["wh_id_list"]).split(","))
            rows = [r for r in rows if str(r.get("warehouse_id")) in ids]
        limit = min(int(body.get("limit") or 1000), 1000)
        offset = int(body.get("offset") or 0)
        page = [{k: v for k, v in r.items() if k != "eshop_sync"} for r in rows[offset : offset + limit]]
        return ok(stock_list=page)

    async def product_list(cid: str, body: dict[str, Any]) -> JSONResponse:
        rows = state.products[cid]
        if body.get("eshop_sync") == "true":
            rows = [r for r in rows if r.get("eshop_sync", "true") == "true"]
        limit = min(int(body.get("limit") or 1000), 1000)
        offset = int(body.get("offset") or 0)
        page = []
        for r in rows[offset : offset + limit]:
            item = {k: v for k, v in r.items() if k not in ("eshop_sync", "pricelist")}
            if body.get("return_pricelist") == "true":
                item["pricelist"] = r.get("pricelist", [])
            page.append(item)
        return ok(product_list=page)

    HANDLERS = {
        "put_document": put_document,
        "get_document": get_document,
        "search": search,
        "warehouse_list": warehouse_list,
        "warehouse_stock": warehouse_stock,
        "product_list": product_list,
    }
    return app
