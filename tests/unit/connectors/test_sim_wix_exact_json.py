"""The Wix simulator's answers: Decimals are JSON numbers digit for digit, and a string that looks
like the old "\\x00dec:" marker stays a string (the bug fixed in connector-kit's dumps_exact)."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from storelink_sim_wix.app import respond
from storelink_sim_wix.fixtures import ecom_order
from storelink_sim_wix.server import serve_sim
from storelink_sim_wix.state import WixSim

MARKER_LOOKALIKES = ["\x00dec:99", "\x00dec:-1.50", "\\u0000dec:7", '"\x00dec:3"']


@pytest.mark.parametrize("text", MARKER_LOOKALIKES)
def test_a_string_that_looks_like_the_decimal_marker_stays_a_string(text: str) -> None:
    body = {"note": text, "items": [text], text: "key"}
    assert json.loads(respond(body).body) == body


def test_decimals_are_numbers_written_digit_for_digit() -> None:
    answer = respond({"price": Decimal("12.30"), "big": Decimal("1E+2"), "tiny": Decimal("0E-8")})
    assert answer.body == b'{"price":12.30,"big":100,"tiny":0.00000000}'
    assert answer.media_type == "application/json"


def test_counters_keyed_by_status_code_are_still_written() -> None:
    assert json.loads(respond({"by_status": {200: 3, 429: 1}}).body) == {"by_status": {"200": 3, "429": 1}}


async def test_an_order_note_that_looks_like_the_marker_comes_back_unchanged_over_http() -> None:
    sim = WixSim()
    key = sim.add_key("acct-1")
    site = sim.add_site("acct-1")
    order = {**ecom_order(), "buyerNote": "\x00dec:99"}
    async with serve_sim(sim) as url, httpx.AsyncClient(base_url=url) as http:
        placed = (await http.post(f"/_sim/sites/{site.site_id}/orders", json=order)).json()["order"]
        got = await http.get(
            f"/ecom/v1/orders/{placed['id']}", headers={"authorization": key, "wix-site-id": site.site_id}
        )
    assert got.status_code == 200
    assert got.json()["order"]["buyerNote"] == "\x00dec:99"
