"""The `make up` demo: both seed pairings, wired through the control API and shown live until stopped.

- Wix -> e-računi (seed 004): tenant `demo-eracuni`, a company with fiscal verification on, whose ERP
  is the simulated e-računi; a simulated Wix shop. A card-paid order becomes a sales order and an
  invoice made from it, fiscally verified (ZOI/EOR printed); an unpaid order stays a sales order;
  stock of the chosen warehouse and e-računi's sales prices reach the Wix shop.
- Shopamine -> MetaKocka (seed 000): tenant `demo`, whose ERP is the simulated MetaKocka; a simulated
  Shopamine shop. Orders become the chosen document (sales order); stock of the chosen warehouse,
  B2C prices (gross) and B2B prices (net) reach the Shopamine shop.

    .venv/bin/python deploy/local/demo.py [--state DIR] [--every SECONDS] [--once]

`make up` runs it with its defaults; STORELINK_DEMO_EVERY sets the seconds between rounds (30).

Everything it knows about the other processes' HTTP APIs is in the ASSUMPTIONS block below (the
one place to adjust when a simulator or the control API changes). It writes what it did and saw to
`<state>/local/demo-status.json` so a test (tests/integration/deploy/test_make_up.py) can follow it too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import httpx
import simplejson

ROOT = Path(__file__).resolve().parents[2]

# ----------------------------------------------------------------------------------- ASSUMPTIONS --
# The demo world: values the simulators are started with (their own demo seeds) or are told here.
WIX_TENANT = "demo-eracuni"  # Wix -> e-računi
WIX_API_KEY = "demo-wix-api-key"  # sim-wix's demo seed (storelink_sim_wix.fixtures.demo)
WIX_SITE = "11111111-1111-4111-8111-111111111111"  # its Catalog V3 site
WIX_SKUS = [f"SKU-{i:04d}" for i in range(20)]
ER_USER, ER_PASSWORD, ER_TOKEN = "api@example.si", "dev-password", "dev-token"  # sim-eracuni's default user
ER_CASH_REGISTER, ER_BUSINESS_UNIT = "BL1", "PP1"  # the fiscal device and premises set in e-računi
ER_WAREHOUSE = "GLAVNO"  # the e-računi warehouse code whose stock goes to Wix
ER_PRICE_LIST = "e-racuni-product-price"  # the adapter's name for ProductList's sales prices
VAT_RATE = Decimal(22)
SHOPAMINE_TENANT = "demo"  # Shopamine -> MetaKocka (the ERP ingest's demo token is for this tenant)
SHOPAMINE_DOMAIN = "www.demo-shop.si"  # sim-shopamine's demo shop
SHOPAMINE_TOKEN = "demo-token"  # noqa: S105 - the simulator's demo token
SHOPAMINE_SKUS = [f"SKU-{n}" for n in range(1, 21)]
MK_COMPANY, MK_SECRET = "16", "dev-secret"  # sim-metakocka's default company
MK_WAREHOUSE = "glavni"  # the warehouse's mark (what a person types in the connection settings)
MK_WAREHOUSE_ID = "100"  # its mk_id in sim-metakocka's default warehouse_list
MK_B2C_PRICE_LIST, MK_B2B_PRICE_LIST = "MPC", "VPC"  # retail (sent gross) and wholesale (sent net)
# Routes (control API is /v1 with a bearer token; simulators arrange themselves under /_sim).
CONTROL_TENANTS = "/v1/tenants"
CONTROL_CONNECTIONS = "/v1/tenants/{tenant}/connections"
CONTROL_ROTATE = "/v1/connections/{connection_id}/rotate-webhook"
WIX_PUT_ORDER = "/_sim/sites/{site}/orders"
WIX_STOCK = "/_sim/sites/{site}/stock"  # {"stock": {sku: qty}, "prices": {sku: price}}
SHOPAMINE_PUT_ORDER = "/_sim/shops/{domain}/orders"
SHOPAMINE_ITEMS = "/_sim/shops/{domain}/items"  # {"data": [{"sku", "stock_amount", "price", "price_b2b"}]}
MK_DOCUMENTS = "/_sim/documents/{company}"  # [{"doc_type", "buyer_order", "count_code", ...}]
MK_STOCK = "/_sim/stock/{company}"  # PUT rows shaped like warehouse_stock's stock_list
MK_PRODUCTS = "/_sim/products/{company}"  # PUT rows shaped like product_list (with pricelist)
ER_DOCUMENTS = "/_sim/documents/{token}"  # [{"kind", "number", "reference", "documentID", "zoi", ...}]
ER_STOCK = "/_sim/stock/{token}"  # PUT rows {productCode, warehouseCode, quantityOnStock}
ER_PRODUCTS = "/_sim/products/{token}"  # PUT rows {productCode, retailPrice, vatPercentage}
# -------------------------------------------------------------------------------------------------


def urls() -> dict[str, str]:
    """Base URL of every process, from deploy/services.toml (with STORELINK_PORT_OFFSET)."""
    from storelink_kit.testing.deploy import load_render

    render = load_render(ROOT)
    services = render.local_services(render.load(render.LOCAL_SERVICES_TOML))
    return {s.name: f"http://127.0.0.1:{s.port}" for s in services}


def say(text: str) -> None:
    print(f"{datetime.now().strftime('%H:%M:%S')}  {text}", flush=True)


def amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def shows(shop: Mapping[str, Any], erp: Mapping[str, Any]) -> bool:
    """The shop shows the ERP's value of every sku the ERP holds (compared as numbers)."""
    return bool(erp) and all(
        amount(shop.get(sku)) is not None and amount(shop.get(sku)) == amount(value)
        for sku, value in erp.items()
    )


