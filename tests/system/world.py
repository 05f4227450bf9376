"""The world the system tests run in: tenants, shops and ERP accounts, set up only through control's
HTTP API and the simulators' `/_sim` switches, and read back from the simulators.

Everything these tests know about another process's HTTP face is in the ASSUMPTIONS block (the one
place to adjust when a simulator or the control API changes). Orders and webhook bodies come from
the simulators' own sample builders, so they always have the shape the simulators and connectors
agree on.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from storelink_sim_shopamine.samples import new_order, webhook_body
from storelink_sim_wix.fixtures import ecom_order

from .stack import Stack

# ----------------------------------------------------------------------------------- ASSUMPTIONS --
CONTROL_TENANTS = "/v1/tenants"
CONTROL_TENANT = "/v1/tenants/{tenant}"
CONTROL_CONNECTIONS = "/v1/tenants/{tenant}/connections"
CONTROL_CONNECTION = "/v1/connections/{connection_id}"
CONTROL_ROTATE = "/v1/connections/{connection_id}/rotate-webhook"
CONTROL_TOKENS = "/v1/tokens"
CONTROL_TOKEN = "/v1/tokens/{token_id}"
WIX_SITES = "/_sim/sites"  # POST {"account_id", "api_key", "skus", "per_product"} -> {"site_id", "api_key"}
WIX_ORDERS = "/_sim/sites/{site}/orders"
WIX_STOCK = "/_sim/sites/{site}/stock"  # {"stock": {sku: qty}, "prices": {sku: price}}
WIX_FAULTS = "/_sim/faults"  # {"fail_every": N, "cycle": [...]}
WIX_CALLS = "/_sim/calls"  # {"total", "by_route", "by_status"}
SHOPAMINE_SHOPS = "/_sim/shops"  # POST {"domain", "tokens": {token: scopes}, "items": [...]}
SHOPAMINE_ORDERS = "/_sim/shops/{domain}/orders"
SHOPAMINE_ITEMS = "/_sim/shops/{domain}/items"  # {"data": [{"sku", "stock_amount", "price", ...}]}
SHOPAMINE_FAULTS = "/_sim/faults"  # {"every": N, "cycle": [...]}
SHOPAMINE_CALLS = "/_sim/calls"  # {"total", "by_route": {"METHOD route STATUS": n}}
MK_COMPANIES = "/_sim/companies"  # POST {"company_id", "secret_key"}
MK_DOCUMENTS = "/_sim/documents/{company}"  # [{"doc_type", "buyer_order", ...}]
MK_STOCK = "/_sim/stock/{company}"  # PUT rows shaped like warehouse_stock's stock_list
MK_PRODUCTS = "/_sim/products/{company}"  # PUT rows shaped like product_list (with pricelist)
MK_STATS = "/_sim/stats"  # {"calls": {method: n}, ...}
ERACUNI_STATS = "/_sim/stats"  # {"calls": {method: n}, ...}
MK_WAREHOUSE, MK_WAREHOUSE_ID = "glavni", "100"  # sim-metakocka's default warehouse
MK_PRICE_LIST = "MPC"
ERACUNI_USER = {"username": "api@example.si", "password": "dev-password", "token": "dev-token"}
"""sim-eracuni's default API user (`--user` not given under `make up`)."""
ERACUNI_DOCUMENTS = "/_sim/documents/{token}"  # [{"kind", "reference", ...}]
MK_KIND = {
    "sales_order": "sales_order",
    "sales_bill_domestic": "invoice",
    "sales_bill_foreign": "invoice",
    "sales_bill_retail": "invoice",
}
ERACUNI_KIND = {"SalesOrder": "sales_order", "SalesInvoice": "invoice"}
# -------------------------------------------------------------------------------------------------

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
LOST_ANSWER = (httpx.ReadError, httpx.RemoteProtocolError)
LIMITS = httpx.Limits(keepalive_expiry=1.0)
"""uvicorn closes an idle connection after 5 s; httpx's own expiry is also 5 s, so a request sent on a
connection idle for about 5 s can meet the server's close (ReadError). Closing ours sooner avoids it."""
STALL_SECONDS = 300.0
"""How long the hub may make no progress at all (no new document) before a wait for documents fails:
a slow machine makes progress slowly, a stuck hub makes none."""


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class ApiError(AssertionError):
    pass


