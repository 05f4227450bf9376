"""Remembering the last published stock/price values, so polling publishes only changes.

Kept in the same database as the ledger: a restart does not republish every value. The new
values are remembered only after they were published (acks=all), so a crash in between
publishes them again rather than losing them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_erp_kit.database import observed_values as t
from storelink_erp_kit.database import poll_rounds

_CHUNK = 500


class ObservedValues:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def known(self, scope: str) -> dict[str, str]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t.c.item, t.c.value).where(t.c.scope == scope))).all()
        return {r[0]: r[1] for r in rows}

    async def changes(self, scope: str, values: Mapping[str, str]) -> dict[str, str]:
        """The items whose value differs from the remembered one (or that are new)."""
        known = await self.known(scope)
        return {item: value for item, value in values.items() if known.get(item) != value}

    async def remember(self, scope: str, values: Mapping[str, str]) -> None:
        if not values:
            return
        known = await self.known(scope)
        now = time.time()
        items = list(values.items())
        async with self.engine.begin() as conn:
            for i in range(0, len(items), _CHUNK):
                new_rows = []
                for item, value in items[i : i + _CHUNK]:
                    if item in known:
                        await conn.execute(
                            update(t)
                            .where(and_(t.c.scope == scope, t.c.item == item))
                            .values(value=value, observed_at=now)
                        )
                    else:
                        new_rows.append({"scope": scope, "item": item, "value": value, "observed_at": now})
                if new_rows:
                    await conn.execute(insert(t), new_rows)


class PollRounds:
    """Which replica reads an ERP account's stock and prices this round: the first to claim the round
    once it is due. Every replica of an ERP adapter runs the poll loop; without this each of them
    would read every account every interval (N replicas, N times the ERP calls)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def claim(self, scope: str, interval_seconds: float, now: float | None = None) -> bool:
        """True when this caller has the round: it was due (or never run) and is now moved on by
        nine tenths of an interval (so the replica whose loop comes round first next time takes it,
        and a round is never skipped for a few milliseconds of drift)."""
        now = time.time() if now is None else now
        due_next = now + 0.9 * interval_seconds
        async with self.engine.begin() as conn:  # one statement: the database decides who won
            moved = await conn.execute(
                update(poll_rounds)
                .where(poll_rounds.c.scope == scope, poll_rounds.c.due_at <= now)
                .values(due_at=due_next)
            )
            if moved.rowcount == 1:
                return True
            exists = await conn.scalar(select(poll_rounds.c.scope).where(poll_rounds.c.scope == scope))
        if exists is not None:
            return False
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(poll_rounds).values(scope=scope, due_at=due_next))
        except IntegrityError:  # another replica made the row at the same moment: its round
            return False
        return True
