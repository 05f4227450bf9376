"""The e-računi simulator can be arranged over HTTP (what `make up`'s demo does): stock and product
rows go in, the documents it holds come out; our client reads what was put in."""

from __future__ import annotations

from decimal import Decimal as D

import httpx

from storelink_contracts import DocumentKind
from storelink_erp_eracuni import assumptions as A
from storelink_erp_eracuni.client import EracuniClient

from ...support.erp import ER_PASSWORD, ER_TOKEN, ER_USER, ErSim
from .test_eracuni_vendor_items import er_doc


async def test_stock_products_and_documents_are_arranged_and_read_over_http(er_sim: ErSim) -> None:
    client = EracuniClient.from_credentials(
        {"username": ER_USER, "password": ER_PASSWORD, "token": ER_TOKEN}, url=er_sim.api_url, timeout=3
    )
    stock = [{A.STOCK_PRODUCT_CODE: "MUG-01", A.STOCK_WAREHOUSE_CODE: "GLAVNO", A.STOCK_QUANTITY: 7}]
    products = [{A.PRODUCT_CODE: "MUG-01", A.PRODUCT_GROSS_PRICE: 12.2, A.PRODUCT_VAT_RATE: 22}]
    async with httpx.AsyncClient(base_url=er_sim.url) as http:
        assert (await http.put(f"/_sim/stock/{ER_TOKEN}", json=stock)).status_code == 200
        assert (await http.put(f"/_sim/products/{ER_TOKEN}", json=products)).status_code == 200
        levels = await client.read_stock("GLAVNO")
        prices = await client.read_prices([A.PRODUCT_PRICE_LIST])
        made = await client.create_document(er_doc(DocumentKind.SALES_ORDER))
        held = (await http.get(f"/_sim/documents/{ER_TOKEN}")).json()
    await client.aclose()
    assert [(lv.warehouse, lv.sku, lv.quantity) for lv in levels] == [("GLAVNO", "MUG-01", D(7))]
    assert [(p.sku, p.gross) for p in prices] == [("MUG-01", D("12.2"))]
    assert [(d["kind"], d["documentID"]) for d in held] == [("SalesOrder", made.erp_id)]
