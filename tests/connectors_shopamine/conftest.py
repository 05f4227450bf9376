"""Shopamine runs the platform-agnostic connector journeys of tests/connectors with its harness.

Nothing of that machinery is copied: the Rig, the shop fixture and the journeys are imported. Only
two things differ: `harness` is the Shopamine one, and the rig starts the connector the way the
Shopamine service does (`make_connector`: the kit's Connector with the price-list-aware pusher).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from storelink_connector_kit.runtime import Connector  # noqa: E402
from storelink_connector_shopamine.push import use_shopamine_pusher  # noqa: E402
from storelink_contracts import TopicNames  # noqa: E402
from storelink_kit.settings import KafkaSettings  # noqa: E402
from tests.connectors.conftest import Rig  # noqa: E402
from tests.connectors.conftest import shop as shop  # noqa: E402  (the fixture, reused)
from tests.connectors.harness_shopamine import ShopamineHarness, shopamine_harness  # noqa: E402


class ShopamineRig(Rig):
    async def start(self, **overrides: object) -> Connector:
        connector = Connector(self.harness.platform, self.settings(**overrides), secrets=self.box)
        self.connector = use_shopamine_pusher(connector)
        # background=False should mean no poll loops, but the kit starts them on every connection
        # change (runtime.on_connection → scheduler.sync); a poll firing at a random moment would
        # publish orders the journeys expect only from their own explicit polls and webhooks.
        connector.scheduler.sync = lambda: None  # type: ignore[method-assign]
        await self.connector.start(background=False)
        return self.connector


@pytest.fixture
def harness() -> ShopamineHarness:
    return shopamine_harness()


@pytest_asyncio.fixture
async def rig(
    harness: ShopamineHarness,
    shop: str,
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    tmp_path: Path,
) -> AsyncIterator[Rig]:
    rig = ShopamineRig(harness, shop, kafka_settings, topic_names, tmp_path / "connector.db")  # type: ignore[arg-type]
    await rig.test_broker.start()
    await rig.start()
    await rig.serve_webhooks()
    try:
        yield rig
    finally:
        await rig.close()
