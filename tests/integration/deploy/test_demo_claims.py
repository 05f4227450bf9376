"""The demo's claims (deploy/local/demo.py `Status`) are strict: each one fails on the case it is
about, so `make up`'s "OK" lines and tests/integration/deploy/test_make_up.py cannot pass on a
half-working pairing."""

from __future__ import annotations

from types import ModuleType
from typing import Any


def er(kind: str, reference: str, document_id: str, **extra: str) -> dict[str, str]:
    base = {"kind": kind, "number": f"{document_id}-WEB-1", "reference": reference, "documentID": document_id}
    return {"invoiceID": "", "zoi": "", "eor": "", "status": "", **base, **extra}


def working(demo: ModuleType) -> Any:
    """Both pairings as the demo sees them when everything arrived."""
    status = demo.Status(
        orders_placed=[
            {"shop": "wix", "number": "90001", "paid": True},
            {"shop": "wix", "number": "90002", "paid": False},
            {"shop": "shopamine", "number": "2026-01003", "paid": False},
        ],
        eracuni_documents=[
            er("SalesOrder", "90001", "60:1", invoiceID="60:3"),
            er("SalesOrder", "90002", "60:2"),
            er("SalesInvoice", "90001", "60:3", zoi="2048f0a3", eor="34facd65-622b"),
        ],
        metakocka_documents=[{"doc_type": "sales_order", "buyer_order": "2026-01003"}],
        eracuni_stock={"SKU-0001": 10},
        eracuni_prices={"SKU-0001": "12.20"},
        metakocka_stock={"SKU-1": 30},
        metakocka_b2c_prices={"SKU-1": "12.20"},
        metakocka_b2b_prices={"SKU-1": "10.00"},
        wix_stock={"SKU-0001": 10},
        wix_prices={"SKU-0001": 12.2},
        shopamine_stock={"SKU-1": 30},
        shopamine_b2c_prices={"SKU-1": "12.20"},
        shopamine_b2b_prices={"SKU-1": "10.00"},
    )
    summary = status.summary()
    assert all(summary["wix_eracuni"].values()), summary
    assert all(summary["shopamine_metakocka"].values()), summary
    assert summary["orders_documented"]
    assert summary["stock_synced"]
    assert summary["prices_synced"]
    return status


def test_a_paid_order_whose_invoice_lacks_its_fiscal_codes_fails_the_claim(demo: ModuleType) -> None:
    status = working(demo)
    status.eracuni_documents[2]["eor"] = ""
    assert not status.wix_eracuni()["paid_orders_fiscally_invoiced"]
    assert not status.summary()["orders_documented"]


def test_an_invoice_made_on_its_own_instead_of_from_the_sales_order_fails_the_claim(demo: ModuleType) -> None:
    status = working(demo)
    status.eracuni_documents[0]["invoiceID"] = ""
    assert not status.wix_eracuni()["paid_orders_fiscally_invoiced"]


def test_an_invoiced_unpaid_order_fails_the_claim(demo: ModuleType) -> None:
    status = working(demo)
    status.eracuni_documents.append(er("SalesInvoice", "90002", "60:4", zoi="z", eor="e"))
    assert not status.wix_eracuni()["unpaid_orders_sales_orders_only"]


def test_a_shop_value_that_differs_from_the_erp_fails_the_claim(demo: ModuleType) -> None:
    status = working(demo)
    status.shopamine_b2b_prices["SKU-1"] = "12.20"  # the gross price where the net one belongs
    assert not status.shopamine_metakocka()["prices_synced"]
    status = working(demo)
    status.wix_stock.pop("SKU-0001")
    assert not status.wix_eracuni()["stock_synced"]


def test_a_shopamine_order_without_a_document_fails_the_claim(demo: ModuleType) -> None:
    status = working(demo)
    status.metakocka_documents.clear()
    assert not status.shopamine_metakocka()["orders_documented"]


def test_nothing_placed_or_held_is_not_a_success(demo: ModuleType) -> None:
    summary = demo.Status().summary()
    assert not any(summary["wix_eracuni"].values())
    assert not any(summary["shopamine_metakocka"].values())
