"""The MetaKocka REST API as documented, served by FastAPI.

Sources (read 2026-12-01): github.com/metakocka/metakocka_api_base docs/*.md (MK-API) and the old
reference http://dev.metakocka.si/eshop/index.html (MK-OLD). Documented: credentials in the body;
`opr_code` / `opr_desc` answers with HTTP 200 and the code table of MK-OLD (2 bad parameter,
3 secret_key / company_id, 4 IP not allowed, 5 "Quote exceeds", 6 application error); the minimal
put_document requests (no delivery_type, no method_of_payment); credit notes linked by the
invoice's count_code; get_document by buyer_order; change_document_status by buyer_order or mk_id;
search (one at a time per company, at most 100 per page); warehouse_stock / product_list paging, and
product_list answering ONE product as an object; the FURS answer fields and error ids. Undocumented
behaviour is marked [A] and described in storelink_erp_metakocka.assumptions. Faults: delays, 5xx
pages, error bodies, quota every Nth call, and answers lost *after* storing.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections import defaultdict
from collections.abc import Callable
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
FISCAL_ON_PUT_DOCUMENT = {"sales_bill_credit_note"}  # [A] assumptions.SEND_TO_FURS_ON_PUT_DOCUMENT
QR_PNG = "iVBORw0KGgo="  # a stand-in for furs_qr_code (a base64 PNG, put_sales_bill_send_to_furs.md)
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


CREDIT_NOTE_TYPES = ("financial", "goods", "standalone")


def required(name: str) -> str:
    """MK-OLD's wording for a missing parameter (code 2)."""
    return f"Paramether '{name}' is required paramether"


def invalid(name: str, value: Any, valid: str = "") -> str:
    """MK-API documents_concept.md error example 2."""
    return f"Paramether '{name}' has invalid value : {value}." + (f" Valid values : {valid}" if valid else "")


def validate_line(i: int, line: Any) -> str | None:
    """A product line as documented (documents_concept.md 1.2.3): identified by code, count_code or
    mk_id; amount; price or price_with_tax (a decimal comma allowed, "19,99"); tax or tax_factor."""
    if not isinstance(line, dict):
        return invalid(f"product_list[{i}]", line)
    if not any(line.get(k) for k in ("code", "count_code", "mk_id", "name")):
        return required(f"product_list[{i}].code")
    if _number(line.get("amount")) is None:
        return invalid(f"product_list[{i}].amount", line.get("amount"))
    prices = [k for k in ("price", "price_with_tax") if k in line]
    if len(prices) != 1 or _number(line[prices[0]]) is None:  # [A] exactly one of the two
        return required(f"product_list[{i}].price")
    if not line.get("tax") and _number(line.get("tax_factor")) is None:
        return required(f"product_list[{i}].tax")
    return None


def validate_document(body: dict[str, Any], bill_of: Callable[[object], dict[str, Any] | None]) -> str | None:
    """What MK-API's minimal requests need: doc_type, doc_date, partner (credit notes linked to an
    invoice take the invoice's), product_list. Nothing else is demanded (no delivery_type)."""
    doc_type = body.get("doc_type")
    if doc_type not in DOC_TYPES:
        return f"Unknown document type : {doc_type}"
    if not body.get("doc_date"):
        return required("doc_date")
    linked = doc_type == "sales_bill_credit_note" and body.get("credit_note_type") in ("financial", "goods")
    if doc_type == "sales_bill_credit_note":
        kind = body.get("credit_note_type")
        if kind not in CREDIT_NOTE_TYPES:
            return invalid("credit_note_type", kind, ",".join(CREDIT_NOTE_TYPES))
        if linked:
            bill = bill_of(body.get("credit_note_bill"))
            if bill is None:  # [A] the wording; MK-API: the last invoice with that count_code is used
                return invalid("credit_note_bill", body.get("credit_note_bill"))
            if kind == "goods":  # MK-API: the products must be the same as on the linked invoice
                on_bill = {ln.get("code") or ln.get("count_code") for ln in bill.get("product_list", [])}
                for line in body.get("product_list") or []:
                    code = line.get("code") or line.get("count_code")
                    if line.get("service") != "true" and code not in on_bill:
                        return f"Product {code} is not on invoice {bill['count_code']}"
    return validate_partner_and_lines(body, partner_needed=not linked)


