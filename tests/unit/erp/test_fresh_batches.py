"""A consumer batch's new documents in a few ledger transactions (`DocumentProcessor.process_fresh`),
against the MetaKocka simulator over real HTTP: created once each, an order's documents in their
order, a lost answer looked up (never sent again), and two workers racing one batch."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_contracts import DocumentCreated, DocumentKind, DocumentRequested, Envelope
from storelink_erp_kit.client import ErpClient
from storelink_erp_kit.ledger import Ledger, State
from storelink_erp_kit.processor import AttemptPolicy, DocumentProcessor
from storelink_erp_metakocka.client import MetakockaClient
from storelink_kit.testing.samples import sample_document

from ...support.erp import MK_COMPANY, MK_SECRET, MkSim, RecordingPublisher


def processor(
    engine: AsyncEngine,
    sim: MkSim,
    publisher: RecordingPublisher,
    *,
    owner: str = "test",
    timeout: float = 2.0,
) -> DocumentProcessor:
    client = MetakockaClient(
        company_id=MK_COMPANY, secret_key=MK_SECRET, base_url=sim.base_url, timeout=timeout
    )

    async def client_for(doc: Any) -> ErpClient:
        return client

    return DocumentProcessor(
        ledger=Ledger(engine, lease_seconds=5, create_window_seconds=5, landing_grace_seconds=1),
        client_for=client_for,
        publisher=publisher,
        owner=owner,
        policy=AttemptPolicy(max_attempts=3, backoff_seconds=0.01, backoff_max_seconds=0.05),
    )


def invoices(n: int, tag: str = "B") -> list[DocumentRequested]:
    return [
        sample_document(
            kind=DocumentKind.INVOICE_DOMESTIC,
            order_number=f"{tag}-{i}",
            idempotency_key=f"{tag.lower()}-{i}",
        )
        for i in range(n)
    ]


def one_per_order(docs: list[DocumentRequested]) -> list[list[tuple[DocumentRequested, Envelope | None]]]:
    return [[(doc, None)] for doc in docs]


async def test_new_documents_are_claimed_in_one_transaction_and_marked_in_another(
    engine: AsyncEngine, mk_sim: MkSim
) -> None:
    pub = RecordingPublisher()
    proc = processor(engine, mk_sim, pub)
    docs = invoices(20)
    commits: list[object] = []

    def committed(conn: object) -> None:
        commits.append(conn)

    event.listen(engine.sync_engine, "commit", committed)
    done = await proc.process_fresh(one_per_order(docs), asyncio.Semaphore(4))
    event.remove(engine.sync_engine, "commit", committed)
    assert done == {id(doc) for doc in docs}
    assert len(commits) == 2  # the claims with their attempts, then the created marks
    assert mk_sim.state.calls["put_document"] == 20
    assert sorted(d["buyer_order"] for d in mk_sim.docs()) == sorted(doc.order_number for doc in docs)
    assert await proc.ledger.count_by_state() == {State.CREATED.value: 20}
    created = [e for e in pub.events if isinstance(e, DocumentCreated)]
    assert sorted(e.idempotency_key for e in created) == sorted(doc.idempotency_key for doc in docs)
    assert not any(e.already_existed for e in created)
    stored = {d["buyer_order"]: d["mk_id"] for d in mk_sim.docs()}
    number = {doc.idempotency_key: doc.order_number for doc in docs}
    assert all(e.erp_document_id == stored[number[e.idempotency_key]] for e in created)


async def test_an_orders_documents_keep_their_order_and_known_keys_go_one_by_one(
    engine: AsyncEngine, mk_sim: MkSim
) -> None:
    pub = RecordingPublisher()
    proc = processor(engine, mk_sim, pub)
    sales_order = sample_document(kind=DocumentKind.SALES_ORDER, order_number="O1", idempotency_key="o1-so")
    invoice = sample_document(
        kind=DocumentKind.INVOICE_DOMESTIC, order_number="O1", idempotency_key="o1-inv", refers_to="o1-so"
    )
    known = sample_document(kind=DocumentKind.SALES_ORDER, order_number="O2", idempotency_key="o2-so")
    behind_known = sample_document(kind=DocumentKind.OFFER, order_number="O2", idempotency_key="o2-offer")
    await proc.process(known)
    groups = [[(sales_order, None), (invoice, None)], [(known, None), (behind_known, None)]]
    done = await proc.process_fresh(groups, asyncio.Semaphore(4))
    assert done == {id(sales_order)}
    assert await proc.ledger.get("o1-inv") is None  # refers to another: the one-by-one way, after it
    assert await proc.ledger.get("o2-offer") is None  # behind a known key: waits for it
    entry = await proc.ledger.get("o1-so")
    assert entry is not None
    assert entry.state is State.CREATED


async def test_a_create_whose_answer_is_lost_is_looked_up_and_never_sent_again(
    engine: AsyncEngine, mk_sim: MkSim
) -> None:
    mk_sim.state.set_faults(hang_after_store_every=1, hang_seconds=1.5)
    pub = RecordingPublisher()
    proc = processor(engine, mk_sim, pub, timeout=0.3)
    [doc] = invoices(1, "L")
    done = await proc.process_fresh(one_per_order([doc]), asyncio.Semaphore(4))
    assert done == set()
    entry = await proc.ledger.get(doc.idempotency_key)
    assert entry is not None
    assert (entry.state, entry.attempts, entry.lease_owner) == (State.PENDING, 1, None)
    assert entry.call_deadline is not None  # fenced: nobody creates before the grace has passed
    result = await proc.process(doc)
    assert isinstance(result, DocumentCreated)
    assert result.already_existed  # found by its reference
    assert mk_sim.state.calls["put_document"] == 1
    assert len(mk_sim.docs()) == 1


async def test_two_workers_racing_with_the_same_batch_create_each_document_once(
    engine: AsyncEngine, mk_sim: MkSim
) -> None:
    """A consumer-group rebalance: two replicas get the same batch at the same time."""
    mk_sim.state.set_faults(slow_store_seconds=0.05)
    docs = invoices(30, "R")
    pub = RecordingPublisher()

    async def worker(owner: str) -> list[Any]:
        proc = processor(engine, mk_sim, pub, owner=owner)
        done = await proc.process_fresh(one_per_order(docs), asyncio.Semaphore(8))
        return [*done, *await asyncio.gather(*(proc.process(d) for d in docs if id(d) not in done))]

    first, second = await asyncio.gather(worker("replica-a"), worker("replica-b"))
    assert len(first) == len(second) == 30
    assert mk_sim.state.calls["put_document"] == 30
    assert sorted(d["buyer_order"] for d in mk_sim.docs()) == sorted(doc.order_number for doc in docs)
    assert await proc_states(engine) == {State.CREATED.value: 30}


async def proc_states(engine: AsyncEngine) -> dict[str, int]:
    return await Ledger(engine).count_by_state()
