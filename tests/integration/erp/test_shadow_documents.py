"""Shadow mode at the ERP adapter (issue 16): a document mapped while its connection was in shadow
mode is never written to the ERP (the MetaKocka simulator's counters stay at zero, the ledger keeps
no trace), and the same document mapped after leaving shadow mode is created, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from storelink_contracts import DocumentKind, ErpSystem, TopicNames
from storelink_erp_metakocka.app import build
from storelink_erp_metakocka.settings import MetakockaSettings
from storelink_kit.publishing import EventPublisher
from storelink_kit.secrets import SecretBox
from storelink_kit.settings import KafkaSettings
from storelink_kit.testing.expect import ExpectedEvent, expect_events, read_topic
from storelink_kit.testing.samples import sample_company, sample_connection, sample_document

from ...support.erp import MK_COMPANY, MK_SECRET, MkSim

pytestmark = pytest.mark.kafka
ORDERS = 6


async def test_shadow_documents_never_reach_the_erp_and_leaving_shadow_sends(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    mk_sim: MkSim,
    kafka_bootstrap: str,
    tmp_path: Path,
) -> None:
    box = SecretBox([SecretBox.generate_key()])
    creds = box.encrypt_json({"company_id": MK_COMPANY, "secret_key": MK_SECRET})
    conn = sample_connection(
        connection_id="conn-mk",
        company=sample_company(erp=ErpSystem.METAKOCKA, erp_credentials_encrypted=creds),
        stock_sync=False,
        price_sync=False,
        shadow=True,
    )
    settings = MetakockaSettings(
        kafka=kafka_settings,
        base_url=mk_sim.base_url,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'mk.db'}",
        polling=False,
        request_timeout_seconds=5,
        attempt_backoff_seconds=0.05,
    )
    adapter = build(settings, box=box).core
    docs = [
        sample_document(
            connection_id="conn-mk",
            order_external_id=f"o-{i}",
            order_number=f"S-{i:04d}",
            idempotency_key=f"conn-mk:o-{i}:sales_order",
            kind=DocumentKind.SALES_ORDER,
        )
        for i in range(ORDERS)
    ]
    shadowed = [d.model_copy(update={"shadow": True}) for d in docs]
    await adapter.start_background()
    await adapter.broker.start()
    try:
        pub = EventPublisher(adapter.broker, topic_names, source="test")
        await pub.publish(conn)
        # each order: mapped twice in shadow mode, then once after leaving it (same key, same
        # partition, so the adapter has passed both shadow copies when the real one is answered)
        expected = [
            ExpectedEvent(
                type="storelink.document.created.v1",
                where=lambda r, key=d.idempotency_key: (
                    (r.event.idempotency_key, r.event.already_existed)  # type: ignore[attr-defined, misc]
                    == (key, False)
                ),
            )
            for d in docs
        ]
        async with expect_events(kafka_bootstrap, topic_names.document_results, expected, timeout=60):
            await pub.publish_many(
                [*((d, None) for d in shadowed), *((d, None) for d in shadowed), *((d, None) for d in docs)]
            )
        results = await read_topic(
            kafka_bootstrap, topic_names.document_results, until=lambda rs: len(rs) >= ORDERS, timeout=10
        )
    finally:
        await adapter.broker.stop()
        await adapter.stop_background()
    assert len(results) == ORDERS  # nothing answered for a shadow copy
    calls = mk_sim.state.stats()["calls"]
    assert calls.get("store_begun", 0) == ORDERS, calls  # one write per order: the one after shadow mode
    assert sorted(d["buyer_order"] for d in mk_sim.docs()) == sorted(d.order_number for d in docs)