def validate_sales_bill(body: dict[str, Any]) -> str | None:
    """What both documented put_sales_bill requests carry and a bill cannot do without: bill_date,
    partner, product_list ([A] the docs mark no field required; the same minimum as put_document)."""
    if not body.get("bill_date"):
        return required("bill_date")
    if not re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", str(body["bill_date"])):
        return invalid("bill_date", body["bill_date"], "dd.mm.yyyy")
    return validate_partner_and_lines(body, partner_needed=True)


def validate_partner_and_lines(body: dict[str, Any], *, partner_needed: bool) -> str | None:
    partner = body.get("partner")
    if partner_needed and (not isinstance(partner, dict) or not partner.get("customer")):
        return required("partner")
    lines = body.get("product_list")
    if not isinstance(lines, list) or not lines:
        return required("product_list")
    for i, line in enumerate(lines, start=1):
        problem = validate_line(i, line)
        if problem:
            return problem
    return None


def date_window(advance: Any) -> tuple[str | None, str | None]:
    """search_examples.md: `query_advance` [{type: doc_date_from | doc_date_to, value: "2018-10-05+02:00"}]
    limits the documents by `doc_date` (both days included)."""
    found: dict[str, str] = {}
    for item in advance if isinstance(advance, list) else []:
        if isinstance(item, dict) and item.get("type") in ("doc_date_from", "doc_date_to"):
            found[item["type"]] = str(item.get("value") or "")[:10]
    return found.get("doc_date_from"), found.get("doc_date_to")


def document_sums(doc: dict[str, Any]) -> dict[str, str]:
    """search_examples.md: a document read by search carries `sum_basic` (net) and `sum_all` (gross),
    computed here from its rows as MetaKocka would (each line to the cent)."""
    net = gross = Decimal(0)
    rows = doc.get("product_list")
    for row in rows if isinstance(rows, list) else [rows] if isinstance(rows, dict) else []:
        amount = _number(row.get("amount")) or Decimal(0)
        factor = _number(row.get("tax_factor")) or Decimal(0)
        keep = 1 - (_number(row.get("discount")) or Decimal(0)) / 100
        with_tax = _number(row.get("price_with_tax"))
        unit_gross = (
            with_tax if with_tax is not None else (_number(row.get("price")) or Decimal(0)) * (1 + factor)
        )
        line_gross = (amount * unit_gross * keep).quantize(Decimal("0.01"))
        gross += line_gross
        net += (line_gross / (1 + factor)).quantize(Decimal("0.01"))
    return {"sum_basic": format(net, "f"), "sum_all": format(gross, "f")}


