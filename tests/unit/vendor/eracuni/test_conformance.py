"""e-računi conformance: every example of the corpus (this folder's *.json, each naming its source and
the date it was read) runs through OUR client's readers AND through OUR simulator over real HTTP.

The simulator must accept what the vendor documents and answer in the documented (or, where the
documentation is silent, the assumed: storelink_erp_eracuni.assumptions) shapes, errors included;
the client must read those answers and send requests of the documented shape.

The tests of this subject that need a broker, a process or real time:
tests/integration/vendor/eracuni/test_conformance.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import simplejson

from storelink_contracts import BuyerKind, DocumentKind, ErpSystem
from storelink_contracts.events import Buyer
from storelink_erp_eracuni import assumptions as A
from storelink_erp_eracuni import protocol as P
from storelink_erp_eracuni.client import (
    EracuniClient,
    price_levels,
    product_rows,
    ref_from_result,
    result_of,
    stock_levels,
    stock_rows,
)
from storelink_erp_eracuni.mapping import EracuniOptions
from storelink_erp_kit.errors import ErpError
from storelink_erp_kit.testing.server import serve_in_thread
from storelink_kit.testing.samples import sample_document
from storelink_sim_eracuni.app import EracuniState, create_app

HERE = Path(__file__).resolve().parents[3] / "corpus" / "eracuni"
READ_ON = "2026-12-01"
USER, PASSWORD, TOKEN = "micka", "kovac", "ORG-TOKEN-DOC-1"  # the documented user; our token


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    return data


CORPUS = {p.stem: load(p) for p in sorted(HERE.glob("*.json"))}
WITH_REQUEST = sorted(name for name, ex in CORPUS.items() if "request" in ex)
WITH_RESPONSE = sorted(name for name, ex in CORPUS.items() if "client_expect" in ex)


@pytest.fixture
def sim() -> Iterator[tuple[str, EracuniState]]:
    state = EracuniState()
    state.add_user(USER, PASSWORD, TOKEN)
    with serve_in_thread(create_app(state), lifespan="off") as url:
        yield url + "/WebServicesSI/API", state


def test_the_corpus_names_its_sources_and_covers_the_items() -> None:
    assert len(CORPUS) >= 10
    for name, example in CORPUS.items():
        assert "e-racuni.com" in example["source"] or "/" in example["source"], name
        assert example["read"] == READ_ON, name
        assert example["basis"], name
    methods = {ex["request"]["method"] for ex in CORPUS.values() if "request" in ex}
    assert {
        P.SALES_INVOICE_CREATE,
        P.SALES_ORDER_CREATE,
        P.SALES_ORDER_CANCEL,
        P.SALES_ORDER_CREATE_INVOICE,
        P.WAREHOUSE_STOCK,
        P.PRODUCT_LIST,
    } <= methods


def test_md5pass_is_derived_as_documented_and_is_the_only_login_we_send() -> None:
    for case in CORPUS["auth_md5pass"]["cases"]:
        assert P.md5pass(case["username"], case["password"]) == case["md5pass"]
        client = EracuniClient.from_credentials(
            {"username": case["username"], "password": case["password"], "token": "T"}
        )
        body = client.envelope("SalesInvoiceList", {})
        assert body["md5pass"] == case["md5pass"]
    documented_keys = list(CORPUS["sales_invoice_create_minimal"]["request"])
    assert list(body) == documented_keys == list(P.ENVELOPE_KEYS)
    assert "secretKey" not in body


def _setup(state: EracuniState, setup: dict[str, Any]) -> None:
    state.stock[TOKEN].extend(setup.get("stock", []))
    state.products[TOKEN].extend(setup.get("products", []))
    if "sales_order" in setup:
        state.documents[TOKEN].append({**setup["sales_order"], "kind": "SalesOrder"})


@pytest.mark.parametrize("name", WITH_REQUEST)
def test_the_simulator_answers_each_example_as_documented(sim: tuple[str, EracuniState], name: str) -> None:
    url, state = sim
    example = CORPUS[name]
    _setup(state, example.get("sim_setup", {}))
    reply = httpx.post(url, content=simplejson.dumps(example["request"]), timeout=10)
    expect = example["expect"]
    assert reply.status_code == expect["http_status"], reply.text
    envelope = simplejson.loads(reply.text, use_decimal=True)[A.RESPONSE]
    assert envelope["status"] == expect["status"], envelope
    if "description_contains" in expect:
        assert expect["description_contains"] in envelope["description"]
    result = envelope.get("result")
    if "result_keys" in expect:
        assert set(expect["result_keys"]) <= set(result)
    if "stock_codes" in expect:
        assert sorted(r[A.STOCK_PRODUCT_CODE] for r in stock_rows(result)) == expect["stock_codes"]
    if "product_codes" in expect:
        assert sorted(r[A.PRODUCT_CODE] for r in product_rows(result)) == expect["product_codes"]


def _read_stock_answer(method: str, status: int, answer: dict[str, Any]) -> None:
    stock_levels(stock_rows(result_of(method, status, answer)), None)


@pytest.mark.parametrize("name", WITH_RESPONSE)
def test_our_client_reads_each_example_answer(name: str) -> None:
    example = CORPUS[name]
    expect = example["client_expect"]
    method = example.get("request", {}).get("method", P.WAREHOUSE_STOCK)
    status = 500 if example["response"][A.RESPONSE]["status"] == A.STATUS_ERROR else 200
    if "error_contains" in expect:
        with pytest.raises(ErpError) as caught:
            _read_stock_answer(method, status, example["response"])
        assert expect["error_contains"] in caught.value.reason
        if "error_code" in expect:
            assert caught.value.code == expect["error_code"]
        return
    result = result_of(method, status, example["response"])
    if "erp_id" in expect:
        ref = ref_from_result(result, method)
        assert (ref.erp_id, ref.number) == (expect["erp_id"], expect["number"])
    if "stock" in expect:
        levels = stock_levels(stock_rows(result), None)
        assert {lv.sku: lv.quantity for lv in levels} == {k: Decimal(v) for k, v in expect["stock"].items()}
    if "prices" in expect:
        got = {lv.sku: (lv.gross, lv.tax_rate) for lv in price_levels(product_rows(result))}
        assert got == {k: (Decimal(g), Decimal(r)) for k, (g, r) in expect["prices"].items()}


async def test_our_requests_have_the_documented_shape_and_the_simulator_takes_them(
    sim: tuple[str, EracuniState],
) -> None:
    url, state = sim
    client = EracuniClient.from_credentials(
        {"username": USER, "password": PASSWORD, "token": TOKEN}, url=url, busy_backoff_seconds=0.01
    )
    b2b = sample_document(
        erp=ErpSystem.ERACUNI,
        kind=DocumentKind.INVOICE_DOMESTIC,
        prices_include_tax=False,
        buyer=Buyer(kind=BuyerKind.COMPANY, name="Jan", company_name="Kos d.o.o.", vat_id="SI11111111"),
    )
    sent = client.render(b2b)["json"]
    documented = CORPUS["sales_invoice_create_minimal"]["request"]
    assert list(sent) == list(documented)
    item, documented_item = (
        sent["parameters"]["SalesInvoice"]["Items"][0],
        documented["parameters"]["SalesInvoice"]["Items"][0],
    )
    for key in ("description", "quantity", "unit", "netPrice"):
        assert type(item[key]) in (type(documented_item[key]), int, float), key  # numbers stay numbers
    ref = await client.create_document(b2b)
    stored = state.documents[TOKEN][-1]
    assert stored["documentID"] == ref.erp_id
    assert stored["Items"][0]["netPrice"] == Decimal("10.00")  # digit for digit, never through a float
    await client.aclose()


def test_the_fiscal_fields_of_our_invoice_are_the_assumed_ones() -> None:
    doc = sample_document(erp=ErpSystem.ERACUNI, kind=DocumentKind.INVOICE_DOMESTIC, fiscalize=True)
    client = EracuniClient(
        username=USER,
        md5pass=P.md5pass(USER, PASSWORD),
        token=TOKEN,
        options=EracuniOptions(cash_register_code="E1"),
    )
    invoice = client.render(doc)["json"]["parameters"]["SalesInvoice"]
    assert invoice[A.CASH_REGISTER_CODE] == "E1"
    assert invoice["type"] == A.TYPE_RETAIL
    assert invoice["status"] == A.INVOICE_STATUS_ISSUED
    assert invoice["methodOfPayment"] in A.FISCAL_PAYMENT_METHODS
