"""Issue 12, items 15-19 and seed 004 (e-računi side), against the simulator over real HTTP.

15 the documented login; 16 SalesOrderCancel / SalesOrderCreateInvoice and credit notes; 17 fiscal
verification (a B2B net-price invoice too); 18 stock beyond 50 000 records, a missing quantity is an
error; 19 prices from ProductList; seed 004 a paid Wix order → a fiscally verified invoice.

Here only what needs a broker, a process or real time; the rest:
tests/unit/erp/test_eracuni_vendor_items.py.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from storelink_erp_eracuni import assumptions as A
from storelink_erp_eracuni import protocol as P

from ...support.erp import ER_TOKEN, ErSim
from ...unit.erp.test_eracuni_vendor_items import client_for

# ------------------------------------------------------------------------------------------ item 18


@pytest.mark.slow  # real-time windows or volume: in `make test`, not the fast level
async def test_item18_more_than_50000_stock_records_are_all_read(er_sim: ErSim) -> None:
    count = P.STOCK_RECORD_CAP + 700
    codes = [f"P{i:06d}" for i in range(count)]
    er_sim.state.stock[ER_TOKEN] = [
        {"productCode": c, "warehouseCode": "MAIN", "quantityOnStock": i % 7} for i, c in enumerate(codes)
    ]
    er_sim.state.products[ER_TOKEN] = [
        {"productCode": c, "retailPrice": 1, "vatPercentage": 22} for c in codes
    ]
    client = client_for(er_sim)
    levels = await client.read_stock("MAIN")
    assert len(levels) == count
    assert {lv.sku: lv.quantity for lv in levels}[codes[-1]] == D((count - 1) % 7)
    assert er_sim.state.calls[P.WAREHOUSE_STOCK] == 1 + -(-count // A.STOCK_CODES_PER_CALL)
    await client.aclose()
