"""MetaKocka documents through the shared processor against the simulator over real HTTP.

Every error shape ends as a clear DocumentFailed or a retry; a lost answer never makes a duplicate.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_contracts import DocumentCreated, DocumentFailed, DocumentKind, PaymentMethod, PaymentRecord
from storelink_erp_kit.client import ErpClient
from storelink_erp_kit.errors import ErpOutcomeUnknown, ErpUnavailable
from storelink_erp_kit.http import send_deadline
from storelink_erp_kit.ledger import Ledger, State
from storelink_erp_kit.processor import AttemptPolicy, DocumentProcessor
from storelink_erp_metakocka.client import MetakockaClient
from storelink_kit.testing.samples import T0, sample_document

from ...support.erp import MK_COMPANY, MK_SECRET, MkSim, RecordingPublisher


def processor(
    engine: AsyncEngine, client: ErpClient, publisher: RecordingPublisher, **policy: Any
) -> DocumentProcessor:
    async def client_for(doc: Any) -> ErpClient:
        return client

    return DocumentProcessor(
        ledger=Ledger(engine, lease_seconds=5, create_window_seconds=5, landing_grace_seconds=1),
        client_for=client_for,
        publisher=publisher,
        owner="test",
        policy=AttemptPolicy(
            **{"max_attempts": 3, "backoff_seconds": 0.01, "backoff_max_seconds": 0.05, **policy}
        ),
    )


def mk_client(
    sim: MkSim, *, secret: str = MK_SECRET, company: str = MK_COMPANY, timeout: float = 2.0
) -> MetakockaClient:
    return MetakockaClient(company_id=company, secret_key=secret, base_url=sim.base_url, timeout=timeout)


async def test_created_with_erp_id_and_number_and_replay_creates_nothing(
    engine: AsyncEngine, mk_sim: MkSim
) -> None:
    pub = RecordingPublisher()
    proc = processor(engine, mk_client(mk_sim), pub)
    first = await proc.process(sample_document())
    again = await proc.process(sample_document())
    assert isinstance(first, DocumentCreated)
    assert not first.already_existed
    assert first.erp_document_id == mk_sim.docs()[0]["mk_id"]
    assert first.erp_number == mk_sim.docs()[0]["count_code"]
    assert isinstance(again, DocumentCreated)
    assert again.already_existed
    assert again.erp_document_id == first.erp_document_id
    assert len(mk_sim.docs()) == 1
    assert mk_sim.state.calls["put_document"] == 1


@pytest.mark.parametrize("kind", [DocumentKind.SALES_ORDER, DocumentKind.INVOICE_DOMESTIC])
async def test_answer_lost_after_store_is_found_by_reference_not_created_twice(
    engine: AsyncEngine, mk_sim: MkSim, kind: DocumentKind
) -> None:
    mk_sim.state.set_faults(hang_after_store_every=1, hang_seconds=1.5)
    pub = RecordingPublisher()
    proc = processor(engine, mk_client(mk_sim, timeout=0.3), pub)
    doc = sample_document(kind=kind, idempotency_key=f"k-{kind.value}")
    result = await proc.process(doc)
    assert isinstance(result, DocumentCreated)
    assert result.already_existed  # found by reference, not created again
    assert len(mk_sim.docs()) == 1
    assert result.erp_document_id == mk_sim.docs()[0]["mk_id"]
    assert mk_sim.state.calls["put_document"] == 1
    lookups = mk_sim.state.calls["get_document"] + mk_sim.state.calls["search"]
    assert lookups >= 1


async def test_fiscalized_invoice_carries_zoi_and_eor(sqlite_engine: AsyncEngine, mk_sim: MkSim) -> None:
    pub = RecordingPublisher()
    doc = sample_document(
        kind=DocumentKind.INVOICE_DOMESTIC,
        fiscalize=True,
        payment=PaymentRecord(method=PaymentMethod.CARD, amount=sample_document().totals.gross, paid_at=T0),
    )
    result = await processor(sqlite_engine, mk_client(mk_sim), pub).process(doc)
    assert isinstance(result, DocumentCreated)
    assert result.fiscal is not None
    assert len(result.fiscal.zoi) == 32
    assert result.fiscal.eor


async def test_sales_order_number_already_in_metakocka_is_adopted(
    sqlite_engine: AsyncEngine, mk_sim: MkSim
) -> None:
    pub = RecordingPublisher()
    client = mk_client(mk_sim)
    await client.create_document(sample_document())  # created by someone else (e.g. MetaKocka's own import)
    result = await processor(sqlite_engine, client, pub).process(sample_document(idempotency_key="other-key"))
    assert isinstance(result, DocumentCreated)
    assert result.already_existed
    assert len(mk_sim.docs()) == 1


async def test_5xx_is_retried_then_succeeds(sqlite_engine: AsyncEngine, mk_sim: MkSim) -> None:
    mk_sim.state.set_faults(fail_5xx_next=2)
    pub = RecordingPublisher()
    result = await processor(sqlite_engine, mk_client(mk_sim), pub).process(sample_document())
    assert isinstance(result, DocumentCreated)
    assert len(mk_sim.docs()) == 1


async def test_unreachable_ends_as_retryable_failure_and_stays_pending(
    sqlite_engine: AsyncEngine, mk_sim: MkSim
) -> None:
    from storelink_kit.testing.kafka_broker import free_port

    pub = RecordingPublisher()
    client = MetakockaClient(
        company_id=MK_COMPANY,
        secret_key=MK_SECRET,
        base_url=f"http://127.0.0.1:{free_port()}/rest/eshop/",
        timeout=0.5,
    )
    doc = sample_document()
    result = await processor(sqlite_engine, client, pub).process(doc)
    assert isinstance(result, DocumentFailed)
    assert result.retryable
    assert result.attempts == 3
    assert "cannot be reached" in result.reason
    entry = await Ledger(sqlite_engine).get(doc.idempotency_key)
    assert entry is not None
    assert entry.state is State.PENDING


ERROR_CASES = [
    ("wrong secret", {"secret": "nope"}, None, "secret key and company id", "auth:3"),
    ("unknown company", {"company": "999"}, None, "secret key and company id", "auth:3"),
    ("missing privileges", {}, {"denied": "put_document"}, "may not call put_document", "privileges"),
    ("unknown product", {}, {"known_products": ["OTHER"]}, "does not know the product(s) MUG-01", "2"),
    (
        "validation",
        {},
        {"error_next": [{"opr_code": "2", "opr_desc": "Paramether 'status_code' has invalid value : X"}]},
        "rejected the data: Paramether 'status_code'",
        "2",
    ),
    (
        "application error keeps opr_code_app and opr_desc_app",
        {},
        {
            "error_next": [
                {
                    "opr_code": "6",
                    "opr_desc": "Application error",
                    "opr_code_app": "1201",
                    "opr_desc_app": "Partner ni določen",
                }
            ]
        },
        "Partner ni določen (application error 1201)",
        "6:1201",
    ),
    ("ip not allowed", {}, {"allowed_ips": ["192.1.1.1"]}, "IP address '127.0.0.1'", "ip_not_allowed:4"),
    ("no fiscal register", {}, {"no_fiscal": True}, "certified cash register", "4001"),
    ("web page", {}, {"html_next": 5}, "web page instead of JSON", "not_json"),
]


@pytest.mark.parametrize(
    ("name", "client_kw", "sim", "reason", "code"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES]
)
async def test_error_shapes_become_clear_document_failed(
    sqlite_engine: AsyncEngine,
    mk_sim: MkSim,
    name: str,
    client_kw: dict[str, str],
    sim: dict[str, Any] | None,
    reason: str,
    code: str,
) -> None:
    company = mk_sim.state.companies[MK_COMPANY]
    doc = sample_document()
    if sim:
        if "denied" in sim:
            company.denied_methods.add(sim["denied"])
        if "known_products" in sim:
            company.known_products = set(sim["known_products"])
        if "error_next" in sim:
            mk_sim.state.set_faults(error_next=[dict(e) for e in sim["error_next"]])
        if "allowed_ips" in sim:
            company.allowed_ips = set(sim["allowed_ips"])
        if "html_next" in sim:
            mk_sim.state.set_faults(html_next=sim["html_next"])
        if sim.get("no_fiscal"):
            company.fiscal_register = False
            doc = sample_document(kind=DocumentKind.INVOICE_DOMESTIC, fiscalize=True)
    pub = RecordingPublisher()
    result = await processor(sqlite_engine, mk_client(mk_sim, **client_kw), pub).process(doc)
    assert isinstance(result, DocumentFailed), result
    assert reason in result.reason
    assert (result.code or "").startswith(code)
    assert not result.retryable
    assert MK_SECRET not in result.reason
    assert "nope" not in result.reason
    assert mk_sim.docs() == []
    assert pub.events == [result]


async def test_two_workers_on_the_same_documents_create_each_once(engine: AsyncEngine, mk_sim: MkSim) -> None:
    """As during a consumer-group rebalance: two replicas get the same requests at the same time."""
    mk_sim.state.set_faults(slow_store_seconds=0.05)
    docs = [
        sample_document(kind=DocumentKind.INVOICE_DOMESTIC, order_number=f"R-{i}", idempotency_key=f"r-{i}")
        for i in range(30)
    ]
    pub = RecordingPublisher()
    client = mk_client(mk_sim)
    first = processor(engine, client, pub)
    second = processor(engine, client, pub)
    second.owner = "other-replica"
    results = await asyncio.gather(*(p.process(d) for d in docs for p in (first, second)))
    assert all(isinstance(r, DocumentCreated) for r in results)
    assert sorted(d["buyer_order"] for d in mk_sim.docs()) == sorted(d.order_number for d in docs)
    assert mk_sim.state.calls["put_document"] == 30


@pytest.mark.parametrize(
    ("answer", "sleeps_at_least"),
    [
        ({"opr_code": "5", "opr_desc": "Quote exceeds"}, 30.0),
        ({"opr_code": "1", "opr_desc": "Unknown internal server error"}, 0.0),
    ],
    ids=["5 quote exceeds", "1 unknown internal error"],
)
async def test_documented_transient_codes_are_retried_and_create_once(
    sqlite_engine: AsyncEngine, mk_sim: MkSim, answer: dict[str, str], sleeps_at_least: float
) -> None:
    """opr_code 5 (too many requests) waits and retries, never a permanent business rule; 1 (unknown
    internal error) is retried after a look-up by reference: one document either way. (After code 1 the
    create may still land, so the key stays fenced for the landing grace — short here — before the
    look-up; the fake sleep yields for real so that the fence can pass.)"""
    mk_sim.state.set_faults(error_next=[dict(answer)])
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(min(seconds, 0.05))

    async def client_for(doc: Any) -> ErpClient:
        return mk_client(mk_sim)

    pub = RecordingPublisher()
    result = await DocumentProcessor(
        ledger=Ledger(sqlite_engine, lease_seconds=5, landing_grace_seconds=0.3),
        client_for=client_for,
        publisher=pub,
        owner="test",
        policy=AttemptPolicy(max_attempts=3, backoff_seconds=0.01, backoff_max_seconds=0.05),
        sleep=sleep,
    ).process(sample_document())
    assert isinstance(result, DocumentCreated), result
    assert len(mk_sim.docs()) == 1
    assert max(slept) >= sleeps_at_least  # the backoff after the refusal
    assert mk_sim.state.calls["put_document"] == 2  # the refused create and the one that stored
    if answer["opr_code"] == "1":  # it may have stored: looked up by reference before creating again
        assert mk_sim.state.calls["search"] + mk_sim.state.calls["get_document"] >= 1


async def test_a_create_is_never_sent_after_its_deadline(mk_sim: MkSim) -> None:
    """The fence of the ledger's deadline sits in httpx's request hook, right before sending."""
    client = mk_client(mk_sim)
    try:
        with send_deadline(time.time() - 0.001), pytest.raises(ErpUnavailable) as refused:
            await client.create_document(sample_document())
        assert mk_sim.state.calls["put_document"] == 0
        assert refused.value.code == "deadline"
        assert not isinstance(refused.value, ErpOutcomeUnknown)  # nothing can have been stored
        with send_deadline(time.time() + 30):
            await client.create_document(sample_document())
        assert mk_sim.state.calls["put_document"] == 1
    finally:
        await client.aclose()
