"""`make up` end to end: the real services and simulators, the demo, then `make down`.

The demo (deploy/local/demo.py) shows both seed pairings; this test holds it to its claims and checks
them on the simulators themselves: Wix -> e-računi (a card-paid order becomes a sales order and a
fiscally verified invoice made from it, with ZOI and EOR; an unpaid order stays a sales order; stock
of the chosen warehouse and the sales prices reach Wix) and Shopamine -> MetaKocka (orders become
sales orders; stock, B2C gross and B2B net prices reach Shopamine). It waits for each claim with a
generous deadline and asserts no timing.

Needs every service of deploy/services.toml installed (the merged services); it fails, saying which
are missing, when one is not. It runs on its own state dir, Kafka port and port offset, so it never
touches a developer's running stack.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from storelink_kit.testing.deploy import load_render, read_env_file
from storelink_kit.testing.ports import free_listen_port, free_port_offset

pytestmark = pytest.mark.kafka  # the whole stack, a real broker included

ROOT = Path(__file__).resolve().parents[3]
DEADLINE_SECONDS = 900  # a safety net on a loaded machine, not a figure: the test waits for conditions
CLAIMS = {
    "wix_eracuni": (
        "paid_orders_fiscally_invoiced",
        "unpaid_orders_sales_orders_only",
        "stock_synced",
        "prices_synced",
    ),
    "shopamine_metakocka": ("orders_documented", "stock_synced", "prices_synced"),
}


def _holds(status: dict[str, Any]) -> dict[str, list[str]]:
    """Per pairing, the demo's claims that do not hold (yet)."""
    return {
        pairing: [c for c in claims if not (status.get(pairing) or {}).get(c)]
        for pairing, claims in CLAIMS.items()
    }


def _number(value: Any) -> Decimal:
    return Decimal(str(value))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text().lower()