def as_one_or_list(rows: list[dict[str, Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    """MK-API product_list.md 1.2: a single product is answered as an object, not a list."""
    return rows[0] if len(rows) == 1 else rows


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
        state.calls["api"] += 1
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
        if company is None or body.get("secret_key") != company.secret_key:
            return err("3", "Invalid value for secret_key and company_id")
        client_ip = request.client.host if request.client else ""
        if company.allowed_ips is not None and client_ip not in company.allowed_ips:
            return err("4", f"IP address '{client_ip}' is not allowed for company_id = {company.company_id}")
        if f.quota_exceeded_every and state.calls["api"] % f.quota_exceeded_every == 0:
            return err("5", "Quote exceeds")
        if method in company.denied_methods:  # [A] assumptions.PRIVILEGE_WORDS
            return err(
                "6",
                "Application error",
                opr_code_app="403",
                opr_desc_app=f"API user has no permission for method {method}",
            )
        if f.error_next:
            return JSONResponse(f.error_next.pop(0))
        handler = HANDLERS.get(method)
        if handler is None:
            return err("6", f"Method {method} is not simulated")
        return await handler(company.company_id, body)

    def duplicate_order(cid: str, body: dict[str, Any]) -> JSONResponse | None:
        """README 22.12.2019: the customer order number of a sales order is unique."""
        if (
            body.get("doc_type") == "sales_order"
            and state.sales_order(cid, body.get("buyer_order")) is not None
        ):
            return err("2", f"Sales order with buyer_order {body['buyer_order']} already exists")
        return None

    def unknown_products(cid: str, body: dict[str, Any]) -> JSONResponse | None:
        known = state.companies[cid].known_products
        if known is None:
            return None
        missing = [
            ln.get("code") or ln.get("count_code")
            for ln in body["product_list"]
            if ln.get("service") != "true" and (ln.get("code") or ln.get("count_code")) not in known
        ]
        if not missing:
            return None
        return err(
            "2",
            f"Product with count_code {missing[0]} not found",
            product_not_found_list=[{"code": c} for c in missing],
        )

    async def store(cid: str, body: dict[str, Any], *, fiscal: bool) -> JSONResponse:
        """Store one document (`body` carries its doc_type) and answer as put_document /
        put_sales_bill do; a fiscal bill gets its ZOI and EOR with it (one atomic transaction,
        put_sales_bill_send_to_furs.md)."""
        docs = state.documents[cid]
        doc_type = body["doc_type"]
        f = state.faults
        state.calls["store_begun"] += 1
        if f.slow_store_seconds and (
            not f.slow_store_every or state.calls["store_begun"] % f.slow_store_every == 0
        ):
            await asyncio.sleep(f.slow_store_seconds)
        duplicate = duplicate_order(cid, body)  # a second look after the wait
        if duplicate is not None:
            return duplicate
        state.next_mk_id += 1
        counters[(cid, doc_type)] += 1
        stored = {k: v for k, v in body.items() if k not in ("secret_key",)}
        stored["mk_id"] = str(state.next_mk_id)
        stored["count_code"] = (
            body.get("count_code") or f"{doc_type[:2].upper()}-2026-{counters[(cid, doc_type)]:05d}"
        )
        if fiscal:
            stored["furs_zoi"] = hashlib.md5(stored["mk_id"].encode()).hexdigest()  # noqa: S324 - simulated
            stored["furs_eor"] = str(uuid.uuid5(uuid.NAMESPACE_OID, stored["mk_id"]))
        state.store_document(cid, stored, bill=doc_type in BILLS)
        state.calls["stored"] += 1
        hang = (f.hang_after_store_every and state.calls["stored"] % f.hang_after_store_every == 0) or (
            f.hang_after_store_ratio and state.rng.random() < f.hang_after_store_ratio
        )
        if hang:
            state.calls["answers_lost"] += 1
            await asyncio.sleep(f.hang_seconds)
        answer: dict[str, Any] = {"mk_id": stored["mk_id"], "count_code": stored["count_code"]}
        if fiscal and f.omit_furs_next > 0:
            f.omit_furs_next -= 1  # test switch: an answer without the codes (the bill has them)
        elif fiscal:
            answer.update(
                partner={"mk_id": str(1700000000 + len(docs))},
                furs_qr_code=QR_PNG,
                furs_eor=stored["furs_eor"],
                furs_zoi=stored["furs_zoi"],
            )
        return ok(**answer)

    async def put_document(cid: str, body: dict[str, Any]) -> JSONResponse:
        problem = validate_document(body, lambda code: state.bills.get((cid, str(code))))
        if problem:
            return err("2", problem)
        refused = unknown_products(cid, body) or duplicate_order(cid, body)
        if refused is not None:
            return refused
        # `send_to_furs` is documented only on put_sales_bill: put_document verifies nothing but a
        # credit note ([A] assumptions.SEND_TO_FURS_ON_PUT_DOCUMENT); on a bill it is ignored.
        fiscal = body.get("send_to_furs") == "true" and body["doc_type"] in FISCAL_ON_PUT_DOCUMENT
        if fiscal and not state.companies[cid].fiscal_register:
            return err("4001", "Certified cash register is not yet set on company")
        return await store(cid, body, fiscal=fiscal)

    async def put_sales_bill(cid: str, body: dict[str, Any]) -> JSONResponse:
        """put_sales_bill_examples.md, put_sales_bill_send_to_furs.md: a domestic bill, or a foreign
        one with `foreign: "true"`; with `send_to_furs` the answer carries furs_zoi, furs_eor,
        furs_qr_code, and without a certified cash register nothing is stored (4001)."""
        problem = validate_sales_bill(body)
        if problem:
            return err("2", problem)
        refused = unknown_products(cid, body)
        if refused is not None:
            return refused
        fiscal = body.get("send_to_furs") == "true"
        if fiscal and not state.companies[cid].fiscal_register:
            return err("4001", "Certified cash register is not yet set on company")
        doc_type = "sales_bill_foreign" if body.get("foreign") == "true" else "sales_bill_domestic"
        # [A] assumptions.RECONCILE_BILL_DATE: the bill reads back (search) with its bill_date as doc_date
        day, month, year = str(body["bill_date"]).split(".")
        dated = {**body, "doc_type": doc_type, "doc_date": f"{year}-{month}-{day}"}
        return await store(cid, dated, fiscal=fiscal)

    async def get_document(cid: str, body: dict[str, Any]) -> JSONResponse:
        doc_type = body.get("doc_type")
        found = state.document(cid, doc_type, body.get("doc_id"))
        if found is None and doc_type == "sales_order":
            found = state.sales_order(cid, body.get("buyer_order"))
        if found is not None:
            return ok(**found)
        if body.get("buyer_order"):  # [A] wording of get_proof_of_delivery.md's general error
            return err("6", f"Cannot find sales order with buyer order '{body['buyer_order']}'")
        return err("6", f"Cannot find document with id '{body.get('doc_id')}'")

    async def change_document_status(cid: str, body: dict[str, Any]) -> JSONResponse:
        """change_document_status.md: a sales order by mk_id, mk_id_list or buyer_order."""
        if body.get("doc_type") not in ("sales_order", "warehouse_receiving_note"):
            return err("2", invalid("doc_type", body.get("doc_type"), "sales_order,warehouse_receiving_note"))
        if not body.get("status_code"):
            return err("2", required("status_code"))
        ids = {str(i) for i in body.get("mk_id_list") or []} | (
            {str(body["mk_id"])} if body.get("mk_id") else set()
        )
        if not ids and not body.get("buyer_order"):
            return err("2", required("mk_id"))
        hits = [d for i in sorted(ids) if (d := state.document(cid, body["doc_type"], i)) is not None]
        if body.get("buyer_order"):
            by_order = (
                [state.sales_order(cid, body["buyer_order"])]
                if body["doc_type"] == "sales_order"
                else [
                    d
                    for d in state.documents[cid]
                    if d["doc_type"] == body["doc_type"] and d.get("buyer_order") == body["buyer_order"]
                ]
            )
            hits += [d for d in by_order if d is not None and all(d is not h for h in hits)]
        if not hits:
            return err("6", f"Cannot find sales order with buyer order '{body.get('buyer_order') or ''}'")
        for d in hits:
            d["status_code"] = body["status_code"]
        return ok()

    async def search(cid: str, body: dict[str, Any]) -> JSONResponse:
        async with search_locks[cid]:  # one search at a time per company, the others queue
            state.concurrent_searches += 1
            state.max_concurrent_searches = max(state.max_concurrent_searches, state.concurrent_searches)
            try:
                await asyncio.sleep(0)
                limit = min(int(body.get("limit") or 100), 100)
                offset = int(body.get("offset") or 0)
                query = str(body.get("query") or "")
                first, last = date_window(body.get("query_advance"))
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
                    and (first is None or str(d.get("doc_date") or "")[:10] >= first)
                    and (last is None or str(d.get("doc_date") or "")[:10] <= last)
                ]
                page = hits[offset : offset + limit]
                if body.get("result_type") == "doc":
                    page = [{**d, **document_sums(d)} for d in page]
                return ok(
                    result_all_records=str(len(hits)),
                    result_count=str(len(page)),
                    offset=str(offset),
                    limit=str(limit),
                    result=page,
                )
            finally:
                state.concurrent_searches -= 1

    async def warehouse_list(cid: str, body: dict[str, Any]) -> JSONResponse:
        rows = state.warehouses[cid]
        return ok(offset="0", limit="1000", warehouse_list_count=str(len(rows)), warehouse_list=rows)

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
        return ok(offset=str(offset), limit=str(limit), stock_list=page)

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
        return ok(
            limit=str(limit),
            offset=str(offset),
            product_list_count=str(len(page)),
            product_list=as_one_or_list(page),
        )

    HANDLERS = {
        "put_document": put_document,
        "put_sales_bill": put_sales_bill,
        "get_document": get_document,
        "search": search,
        "warehouse_list": warehouse_list,
        "warehouse_stock": warehouse_stock,
        "product_list": product_list,
        "change_document_status": change_document_status,
    }
    return app
