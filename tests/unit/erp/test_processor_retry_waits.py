"""How long the processor waits between attempts at an ERP that is busy (issue 15: one retry
mechanism, tenacity, with the kit's one Retry-After rule): the ERP's own hint when it gave one, cut
to `max_retry_after_seconds`; else exponential backoff with jitter, capped. Not about the ERP's API,
so the client here is a scripted stand-in; the waits are recorded by the injected sleep."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_contracts import DocumentCreated, DocumentFailed, DocumentRequested
from storelink_erp_kit.client import ErpDocumentRef
from storelink_erp_kit.errors import ErpUnavailable
from storelink_erp_kit.ledger import Ledger, State
from storelink_erp_kit.processor import AttemptPolicy, DocumentProcessor
from storelink_kit.testing.samples import sample_document

from ...support.erp import RecordingPublisher


class BusyThenFine:
    """Answers `busy` creates with ErpUnavailable(retry_after=hint(n)), then stores the document."""

    invoices_made_from_sales_orders = False

    def __init__(self, busy: int, hint: Callable[[int], float | None]) -> None:
        self.busy = busy
        self.hint = hint
        self.creates = 0

    async def create_document(
        self, doc: DocumentRequested, related: ErpDocumentRef | None = None
    ) -> ErpDocumentRef:
        self.creates += 1
        if self.creates <= self.busy:
            raise ErpUnavailable("the ERP is busy", code="429", retry_after=self.hint(self.creates))
        return ErpDocumentRef(erp_id="doc-1", number="1")

    async def find_document(self, doc: DocumentRequested) -> ErpDocumentRef | None:
        return None  # an ErpUnavailable create stored nothing


async def run(engine: AsyncEngine, client: BusyThenFine, policy: AttemptPolicy) -> tuple[Any, list[float]]:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async def resolve(doc: Any) -> Any:
        return client

    processor = DocumentProcessor(
        ledger=Ledger(engine, lease_seconds=30),
        client_for=resolve,
        publisher=RecordingPublisher(),
        owner="test",
        policy=policy,
        sleep=record,
    )
    return await processor.process(sample_document()), waits


async def test_the_erps_retry_after_is_waited_for_up_to_the_cap(sqlite_engine: AsyncEngine) -> None:
    hints = {1: 2.5, 2: 9999.0}
    client = BusyThenFine(busy=2, hint=hints.__getitem__)
    policy = AttemptPolicy(
        max_attempts=3, backoff_seconds=0.01, backoff_max_seconds=0.05, max_retry_after_seconds=60
    )
    result, waits = await run(sqlite_engine, client, policy)
    assert isinstance(result, DocumentCreated), result
    assert waits == [2.5, 60.0]
    assert client.creates == 3


async def test_without_a_hint_the_wait_is_capped_exponential_backoff_with_jitter(
    sqlite_engine: AsyncEngine,
) -> None:
    client = BusyThenFine(busy=4, hint=lambda n: None)
    policy = AttemptPolicy(max_attempts=5, backoff_seconds=1.0, backoff_max_seconds=3.0)
    result, waits = await run(sqlite_engine, client, policy)
    assert isinstance(result, DocumentCreated), result
    floors = [1.0, 2.0, 3.0, 3.0]  # min(max, initial * 2^(n-1)), then up to `initial` of jitter on top
    assert len(waits) == len(floors)
    for wait, floor in zip(waits, floors, strict=True):
        assert floor <= wait <= floor + 1.0, waits


async def test_when_the_attempts_run_out_the_row_stays_pending_behind_a_retryable_failure(
    sqlite_engine: AsyncEngine,
) -> None:
    client = BusyThenFine(busy=10, hint=lambda n: 0.5)
    result, waits = await run(sqlite_engine, client, AttemptPolicy(max_attempts=3))
    assert isinstance(result, DocumentFailed), result
    assert result.retryable
    assert result.attempts == 3
    assert "Gave up after 3 attempts" in result.reason
    assert waits == [0.5, 0.5]  # no wait after the last attempt
    entry = await Ledger(sqlite_engine).get(sample_document().idempotency_key)
    assert entry is not None
    assert entry.state is State.PENDING


@pytest.mark.parametrize("attempts", [1, 2])
async def test_attempts_counts_every_try(sqlite_engine: AsyncEngine, attempts: int) -> None:
    client = BusyThenFine(busy=10, hint=lambda n: None)
    result, waits = await run(
        sqlite_engine, client, AttemptPolicy(max_attempts=attempts, backoff_seconds=0.01)
    )
    assert isinstance(result, DocumentFailed)
    assert result.attempts == attempts
    assert client.creates == attempts
    assert len(waits) == attempts - 1