def test_make_up_brings_orders_to_the_erp_and_stock_to_the_shops_and_make_down_cleans_up(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    render = load_render(ROOT)
    offset = free_port_offset([s.port for s in render.load(render.SERVICES_TOML)])
    env = {
        **os.environ,
        "STORELINK_STATE": str(state),
        "STATE": str(state),  # the Makefile's own variable, exported as STORELINK_STATE
        "KAFKA_PORT": str(free_listen_port()),
        "STORELINK_PORT_OFFSET": str(offset),
        "UP_TIMEOUT": "600",
        "STORELINK_DEMO_EVERY": "86400",  # one round: the values checked below stay put while we look
    }
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    log = (tmp_path / "make-up.log").open("w")
    up = subprocess.Popen(
        ["make", "up"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    status_file = state / "local" / "demo-status.json"
    status: dict[str, Any] = {}
    started: list[int] = []
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            if up.poll() is not None:
                raise AssertionError(
                    f"make up exited ({up.returncode}):\n{(tmp_path / 'make-up.log').read_text()[-4000:]}"
                )
            if status_file.exists():
                status = json.loads(status_file.read_text())
                if not any(_holds(status).values()):
                    break
            time.sleep(2)
        output = (tmp_path / "make-up.log").read_text()
        missing = _holds(status)
        assert not any(missing.values()), (
            f"demo claims that never held: {missing}\n{status}\n{output[-4000:]}"
        )

        # Check the simulators directly, not only the demo's word for it.
        base = lambda port: f"http://127.0.0.1:{port + offset}"  # noqa: E731
        placed: list[dict[str, Any]] = status["orders_placed"]
        wix_paid = [o["number"] for o in placed if o["shop"] == "wix" and o["paid"]]
        wix_unpaid = [o["number"] for o in placed if o["shop"] == "wix" and not o["paid"]]
        assert wix_paid, placed
        assert wix_unpaid, placed

        # Wix -> e-računi: documents, fiscal codes, stock and prices.
        er_docs = httpx.get(base(8105) + "/_sim/documents/dev-token", timeout=10).json()
        er_orders = {d["reference"]: d for d in er_docs if d["kind"] == "SalesOrder"}
        er_invoices = {d["reference"]: d for d in er_docs if d["kind"] == "SalesInvoice"}
        for number in wix_paid:
            invoice = er_invoices[number]
            assert invoice["zoi"], f"invoice of paid order {number} is not fiscally verified: {invoice}"
            assert invoice["eor"], f"invoice of paid order {number} has no EOR: {invoice}"
            assert er_orders[number]["invoiceID"] == invoice["documentID"], "made from its sales order"
        for number in wix_unpaid:
            assert number in er_orders, f"no sales order for unpaid Wix order {number}"
            assert number not in er_invoices, f"unpaid Wix order {number} was invoiced"
        wix = httpx.get(
            base(8101) + "/_sim/sites/11111111-1111-4111-8111-111111111111/stock", timeout=10
        ).json()
        er_stock: dict[str, int] = status["eracuni_stock"]
        er_prices: dict[str, str] = status["eracuni_prices"]
        assert er_stock
        assert er_prices
        for sku, qty in er_stock.items():
            assert _number(wix["stock"][sku]) == qty, sku
        for sku, price in er_prices.items():
            assert _number(wix["prices"][sku]) == _number(price), sku

        # Shopamine -> MetaKocka: sales orders, stock, B2C gross and B2B net prices.
        mk_docs = httpx.get(base(8104) + "/_sim/documents/16", timeout=10).json()
        mk_orders = {d.get("buyer_order") for d in mk_docs if d["doc_type"] == "sales_order"}
        for number in (o["number"] for o in placed if o["shop"] == "shopamine"):
            assert number in mk_orders, f"no MetaKocka sales order for Shopamine order {number}"
        items = httpx.get(base(8102) + "/_sim/shops/www.demo-shop.si/items", timeout=10).json()["data"]
        by_sku = {item["sku"]: item for item in items}
        mk_stock: dict[str, int] = status["metakocka_stock"]
        assert mk_stock
        for sku, qty in mk_stock.items():
            assert _number(by_sku[sku]["stock_amount"]) == qty, sku
            assert _number(by_sku[sku]["price"]) == _number(status["metakocka_b2c_prices"][sku]), sku
            assert _number(by_sku[sku]["price_b2b"]) == _number(status["metakocka_b2b_prices"][sku]), sku

        # The ERP ingest runs too, with the demo tenant's token generated under the state dir.
        tokens = json.loads(read_env_file(state / "local" / "secrets.env")["STORELINK_ERP_INGEST_TOKENS"])
        batch = [
            {
                "tenant_id": "demo",
                "warehouse": "ingest-check",
                "sku": "SKU-INGEST",
                "quantity": "3",
                "as_of": "2026-11-24T10:00:00Z",
            }
        ]
        ingest = base(8006) + "/v1/stock"
        stranger = httpx.post(ingest, json=batch, headers={"authorization": "Bearer " + "x" * 32}, timeout=10)
        assert stranger.status_code == 401
        accepted = httpx.post(
            ingest, json=batch, headers={"authorization": f"Bearer {tokens['demo']}"}, timeout=30
        )
        assert accepted.status_code == 202, accepted.text
        assert accepted.json() == {"accepted": True, "published": 1}

        supervisord_log = (state / "local" / "supervisord.log").read_text()
        started = [int(p) for p in re.findall(r"spawned: '[a-z0-9-]+' with pid (\d+)", supervisord_log)]
        assert len(started) == len(
            re.findall(r"^\[program:", (state / "local" / "supervisord.conf").read_text(), re.M)
        )
        for pid_file in ("local/supervisord.pid", "local/demo.pid", "kafka/kafka.pid"):
            started.append(int((state / pid_file).read_text().strip()))
        assert all(_alive(p) for p in started)
    finally:
        down = subprocess.run(
            ["make", "down"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        try:
            up.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)
            up.wait()
        log.close()
    assert down.returncode == 0, down.stderr
    assert [p for p in started if _alive(p)] == [], "make down left processes behind"
