"""e-računi conformance: every example of the corpus (this folder's *.json, each naming its source and
the date it was read) runs through OUR client's readers AND through OUR simulator over real HTTP.

The simulator must accept what the vendor documents and answer in the documented (or, where the
documentation is silent, the assumed: storelink_erp_eracuni.assumptions) shapes, errors included;
the client must read those answers and send requests of the documented shape.

Here only what needs a broker, a process or real time; the rest:
tests/unit/vendor/eracuni/test_conformance.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from storelink_erp_eracuni import assumptions as A
from storelink_erp_eracuni import protocol as P
from storelink_erp_eracuni.client import (
    EracuniClient,
)
from storelink_erp_kit.testing.server import serve_in_thread
from storelink_sim_eracuni.app import EracuniState, create_app

USER, PASSWORD, TOKEN = "micka", "kovac", "ORG-TOKEN-DOC-1"  # the documented user; our token


@pytest.fixture
def sim() -> Iterator[tuple[str, EracuniState]]:
    state = EracuniState()
    state.add_user(USER, PASSWORD, TOKEN)
    with serve_in_thread(create_app(state), lifespan="off") as url:
        yield url + "/WebServicesSI/API", state


@pytest.mark.slow  # real-time windows or volume: in `make test`, not the fast level
async def test_the_simulator_delays_rather_than_refuses_beyond_four_requests_in_four_seconds(
    sim: tuple[str, EracuniState],
) -> None:
    url, state = sim
    state.pace_requests = True
    client = EracuniClient.from_credentials({"username": USER, "password": PASSWORD, "token": TOKEN}, url=url)
    started = time.monotonic()
    for _ in range(8):  # one after another, each waiting for its answer (what WS-AUTH asks)
        assert await client.call(P.SALES_INVOICE_LIST, {A.LIST_DATE_FROM: "2026-11-01"}) is not None
    elapsed = time.monotonic() - started
    assert elapsed >= P.RATE_LIMIT_WINDOW_SECONDS * 0.95  # 8 requests cannot fit in one 4 s window
    assert state.calls["paced"] >= 1
    assert state.calls["lock_refused"] == 0
    assert state.calls["rate_limited"] == 0
    await client.aclose()
