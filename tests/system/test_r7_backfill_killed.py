"""R7 backfill killed half-way (issue 16): a shop holds ≥ 2,000 orders from before the connection went
live (some paid: a sales order and an invoice each) while live orders keep arriving. The operator
runs `storelink backfill CONNECTION --from DAY`; part-way (its saved cursor shows some pages, not all)
control, which runs the backfill, is killed with SIGKILL, and the mapper with it. supervisord restarts
them; the operator runs the same command again and it goes on from its saved cursor, not from page 1.
In the end the simulated ERP holds exactly one document per order and kind: none lost, none
duplicated, none unexpected — and `storelink reconcile` over the month finds no difference between
the shop, the hub and the ERP (issue 16: no false findings on a clean month of ≥ 2,000 orders)."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from storelink_sim_shopamine.state import iso

from .kafka import wait_drained
from .stack import VENV_BIN, Stack, scaled, wait_until
from .world import Order, Shop, World, bounded, tally

pytestmark = [pytest.mark.kafka, pytest.mark.system, pytest.mark.timeout(2700)]

ORDERS = 2000
"""Orders placed before the backfill's range ends, found only by reading the shop's history."""
LIVE_EVERY_SECONDS = 1.0
"""A few live orders a second while the backfill runs (webhook for half, polling finds the rest)."""
PAGE = 100
"""Orders on a Shopamine list page (storelink_connector_shopamine.assumptions.LIST_PAGE_LIMIT)."""
DEADLINE_SECONDS = 1200.0
HISTORY_DAYS = 30
"""The shop's history spans a month: the reconciliation that follows covers it."""
CONTROL, MAPPER = "control", "mapper"
BACKFILL_TABLE_QUERY = "SELECT pages, published, done, cursor FROM backfills WHERE connection_id = ?"
"""ASSUMPTION: control's `backfills` table (storelink_control.db.tables.Backfill) in its SQLite file
under make up (deploy/render.py: <state>/db/control.sqlite3): how far a backfill got."""


@dataclass(frozen=True)
class Progress:
    pages: int
    published: int
    done: bool
    cursor: str | None

    @property
    def position(self) -> tuple[datetime, int]:
        """Where the next page starts (Shopamine's keyset cursor `<modified>|<page>`): later is further."""
        assert self.cursor, "a backfill that is not done has a cursor"
        modified, page = self.cursor.rsplit("|", 1)
        return datetime.fromisoformat(modified.replace("Z", "+00:00")), int(page)


def saved_progress(stack: Stack, connection_id: str) -> Progress | None:
    """What control saved after the backfill's last published page (read-only; control may be dead)."""
    path = stack.state / "db" / "control.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        row = db.execute(BACKFILL_TABLE_QUERY, (connection_id,)).fetchone()
    return None if row is None else Progress(int(row[0]), int(row[1]), bool(row[2]), row[3])


