"""The `make up` demo: a tenant with a simulated Wix shop and a simulated Shopamine shop wired to a
simulated MetaKocka through the control API; demo orders, stock and price changes; and a live
view of what happens (orders -> ERP documents, stock/price pushes to the shops) until stopped.

    .venv/bin/python deploy/local/demo.py [--state DIR] [--every SECONDS] [--once]

Everything it knows about the other processes' HTTP APIs is in the ASSUMPTIONS block below (the
one place to adjust when a simulator or the control API changes). It writes its progress to
`<state>/local/demo-status.json` so a test (tests/deploy/test_make_up.py) can follow it too.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]

# ----------------------------------------------------------------------------------- ASSUMPTIONS --
# The demo world; values the simulators are started with (their own demo seeds) or are told here.
TENANT = "demo"
WIX_API_KEY = "demo-wix-api-key"  # sim-wix's demo seed (storelink_sim_wix.fixtures.demo)
WIX_SITE = "11111111-1111-4111-8111-111111111111"  # its Catalog V3 site
WIX_SKUS = [f"SKU-{i:04d}" for i in range(20)]
SHOPAMINE_DOMAIN = "www.demo-shop.si"  # sim-shopamine's demo shop
SHOPAMINE_TOKEN = "demo-token"  # noqa: S105 - the simulator's demo token
SHOPAMINE_SKUS = [f"SKU-{n}" for n in range(1, 21)]
MK_COMPANY, MK_SECRET = "16", "dev-secret"  # sim-metakocka's default company
MK_WAREHOUSE = "glavni"  # the warehouse's mark (what a person types in the connection settings)
MK_WAREHOUSE_ID = "100"  # its mk_id in sim-metakocka's default warehouse_list
MK_PRICE_LIST = "MPC"
# Routes (control API is /v1 with a bearer token; simulators arrange themselves under /_sim).
CONTROL_TENANTS = "/v1/tenants"
CONTROL_CONNECTIONS = "/v1/tenants/{tenant}/connections"
CONTROL_ROTATE = "/v1/connections/{connection_id}/rotate-webhook"
WIX_PUT_ORDER = "/_sim/sites/{site}/orders"
WIX_STOCK = "/_sim/sites/{site}/stock"  # {"stock": {sku: qty}, "prices": {sku: price}}
SHOPAMINE_PUT_ORDER = "/_sim/shops/{domain}/orders"
SHOPAMINE_ITEMS = "/_sim/shops/{domain}/items"  # {"data": [{"sku", "stock_amount", "price", ...}]}
MK_DOCUMENTS = "/_sim/documents/{company}"  # [{"doc_type", "buyer_order", "count_code", ...}]
MK_STOCK = "/_sim/stock/{company}"  # PUT rows shaped like warehouse_stock's stock_list
MK_PRODUCTS = "/_sim/products/{company}"  # PUT rows shaped like product_list (with pricelist)
# -------------------------------------------------------------------------------------------------


def _load_render() -> Any:
    spec = importlib.util.spec_from_file_location("storelink_deploy_render", ROOT / "deploy" / "render.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def urls() -> dict[str, str]:
    """Base URL of every process, from deploy/services.toml (with STORELINK_PORT_OFFSET)."""
    render = _load_render()
    services = render.local_services(render.load(render.LOCAL_SERVICES_TOML))
    return {s.name: f"http://127.0.0.1:{s.port}" for s in services}


def say(text: str) -> None:
    print(f"{datetime.now().strftime('%H:%M:%S')}  {text}", flush=True)


@dataclass
class Status:
    """What the demo did and what it has seen; written to demo-status.json after every round."""

    orders_placed: list[dict[str, str]] = field(default_factory=list)
    documents: list[dict[str, str]] = field(default_factory=list)
    erp_stock: dict[str, int] = field(default_factory=dict)
    erp_prices: dict[str, str] = field(default_factory=dict)
    wix_stock: dict[str, Any] = field(default_factory=dict)
    shopamine_stock: dict[str, Any] = field(default_factory=dict)
    wix_prices: dict[str, Any] = field(default_factory=dict)
    shopamine_prices: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def documented(self) -> bool:
        wanted = {o["number"] for o in self.orders_placed}
        seen = {d.get("buyer_order", "") for d in self.documents} | {
            d.get("title", "") for d in self.documents
        }
        return bool(wanted) and all(any(n and n in s for s in seen) for n in wanted)

    def stock_synced(self) -> bool:
        def agrees(shop: dict[str, Any], skus: list[str]) -> bool:
            relevant = [s for s in skus if s in self.erp_stock]
            return bool(relevant) and all(_num(shop.get(s)) == self.erp_stock[s] for s in relevant)

        return agrees(self.wix_stock, WIX_SKUS) and agrees(self.shopamine_stock, SHOPAMINE_SKUS)

    def prices_synced(self) -> bool:
        """Both shops show MetaKocka's retail (B2C, gross) price of every demo sku."""

        def agrees(shop: dict[str, Any], skus: list[str]) -> bool:
            relevant = [s for s in skus if s in self.erp_prices]
            return bool(relevant) and all(
                shop.get(s) is not None and Decimal(str(shop[s])) == Decimal(self.erp_prices[s])
                for s in relevant
            )

        return agrees(self.wix_prices, WIX_SKUS) and agrees(self.shopamine_prices, SHOPAMINE_SKUS)

    def write(self, path: Path) -> None:
        data = {
            **self.__dict__,
            "orders_documented": self.documented(),
            "stock_synced": self.stock_synced(),
            "prices_synced": self.prices_synced(),
            "at": datetime.now(UTC).isoformat(),
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, default=str))
        tmp.replace(path)


