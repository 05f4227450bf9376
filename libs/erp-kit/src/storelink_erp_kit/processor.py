"""One DocumentRequested → exactly one ERP document → DocumentCreated or DocumentFailed.

Order of steps per attempt: claim the ledger row (lease) → if a create may already have reached
the ERP (attempts > 0), look it up by reference → else raise `attempts` and create. Transient
failures are retried here with backoff; when they run out the row stays `pending` (so any later
replay looks up first) and a retryable DocumentFailed says what is wrong.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.exc import DBAPIError

from storelink_contracts import DocumentCreated, DocumentFailed, DocumentRequested, Envelope, Event
from storelink_erp_kit.client import ErpClient, ErpDocumentRef
from storelink_erp_kit.errors import ErpDuplicate, ErpError, ErpRejected, ErpUnavailable
from storelink_erp_kit.ledger import LeaseHeld, Ledger, State
from storelink_kit.errors import TransientError

log = logging.getLogger("storelink.erp.processor")


class ResultPublisher(Protocol):
    async def publish(
        self, event: Event, *, caused_by: Envelope | None = None, origin: str | None = None
    ) -> Envelope: ...


LEASE_POLL_SECONDS = 0.25

ClientFor = Callable[[DocumentRequested], Awaitable[ErpClient]]
"""Resolves the tenant's ERP client (credentials from its settings); raises ErpError if it cannot."""


@dataclass(frozen=True, slots=True)
class AttemptPolicy:
    max_attempts: int = 5
    backoff_seconds: float = 0.5
    backoff_max_seconds: float = 15.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        base = min(self.backoff_max_seconds, self.backoff_seconds * 2 ** (attempt - 1))
        jitter = random.uniform(0, self.backoff_seconds)  # noqa: S311 - not crypto
        return float(max(base + jitter, retry_after or 0.0))


class DocumentProcessor:
    def __init__(
        self,
        *,
        ledger: Ledger,
        client_for: ClientFor,
        publisher: ResultPublisher,
        owner: str,
        policy: AttemptPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.ledger = ledger
        self.client_for = client_for
        self.publisher = publisher
        self.owner = owner
        self.policy = policy or AttemptPolicy()
        self.sleep = sleep

    async def process(self, doc: DocumentRequested, caused_by: Envelope | None = None) -> Event:
        """Decide and publish the result. A ledger outage is a TransientError: the consume loop
        retries the batch and, if it persists, dead-letters it for replay (never a lost document)."""
        try:
            result = await self._decide(doc)
        except DBAPIError as exc:
            raise TransientError(f"the ledger database is unavailable: {type(exc.orig).__name__}") from exc
        await self.publisher.publish(result, caused_by=caused_by)
        return result

    async def _decide(self, doc: DocumentRequested) -> Event:
        key = doc.idempotency_key
        attempt = 0
        last: ErpError | None = None
        while attempt < self.policy.max_attempts:
            try:
                entry = await self.ledger.claim(doc, self.owner)
            except LeaseHeld as held:
                # another worker is on it: look again soon (it usually finishes long before its lease ends)
                await self.sleep(min(max(held.until - _now_ts(), 0.05), LEASE_POLL_SECONDS))
                continue
            if entry.state is State.CREATED:
                ref = entry.ref
                assert ref is not None
                return self._created(doc, ref, already_existed=True)
            attempt += 1
            try:
                client = await self.client_for(doc)
                ref = None
                if entry.attempts > 0:
                    ref = await client.find_document(doc)
                    if ref is not None:
                        log.info("document found by reference", extra={"idempotency_key": key})
                        await self.ledger.mark_created(key, ref)
                        return self._created(doc, ref, already_existed=True)
                related = await self._related(doc)
                await self.ledger.record_attempt(key, self.owner)
                try:
                    ref = await client.create_document(doc, related)
                except ErpDuplicate:
                    ref = await client.find_document(doc)
                    if ref is None:
                        raise ErpUnavailable(
                            "the ERP says the document exists but it cannot be found by its reference yet"
                        ) from None
                    await self.ledger.mark_created(key, ref)
                    return self._created(doc, ref, already_existed=True)
                await self.ledger.mark_created(key, ref)
                return self._created(doc, ref, already_existed=False)
            except ErpRejected as exc:
                await self.ledger.mark_failed(key, code=exc.code, reason=exc.reason)
                return self._failed(doc, exc, attempts=attempt, retryable=False)
            except ErpUnavailable as exc:
                last = exc
                await self.ledger.release(key, self.owner, error=exc.reason)
                if attempt < self.policy.max_attempts:
                    delay = self.policy.delay(attempt, exc.retry_after)
                    log.info(
                        "transient ERP failure, retrying",
                        extra={
                            "idempotency_key": key,
                            "attempt": attempt,
                            "delay": delay,
                            "error": exc.reason,
                        },
                    )
                    await self.sleep(delay)
        assert last is not None
        reason = (
            f"{last.reason}. Gave up after {attempt} attempts; the document stays pending and is looked up "
            "by its reference before any new create when the request is replayed."
        )
        return self._failed(doc, ErpUnavailable(reason, code=last.code), attempts=attempt, retryable=True)

    async def _related(self, doc: DocumentRequested) -> ErpDocumentRef | None:
        if not doc.refers_to:
            return None
        entry = await self.ledger.get(doc.refers_to)
        if entry is None or entry.state is not State.CREATED:
            raise ErpRejected(
                f"this document refers to {doc.refers_to!r}, which has not been created in the ERP "
                "(yet); create that document first"
            )
        return entry.ref

    def _created(
        self, doc: DocumentRequested, ref: ErpDocumentRef, *, already_existed: bool
    ) -> DocumentCreated:
        return DocumentCreated(
            tenant_id=doc.tenant_id,
            connection_id=doc.connection_id,
            idempotency_key=doc.idempotency_key,
            kind=doc.kind,
            erp=doc.erp,
            erp_document_id=ref.erp_id,
            erp_number=ref.number,
            fiscal=ref.fiscal,
            settings_version=doc.settings_version,
            order_external_id=doc.order_external_id,
            created_at=datetime.now(UTC),
            already_existed=already_existed,
        )

    def _failed(
        self, doc: DocumentRequested, exc: ErpError, *, attempts: int, retryable: bool
    ) -> DocumentFailed:
        return DocumentFailed(
            tenant_id=doc.tenant_id,
            connection_id=doc.connection_id,
            idempotency_key=doc.idempotency_key,
            kind=doc.kind,
            erp=doc.erp,
            order_external_id=doc.order_external_id,
            settings_version=doc.settings_version,
            reason=exc.reason,
            code=exc.code,
            retryable=retryable,
            attempts=max(attempts, 1),
            failed_at=datetime.now(UTC),
        )


def _now_ts() -> float:
    import time

    return time.time()
