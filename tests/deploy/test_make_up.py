"""`make up` end to end: the real services and simulators, the demo, then `make down`.

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
from pathlib import Path

import httpx

from storelink_kit.testing.kafka_broker import free_port

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 150


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
    offset = 20000 + free_port() % 10000
    env = {
        **os.environ,
        "STORELINK_STATE": str(state),
        "STATE": str(state),  # the Makefile's own variable, exported as STORELINK_STATE
        "KAFKA_PORT": str(free_port()),
        "STORELINK_PORT_OFFSET": str(offset),
        "UP_TIMEOUT": "120",
    }
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    log = (tmp_path / "make-up.log").open("w")
    up = subprocess.Popen(
        ["make", "up"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    status_file = state / "local" / "demo-status.json"
    status: dict[str, object] = {}
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
                if status["orders_documented"] and status["stock_synced"] and status["prices_synced"]:
                    break
            time.sleep(2)
        output = (tmp_path / "make-up.log").read_text()
        assert status.get("orders_documented"), f"orders never became documents: {status}\n{output[-4000:]}"
        assert status.get("stock_synced"), f"stock never reached the shops: {status}\n{output[-4000:]}"
        assert status.get("prices_synced"), f"prices never reached the shops: {status}\n{output[-4000:]}"

        # Check the simulators directly, not only the demo's word for it.
        base = lambda port: f"http://127.0.0.1:{port + offset}"  # noqa: E731
        docs = httpx.get(base(8104) + "/_sim/documents/16", timeout=10).json()
        placed = [o["number"] for o in status["orders_placed"]]  # type: ignore[index,union-attr]
        assert len(docs) >= len(placed)
        text = json.dumps(docs)
        for number in placed:
            assert number in text, f"no ERP document for order {number}"
        wix = httpx.get(
            base(8101) + "/_sim/sites/11111111-1111-4111-8111-111111111111/stock", timeout=10
        ).json()
        erp_stock = status["erp_stock"]
        assert isinstance(erp_stock, dict)
        for sku, qty in wix["stock"].items():
            if sku in erp_stock:
                assert int(float(qty)) == erp_stock[sku], sku
        items = httpx.get(base(8102) + "/_sim/shops/www.demo-shop.si/items", timeout=10).json()["data"]
        for item in items:
            if item["sku"] in erp_stock:
                assert int(float(item["stock_amount"])) == erp_stock[item["sku"]], item["sku"]

        honcho_log = (state / "local" / "honcho.log").read_text()
        started = [int(p) for p in re.findall(r"started \(pid=(\d+)\)", honcho_log)]
        for pid_file in ("local/honcho.pid", "local/demo.pid", "kafka/kafka.pid"):
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
