"""Two replicas of an ERP adapter share its database: each stock and price round of an ERP account is
read by one of them, not by both (before: every replica read every account every interval)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

from storelink_contracts import ErpSystem
from storelink_erp_kit.changes import ObservedValues, PollRounds
from storelink_erp_kit.client import ErpClient, PriceLevel, StockLevel
from storelink_erp_kit.database import migrate
from storelink_erp_kit.polling import Poller
from storelink_kit.database import make_engine
from storelink_kit.publishing import EventPublisher
from storelink_kit.testing.samples import sample_company, sample_connection


class CountingErp:
    """An ERP account with nothing in stock and no prices, that counts its reads."""

    def __init__(self) -> None:
        self.reads: list[str] = []

    async def read_stock(self, warehouse: str | None = None) -> list[StockLevel]:
        self.reads.append("stock")
        await asyncio.sleep(0.01)
        return []

    async def read_prices(self, price_lists: list[str]) -> list[PriceLevel]:
        self.reads.append("prices")
        return []


async def test_two_replicas_read_an_erp_account_once_per_round(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'adapter.db'}"
    engines = [make_engine(url), make_engine(url)]  # two replicas, one database
    await migrate(engines[0])
    erp = CountingErp()
    conn = sample_connection(company=sample_company(erp=ErpSystem.METAKOCKA))
    replicas = [
        Poller(
            erp=ErpSystem.METAKOCKA,
            connections=lambda: [conn],
            client_for=lambda _c: cast(ErpClient, erp),
            observed=ObservedValues(engine),
            publisher=cast(EventPublisher, cast(Any, None)),  # nothing changes, nothing is published
            interval_seconds=60,
            rounds=PollRounds(engine),
        )
        for engine in engines
    ]
    try:
        await asyncio.gather(*(r.poll_once() for r in replicas))
        assert erp.reads == ["stock", "prices"], "one replica read the account, the other skipped"
        await asyncio.gather(*(r.poll_once() for r in replicas))
        assert erp.reads == ["stock", "prices"], "the next round is not due yet"
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_round_is_due_again_after_nine_tenths_of_the_interval(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'adapter.db'}")
    await migrate(engine)
    rounds = PollRounds(engine)
    try:
        assert await rounds.claim("mk:acme", 60, now=1000.0)
        assert not await rounds.claim("mk:acme", 60, now=1001.0)
        assert await rounds.claim("mk:other", 60, now=1001.0), "each account has its own rounds"
        assert not await rounds.claim("mk:acme", 60, now=1053.9)
        assert await rounds.claim("mk:acme", 60, now=1054.0)
        assert not await rounds.claim("mk:acme", 60, now=1054.0)
    finally:
        await engine.dispose()
