"""What the issue-16 tests share: the `storelink` CLI run against the live control service (the
`services` publisher fixture is in conftest.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from typer.testing import CliRunner

from storelink_cli.main import app
from storelink_connector_kit.http import HttpPolicy
from storelink_connector_kit.platform import ShopApi
from storelink_connector_shopamine.platform import ShopaminePlatform
from storelink_contracts import DocumentCreated, DocumentRequested, OrderReceived
from storelink_erp_kit.client import ErpDocumentRef
from storelink_erp_metakocka.client import MetakockaClient
from storelink_sim_shopamine.server import running
from storelink_sim_shopamine.state import Sim

from .conftest import MK_SECRET, SHOPAMINE_KEY, Live

runner = CliRunner()


async def run_cli(live: Live, token: str, *args: str, input: str | None = None, columns: int = 200) -> Any:
    # a fixed width: the tables' words are whole whatever the terminal running the tests says
    env = {"STORELINK_CONTROL_URL": live.base_url, "STORELINK_CONTROL_TOKEN": token, "COLUMNS": str(columns)}
    return await asyncio.to_thread(runner.invoke, app, list(args), input=input, env=env)


@asynccontextmanager
async def shop_and_erp(
    live: Live, sim: Sim, domain: str, cid: str, mk_url: str
) -> AsyncIterator[tuple[ShopaminePlatform, ShopApi, MetakockaClient]]:
    """The Shopamine simulator served over HTTP and control pointed at it and at the MetaKocka
    simulator; the test's own clients of both (the connector's view of the shop, the adapter's ERP)."""
    platform = ShopaminePlatform()
    erp = MetakockaClient(company_id="16", secret_key=MK_SECRET, base_url=mk_url)
    async with running(sim) as shop_url:
        live.settings.shop_base_urls["shopamine"] = shop_url
        live.settings.erp_base_urls["metakocka"] = mk_url
        live.settings.reconcile_shop_rate_per_minute = 100_000
        api = platform.connect(
            platform.parse_credentials({"store_address": domain, "api_token": SHOPAMINE_KEY}),
            connection_id=cid,
            policy=HttpPolicy(rate_per_minute=100_000),
            base_url=shop_url,
        )
        try:
            yield platform, api, erp
        finally:
            await api.aclose()
            await erp.aclose()
            live.settings.shop_base_urls.pop("shopamine", None)
            live.settings.erp_base_urls.pop("metakocka", None)


def created(doc: DocumentRequested, ref: ErpDocumentRef, order: OrderReceived) -> DocumentCreated:
    """What the ERP adapter reports after creating `doc` (dated as the order, for the report's days)."""
    return DocumentCreated(
        tenant_id=doc.tenant_id,
        connection_id=doc.connection_id,
        idempotency_key=doc.idempotency_key,
        kind=doc.kind,
        erp=doc.erp,
        erp_document_id=ref.erp_id,
        erp_number=ref.number,
        settings_version=1,
        order_external_id=order.external_id,
        created_at=order.created_at,
    )
