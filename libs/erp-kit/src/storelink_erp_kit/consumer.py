"""The consume loop for DocumentRequested, shared by every ERP adapter.

Records arrive in batches; records with the same key (one order) are processed in order, different
orders concurrently (bounded). The batch's offsets are committed only after every record of it has
a result on the results topic, so a crash replays the batch and the ledger makes the replay
harmless. Records that are not valid events go to the dead-letter topic with the reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from faststream.kafka.annotations import KafkaMessage

from storelink_contracts import DocumentRequested, EnvelopeError, ErpSystem, TopicNames, decode_event
from storelink_kit.broker import consumer_options
from storelink_kit.dead_letters import send_dead_letter
from storelink_kit.errors import PermanentError
from storelink_kit.settings import ServiceSettings

if TYPE_CHECKING:
    from aiokafka import ConsumerRecord
    from faststream.kafka import KafkaBroker

    from storelink_contracts import Envelope
    from storelink_erp_kit.processor import DocumentProcessor

log = logging.getLogger("storelink.erp.consumer")


class DocumentConsumer:
    def __init__(
        self,
        *,
        erp: ErpSystem,
        processor: DocumentProcessor,
        broker: KafkaBroker,
        service: str,
        max_concurrency: int = 16,
    ) -> None:
        self.erp = erp
        self.processor = processor
        self.broker = broker
        self.service = service
        self.semaphore = asyncio.Semaphore(max_concurrency)

    async def handle_records(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        groups: dict[bytes | None, list[tuple[Envelope, DocumentRequested]]] = defaultdict(list)
        for record in records:
            headers = {k: v for k, v in (record.headers or ())}
            try:
                envelope, event = decode_event(headers, record.value or b"")
            except EnvelopeError as exc:
                await send_dead_letter(
                    self.broker, record, PermanentError(str(exc)), service=self.service, attempts=1
                )
                continue
            if not isinstance(event, DocumentRequested) or event.erp is not self.erp:
                continue  # another ERP's document: its own adapter handles it
            if event.shadow:
                continue  # shadow mode: control records it as 'would send'; the ERP never sees it
            groups[record.key].append((envelope, event))
        await asyncio.gather(*(self._run_group(items) for items in groups.values()))

    async def _run_group(self, items: list[tuple[Envelope, DocumentRequested]]) -> None:
        async with self.semaphore:
            for envelope, doc in items:
                await self.processor.process(doc, caused_by=envelope)


def subscribe_documents(
    broker: KafkaBroker,
    consumer: DocumentConsumer,
    *,
    topics: TopicNames,
    settings: ServiceSettings,
    group_id: str | None = None,
    max_records: int = 200,
    session_timeout_ms: int = 10_000,
) -> Any:
    options = consumer_options(settings, group_id)
    subscriber = broker.subscriber(
        topics.documents,
        batch=True,
        max_records=max_records,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=max(1000, session_timeout_ms // 3),
        **options,
    )

    @subscriber  # type: ignore[untyped-decorator]
    async def on_documents(body: Any, message: KafkaMessage) -> None:
        raw = message.raw_message
        records = list(raw) if isinstance(raw, tuple | list) else [raw]
        await consumer.handle_records(records)

    return on_documents
