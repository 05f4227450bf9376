"""A round of doorbells that fails is tried again (tenacity, issue 15 item 4): the next attempt
answers what waits then — the failed round's doorbells and those that rang meanwhile — and the
shop's own Retry-After sets the wait. No broker: the desk's answering is driven directly."""

from __future__ import annotations

import logging
from typing import Any, cast

import pytest

from storelink_connector_kit.doorbells import DoorbellDesk, _Waiting, partition_of
from storelink_connector_kit.errors import ShopRateLimited, ShopUnavailable
from storelink_connector_kit.polling import Poller
from storelink_contracts import Platform
from storelink_kit.connections import ConnectionRegistry
from storelink_kit.settings import KafkaSettings


async def _fresh() -> bool:
    return True


def _desk() -> DoorbellDesk:
    desk = DoorbellDesk(
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        topic="t.doorbells",
        group_id="g",
        client_id="c",
        platform=Platform.WIX,
        registry=ConnectionRegistry(),
        poller=cast(Poller, None),
        settings_fresh=_fresh,
        retry_initial_seconds=0.01,
        retry_max_seconds=0.5,
        round_interval_seconds=0.0,
    )
    desk.partitions = [0, 1, 2]
    desk.assigned = {partition_of("c1", desk.partitions)}
    return desk


def _waiting(*order_ids: str, offset: int) -> _Waiting:
    return _Waiting(order_ids=dict.fromkeys(order_ids), records=[(0, offset)])


async def test_a_failed_round_is_answered_again_with_the_doorbells_that_rang_meanwhile(
    caplog: pytest.LogCaptureFixture,
) -> None:
    desk = _desk()
    desk._waiting["c1"] = _waiting("o1", offset=0)
    answered: list[list[str]] = []
    attempts = 0

    async def answer(connection_id: str, waiting: _Waiting) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            desk._waiting["c1"] = _waiting("o2", offset=1)  # rang while the shop was failing
            raise ShopUnavailable("shop answered 503", status=503)
        if attempts == 2:
            raise ShopRateLimited("too many requests", retry_after=0.3)
        answered.append(list(waiting.order_ids))

    cast(Any, desk)._answer = answer
    with caplog.at_level(logging.WARNING, logger="storelink.connector.doorbells"):
        await desk._serve("c1")

    assert attempts == 3
    assert answered == [["o1", "o2"]]
    assert desk.answered == 2
    retries = [r for r in caplog.records if "could not be answered" in r.getMessage()]
    assert [r.levelno for r in retries] == [logging.WARNING, logging.WARNING]
    assert retries[0].retry_in < 0.1  # the desk's own backoff: 0.01 s, then doubling
    assert retries[1].retry_in == 0.3  # the shop's Retry-After


async def test_a_round_for_a_connection_this_replica_does_not_own_answers_nothing() -> None:
    desk = _desk()
    desk.assigned = set()
    desk._waiting["c1"] = _waiting("o1", offset=0)

    async def answer(connection_id: str, waiting: _Waiting) -> None:
        raise AssertionError("not this replica's connection")

    cast(Any, desk)._answer = answer
    await desk._serve("c1")
    assert desk.answered == 0
