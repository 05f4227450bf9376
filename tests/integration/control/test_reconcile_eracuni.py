"""Issue 16: the reconciliation report for an e-računi tenant (its client lists documents, ER13),
over real HTTP to the Shopamine and e-računi simulators: 200 with what the ERP holds, not a 409."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from storelink_contracts import ErpSystem
from storelink_erp_eracuni.client import EracuniClient
from storelink_erp_eracuni.protocol import md5pass
from storelink_erp_kit.testing.server import serve_in_thread
from storelink_kit.testing.samples import sample_document
from storelink_sim_eracuni.app import EracuniState, create_app
from storelink_sim_shopamine.samples import new_order
from storelink_sim_shopamine.server import running
from storelink_sim_shopamine.state import ALL_SCOPES, Sim, iso

from .conftest import SHOPAMINE_KEY, Live, shopamine_body

pytestmark = pytest.mark.kafka

DOMAIN = "www.er-recon-shop.si"
USER, PASSWORD, TOKEN = "api@recon.si", "er-recon-password-0123", "ER-RECON-TOKEN"


@pytest.fixture
def er_url() -> Iterator[str]:
    state = EracuniState()
    state.add_user(USER, PASSWORD, TOKEN)
    with serve_in_thread(create_app(state), lifespan="off") as url:
        yield url + "/WebServicesSI/API"


async def test_an_eracuni_tenant_is_reconciled(live: Live, er_url: str) -> None:
    sim = Sim()
    sim.add_shop(DOMAIN, {SHOPAMINE_KEY: ALL_SCOPES})
    numbers = []
    for hour in (8, 9):
        order = new_order()
        order["created"] = iso(datetime(2026, 3, 3, hour, tzinfo=UTC))
        numbers.append(sim.shops[DOMAIN].add_order(order)["number"])
    erp = EracuniClient(username=USER, md5pass=md5pass(USER, PASSWORD), token=TOKEN, url=er_url)
    try:
        for _ in range(2):  # the first order twice in the ERP, the second not at all
            doc = sample_document(
                erp=ErpSystem.ERACUNI, order_number=numbers[0], issued_at=datetime(2026, 3, 3, 9, tzinfo=UTC)
            )
            await erp.create_document(doc)
    finally:
        await erp.aclose()

    credentials = {"username": USER, "password": PASSWORD, "token": TOKEN}
    tenant_id, token = await live.tenant(
        fiscal_verification=False, erp="eracuni", erp_credentials=credentials
    )
    body = shopamine_body(credentials={"store_url": DOMAIN, "api_key": SHOPAMINE_KEY})
    cid = (await live.connection(tenant_id, token, body))["connection"]["connection_id"]
    async with running(sim) as shop_url:
        live.settings.shop_base_urls["shopamine"] = shop_url
        live.settings.erp_base_urls["eracuni"] = er_url
        try:
            r = await live.client(token).get(
                f"/v1/connections/{cid}/reconciliation",
                params={"from": "2026-03-01", "to": "2026-03-05"},
                timeout=120,
            )
        finally:
            live.settings.shop_base_urls.pop("shopamine", None)
            live.settings.erp_base_urls.pop("eracuni", None)
    assert r.status_code == 200, r.text
    report = r.json()
    first, second = numbers
    found = {(p["finding"], p["number"]) for p in report["problems"]}
    assert found == {
        ("missing_in_hub", first),
        ("missing_in_hub", second),
        ("duplicated_in_erp", first),
        ("amount_differs", first),  # the ERP documents leave out the order's 3.90 shipping
        ("vat_differs", first),
    }
    assert report["totals"]["erp"] == {
        "orders": 1,
        "gross": "24.40",
        "vat": [{"rate": "22", "amount": "4.40"}],
    }
