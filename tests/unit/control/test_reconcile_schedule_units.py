"""Issue 16, the daily reconciliation's pure parts: which (connection, day) is due at a given moment."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import pytest

from storelink_control.reconcile_schedule import (
    LEASE,
    MAX_ATTEMPTS,
    DailyReconciliation,
    RunSeen,
    due_day,
    due_runs,
    may_claim,
    run_schedule,
)
from storelink_kit.testing.waits import eventually

LJ = ZoneInfo("Europe/Ljubljana")


def test_the_previous_local_day_is_due_from_the_connections_hour_on() -> None:
    # 01:30 UTC on 5 March is 02:30 in Ljubljana (CET, UTC+1)
    at = datetime(2026, 3, 5, 1, 30, tzinfo=UTC)
    assert due_day(at, LJ, 3) is None
    assert due_day(at, LJ, 2) == date(2026, 3, 4)
    assert due_day(at, LJ, 0) == date(2026, 3, 4)
    # 23:30 UTC on 4 March is already the 5th in Ljubljana: the 4th is due, not the 3rd
    assert due_day(datetime(2026, 3, 4, 23, 30, tzinfo=UTC), LJ, 0) == date(2026, 3, 4)
    assert due_day(datetime(2026, 3, 4, 23, 30, tzinfo=UTC), UTC, 0) == date(2026, 3, 3)


def test_a_run_is_claimed_again_only_when_it_failed_under_the_limit_or_was_abandoned() -> None:
    now = datetime(2026, 3, 5, 8, tzinfo=UTC)
    assert may_claim(None, now)
    assert not may_claim(RunSeen("done", 1, now - timedelta(hours=5)), now)
    assert may_claim(RunSeen("failed", 1, now - timedelta(minutes=5)), now)
    assert not may_claim(RunSeen("failed", MAX_ATTEMPTS, now - timedelta(minutes=5)), now)
    assert not may_claim(RunSeen("running", 1, now - LEASE + timedelta(seconds=1)), now)
    assert may_claim(RunSeen("running", 1, now - LEASE), now)


def test_due_runs_are_the_enabled_connections_whose_hour_came_and_whose_day_is_not_done() -> None:
    now = datetime(2026, 3, 5, 7, tzinfo=UTC)  # 08:00 in Ljubljana
    yesterday = date(2026, 3, 4)
    connections = [
        ("on", {"reconcile_daily": True, "reconcile_hour": 3}),
        ("off", {"reconcile_daily": False, "reconcile_hour": 3}),
        ("unset", {}),  # stored before the setting existed: off
        ("later", {"reconcile_daily": True, "reconcile_hour": 9}),
        ("done", {"reconcile_daily": True, "reconcile_hour": 3}),
        ("retry", {"reconcile_daily": True, "reconcile_hour": 3}),
    ]
    runs = {
        ("done", yesterday): RunSeen("done", 1, now - timedelta(hours=4)),
        ("retry", yesterday): RunSeen("failed", 2, now - timedelta(minutes=5)),
        ("on", date(2026, 3, 3)): RunSeen("done", 1, now - timedelta(days=1)),
    }
    assert due_runs(now, LJ, connections, runs) == [("on", yesterday), ("retry", yesterday)]


async def test_the_loop_goes_on_after_a_failing_tick_and_stops_when_cancelled() -> None:
    class Ticks:
        def __init__(self) -> None:
            self.count = 0

        async def tick(self) -> list[tuple[str, date]]:
            self.count += 1
            if self.count == 1:
                raise ConnectionError("the database is away for a moment")
            return []

    ticks = Ticks()
    loop = asyncio.create_task(run_schedule(cast(DailyReconciliation, ticks), 0.01))
    await eventually(lambda: ticks.count >= 3, "three ticks, the first of them failing")
    loop.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loop
    assert loop.cancelled()