# ------------------------------------------------------------------------------ what the demo sees


@dataclass
class Status:
    """What the demo did and what it has seen; written to demo-status.json after every look."""

    orders_placed: list[dict[str, Any]] = field(default_factory=list)
    """{"shop": "wix" | "shopamine", "number", "paid": bool}"""
    eracuni_documents: list[dict[str, str]] = field(default_factory=list)
    metakocka_documents: list[dict[str, str]] = field(default_factory=list)
    eracuni_stock: dict[str, int] = field(default_factory=dict)
    eracuni_prices: dict[str, str] = field(default_factory=dict)
    metakocka_stock: dict[str, int] = field(default_factory=dict)
    metakocka_b2c_prices: dict[str, str] = field(default_factory=dict)
    metakocka_b2b_prices: dict[str, str] = field(default_factory=dict)
    wix_stock: dict[str, Any] = field(default_factory=dict)
    wix_prices: dict[str, Any] = field(default_factory=dict)
    shopamine_stock: dict[str, Any] = field(default_factory=dict)
    shopamine_b2c_prices: dict[str, Any] = field(default_factory=dict)
    shopamine_b2b_prices: dict[str, Any] = field(default_factory=dict)

    def placed(self, shop: str, paid: bool | None = None) -> list[str]:
        return [
            o["number"]
            for o in self.orders_placed
            if o["shop"] == shop and (paid is None or o["paid"] == paid)
        ]

    def wix_eracuni(self) -> dict[str, bool]:
        """Seed 004's claims, checked on what e-računi and the Wix shop hold."""
        docs = self.eracuni_documents
        orders = {d["reference"]: d for d in docs if d["kind"] == "SalesOrder"}
        invoices = {d["reference"]: d for d in docs if d["kind"] == "SalesInvoice"}
        paid, unpaid = self.placed("wix", paid=True), self.placed("wix", paid=False)
        return {
            "paid_orders_fiscally_invoiced": bool(paid)
            and all(
                n in orders
                and n in invoices
                and bool(invoices[n]["zoi"] and invoices[n]["eor"])
                and orders[n]["invoiceID"] == invoices[n]["documentID"]
                for n in paid
            ),
            "unpaid_orders_sales_orders_only": bool(unpaid)
            and all(n in orders and n not in invoices for n in unpaid),
            "stock_synced": shows(self.wix_stock, self.eracuni_stock),
            "prices_synced": shows(self.wix_prices, self.eracuni_prices),
        }

    def shopamine_metakocka(self) -> dict[str, bool]:
        """Seed 000's claims, checked on what MetaKocka and the Shopamine shop hold."""
        seen = {d["buyer_order"] for d in self.metakocka_documents if d["doc_type"] == "sales_order"}
        placed = self.placed("shopamine")
        return {
            "orders_documented": bool(placed) and all(n in seen for n in placed),
            "stock_synced": shows(self.shopamine_stock, self.metakocka_stock),
            "prices_synced": shows(self.shopamine_b2c_prices, self.metakocka_b2c_prices)
            and shows(self.shopamine_b2b_prices, self.metakocka_b2b_prices),
        }

    def summary(self) -> dict[str, Any]:
        wix, sa = self.wix_eracuni(), self.shopamine_metakocka()
        return {
            "wix_eracuni": wix,
            "shopamine_metakocka": sa,
            "orders_documented": wix["paid_orders_fiscally_invoiced"]
            and wix["unpaid_orders_sales_orders_only"]
            and sa["orders_documented"],
            "stock_synced": wix["stock_synced"] and sa["stock_synced"],
            "prices_synced": wix["prices_synced"] and sa["prices_synced"],
        }

    def write(self, path: Path) -> None:
        data = {**asdict(self), **self.summary(), "at": datetime.now(UTC).isoformat()}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, default=str))
        tmp.replace(path)


