"""MetaKocka's documented examples (tests/corpus/metakocka/examples, each naming its source and the
date it was read) run through OUR client/parser and through OUR simulator over real HTTP: the
simulator takes exactly what MetaKocka documents and answers in the documented shapes, errors
included; the client reads every documented variant."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

import pytest

from storelink_erp_kit import errors as erp_errors
from storelink_erp_metakocka.client import (
    MetakockaClient,
    parse_price_levels,
    parse_stock_levels,
    ref_from_answer,
)
from storelink_erp_metakocka.errors import classify
from storelink_erp_metakocka.webhook import levels_from_body, signature_valid
from storelink_kit.errors import TransientError
from storelink_kit.verdicts import Verdict

from ...corpus import MK_COMPANY, MK_SECRET, READ_ON, MkSim, conformance_problems, example, examples

REQUESTS = examples("metakocka", "request")
RESPONSES = examples("metakocka", "response")
ERRORS = examples("metakocka", "error")


def test_every_example_names_its_source_and_the_date_it_was_read() -> None:
    assert len(REQUESTS) >= 15
    assert len(RESPONSES) >= 8
    assert len(ERRORS) >= 10
    for name, data in REQUESTS + RESPONSES + ERRORS:
        assert data["read"] == READ_ON, name
        assert "metakocka" in data["source"], name
        assert "secret_key" not in data.get("body", {}), f"{name}: credentials are added by the test"


def seed_documented_data(sim: MkSim) -> None:
    """What the documented answers show: the warehouses, the stock rows, the one product."""
    sim.state.warehouses[MK_COMPANY] = example("metakocka", "resp_warehouse_list")["body"]["warehouse_list"]
    sim.state.stock[MK_COMPANY] = example("metakocka", "resp_warehouse_stock")["body"]["stock_list"]
    sim.state.products[MK_COMPANY] = [
        example("metakocka", "resp_product_list_one_with_pricelist")["body"]["product_list"]
    ]


def send_with_requirements(sim: MkSim, data: dict[str, Any]) -> dict[str, Any]:
    for needed in data.get("requires", []):
        first = example("metakocka", needed)
        answer = sim.post(first["method"], first["body"])
        assert answer["opr_code"] == "0", (needed, answer)
    return sim.post(data["method"], data["body"])


@pytest.mark.parametrize(("name", "data"), REQUESTS, ids=[n for n, _ in REQUESTS])
def test_documented_request_is_accepted_by_the_simulator(
    mk_sim: MkSim, name: str, data: dict[str, Any]
) -> None:
    seed_documented_data(mk_sim)
    answer = send_with_requirements(mk_sim, data)
    assert answer["opr_code"] == "0", answer
    if data["method"] == "put_document":
        assert answer["mk_id"]
        assert answer["count_code"]
        assert conformance_problems(answer, example("metakocka", "resp_put_document")["body"]) == []
    if data["method"] == "get_document":
        assert answer["buyer_order"] == data["body"]["buyer_order"]
        assert answer["mk_id"]
    if data["method"] == "put_sales_bill":
        assert answer["mk_id"]
        assert answer["count_code"]
        assert conformance_problems(answer, example("metakocka", "resp_put_sales_bill_furs")["body"]) == []
        fiscal = data["body"].get("send_to_furs") == "true"
        assert bool(answer.get("furs_zoi")) is fiscal
        assert bool(answer.get("furs_eor")) is fiscal


SHAPES = [
    ("resp_warehouse_list", "req_warehouse_list"),
    ("resp_warehouse_stock", "req_warehouse_stock"),
    ("resp_product_list_one_with_pricelist", "req_product_list_pricelist"),
    ("resp_search", "req_search_doc"),
]


@pytest.mark.parametrize(("documented", "request_name"), SHAPES, ids=[s[0] for s in SHAPES])
def test_simulator_answers_in_the_documented_shape(mk_sim: MkSim, documented: str, request_name: str) -> None:
    seed_documented_data(mk_sim)
    answer = send_with_requirements(mk_sim, example("metakocka", request_name))
    answer.pop("opr_time_no_lock_ms", None)  # documented on other answers (e.g. product_list 1.11)
    doc = example("metakocka", documented)["body"]
    if documented == "resp_search":  # result_type "doc": whole documents, not the short rows
        doc = {**doc, "result": []}
    assert conformance_problems(answer, doc) == []
    assert set(doc) - set(answer) == set(), "a documented field is missing"


def test_simulator_answers_put_sales_bill_send_to_furs_as_documented(mk_sim: MkSim) -> None:
    answer = mk_sim.post("put_sales_bill", example("metakocka", "req_put_sales_bill_send_to_furs")["body"])
    doc = example("metakocka", "resp_put_sales_bill_furs")["body"]
    assert conformance_problems(answer, doc) == []
    assert set(doc) - set(answer) == set()
    (stored,) = mk_sim.docs()
    assert (stored["furs_zoi"], stored["furs_eor"]) == (answer["furs_zoi"], answer["furs_eor"])
    read = mk_sim.post("get_document", {"doc_type": "sales_bill_domestic", "doc_id": answer["mk_id"]})
    assert (read["furs_zoi"], read["furs_eor"]) == (answer["furs_zoi"], answer["furs_eor"])


def test_simulator_does_not_verify_a_bill_sent_with_put_document(mk_sim: MkSim) -> None:
    """`send_to_furs` is documented only on put_sales_bill: the simulator ignores it on a bill sent
    with put_document (so a client that relied on it would get no ZOI/EOR)."""
    body = {**example("metakocka", "req_bill_minimal")["body"], "send_to_furs": "true"}
    answer = mk_sim.post("put_document", body)
    assert answer["opr_code"] == "0"
    assert "furs_zoi" not in answer
    assert "furs_zoi" not in mk_sim.docs()[0]


def test_simulator_refuses_furs_without_a_certified_cash_register(mk_sim: MkSim) -> None:
    mk_sim.state.companies[MK_COMPANY].fiscal_register = False
    answer = mk_sim.post("put_sales_bill", example("metakocka", "req_put_sales_bill_send_to_furs")["body"])
    assert answer["opr_code"] == example("metakocka", "err_furs_4001")["body"]["opr_code"]
    assert mk_sim.docs() == [], "bill and FURS call are one atomic transaction"


def test_simulator_answers_product_list_as_a_list_when_there_are_several(mk_sim: MkSim) -> None:
    mk_sim.state.products[MK_COMPANY] = example("metakocka", "resp_product_list_many")["body"]["product_list"]
    answer = mk_sim.post("product_list", {})
    assert isinstance(answer["product_list"], list)
    assert len(answer["product_list"]) == 2
    assert answer["product_list_count"] == "2"


# --------------------------------------------------------------------------- errors

DOCUMENTED_ERRORS = [
    ("wrong secret", {"secret_key": "nope"}, "put_document", "req_sales_order_minimal", "err_3_credentials"),
    (
        "unknown company",
        {"company_id": "999"},
        "put_document",
        "req_sales_order_minimal",
        "err_3_credentials",
    ),
    ("ip not allowed", {}, "warehouse_list", "req_warehouse_list", "err_4_ip"),
    ("quota", {}, "warehouse_list", "req_warehouse_list", "err_5_quota"),
    ("required parameter", {}, "put_document", None, "err_2_required"),
    ("unknown document type", {}, "put_document", None, "err_2_unknown_doc_type"),
    ("no such sales order", {}, "get_document", None, "err_6_cannot_find"),
]


@pytest.mark.parametrize(
    ("case", "creds", "method", "request_name", "documented"),
    DOCUMENTED_ERRORS,
    ids=[c[0] for c in DOCUMENTED_ERRORS],
)
def test_simulator_answers_errors_with_the_documented_code(
    mk_sim: MkSim, case: str, creds: dict[str, str], method: str, request_name: str | None, documented: str
) -> None:
    company = mk_sim.state.companies[MK_COMPANY]
    body: dict[str, Any] = example("metakocka", request_name)["body"] if request_name else {}
    if case == "ip not allowed":
        company.allowed_ips = {"192.1.1.1"}
    if case == "quota":
        mk_sim.state.set_faults(quota_exceeded_every=1)
    if case == "required parameter":
        body = {k: v for k, v in example("metakocka", "req_bill_minimal")["body"].items() if k != "doc_date"}
    if case == "unknown document type":
        body = {**example("metakocka", "req_bill_minimal")["body"], "doc_type": "warehouse_packing_list1"}
    if case == "no such sales order":
        body = {"doc_type": "sales_order", "buyer_order": "5662"}
    answer = mk_sim.post(method, body, **creds)
    doc = example("metakocka", documented)["body"]
    assert answer["opr_code"] == doc["opr_code"], answer
    if case == "ip not allowed":
        assert answer["opr_desc"] == f"IP address '127.0.0.1' is not allowed for company_id = {MK_COMPANY}"
    else:
        assert answer["opr_desc"] == doc["opr_desc"]
    assert conformance_problems(answer, doc) == []
    assert mk_sim.state.documents[MK_COMPANY] == []


@pytest.mark.parametrize(("name", "data"), ERRORS, ids=[n for n, _ in ERRORS])
def test_client_classifies_documented_error(name: str, data: dict[str, Any]) -> None:
    expect = data["expect"]
    error = classify(data["body"], method="put_document", writes=bool(data.get("writes")))
    assert type(error).__name__ == expect["class"], (error, error.reason)
    assert isinstance(error, TransientError) is expect["retryable"]
    for text in expect["contains"]:
        assert text.lower() in error.reason.lower(), error.reason
    for text in expect.get("absent", []):
        assert text.lower() not in error.reason.lower(), error.reason
    if "code" in expect:
        assert error.code == expect["code"]
    if "retry_after_at_least" in expect:
        assert isinstance(error, erp_errors.ErpUnavailable)
        assert (error.retry_after or 0) >= expect["retry_after_at_least"]


@pytest.mark.parametrize(
    ("creds", "allowed_ips", "verdict", "words"),
    [
        ({"secret_key": "nope"}, None, Verdict.WRONG_SECRET, ["secret key", "company id"]),
        ({"company_id": "999"}, None, Verdict.WRONG_SECRET, ["secret key", "company id"]),
        ({}, {"192.1.1.1"}, Verdict.IP_NOT_ALLOWED, ["IP address '127.0.0.1'"]),
    ],
)
async def test_connection_test_names_what_is_wrong_on_documented_errors(
    mk_sim: MkSim, creds: dict[str, str], allowed_ips: set[str] | None, verdict: Verdict, words: list[str]
) -> None:
    mk_sim.state.companies[MK_COMPANY].allowed_ips = allowed_ips
    client = MetakockaClient(
        company_id=creds.get("company_id", MK_COMPANY),
        secret_key=creds.get("secret_key", MK_SECRET),
        base_url=mk_sim.base_url,
        timeout=5,
    )
    result = await client.test_connection()
    await client.aclose()
    assert result.verdict is verdict, result
    for word in words:
        assert word.lower() in result.message.lower(), result.message
    assert "rights" not in result.message
    assert MK_SECRET not in result.message


# ------------------------------------------------------------- the client reads documented answers


def test_client_reads_one_product_as_an_object_with_price_tiers_and_discount() -> None:
    data = example("metakocka", "resp_product_list_one_with_pricelist")
    wanted = [e["price_list"] for e in data["expect"]]
    levels = parse_price_levels(data["body"], set(wanted))
    got = [
        {
            "price_list": lv.price_list,
            "sku": lv.sku,
            "net": None if lv.net is None else str(lv.net),
            "gross": None if lv.gross is None else str(lv.gross),
            "tax_rate": str(lv.tax_rate),
        }
        for lv in levels
    ]
    assert got == data["expect"]


def test_client_reads_products_without_price_lists() -> None:
    assert parse_price_levels(example("metakocka", "resp_product_list_many")["body"], {"MPC"}) == []


async def test_client_and_simulator_agree_on_documented_prices(mk_sim: MkSim) -> None:
    seed_documented_data(mk_sim)
    data = example("metakocka", "resp_product_list_one_with_pricelist")
    wanted = [e["price_list"] for e in data["expect"]]
    client = MetakockaClient(company_id=MK_COMPANY, secret_key=MK_SECRET, base_url=mk_sim.base_url, timeout=5)
    over_http = await client.read_prices(wanted)
    await client.aclose()
    assert over_http == parse_price_levels(data["body"], set(wanted))
    assert len({(lv.price_list, lv.sku) for lv in over_http}) == len(over_http) == 4


def test_client_sums_documented_stock_rows_per_warehouse_mark() -> None:
    marks = {
        w["mk_id"]: w["mark"] for w in example("metakocka", "resp_warehouse_list")["body"]["warehouse_list"]
    }
    data = example("metakocka", "resp_warehouse_stock")
    levels = parse_stock_levels(data["body"], marks)
    got: dict[str, dict[str, str]] = {}
    for lv in levels:
        got.setdefault(lv.warehouse, {})[lv.sku] = str(lv.quantity)
    assert got == data["expect"]


async def test_client_and_simulator_agree_on_documented_stock(mk_sim: MkSim) -> None:
    seed_documented_data(mk_sim)
    client = MetakockaClient(company_id=MK_COMPANY, secret_key=MK_SECRET, base_url=mk_sim.base_url, timeout=5)
    levels = await client.read_stock("oznaka2")
    await client.aclose()
    assert [(lv.sku, lv.quantity) for lv in levels] == [("16906", Decimal("110"))]


def test_documented_webhook_body_and_signature() -> None:
    data = example("metakocka", "resp_webhook_stock")
    raw = json.dumps(data["body"]).encode()
    secret = "client-secret-from-metakocka"
    signed = base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha1).digest()).decode()
    assert signature_valid(raw, secret, signed)
    assert not signature_valid(raw, secret, "x" + signed[1:])
    got: dict[str, dict[str, str]] = {}
    for lv in levels_from_body(data["body"], {}):
        got.setdefault(lv.warehouse, {})[lv.sku] = str(lv.quantity)
    assert got == data["expect"]


def test_client_reads_documented_create_answers() -> None:
    plain = ref_from_answer(example("metakocka", "resp_put_document")["body"])
    assert (plain.erp_id, plain.number, plain.fiscal) == ("1600129491", "dob4", None)
    fiscal = ref_from_answer(example("metakocka", "resp_put_sales_bill_furs")["body"])
    assert fiscal.fiscal is not None
    assert (fiscal.fiscal.zoi, fiscal.fiscal.eor) == (
        "4d9927418cd9ae714d95353f2b89258b",
        "712dea9b-ed72-41d5-90c3-1af1f11c4641",
    )