def _num(value: Any) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


class Demo:
    def __init__(self, base: dict[str, str], token: str, status_file: Path) -> None:
        self.base = base
        self.http = httpx.Client(timeout=15.0)
        self.auth = {"Authorization": f"Bearer {token}"}
        self.status = Status()
        self.status_file = status_file
        self.webhooks: dict[str, str] = {}
        self.round = 0

    # ---- helpers
    def call(self, method: str, service: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**(self.auth if service == "control" else {}), **kwargs.pop("headers", {})}
        return self.http.request(method, self.base[service] + path, headers=headers, **kwargs)

    def ok(self, response: httpx.Response, what: str, *also_ok: int) -> Any:
        if response.status_code >= 400 and response.status_code not in also_ok:
            raise SystemExit(f"demo: {what} failed: HTTP {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    # ---- wiring
    def wire(self) -> None:
        tenant = {
            "tenant_id": TENANT,
            "company": {
                "name": "Demo d.o.o.",
                "country": "SI",
                "vat_id": "SI12345678",
                "erp": "metakocka",
                "erp_credentials": {"company_id": MK_COMPANY, "secret_key": MK_SECRET},
            },
        }
        made = self.call("POST", "control", CONTROL_TENANTS, json=tenant)
        self.ok(made, "creating the demo tenant", 409)
        say(f"tenant '{TENANT}' {'created' if made.status_code == 201 else 'already there'} (ERP: MetaKocka)")
        common = {
            "import_orders": True,
            "target_document": "sales_order",
            "polling_interval_seconds": 60,
            "first_import_lookback_days": 30,
            "warehouse": MK_WAREHOUSE,
            "stock_sync": True,
            "price_sync": True,
            "price_lists": [{"name": MK_PRICE_LIST, "kind": "b2c"}],
        }
        shops = {
            "wix": {"platform": "wix", "credentials": {"api_key": WIX_API_KEY, "site_id": WIX_SITE}},
            "shopamine": {
                "platform": "shopamine",
                "credentials": {"store_url": f"https://{SHOPAMINE_DOMAIN}", "api_key": SHOPAMINE_TOKEN},
            },
        }
        existing = self.call("GET", "control", CONTROL_CONNECTIONS.format(tenant=TENANT))
        have = {c["platform"]: c for c in (self.ok(existing, "listing connections") or [])}
        for platform, body in shops.items():
            if platform in have:
                cid = have[platform]["connection_id"]
                rotated = self.ok(
                    self.call("POST", "control", CONTROL_ROTATE.format(connection_id=cid)), "rotate"
                )
                self.webhooks[platform] = rotated["webhook_url"]
                say(f"{platform} connection {cid} already there (webhook URL rotated)")
                continue
            payload = {**common, **body, "description": f"Demo {platform} shop"}
            created = self.ok(
                self.call("POST", "control", CONTROL_CONNECTIONS.format(tenant=TENANT), json=payload),
                f"adding the {platform} connection",
            )
            self.webhooks[platform] = created["webhook_url"]
            say(f"{platform} connection {created['connection']['connection_id']} created")

    def seed_erp(self) -> None:
        """The ERP's catalog: every demo sku of both shops, a stock level and a retail price."""
        skus = WIX_SKUS + SHOPAMINE_SKUS
        for i, sku in enumerate(skus):
            self.status.erp_stock[sku] = 10 + i
            self.status.erp_prices[sku] = f"{12 + i % 5}.20"
        self.push_erp()
        say(
            f"MetaKocka holds {len(skus)} products: stock from 10, retail prices from 12.20"
            f" (price list {MK_PRICE_LIST})"
        )

    def push_erp(self) -> None:
        stock = [
            {
                "warehouse_id": MK_WAREHOUSE_ID,
                "mk_id": str(1000 + i),
                "code": sku,
                "title": f"Demo {sku}",
                "amount": str(qty),
                "unit": "kos",
            }
            for i, (sku, qty) in enumerate(self.status.erp_stock.items())
        ]
        products = [
            {
                "mk_id": str(1000 + i),
                "code": sku,
                "name": f"Demo {sku}",
                "unit": "kos",
                "pricelist": [
                    {
                        "count_code": MK_PRICE_LIST,
                        "price_def": [{"price_with_tax": price, "tax_factor": "0.22"}],
                    }
                ],
            }
            for i, (sku, price) in enumerate(self.status.erp_prices.items())
        ]
        self.ok(
            self.call("PUT", "sim-metakocka", MK_STOCK.format(company=MK_COMPANY), json=stock), "ERP stock"
        )
        self.ok(
            self.call("PUT", "sim-metakocka", MK_PRODUCTS.format(company=MK_COMPANY), json=products),
            "ERP prices",
        )

    # ---- the story
    def place_orders(self) -> None:
        self.round += 1
        n = self.round
        from storelink_sim_shopamine.samples import new_order  # the simulators' own sample builders
        from storelink_sim_wix.fixtures import ecom_order

        number = str(90000 + n)
        order = self.ok(
            self.call(
                "POST",
                "sim-wix",
                WIX_PUT_ORDER.format(site=WIX_SITE),
                json=ecom_order(sku=WIX_SKUS[n % len(WIX_SKUS)], quantity=1 + n % 3, number=number),
            ),
            "placing a Wix order",
        )
        self.status.orders_placed.append({"shop": "wix", "number": number})
        self.doorbell(
            "wix", {"data": {"orderId": (order or {}).get("order", {}).get("id", ""), "number": number}}
        )
        say(f"Wix: customer placed order {number}")
        sa = new_order(lines=[(SHOPAMINE_SKUS[n % len(SHOPAMINE_SKUS)], 1 + n % 2, "12.20")])
        placed = self.ok(
            self.call("POST", "sim-shopamine", SHOPAMINE_PUT_ORDER.format(domain=SHOPAMINE_DOMAIN), json=sa),
            "placing a Shopamine order",
        )
        sa_number = str(
            (placed or {}).get("number") or (placed or {}).get("order_number") or sa.get("number", "")
        )
        self.status.orders_placed.append({"shop": "shopamine", "number": sa_number})
        self.doorbell("shopamine", {"id": (placed or {}).get("id"), "number": sa_number})
        say(f"Shopamine: customer placed order {sa_number}")

    def doorbell(self, platform: str, body: dict[str, Any]) -> None:
        """Ring the connector's webhook (polling would find the order too, only later)."""
        url = self.webhooks.get(platform)
        if not url:
            return
        path = "/" + url.split("://", 1)[-1].split("/", 1)[-1]
        try:
            answer = self.http.post(self.base[f"connector-{platform}"] + path, json=body)
            if answer.status_code >= 400:
                say(f"{platform}: webhook answered {answer.status_code} (polling will pick the order up)")
        except httpx.HTTPError as exc:
            say(f"{platform}: webhook not delivered ({type(exc).__name__}); polling will pick the order up")

    def change_erp(self) -> None:
        sku_w, sku_s = WIX_SKUS[self.round % len(WIX_SKUS)], SHOPAMINE_SKUS[self.round % len(SHOPAMINE_SKUS)]
        for sku in (sku_w, sku_s):
            self.status.erp_stock[sku] = max(0, self.status.erp_stock[sku] - 3 + self.round % 7)
        self.status.erp_prices[sku_w] = f"{14 + self.round % 4}.90"
        self.status.erp_prices[sku_s] = f"{18 + self.round % 4}.50"
        self.push_erp()
        say(
            f"MetaKocka: stock of {sku_w} -> {self.status.erp_stock[sku_w]}, {sku_s} -> "
            f"{self.status.erp_stock[sku_s]}; price of {sku_w} -> {self.status.erp_prices[sku_w]}, "
            f"{sku_s} -> {self.status.erp_prices[sku_s]}"
        )

    def observe(self) -> None:
        try:
            docs = self.call("GET", "sim-metakocka", MK_DOCUMENTS.format(company=MK_COMPANY)).json()
            wix = self.call("GET", "sim-wix", WIX_STOCK.format(site=WIX_SITE)).json()
            items = self.call("GET", "sim-shopamine", SHOPAMINE_ITEMS.format(domain=SHOPAMINE_DOMAIN)).json()
        except (httpx.HTTPError, ValueError) as exc:
            say(f"(a simulator did not answer: {type(exc).__name__})")
            return
        known = len(self.status.documents)
        self.status.documents = [
            {k: str(d.get(k, "")) for k in ("doc_type", "count_code", "buyer_order", "title", "mk_id")}
            for d in (docs if isinstance(docs, list) else [])
        ]
        for d in self.status.documents[known:]:
            say(
                f"MetaKocka: new {d['doc_type']} {d['count_code']}"
                f" for shop order {d['buyer_order'] or d['title']}"
            )
        self._diff("Wix", "stock", self.status.wix_stock, dict(wix.get("stock", {})))
        self._diff("Wix", "price", self.status.wix_prices, dict(wix.get("prices", {})))
        sa_items = items.get("data", [])
        sa_stock = {i.get("sku"): i.get("stock_amount") for i in sa_items}
        self._diff("Shopamine", "stock", self.status.shopamine_stock, sa_stock)
        sa_prices = {i.get("sku"): i.get("price") for i in sa_items}
        self._diff("Shopamine", "price", self.status.shopamine_prices, sa_prices)

    def _diff(self, shop: str, what: str, seen: dict[str, Any], now: dict[str, Any]) -> None:
        changed = {sku: value for sku, value in now.items() if seen.get(sku) != value}
        if seen and changed:
            shown = ", ".join(f"{sku}={value}" for sku, value in list(changed.items())[:6])
            say(f"{shop}: {what} pushed: {shown}{' ...' if len(changed) > 6 else ''}")
        seen.clear()
        seen.update(now)

    def run(self, every: float, once: bool) -> None:
        self.wire()
        self.seed_erp()
        self.place_orders()
        next_round = time.monotonic() + every
        reported = (False, False, False)
        while True:
            self.observe()
            self.status.write(self.status_file)
            state = (self.status.documented(), self.status.stock_synced(), self.status.prices_synced())
            if state != reported:
                if state[0]:
                    say("every demo order so far is a document in MetaKocka")
                if state[1]:
                    say("both shops show MetaKocka's stock")
                if state[2]:
                    say("both shops show MetaKocka's retail prices")
                reported = state
            if once and all(state):
                return
            if not once and time.monotonic() >= next_round:
                self.change_erp()
                self.place_orders()
                next_round = time.monotonic() + every
            time.sleep(2)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--state", type=Path, default=Path(os.environ.get("STORELINK_STATE", ROOT / ".state"))
    )
    parser.add_argument(
        "--every", type=float, default=30.0, help="seconds between rounds of orders and changes"
    )
    parser.add_argument("--once", action="store_true", help="stop when the first round is through")
    args = parser.parse_args()
    token = os.environ.get("STORELINK_CONTROL_OPERATOR_TOKEN")
    if not token:
        raise SystemExit("demo: STORELINK_CONTROL_OPERATOR_TOKEN is not set (deploy/local/up.sh sets it)")
    status_file = args.state / "local" / "demo-status.json"
    status_file.parent.mkdir(parents=True, exist_ok=True)
    say("Storelink demo: Ctrl-C (or `make down`) stops everything")
    with contextlib.suppress(KeyboardInterrupt):
        Demo(urls(), token, status_file).run(args.every, args.once)


if __name__ == "__main__":
    main()
