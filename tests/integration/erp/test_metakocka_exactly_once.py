"""1,000 documents, 10 % of creates losing their answer after MetaKocka stored them, and the
adapter process killed (SIGKILL) and restarted mid-run: every document exists exactly once.

Real parts: the Kafka broker, the adapter as its own process, the simulator over HTTP, and the
ledger on SQLite and on PostgreSQL. Most documents are invoices, for which MetaKocka enforces no
uniqueness, so a duplicate create would show up as a second document.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import pytest

from storelink_contracts import (
    DocumentCreated,
    DocumentFailed,
    DocumentKind,
    ErpSystem,
    TopicNames,
)
from storelink_kit.broker import make_broker
from storelink_kit.publishing import EventPublisher
from storelink_kit.secrets import SecretBox
from storelink_kit.settings import KafkaSettings, ServiceSettings
from storelink_kit.testing.expect import read_topic
from storelink_kit.testing.samples import sample_company, sample_connection, sample_document

from ...support.erp import MK_COMPANY, MK_SECRET, MkSim
from .adapter_process import AdapterProcess

pytestmark = pytest.mark.kafka
N = 1000


async def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@pytest.mark.timeout(1500)  # generous: a loaded machine is slow, the waits inside end on conditions
async def test_thousand_documents_exactly_once_through_kill_and_restart(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    mk_sim: MkSim,
    database_url: str,
    tmp_path: Path,
) -> None:
    secret_key = SecretBox.generate_key()
    box = SecretBox([secret_key])
    creds = box.encrypt_json({"company_id": MK_COMPANY, "secret_key": MK_SECRET})
    conn = sample_connection(
        connection_id="conn-mk",
        company=sample_company(erp=ErpSystem.METAKOCKA, erp_credentials_encrypted=creds),
        stock_sync=False,
        price_sync=False,
    )
    docs = []
    for i in range(N):
        kind = DocumentKind.SALES_ORDER if i % 10 == 0 else DocumentKind.INVOICE_DOMESTIC
        docs.append(
            sample_document(
                connection_id="conn-mk",
                order_external_id=f"ord-{i}",
                order_number=f"SO-{i:05d}",
                idempotency_key=f"conn-mk:ord-{i}:{kind.value}",
                kind=kind,
            )
        )
    broker = make_broker(
        ServiceSettings(service_name="test-producer", kafka=kafka_settings), dead_letters=False
    )
    await broker.start()
    try:
        pub = EventPublisher(broker, topic_names, source="test")
        await pub.publish(conn)
        await pub.publish_many((d, None) for d in docs)
    finally:
        await broker.stop()

    mk_sim.state.set_faults(hang_after_store_every=10, hang_seconds=2.0)  # every 10th answer is lost
    env = {
        "STORELINK_SECRET_KEY": secret_key,
        "STORELINK_KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
        "STORELINK_KAFKA_TOPIC_PREFIX": topic_names.prefix,
        "STORELINK_ERP_METAKOCKA_DATABASE_URL": database_url,
        "STORELINK_ERP_METAKOCKA_BASE_URL": mk_sim.base_url,
        "STORELINK_ERP_METAKOCKA_REQUEST_TIMEOUT_SECONDS": "0.5",
        "STORELINK_ERP_METAKOCKA_LEASE_SECONDS": "3",
        "STORELINK_ERP_METAKOCKA_CREATE_WINDOW_SECONDS": "1",
        "STORELINK_ERP_METAKOCKA_LANDING_GRACE_SECONDS": "2",
        "STORELINK_ERP_METAKOCKA_ATTEMPT_BACKOFF_SECONDS": "0.05",
        "STORELINK_ERP_METAKOCKA_MAX_ATTEMPTS": "8",
        "STORELINK_ERP_METAKOCKA_MAX_CONCURRENCY": "32",
        "STORELINK_ERP_METAKOCKA_POLLING": "false",
        "STORELINK_ERP_METAKOCKA_SESSION_TIMEOUT_MS": "6000",
        "STORELINK_ERP_METAKOCKA_LOG_LEVEL": "WARNING",
    }
    adapter = AdapterProcess("storelink_erp_metakocka", env, tmp_path / "adapter.log")
    adapter.start()
    try:
        await wait_for(lambda: len(mk_sim.docs()) >= N * 4 // 10 or not adapter.alive, 400, "the first 40 %")
        assert adapter.alive, (tmp_path / "adapter.log").read_text()[-3000:]
        adapter.kill()
        stored_at_kill = len(mk_sim.docs())
        adapter.start()
        wanted = {d.idempotency_key for d in docs}

        def all_answered(records: list) -> bool:  # type: ignore[type-arg]
            keys = {r.event.idempotency_key for r in records}  # type: ignore[attr-defined]
            return wanted <= keys

        records = await read_topic(
            kafka_settings.bootstrap_servers, topic_names.document_results, until=all_answered, timeout=600
        )
    finally:
        adapter.stop()

    results = [r.event for r in records]
    failed = [e for e in results if isinstance(e, DocumentFailed)]
    created = {e.idempotency_key for e in results if isinstance(e, DocumentCreated)}
    assert failed == [], failed[:3]
    assert created == wanted
    per_order = Counter(d["buyer_order"] for d in mk_sim.docs())
    duplicates = {k: v for k, v in per_order.items() if v != 1}
    assert duplicates == {}
    assert len(mk_sim.docs()) == N
    assert N * 4 // 10 <= stored_at_kill < N
    assert mk_sim.state.calls["answers_lost"] == N // 10  # the fault really happened, every 10th store
    lookups = mk_sim.state.calls["search"] + mk_sim.state.calls["get_document"]
    assert lookups >= mk_sim.state.calls["answers_lost"] // 2
    found = [e for e in results if isinstance(e, DocumentCreated) and e.already_existed]
    assert found  # some were adopted by lookup instead of being created again