CLAIMS = {
    ("wix_eracuni", "paid_orders_fiscally_invoiced"): "Wix -> e-računi: every paid order has a fiscally "
    "verified invoice made from its sales order",
    ("wix_eracuni", "unpaid_orders_sales_orders_only"): "Wix -> e-računi: every unpaid order is a sales "
    "order, not invoiced",
    ("wix_eracuni", "stock_synced"): f"Wix shows e-računi's stock of warehouse {ER_WAREHOUSE}",
    ("wix_eracuni", "prices_synced"): "Wix shows e-računi's sales prices",
    ("shopamine_metakocka", "orders_documented"): "Shopamine -> MetaKocka: every order is a sales order",
    ("shopamine_metakocka", "stock_synced"): f"Shopamine shows MetaKocka's stock of warehouse {MK_WAREHOUSE}",
    ("shopamine_metakocka", "prices_synced"): f"Shopamine shows MetaKocka's B2C prices ({MK_B2C_PRICE_LIST}, "
    f"gross) and B2B prices ({MK_B2B_PRICE_LIST}, net)",
}


# ------------------------------------------------------------------------------------- the story


class Demo:
    def __init__(self, base: dict[str, str], token: str, status_file: Path) -> None:
        self.base = base
        self.http = httpx.Client(timeout=15.0)
        self.auth = {"Authorization": f"Bearer {token}"}
        self.status = Status()
        self.status_file = status_file
        self.webhooks: dict[str, str] = {}
        self.round = 0
        self.claimed: set[tuple[str, str]] = set()

    # ---- helpers
    def call(self, method: str, service: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**(self.auth if service == "control" else {}), **kwargs.pop("headers", {})}
        return self.http.request(method, self.base[service] + path, headers=headers, **kwargs)

    def ok(self, response: httpx.Response, what: str, *also_ok: int) -> Any:
        if response.status_code >= 400 and response.status_code not in also_ok:
            raise SystemExit(f"demo: {what} failed: HTTP {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    # ---- wiring (through the control API, as a person would)
    def add_tenant(self, tenant_id: str, company: dict[str, Any], erp_label: str) -> None:
        made = self.call(
            "POST", "control", CONTROL_TENANTS, json={"tenant_id": tenant_id, "company": company}
        )
        self.ok(made, f"creating tenant {tenant_id}", 409)
        fiscal = ", fiscal verification on" if company.get("fiscal_verification") else ""
        say(
            f"tenant '{tenant_id}' {'created' if made.status_code == 201 else 'already there'}: "
            f"ERP {erp_label}{fiscal}"
        )

    def add_connection(self, tenant_id: str, platform: str, body: dict[str, Any]) -> None:
        existing = self.call("GET", "control", CONTROL_CONNECTIONS.format(tenant=tenant_id))
        have = {c["platform"]: c for c in (self.ok(existing, "listing connections") or [])}
        if platform in have:
            cid = have[platform]["connection_id"]
            rotated = self.ok(
                self.call("POST", "control", CONTROL_ROTATE.format(connection_id=cid)), "rotate"
            )
            self.webhooks[platform] = rotated["webhook_url"]
            say(f"{platform} connection {cid} already there (webhook URL rotated)")
            return
        created = self.ok(
            self.call("POST", "control", CONTROL_CONNECTIONS.format(tenant=tenant_id), json=body),
            f"adding the {platform} connection",
        )
        self.webhooks[platform] = created["webhook_url"]
        say(
            f"{platform} connection {created['connection']['connection_id']} created for tenant '{tenant_id}'"
        )

    def wire(self) -> None:
        company = {"name": "Demo d.o.o.", "country": "SI", "vat_id": "SI12345678"}
        self.add_tenant(
            WIX_TENANT,
            {
                **company,
                "fiscal_verification": True,
                "erp": "eracuni",
                "erp_credentials": {
                    "username": ER_USER,
                    "password": ER_PASSWORD,
                    "token": ER_TOKEN,
                    "cash_register_code": ER_CASH_REGISTER,
                    "business_unit": ER_BUSINESS_UNIT,
                },
            },
            "e-računi",
        )
        self.add_tenant(
            SHOPAMINE_TENANT,
            {
                **company,
                "erp": "metakocka",
                "erp_credentials": {"company_id": MK_COMPANY, "secret_key": MK_SECRET},
            },
            "MetaKocka",
        )
        common = {
            "import_orders": True,
            "target_document": "sales_order",
            "polling_interval_seconds": 60,
            "first_import_lookback_days": 30,
            "stock_sync": True,
            "price_sync": True,
        }
        self.add_connection(
            WIX_TENANT,
            "wix",
            {
                **common,
                "platform": "wix",
                "description": "Demo Wix shop -> e-računi",
                "credentials": {"api_key": WIX_API_KEY, "site_id": WIX_SITE},
                "auto_invoice_paid": True,
                "warehouse": ER_WAREHOUSE,
                "price_lists": [{"name": ER_PRICE_LIST, "kind": "b2c"}],
            },
        )
        self.add_connection(
            SHOPAMINE_TENANT,
            "shopamine",
            {
                **common,
                "platform": "shopamine",
                "description": "Demo Shopamine shop -> MetaKocka",
                "credentials": {"store_url": f"https://{SHOPAMINE_DOMAIN}", "api_key": SHOPAMINE_TOKEN},
                "warehouse": MK_WAREHOUSE,
                "price_lists": [
                    {"name": MK_B2C_PRICE_LIST, "kind": "b2c"},
                    {"name": MK_B2B_PRICE_LIST, "kind": "b2b"},
                ],
            },
        )

    # ---- the ERPs' catalogs
    def seed_erps(self) -> None:
        s = self.status
        for i, sku in enumerate(WIX_SKUS):
            s.eracuni_stock[sku] = 10 + i
            s.eracuni_prices[sku] = f"{12 + i % 5}.20"
        for i, sku in enumerate(SHOPAMINE_SKUS):
            s.metakocka_stock[sku] = 30 + i
            s.metakocka_b2c_prices[sku] = f"{12 + i % 5}.20"
            s.metakocka_b2b_prices[sku] = f"{10 + i % 5}.00"
        self.push_eracuni()
        self.push_metakocka()
        say(
            f"e-računi holds {len(WIX_SKUS)} products (warehouse {ER_WAREHOUSE}: stock from 10; sales prices "
            f"from 12.20 with {VAT_RATE} % VAT)"
        )
        say(
            f"MetaKocka holds {len(SHOPAMINE_SKUS)} products (warehouse {MK_WAREHOUSE}: stock from 30; "
            f"{MK_B2C_PRICE_LIST} retail prices from 12.20 gross, {MK_B2B_PRICE_LIST} wholesale from "
            "10.00 net)"
        )

    def push_eracuni(self) -> None:
        s = self.status
        stock = [
            {"productCode": sku, "warehouseCode": ER_WAREHOUSE, "quantityOnStock": qty}
            for sku, qty in s.eracuni_stock.items()
        ]
        products = [
            {"productCode": sku, "retailPrice": Decimal(price), "vatPercentage": VAT_RATE}
            for sku, price in s.eracuni_prices.items()
        ]
        self.ok(
            self.call("PUT", "sim-eracuni", ER_STOCK.format(token=ER_TOKEN), json=stock), "e-računi stock"
        )
        # e-računi's amounts are JSON numbers: Decimals written digit for digit (simplejson), never floats
        body = simplejson.dumps(products, use_decimal=True)
        headers = {"content-type": "application/json"}
        self.ok(
            self.call(
                "PUT", "sim-eracuni", ER_PRODUCTS.format(token=ER_TOKEN), content=body, headers=headers
            ),
            "e-računi prices",
        )

    def push_metakocka(self) -> None:
        s = self.status
        stock = [
            {
                "warehouse_id": MK_WAREHOUSE_ID,
                "mk_id": str(1000 + i),
                "code": sku,
                "title": f"Demo {sku}",
                "amount": str(qty),
                "unit": "kos",
            }
            for i, (sku, qty) in enumerate(s.metakocka_stock.items())
        ]
        factor = str(VAT_RATE / 100)
        products = [
            {
                "mk_id": str(1000 + i),
                "code": sku,
                "name": f"Demo {sku}",
                "unit": "kos",
                "pricelist": [
                    {
                        "count_code": MK_B2C_PRICE_LIST,
                        "price_def": [{"price_with_tax": s.metakocka_b2c_prices[sku], "tax_factor": factor}],
                    },
                    {
                        "count_code": MK_B2B_PRICE_LIST,
                        "price_def": [{"price": s.metakocka_b2b_prices[sku], "tax_factor": factor}],
                    },
                ],
            }
            for i, sku in enumerate(s.metakocka_stock)
        ]
        self.ok(
            self.call("PUT", "sim-metakocka", MK_STOCK.format(company=MK_COMPANY), json=stock), "ERP stock"
        )
        self.ok(
            self.call("PUT", "sim-metakocka", MK_PRODUCTS.format(company=MK_COMPANY), json=products),
            "ERP prices",
        )

    # ---- customers order
    def place_orders(self) -> None:
        from storelink_sim_shopamine.samples import new_order  # the simulators' own sample builders
        from storelink_sim_wix.fixtures import ecom_order

        self.round += 1
        n = self.round
        for paid in (True, False):
            number = str(90000 + 2 * n - (1 if paid else 0))
            sku, quantity = WIX_SKUS[(2 * n + paid) % len(WIX_SKUS)], 1 + n % 3
            unit = self.status.eracuni_prices[sku]
            order = ecom_order(
                sku=sku, quantity=quantity, unit=unit, number=number, payment="PAID" if paid else "NOT_PAID"
            )
            placed = self.ok(
                self.call("POST", "sim-wix", WIX_PUT_ORDER.format(site=WIX_SITE), json=order), "a Wix order"
            )
            self.status.orders_placed.append({"shop": "wix", "number": number, "paid": paid})
            how = "and paid by card" if paid else "to pay later (not paid yet)"
            say(f"Wix shop: a customer ordered {quantity} x {sku} at {unit} EUR, order {number}, {how}")
            self.doorbell(
                "wix", {"data": {"orderId": (placed or {}).get("order", {}).get("id", ""), "number": number}}
            )
        sku = SHOPAMINE_SKUS[n % len(SHOPAMINE_SKUS)]
        sa = new_order(lines=[(sku, 1 + n % 2, self.status.metakocka_b2c_prices[sku])])
        placed = self.ok(
            self.call("POST", "sim-shopamine", SHOPAMINE_PUT_ORDER.format(domain=SHOPAMINE_DOMAIN), json=sa),
            "a Shopamine order",
        )
        number = str(
            (placed or {}).get("number") or (placed or {}).get("order_number") or sa.get("number", "")
        )
        self.status.orders_placed.append({"shop": "shopamine", "number": number, "paid": False})
        say(f"Shopamine shop: a customer ordered {1 + n % 2} x {sku}, order {number}")
        self.doorbell("shopamine", {"id": (placed or {}).get("id"), "number": number})

    def doorbell(self, platform: str, body: dict[str, Any]) -> None:
        """Ring the connector's webhook (polling would find the order too, only later)."""
        url = self.webhooks.get(platform)
        if not url:
            return
        try:  # the URL control handed out reaches the connector as it is (no host rewriting)
            answer = self.http.post(url, json=body)
            if answer.status_code >= 400:
                say(f"{platform}: webhook answered {answer.status_code} (polling will pick the order up)")
        except httpx.HTTPError as exc:
            say(f"{platform}: webhook not delivered ({type(exc).__name__}); polling will pick the order up")

    # ---- the ERPs change
    def change_erps(self) -> None:
        s = self.status
        sku_w, sku_s = WIX_SKUS[self.round % len(WIX_SKUS)], SHOPAMINE_SKUS[self.round % len(SHOPAMINE_SKUS)]
        s.eracuni_stock[sku_w] = max(0, s.eracuni_stock[sku_w] - 3 + self.round % 7)
        s.eracuni_prices[sku_w] = f"{14 + self.round % 4}.90"
        s.metakocka_stock[sku_s] = max(0, s.metakocka_stock[sku_s] - 3 + self.round % 7)
        s.metakocka_b2c_prices[sku_s] = f"{18 + self.round % 4}.50"
        s.metakocka_b2b_prices[sku_s] = f"{15 + self.round % 4}.00"
        self.push_eracuni()
        self.push_metakocka()
        say(
            f"e-računi: stock of {sku_w} is now {s.eracuni_stock[sku_w]}, "
            f"its price {s.eracuni_prices[sku_w]} EUR"
        )
        say(
            f"MetaKocka: stock of {sku_s} is now {s.metakocka_stock[sku_s]}, its prices "
            f"{s.metakocka_b2c_prices[sku_s]} EUR retail (gross) and {s.metakocka_b2b_prices[sku_s]} EUR "
            "wholesale (net)"
        )

    # ---- watching
    def observe(self) -> None:
        try:
            er_docs = self.call("GET", "sim-eracuni", ER_DOCUMENTS.format(token=ER_TOKEN)).json()
            mk_docs = self.call("GET", "sim-metakocka", MK_DOCUMENTS.format(company=MK_COMPANY)).json()
            wix = self.call("GET", "sim-wix", WIX_STOCK.format(site=WIX_SITE)).json()
            items = self.call("GET", "sim-shopamine", SHOPAMINE_ITEMS.format(domain=SHOPAMINE_DOMAIN)).json()
        except (httpx.HTTPError, ValueError) as exc:
            say(f"(a simulator did not answer: {type(exc).__name__})")
            return
        self._eracuni_documents(er_docs if isinstance(er_docs, list) else [])
        self._metakocka_documents(mk_docs if isinstance(mk_docs, list) else [])
        s = self.status
        self._diff("Wix", "stock", s.wix_stock, dict(wix.get("stock", {})))
        self._diff("Wix", "price", s.wix_prices, dict(wix.get("prices", {})))
        sa_items = items.get("data", [])
        self._diff(
            "Shopamine", "stock", s.shopamine_stock, {i.get("sku"): i.get("stock_amount") for i in sa_items}
        )
        self._diff(
            "Shopamine", "B2C price", s.shopamine_b2c_prices, {i.get("sku"): i.get("price") for i in sa_items}
        )
        self._diff(
            "Shopamine",
            "B2B price",
            s.shopamine_b2b_prices,
            {i.get("sku"): i.get("price_b2b") for i in sa_items},
        )

    def _eracuni_documents(self, docs: list[dict[str, Any]]) -> None:
        keys = ("kind", "number", "reference", "documentID", "invoiceID", "zoi", "eor", "status")
        known = len(self.status.eracuni_documents)
        self.status.eracuni_documents = [{k: str(d.get(k) or "") for k in keys} for d in docs]
        for d in self.status.eracuni_documents[known:]:
            if d["kind"] == "SalesOrder":
                say(f"e-računi: sales order {d['number']} for Wix order {d['reference']}")
            elif d["kind"] == "SalesInvoice":
                made_from = next(
                    (o["number"] for o in self.status.eracuni_documents if o["invoiceID"] == d["documentID"]),
                    None,
                )
                origin = f"made from sales order {made_from}" if made_from else "on its own"
                fiscal = (
                    f"fiscally verified: ZOI {d['zoi']}, EOR {d['eor']}"
                    if d["zoi"]
                    else "not fiscally verified"
                )
                say(f"e-računi: invoice {d['number']} for Wix order {d['reference']} ({origin}), {fiscal}")
            else:
                say(f"e-računi: new {d['kind']} {d['number']} for Wix order {d['reference']}")

    def _metakocka_documents(self, docs: list[dict[str, Any]]) -> None:
        keys = ("doc_type", "count_code", "buyer_order", "title", "mk_id")
        known = len(self.status.metakocka_documents)
        self.status.metakocka_documents = [{k: str(d.get(k) or "") for k in keys} for d in docs]
        for d in self.status.metakocka_documents[known:]:
            what = d["doc_type"].replace("_", " ")
            say(f"MetaKocka: {what} {d['count_code']} for Shopamine order {d['buyer_order'] or d['title']}")

    def _diff(self, shop: str, what: str, seen: dict[str, Any], now: dict[str, Any]) -> None:
        changed = {sku: value for sku, value in now.items() if seen.get(sku) != value}
        if seen and changed:
            shown = ", ".join(f"{sku}={value}" for sku, value in list(changed.items())[:6])
            say(f"{shop}: {what} pushed by Storelink: {shown}{' ...' if len(changed) > 6 else ''}")
        seen.clear()
        seen.update(now)

    def report_claims(self) -> bool:
        """Say a claim when it comes to hold (again, after new orders or ERP changes); True when all hold."""
        summary = self.status.summary()
        holding = {key for key in CLAIMS if summary[key[0]][key[1]]}
        for key in sorted(holding - self.claimed):
            say(f"OK  {CLAIMS[key]}")
        self.claimed = holding
        return holding == set(CLAIMS)

    def resume(self) -> None:
        """A demo started again on the same stack goes on where the last one stopped: its orders stay
        part of the claims and new order numbers never repeat one the shops already have."""
        try:
            before = json.loads(self.status_file.read_text())
        except (OSError, ValueError):
            return
        placed = before.get("orders_placed") if isinstance(before, dict) else None
        if isinstance(placed, list) and all(isinstance(o, dict) for o in placed):
            self.status.orders_placed = placed
            self.round = sum(1 for o in placed if o.get("shop") == "wix" and o.get("paid"))

    def run(self, every: float, once: bool, sleep: Callable[[float], None] = time.sleep) -> None:
        self.resume()
        self.wire()
        self.seed_erps()
        self.place_orders()
        next_round = time.monotonic() + every
        while True:
            self.observe()
            self.status.write(self.status_file)
            done = self.report_claims()
            if once and done:
                return
            if not once and time.monotonic() >= next_round:
                self.change_erps()
                self.place_orders()
                next_round = time.monotonic() + every
            sleep(2)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--state", type=Path, default=Path(os.environ.get("STORELINK_STATE", ROOT / ".state"))
    )
    parser.add_argument(
        "--every",
        type=float,
        default=float(os.environ.get("STORELINK_DEMO_EVERY", "30")),
        help="seconds between rounds of orders and changes (default: $STORELINK_DEMO_EVERY, else 30)",
    )
    parser.add_argument("--once", action="store_true", help="stop when the first round is through")
    args = parser.parse_args()
    token = os.environ.get("STORELINK_CONTROL_OPERATOR_TOKEN")
    if not token:
        raise SystemExit("demo: STORELINK_CONTROL_OPERATOR_TOKEN is not set (deploy/local/up.sh sets it)")
    status_file = args.state / "local" / "demo-status.json"
    status_file.parent.mkdir(parents=True, exist_ok=True)
    say(
        "Storelink demo: Wix -> e-računi and Shopamine -> MetaKocka; Ctrl-C (or `make down`) stops everything"
    )
    with contextlib.suppress(KeyboardInterrupt):
        Demo(urls(), token, status_file).run(args.every, args.once)


if __name__ == "__main__":
    main()
