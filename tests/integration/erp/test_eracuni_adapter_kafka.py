"""The e-računi adapter end to end on a real broker: only its own ERP's documents, one result each,
invalid records dead-lettered while the rest goes on."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from storelink_contracts import DocumentKind, ErpSystem, TopicNames
from storelink_erp_eracuni.app import build
from storelink_erp_eracuni.settings import EracuniSettings
from storelink_kit.publishing import EventPublisher
from storelink_kit.secrets import SecretBox
from storelink_kit.settings import KafkaSettings
from storelink_kit.testing.expect import ExpectedEvent, expect_events, read_topic
from storelink_kit.testing.samples import sample_company, sample_connection, sample_document

from ...support.erp import ER_PASSWORD, ER_TOKEN, ER_USER, ErSim

pytestmark = pytest.mark.kafka


async def test_adapter_creates_its_own_erps_documents_once_and_dead_letters_garbage(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    er_sim: ErSim,
    kafka_bootstrap: str,
    tmp_path: Path,
) -> None:
    box = SecretBox([SecretBox.generate_key()])
    creds = box.encrypt_json({"username": ER_USER, "password": ER_PASSWORD, "token": ER_TOKEN})
    conn = sample_connection(
        connection_id="conn-er",
        company=sample_company(erp=ErpSystem.ERACUNI, erp_credentials_encrypted=creds),
        stock_sync=False,
        price_sync=False,
    )
    settings = EracuniSettings(
        kafka=kafka_settings,
        url=er_sim.api_url,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'er.db'}",
        polling=False,
        request_timeout_seconds=2,
        attempt_backoff_seconds=0.05,
        busy_backoff_seconds=0.05,
    )
    adapter = build(settings, box=box).core
    mine = [
        sample_document(
            erp=ErpSystem.ERACUNI,
            connection_id="conn-er",
            order_external_id=f"o-{i}",
            order_number=f"E-{i}",
            idempotency_key=f"conn-er:o-{i}:sales_order",
            kind=DocumentKind.SALES_ORDER,
        )
        for i in range(20)
    ]
    other = sample_document(erp=ErpSystem.METAKOCKA, connection_id="conn-mk", idempotency_key="mk-only")
    await adapter.start_background()
    await adapter.broker.start()
    try:
        pub = EventPublisher(adapter.broker, topic_names, source="test")
        await pub.publish(conn)
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(
                topic_names.documents,
                b"{not json",
                key=b"conn-er:bad",
                headers=[("ce_type", b"storelink.document.requested.v1")],
            )
        finally:
            await producer.stop()

        def result_for(key: str, replay: bool) -> ExpectedEvent:
            return ExpectedEvent(
                type="storelink.document.created.v1",
                where=lambda r: (r.event.idempotency_key, r.event.already_existed) == (key, replay),  # type: ignore[attr-defined]
            )

        # one new document per request; the 5 replayed requests are answered from the ledger
        expected = [result_for(d.idempotency_key, False) for d in mine]
        expected += [result_for(d.idempotency_key, True) for d in mine[:5]]
        async with expect_events(kafka_bootstrap, topic_names.document_results, expected, timeout=60):
            await pub.publish_many(
                [(other, None), *((d, None) for d in mine), *((d, None) for d in mine[:5])]
            )
        dead = await read_topic(
            kafka_bootstrap, topic_names.dlq("documents"), until=lambda rs: len(rs) >= 1, timeout=10
        )
    finally:
        await adapter.broker.stop()
        await adapter.stop_background()
    assert sorted(d["reference"] for d in er_sim.docs()) == sorted(d.order_number for d in mine)
    assert len(dead) == 1
    assert dead[0].key == "conn-er:bad"
    assert "missing CloudEvents headers" in dead[0].headers["dlq_error"]