def operator_command(stack: Stack, *args: str) -> subprocess.Popen[str]:
    """`storelink ARGS…` as the operator runs it against control."""
    return subprocess.Popen(
        [str(VENV_BIN / "storelink"), *args],
        env={
            **os.environ,
            "STORELINK_CONTROL_URL": stack.url(CONTROL),
            "STORELINK_CONTROL_TOKEN": stack.operator_token,
            "COLUMNS": "200",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def backfill_command(stack: Stack, shop: Shop, first_day: str) -> subprocess.Popen[str]:
    """The operator's command: a shop page per request, so control saves its cursor often."""
    return operator_command(stack, "backfill", shop.connection_id, "--from", first_day, "--pages", "1")


def still_running(command: subprocess.Popen[str]) -> bool:
    """True while the command runs; its output in the failure when it ended."""
    if command.poll() is None:
        return True
    out, err = command.communicate()
    raise AssertionError(f"the backfill command ended early ({command.returncode}): {out} {err}")


def watch_progress(stack: Stack, connection_id: str, seen: list[Progress], stop: threading.Event) -> None:
    """Every saved step of the backfill (control saves a page a second at most: its shop budget)."""
    while not stop.is_set():
        now = saved_progress(stack, connection_id)
        if now is not None and (not seen or now != seen[-1]):
            seen.append(now)
        time.sleep(0.05)


async def place_live(shop: Shop, stop: asyncio.Event, orders: list[Order], most: int) -> None:
    """Customers keep ordering: two orders a round, every other one paid, a doorbell for the first;
    at most `most`, so that a backfill restarted from page 1 (republishing the pages before the kill)
    cannot hide among the live orders in the published count."""
    i = 0
    while not stop.is_set() and i < most:
        for _ in range(2):
            order = await shop.place(f"R7L{i:05d}", paid=i % 2 == 0, sku=f"SKU-{i % 20}")
            orders.append(order)
            if i % 2 == 0:
                await shop.ring(order)
            i += 1
        await asyncio.sleep(LIVE_EVERY_SECONDS)


async def test_backfill_killed_half_way_resumes_from_its_cursor_and_documents_each_order_once(
    stack: Stack, report: Callable[[str], None]
) -> None:
    began = time.monotonic()
    world = World(stack)
    try:
        mk = await world.metakocka_tenant("r7-mk")
        shop = await world.shop(mk, "shopamine")
        await world.wait_connections_known()

        # The shop's history: a month of orders before the connection went live, two in three paid.
        n = scaled(ORDERS, minimum=6 * PAGE)
        placed_at = datetime.now(UTC) - timedelta(days=HISTORY_DAYS + 1)
        spacing = timedelta(days=HISTORY_DAYS) / n
        kill_at = n // PAGE // 3  # pages saved when control is killed: about a third of the way
        old: list[Order] = await bounded(
            8,
            [
                lambda i=i: shop.place(
                    f"R7B{i:05d}",
                    paid=i % 3 != 0,
                    sku=f"SKU-{i % 20}",
                    created=iso(placed_at + i * spacing),
                )
                for i in range(n)
            ],
        )
        first_day = (placed_at - timedelta(days=2)).date().isoformat()

        live: list[Order] = []
        stop_live = asyncio.Event()
        live_task = asyncio.create_task(place_live(shop, stop_live, live, kill_at * PAGE // 2))
        seen: list[Progress] = []
        stop_watch = threading.Event()
        watcher = threading.Thread(
            target=watch_progress, args=(stack, shop.connection_id, seen, stop_watch), daemon=True
        )
        watcher.start()
        try:
            # The operator starts the backfill; part-way, control (running it) and the mapper die.
            first_run = backfill_command(stack, shop, first_day)
            await asyncio.to_thread(
                wait_until,
                lambda: still_running(first_run) and seen and seen[-1].pages >= kill_at,
                300,
                f"the backfill to save {kill_at} pages",
            )
            killed = {p: stack.kill(p) for p in (CONTROL, MAPPER)}
            out, err = await asyncio.to_thread(first_run.communicate, timeout=120)
            assert first_run.returncode != 0, f"the command noticed control died: {out} {err}"
            at_kill = saved_progress(stack, shop.connection_id)
            assert at_kill is not None, "the backfill saved its progress"
            assert not at_kill.done, f"killed part-way: {at_kill}"
            assert at_kill.pages >= kill_at, f"killed part-way: {at_kill}"
            for process, pid in killed.items():
                await asyncio.to_thread(stack.wait_restarted, process, pid)

            # The operator runs the same command again: it goes on from the saved cursor.
            resumed_at = len(seen)
            second_run = backfill_command(stack, shop, first_day)
            out, err = await asyncio.to_thread(second_run.communicate, timeout=900)
            assert second_run.returncode == 0, f"the resumed backfill finished: {out} {err}"
        finally:
            stop_live.set()
            await live_task
            stop_watch.set()
            await asyncio.to_thread(watcher.join, 10)

        final = saved_progress(stack, shop.connection_id)
        assert final is not None, "the backfill saved its progress"
        assert final.done, final
        after_resume = [p for p in seen[resumed_at:] if p.pages > at_kill.pages and not p.done]
        assert after_resume, f"the resumed backfill saved its steps: {seen[resumed_at:]}"
        assert all(p.position >= at_kill.position for p in after_resume), (
            f"resumed from its cursor {at_kill.cursor}, not from page 1: {[p.cursor for p in after_resume]}"
        )
        # Each order once, plus the few a keyset page boundary repeats: a restart from page 1 would
        # publish the pages before the kill again (a third of the history: twice the live orders).
        assert n <= final.published <= n + len(live) + final.pages, (final, n, len(live))
        assert f"{final.published} orders since {first_day} imported" in " ".join(out.split())

        orders = [*old, *live]
        result = await world.settle(orders, cap=DEADLINE_SECONDS)
        documented_after = time.monotonic() - began
        drained = await wait_drained(stack.bootstrap)
        result = tally(orders, await world.documents())
        # The month reconciled: the shop, the hub and the ERP agree on every order (exit 0, no findings).
        last_day = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()  # any time zone's today
        reconcile = operator_command(
            stack, "reconcile", shop.connection_id, "--from", first_day, "--to", last_day, "--json"
        )
        rec_out, rec_err = await asyncio.to_thread(reconcile.communicate, timeout=900)
        reconciled = json.loads(rec_out) if reconcile.returncode in (0, 3) else {}
        totals = reconciled.get("totals") or {}
        report(
            f"R7 reconcile {first_day}..{last_day}: exit={reconcile.returncode}"
            f" shop={totals.get('shop', {}).get('orders')} hub={totals.get('hub', {}).get('orders')}"
            f" erp={totals.get('erp', {}).get('orders')} findings={len(reconciled.get('problems', []))}"
        )
        report(
            f"R7 orders={result.orders} backfilled={final.published} (of {n} placed before, in"
            f" {final.pages} pages) live={len(live)} documents={result.documents} wanted={result.wanted}"
            f" duplicated={len(result.duplicated)} lost={len(result.lost)}"
            f" unexpected={len(result.unexpected)}"
            f" resumed_from_page={at_kill.pages + 1} time={time.monotonic() - began:.0f}s (all documented"
            f" by {documented_after:.0f}s, drained {drained:.0f}s later; killed {sorted(killed)})"
        )
        assert result.lost == [], f"{len(result.lost)} lost, e.g. {result.lost[:5]}"
        assert result.duplicated == {}, f"duplicated: {list(result.duplicated.items())[:5]}"
        assert result.unexpected == [], result.unexpected[:5]
        assert result.documents == result.wanted
        assert reconcile.returncode == 0, (
            f"a clean month reconciles without findings: {reconcile.returncode} "
            f"{reconciled.get('problems', [])[:5]} {rec_err[-2000:]}"
        )
        assert totals["shop"]["orders"] == totals["hub"]["orders"] == len(orders), totals
    finally:
        await world.close()
