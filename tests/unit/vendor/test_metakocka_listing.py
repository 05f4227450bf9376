"""Reading MetaKocka documents back for reconciliation: the documented search answer is parsed, the
simulator answers the documented date window and sums over real HTTP, and the client pages through
it under the company's one search lock."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest

from storelink_erp_kit.listing import DocumentLister
from storelink_erp_kit.testing.server import serve_in_thread
from storelink_erp_metakocka.client import MetakockaClient
from storelink_erp_metakocka.listing import document_of, line_gross_and_rate
from storelink_sim_metakocka.app import create_app
from storelink_sim_metakocka.state import SimState

from ...corpus import example

SECRET = "mk-secret-" + "x" * 16


def documented_row() -> dict[str, Any]:
    row: dict[str, Any] = copy.deepcopy(example("metakocka", "resp_search_doc")["body"]["result"][0])
    return row


def test_the_documented_document_without_our_reference_is_not_ours() -> None:
    assert document_of(documented_row(), "invoice_domestic") is None


def test_the_documented_sum_all_is_the_gross_and_tax_codes_add_to_no_rate() -> None:
    row = {**documented_row(), "buyer_order": "2026-00042"}
    doc = document_of(row, "invoice_domestic")
    assert doc is not None
    assert (doc.reference, doc.erp_id, doc.number, doc.gross) == (
        "2026-00042",
        "1600203710",
        "PRD1_494",
        D("4.88"),
    )
    assert dict(doc.vat) == {}
    assert doc.doc_date == date(2015, 5, 10)


def test_vat_per_rate_comes_from_the_tax_factor_lines() -> None:
    row = {
        "mk_id": "1",
        "buyer_order": "7",
        "product_list": [
            {"amount": "2", "price_with_tax": "12.20", "tax_factor": "0.22"},
            {"amount": "1", "price": "10", "tax_factor": "0.095", "discount": "10"},
            {"amount": "1", "price_with_tax": "3.90", "tax_factor": "0.22", "service": "true"},
        ],
    }
    doc = document_of(row, "sales_order")
    assert doc is not None
    assert doc.gross == D("24.40") + D("9.86") + D("3.90")
    assert dict(doc.vat) == {D("22"): D("5.10"), D("9.5"): D("0.86")}
    assert line_gross_and_rate({"amount": "1", "price": "5", "tax": "EX4"}) == (D("5.00"), None)


@pytest.fixture
def sim() -> Iterator[tuple[SimState, str]]:
    state = SimState()
    state.add_company("16", SECRET)
    with serve_in_thread(create_app(state), lifespan="off") as url:
        yield state, url + "/rest/eshop/"


def stored(n: int, day: str, doc_type: str = "sales_order") -> dict[str, Any]:
    return {
        "doc_type": doc_type,
        "doc_date": f"{day}+01:00",
        "buyer_order": f"2026-{n:05d}",
        "mk_id": str(1600000000 + n),
        "count_code": f"SO-{n}",
        "product_list": [{"amount": "1", "price_with_tax": "12.20", "tax_factor": "0.22"}],
    }


async def test_the_client_reads_a_date_window_page_by_page(sim: tuple[SimState, str]) -> None:
    state, url = sim
    docs = [stored(n, "2026-03-05") for n in range(230)]
    docs += [stored(1000, "2026-03-04"), stored(1001, "2026-03-07")]  # outside the window
    docs.append(stored(2000, "2026-03-06", "sales_bill_domestic"))
    state.documents["16"] = docs
    client = MetakockaClient(company_id="16", secret_key=SECRET, base_url=url)
    try:
        assert isinstance(client, DocumentLister)
        found = await client.list_documents(date(2026, 3, 5), date(2026, 3, 6))
    finally:
        await client.aclose()
    assert sorted(d.reference for d in found) == sorted(
        [f"2026-{n:05d}" for n in range(230)] + ["2026-02000"]
    )
    assert {d.kind for d in found} == {"sales_order", "invoice_domestic"}
    assert all(d.gross == D("12.20") and dict(d.vat) == {D("22"): D("2.20")} for d in found)
    searches = state.stats()["calls"].get("search", 0)
    assert searches >= 3 + 5  # 3 pages of sales orders, at least one page of each other type
    assert state.max_concurrent_searches == 1
