"""What an ERP adapter does with a batch of DocumentRequested, on the kit's one consume loop.

Records with the same key (one order) are processed in order, different orders concurrently
(bounded). The batch's new documents first, together (`DocumentProcessor.process_fresh`: a few
ledger transactions for all of them); whatever that leaves, one by one. The kit commits the batch
only after this returns, i.e. after every record of it has a result on the results topic; a crash
replays the batch and the ledger makes the replay harmless.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from storelink_contracts import DocumentRequested, ErpSystem, TopicNames
from storelink_kit.consuming import BatchConsumer, Received

if TYPE_CHECKING:
    from faststream.kafka import KafkaBroker

    from storelink_erp_kit.processor import DocumentProcessor

BATCH_WAIT_MS = 200


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
        self.semaphore = asyncio.Semaphore(max_concurrency)
        # another kind of event on the documents topic is not this adapter's business: skipped
        self.loop = BatchConsumer(
            broker, self.handle, kinds=(DocumentRequested,), service=service, strays="skip"
        )

    async def handle(self, batch: list[Received[DocumentRequested]]) -> None:
        groups: dict[bytes | None, list[Received[DocumentRequested]]] = defaultdict(list)
        for item in batch:
            if item.event.erp is not self.erp:
                continue  # another ERP's document: its own adapter handles it
            if item.event.shadow:
                continue  # shadow mode: control records it as 'would send'; the ERP never sees it
            groups[item.record.key].append(item)
        done = await self.processor.process_fresh(
            [[(item.event, item.envelope) for item in items] for items in groups.values()], self.semaphore
        )
        await asyncio.gather(
            *(
                self._run_group([item for item in items if id(item.event) not in done])
                for items in groups.values()
            )
        )

    async def _run_group(self, items: list[Received[DocumentRequested]]) -> None:
        async with self.semaphore:
            for item in items:
                await self.processor.process(item.event, caused_by=item.envelope)


def subscribe_documents(
    consumer: DocumentConsumer,
    *,
    topics: TopicNames,
    group_id: str,
    max_records: int = 200,
    session_timeout_ms: int = 10_000,
) -> Any:
    return consumer.loop.subscribe(
        topics.documents,
        group_id=group_id,
        max_records=max_records,
        batch_timeout_ms=BATCH_WAIT_MS,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=max(1000, session_timeout_ms // 3),
    )