def expect(response: httpx.Response, what: str, *ok: int) -> Any:
    if response.status_code >= 400 and response.status_code not in ok:
        raise ApiError(f"{what}: HTTP {response.status_code} {response.text[:500]}")
    return response.json() if response.content else None


async def bounded(limit: int, jobs: Iterable[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Run the jobs at most `limit` at a time, in order of their results."""
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await job()

    return await asyncio.gather(*(one(j) for j in jobs))


@dataclass
class Order:
    number: str
    shop: Shop
    paid: bool
    sku: str = "SKU-1"
    external_id: str = ""
    created: str = ""
    """When the customer placed it (Shopamine's `created`, ISO 8601); empty: the simulator's now."""

    @property
    def kinds(self) -> set[str]:
        """The documents this order must have: a sales order, and an invoice once paid."""
        return {"sales_order", "invoice"} if self.paid else {"sales_order"}


@dataclass
class Shop:
    """One shop connection: the simulated shop, its connection in control, its webhook."""

    world: World
    tenant: Tenant
    platform: str
    connection_id: str
    webhook_path: str
    place_id: str  # Wix site id / Shopamine domain
    skus: list[str] = field(default_factory=list)

    @property
    def connector(self) -> str:
        return f"connector-{self.platform}"

    async def place(self, number: str, *, paid: bool, sku: str = "SKU-1", created: str = "") -> Order:
        """A customer places an order in the shop (the simulator stamps it as the shop would;
        `created`: placed earlier, e.g. before the connection went live — Shopamine only)."""
        order = Order(number=number, shop=self, paid=paid, sku=sku, created=created)
        await self._put(order)
        return order

    async def pay(self, order: Order) -> None:
        """The customer pays: the shop changes the order (a new snapshot that needs an invoice)."""
        order.paid = True
        await self._put(order)

    async def _put(self, order: Order) -> None:
        if self.platform == "wix":
            body = ecom_order(
                sku=order.sku, quantity=1, number=order.number, payment="PAID" if order.paid else "NOT_PAID"
            )
            # the id is ours from the start (the simulator creates or replaces the order of an id), so
            # a placing whose answer was lost can be sent again: it can only replace the same order
            order.external_id = order.external_id or str(uuid.uuid4())
            body["id"] = order.external_id
            path = WIX_ORDERS.format(site=self.place_id)
            made = await self.world.call_repeatable("POST", "sim-wix", path, json=body)
            order.external_id = str(expect(made, "placing a Wix order")["order"]["id"])
            return
        body = new_order(lines=[(order.sku, 1, "12.20")], payment_status="paid" if order.paid else "unpaid")
        body["number"] = order.number
        if order.created:
            body["created"] = order.created
        if order.external_id:
            body["id"] = int(order.external_id)
        made = await self.world.call(
            "POST", "sim-shopamine", SHOPAMINE_ORDERS.format(domain=self.place_id), json=body
        )
        order.external_id = str(expect(made, "placing a Shopamine order")["id"])

    def doorbell(self, order: Order) -> dict[str, Any]:
        if self.platform == "wix":
            return {"data": {"orderId": order.external_id, "number": order.number}}
        return webhook_body({"id": int(order.external_id), "number": order.number})

    async def ring(self, order: Order, *, path: str | None = None) -> httpx.Response | None:
        """The shop calls the webhook URL; None when it could not be reached (a killed connector)."""
        try:
            return await self.world.call(
                "POST", self.connector, path or self.webhook_path, json=self.doorbell(order)
            )
        except httpx.HTTPError:
            return None


async def place_batch(shops: list[Shop], prefix: str, numbers: range) -> list[Order]:
    """Orders `<prefix><i>` taken in turn by the shops (8 at a time); two in three paid at once."""
    return await bounded(
        8,
        [
            lambda i=i: shops[i % len(shops)].place(f"{prefix}{i:05d}", paid=i % 3 != 0, sku=f"SKU-{i % 20}")
            for i in numbers
        ],
    )


async def pay_some_later(orders: list[Order], batch: list[Order], paid_later: list[Order]) -> list[Order]:
    """Some unpaid orders placed before `batch` are paid now (a tenth of the batch's size): a new
    snapshot, a new document. Appends them to `paid_later`; returns them."""
    earlier = [o for o in orders[: len(orders) - len(batch)] if not o.paid and o not in paid_later]
    pay_now = earlier[: max(1, len(batch) // 10)] if earlier else []
    for order in pay_now:
        await order.shop.pay(order)
        paid_later.append(order)
    return pay_now


@dataclass
class Tenant:
    tenant_id: str
    erp: str
    erp_account: str  # MetaKocka company id / e-računi token: where its documents are


class World:
    """One test's tenants and shops on the running stack; `close()` removes its connections."""

    def __init__(self, stack: Stack, *, limits: httpx.Limits = LIMITS) -> None:
        self.stack = stack
        self.http = httpx.AsyncClient(timeout=TIMEOUT, limits=limits)
        self.shops: list[Shop] = []
        self.tenants: list[Tenant] = []
        self.secrets: dict[str, str] = {}
        """Every credential this world gave control (what must never show in clear): name -> value."""

    async def close(self) -> None:
        for shop in self.shops:
            await self.control("DELETE", CONTROL_CONNECTION.format(connection_id=shop.connection_id))
        await self.http.aclose()

    async def call(self, method: str, service: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, self.stack.url(service) + path, **kwargs)

    async def call_repeatable(self, method: str, service: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call whose repeat changes nothing, sent again (twice at most) when its answer was lost:
        a request on a kept-alive connection that the server closed meanwhile fails so, whether the
        server acted on it or not (seen once in R6, when the test's event loop had stalled for
        seconds between reading an answer and sending the next request)."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(LOST_ANSWER), stop=stop_after_attempt(3), reraise=True
        )
        async for attempt in retrying:
            with attempt:
                return await self.call(method, service, path, **kwargs)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def control(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.stack.operator_token}"}
        return await self.call(method, "control", path, headers=headers, **kwargs)

    # ------------------------------------------------------------------ tenants

    async def metakocka_tenant(self, name: str, *, wrong_secret: bool = False) -> Tenant:
        """A tenant on its own simulated MetaKocka company (`wrong_secret`: control is given another
        secret than the company's, so every ERP call fails)."""
        company_id = str(uuid.uuid4().int % 10**9)
        secret = "mk-" + uuid.uuid4().hex
        await self.call(
            "POST", "sim-metakocka", MK_COMPANIES, json={"company_id": company_id, "secret_key": secret}
        )
        given = "mk-wrong-" + uuid.uuid4().hex if wrong_secret else secret
        tenant = await self._tenant(
            name, "metakocka", {"company_id": company_id, "secret_key": given}, company_id
        )
        self.secrets[f"MetaKocka secret of {tenant.tenant_id}"] = given
        return tenant

    async def eracuni_tenant(self, name: str) -> Tenant:
        tenant = await self._tenant(name, "eracuni", dict(ERACUNI_USER), ERACUNI_USER["token"])
        self.secrets[f"e-računi password of {tenant.tenant_id}"] = ERACUNI_USER["password"]
        return tenant

    async def _tenant(self, name: str, erp: str, credentials: dict[str, str], account: str) -> Tenant:
        tenant_id = unique(name)
        body = {
            "tenant_id": tenant_id,
            "company": {
                "name": f"{name} d.o.o.",
                "country": "SI",
                "vat_id": "SI12345678",
                "erp": erp,
                "erp_credentials": credentials,
                "fiscal_verification": False,
            },
        }
        expect(await self.control("POST", CONTROL_TENANTS, json=body), f"creating tenant {tenant_id}")
        tenant = Tenant(tenant_id, erp, account)
        self.tenants.append(tenant)
        return tenant

    # ------------------------------------------------------------------ shops

    async def shop(
        self,
        tenant: Tenant,
        platform: str,
        *,
        skus: list[str] | None = None,
        sync: bool = False,
        wrong_key: bool = False,
        **settings: Any,
    ) -> Shop:
        """A simulated shop and its connection; stock and price sync only when `sync`; `wrong_key`:
        control is given a key the shop does not know."""
        skus = skus or []
        if platform == "wix":
            key = "IST." + uuid.uuid4().hex
            made = expect(
                await self.call(
                    "POST",
                    "sim-wix",
                    WIX_SITES,
                    json={"account_id": unique("acct"), "api_key": key, "skus": skus, "per_product": 2},
                ),
                "a Wix site",
            )
            place = made["site_id"]
            credentials: dict[str, str] = {"api_key": key, "site_id": place}
            if wrong_key:
                credentials["api_key"] = "IST.wrong" + uuid.uuid4().hex
        else:
            place = unique("shop") + ".example.si"
            token = "sa-" + uuid.uuid4().hex
            items = [{"sku": sku, "name": f"Item {sku}", "stock_amount": 0} for sku in skus]
            expect(
                await self.call(
                    "POST",
                    "sim-shopamine",
                    SHOPAMINE_SHOPS,
                    json={"domain": place, "tokens": {token: ["items", "orders"]}, "items": items},
                ),
                "a Shopamine shop",
            )
            credentials = {"store_url": f"https://{place}", "api_key": token}
        body: dict[str, Any] = {
            "platform": platform,
            "credentials": credentials,
            "description": f"system test {platform}",
            "import_orders": True,
            "target_document": "sales_order",
            "auto_invoice_paid": True,
            "polling_interval_seconds": 60,
            "first_import_lookback_days": 1,
            "stock_sync": sync,
            "price_sync": sync,
            "warehouse": MK_WAREHOUSE if sync else None,
            "price_lists": [{"name": MK_PRICE_LIST, "kind": "b2c"}] if sync else [],
            **settings,
        }
        created = expect(
            await self.control("POST", CONTROL_CONNECTIONS.format(tenant=tenant.tenant_id), json=body),
            f"a {platform} connection",
        )
        url = created["webhook_url"]
        self.secrets[f"{platform} key of {created['connection']['connection_id']}"] = credentials["api_key"]
        self.secrets[f"webhook token of {created['connection']['connection_id']}"] = url.rsplit("/", 1)[-1]
        shop = Shop(
            world=self,
            tenant=tenant,
            platform=platform,
            connection_id=created["connection"]["connection_id"],
            webhook_path="/" + url.split("://", 1)[-1].split("/", 1)[-1],
            place_id=place,
            skus=skus,
        )
        self.shops.append(shop)
        return shop

    async def wait_connections_known(self, timeout: float = 120) -> None:
        """Every connector knows every connection of this world (a ring answers something else than
        404 'unknown connection'), so webhooks are not refused for being early."""
        deadline = asyncio.get_running_loop().time() + timeout
        for shop in self.shops:
            while True:
                answer = await self.call("POST", shop.connector, shop.webhook_path, json={})
                if answer.status_code != 404:
                    break
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"{shop.connector} never learnt connection {shop.connection_id}")
                await asyncio.sleep(0.5)

    # ------------------------------------------------------------------ what the ERPs hold

    async def settle(self, orders: list[Order], cap: float, stall: float = STALL_SECONDS) -> Tally:
        """Until every order has its documents; gives up (returning what is there) when no new
        document came for `stall` s or after `cap` s in all. The caller asserts on the tally."""
        loop = asyncio.get_running_loop()
        began = last_progress = loop.time()
        result = tally(orders, await self.documents())
        while not result.complete:
            now = loop.time()
            if now - last_progress > stall or now - began > cap:
                break
            await asyncio.sleep(2.0)
            before, result = result, tally(orders, await self.documents())
            if result.documents > before.documents:
                last_progress = loop.time()
        return result

    async def documents(self) -> Counter[tuple[str, str, str]]:
        """(tenant, order number, kind) -> how many documents the simulated ERPs hold."""
        counts: Counter[tuple[str, str, str]] = Counter()
        for tenant in self.tenants:
            if tenant.erp == "metakocka":
                docs = (
                    await self.call("GET", "sim-metakocka", MK_DOCUMENTS.format(company=tenant.erp_account))
                ).json()
                for d in docs:
                    counts[
                        (
                            tenant.tenant_id,
                            str(d.get("buyer_order")),
                            MK_KIND.get(d["doc_type"], d["doc_type"]),
                        )
                    ] += 1
            else:
                docs = (
                    await self.call("GET", "sim-eracuni", ERACUNI_DOCUMENTS.format(token=tenant.erp_account))
                ).json()
                for d in docs:
                    counts[
                        (tenant.tenant_id, str(d.get("reference")), ERACUNI_KIND.get(d["kind"], d["kind"]))
                    ] += 1
        return counts

    async def outbound_calls(self, shop: Shop) -> int:
        """Calls the connector made to this shop (its `storelink_outbound_requests_total` metric)."""
        text = (await self.call("GET", shop.connector, "/metrics/")).text
        return round(
            sum(
                sample.value
                for family in text_string_to_metric_families(text)
                for sample in family.samples
                if sample.name == "storelink_outbound_requests_total"
                and sample.labels.get("connection_id") == shop.connection_id
            )
        )

    async def shop_calls(self) -> dict[str, int]:
        wix = (await self.call("GET", "sim-wix", WIX_CALLS)).json()
        shopamine = (await self.call("GET", "sim-shopamine", SHOPAMINE_CALLS)).json()
        return {"wix": int(wix["total"]), "shopamine": int(shopamine["total"])}

    async def erp_calls(self) -> dict[str, int]:
        mk = (await self.call("GET", "sim-metakocka", MK_STATS)).json()["calls"]
        er = (await self.call("GET", "sim-eracuni", ERACUNI_STATS)).json()["calls"]
        return {
            "metakocka": sum(v for k, v in mk.items() if k not in ("stored", "answers_lost")),
            "eracuni": sum(
                v
                for k, v in er.items()
                if k not in ("stored", "answers_lost", "rate_limited", "lock_refused")
            ),
        }


@dataclass(frozen=True)
class Tally:
    """What the ERPs hold against what the orders need."""

    orders: int
    wanted: int
    documents: int
    lost: list[tuple[str, str, str]]
    duplicated: dict[tuple[str, str, str], int]
    unexpected: list[tuple[str, str, str]]

    @property
    def complete(self) -> bool:
        return not self.lost


def tally(orders: list[Order], held: Counter[tuple[str, str, str]]) -> Tally:
    wanted = {(o.shop.tenant.tenant_id, o.number, kind) for o in orders for kind in o.kinds}
    numbers = {(o.shop.tenant.tenant_id, o.number) for o in orders}
    mine = {key: n for key, n in held.items() if (key[0], key[1]) in numbers}
    return Tally(
        orders=len(orders),
        wanted=len(wanted),
        documents=sum(mine.values()),
        lost=sorted(wanted - set(mine)),
        duplicated={key: n for key, n in mine.items() if n > 1},
        unexpected=sorted(set(mine) - wanted),
    )
