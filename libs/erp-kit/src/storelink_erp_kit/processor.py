"""One DocumentRequested → exactly one ERP document → DocumentCreated or DocumentFailed.

Order of steps per attempt: claim the ledger row (lease) → if a create may already have reached
the ERP (attempts > 0), look it up by reference → else raise `attempts` and create. Transient
failures are retried here (tenacity; the ERP's Retry-After, else backoff); when they run out the
row stays `pending` (so any later replay looks up first) and a retryable DocumentFailed says what
is wrong.

The create is fenced by the deadline the ledger recorded with the attempt: not sent after it
(httpx request hook), abandoned at it. The ledger lets nobody claim the key again until that
deadline plus a grace has passed, so the lookup of the next attempt cannot miss a create that
is still on its way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import takewhile
from typing import Any, Protocol

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_base

from storelink_contracts import (
    DocumentCreated,
    DocumentFailed,
    DocumentKind,
    DocumentRequested,
    Envelope,
    Event,
)
from storelink_erp_kit.client import ErpClient, ErpDocumentRef
from storelink_erp_kit.errors import ErpDuplicate, ErpError, ErpOutcomeUnknown, ErpRejected, ErpUnavailable
from storelink_erp_kit.http import send_deadline
from storelink_erp_kit.ledger import LeaseHeld, LeaseLost, Ledger, LedgerEntry, State
from storelink_kit.errors import TransientError
from storelink_kit.retrying import RetryAfterOr, backoff

log = logging.getLogger("storelink.erp.processor")


class ResultPublisher(Protocol):
    async def publish(
        self, event: Event, *, caused_by: Envelope | None = None, origin: str | None = None
    ) -> Envelope: ...


LEASE_POLL_SECONDS = 0.25

ClientFor = Callable[[DocumentRequested], Awaitable[ErpClient]]
"""Resolves the tenant's ERP client (credentials from its settings); raises ErpError if it cannot."""


def _echoed(doc: DocumentRequested) -> dict[str, Any]:
    """What a result repeats of its request, so that control and the shop can file it."""
    return {
        "tenant_id": doc.tenant_id,
        "connection_id": doc.connection_id,
        "idempotency_key": doc.idempotency_key,
        "kind": doc.kind,
        "erp": doc.erp,
        "order_external_id": doc.order_external_id,
        "settings_version": doc.settings_version,
    }


@dataclass(frozen=True, slots=True)
class AttemptPolicy:
    """How often, and how patiently, a document is tried before a retryable DocumentFailed."""

    max_attempts: int = 5
    backoff_seconds: float = 0.5
    backoff_max_seconds: float = 15.0
    max_retry_after_seconds: float = 120.0
    """The longest wait an ERP's own Retry-After hint gets (a longer hint is cut to this)."""

    def wait(self) -> wait_base:
        """Between attempts: the ERP's Retry-After when it gave one, else exponential backoff + jitter."""
        return RetryAfterOr(
            backoff(self.backoff_seconds, self.backoff_max_seconds), cap=self.max_retry_after_seconds
        )


@dataclass(kw_only=True, eq=False)
class DocumentProcessor:
    ledger: Ledger
    client_for: ClientFor
    publisher: ResultPublisher
    owner: str
    policy: AttemptPolicy = field(default_factory=AttemptPolicy)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def process(self, doc: DocumentRequested, caused_by: Envelope | None = None) -> Event:
        """Decide and publish the result. A ledger outage is a TransientError: the consume loop
        retries the batch and, if it persists, dead-letters it for replay (never a lost document)."""
        try:
            result = await self._decide(doc)
        except DBAPIError as exc:
            raise TransientError(f"the ledger database is unavailable: {type(exc.orig).__name__}") from exc
        except PoolTimeout as exc:  # every connection busy for the pool's timeout: try again later
            raise TransientError("the ledger database has no free connection") from exc
        await self.publisher.publish(result, caused_by=caused_by)
        return result

    async def process_fresh(
        self,
        groups: Sequence[Sequence[tuple[DocumentRequested, Envelope | None]]],
        limit: asyncio.Semaphore,
    ) -> set[int]:
        """The common case of a batch in a few transactions instead of several per document.

        Documents the ledger has never seen and that refer to no other (per group, the run of them
        its order starts with) are claimed with their first attempt recorded in one transaction
        (`Ledger.claim_fresh`), created concurrently (at most `limit` at a time) under the recorded
        deadline, marked created in one transaction, and their results published. The same fence
        and lease as one by one: a create is only sent after its attempt is stored. A document whose
        create does not end in a created one gives its lease back (as `_try` does) and is left to
        `process`, which looks it up before creating again. Returns the `id()`s of the events done.
        """
        candidates = [list(takewhile(lambda item: not item[0].refers_to, group)) for group in groups]
        caused = {id(doc): caused_by for group in candidates for doc, caused_by in group}
        if not caused:
            return set()
        try:
            deadline, claimed = await self.ledger.claim_fresh(
                [[doc for doc, _ in group] for group in candidates], self.owner
            )
        except DBAPIError as exc:
            raise TransientError(f"the ledger database is unavailable: {type(exc.orig).__name__}") from exc

        async def create(doc: DocumentRequested) -> ErpDocumentRef | None:
            async with limit:
                return await self._create_claimed(doc, deadline)

        refs = await asyncio.gather(*(create(doc) for doc in claimed))
        created = [(doc, ref) for doc, ref in zip(claimed, refs, strict=True) if ref is not None]
        await self.ledger.mark_created_many([(doc.idempotency_key, ref) for doc, ref in created])
        await asyncio.gather(
            *(
                self.publisher.publish(
                    self._created(doc, ref, already_existed=False), caused_by=caused[id(doc)]
                )
                for doc, ref in created
            )
        )
        return {id(doc) for doc, _ in created}

    async def _create_claimed(self, doc: DocumentRequested, deadline: float) -> ErpDocumentRef | None:
        """The create of a document claimed with its attempt recorded; None (the lease given back,
        fenced when the create may have landed) when it did not end in a created document."""
        try:
            client = await self.client_for(doc)
            return await _create_before(deadline, client, doc, None)
        except ErpError as exc:
            await self.ledger.release(
                doc.idempotency_key,
                self.owner,
                error=exc.reason,
                create_may_land=isinstance(exc, ErpOutcomeUnknown),
            )
            return None

    async def _decide(self, doc: DocumentRequested) -> Event:
        """Try until decided. An ERP outage is retried (tenacity); when the attempts run out the row
        stays pending and a retryable DocumentFailed says what is wrong."""
        attempts = 0

        async def once() -> Event:
            nonlocal attempts
            attempts += 1
            return await self._try(doc, attempts)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=self.policy.wait(),
            retry=retry_if_exception_type(ErpUnavailable),
            sleep=self.sleep,
            before_sleep=_log_retry(doc.idempotency_key),
            reraise=True,
        )
        try:
            return await retrying(once)
        except ErpUnavailable as last:
            reason = (
                f"{last.reason}. Gave up after {attempts} attempts; the document stays pending and is looked "
                "up by its reference before any new create when the request is replayed."
            )
            return self._failed(
                doc, ErpUnavailable(reason, code=last.code), attempts=attempts, retryable=True
            )

    async def _try(self, doc: DocumentRequested, attempt: int) -> Event:
        """Attempt number `attempt`: wait for the key's lease, then decide under it. Raises
        ErpUnavailable (the row released first, for whoever tries next) when it is worth another try."""
        key = doc.idempotency_key
        while True:
            try:
                entry = await self.ledger.claim(doc, self.owner)
            except LeaseHeld as held:
                # another worker is on it (it usually finishes long before its lease ends): look
                # again soon; only the last create's fence: wait until it has passed
                wait = max(held.until - time.time(), 0.05)
                await self.sleep(min(wait, LEASE_POLL_SECONDS) if held.may_end_sooner else wait)
                continue
            if entry.state is State.CREATED:
                ref = entry.ref
                assert ref is not None
                return self._created(doc, ref, already_existed=True)
            try:
                return await self._attempt(doc, entry)
            except LeaseLost:
                continue  # another worker took the key over during the lookup: it decides now
            except ErpRejected as exc:
                await self.ledger.mark_failed(key, code=exc.code, reason=exc.reason)
                return self._failed(doc, exc, attempts=attempt, retryable=False)
            except ErpUnavailable as exc:
                await self.ledger.release(
                    key, self.owner, error=exc.reason, create_may_land=isinstance(exc, ErpOutcomeUnknown)
                )
                raise

    async def _attempt(self, doc: DocumentRequested, entry: LedgerEntry) -> Event:
        """One attempt under the lease: look up when a create may have landed, else create (fenced)."""
        key = doc.idempotency_key
        client = await self.client_for(doc)
        if entry.attempts > 0:
            found = await client.find_document(doc)
            if found is not None:
                log.info("document found by reference", extra={"idempotency_key": key})
                await self.ledger.mark_created(key, found)
                return self._created(doc, found, already_existed=True)
        related = await self._related(doc, client)
        deadline = await self.ledger.record_attempt(key, self.owner)
        try:
            ref = await _create_before(deadline, client, doc, related)
        except ErpDuplicate:
            existing = await client.find_document(doc)
            if existing is None:
                raise ErpUnavailable(
                    "the ERP says the document exists but it cannot be found by its reference yet"
                ) from None
            await self.ledger.mark_created(key, existing)
            return self._created(doc, existing, already_existed=True)
        await self.ledger.mark_created(key, ref)
        return self._created(doc, ref, already_existed=False)

    async def _related(self, doc: DocumentRequested, client: ErpClient) -> ErpDocumentRef | None:
        """The document this one cancels, credits or (an invoice) is made from, by the ledger's state
        of it. A cancellation or credit note cannot be made without it. An invoice is made on its own
        when its sales order failed permanently or was never requested; while the sales order is
        still pending (in flight, or retrying), an invoice the ERP makes FROM it waits (a transient
        failure: retried here, then a retryable DocumentFailed) rather than leave the order
        un-invoiced beside a standalone invoice."""
        if not doc.refers_to:
            return None
        entry = await self.ledger.get(doc.refers_to)
        if entry is not None and entry.state is State.CREATED:
            return entry.ref
        if doc.kind in (DocumentKind.CANCELLATION, DocumentKind.CREDIT_NOTE):
            raise ErpRejected(
                f"this document refers to {doc.refers_to!r}, which has not been created in the ERP "
                "(yet); create that document first"
            )
        if entry is not None and entry.state is State.PENDING and client.invoices_made_from_sales_orders:
            raise ErpUnavailable(
                f"the sales order of order {doc.order_number} ({doc.refers_to!r}) is still being created in "
                "the ERP; the invoice waits for it so that it is made from that sales order",
                code="sales_order_pending",
            )
        return None

    def _created(
        self, doc: DocumentRequested, ref: ErpDocumentRef, *, already_existed: bool
    ) -> DocumentCreated:
        return DocumentCreated(
            **_echoed(doc),
            erp_document_id=ref.erp_id,
            erp_number=ref.number,
            fiscal=ref.fiscal,
            created_at=datetime.now(UTC),
            already_existed=already_existed,
        )

    def _failed(
        self, doc: DocumentRequested, exc: ErpError, *, attempts: int, retryable: bool
    ) -> DocumentFailed:
        return DocumentFailed(
            **_echoed(doc),
            reason=exc.reason,
            code=exc.code,
            retryable=retryable,
            attempts=max(attempts, 1),
            failed_at=datetime.now(UTC),
        )


async def _create_before(
    deadline: float, client: ErpClient, doc: DocumentRequested, related: ErpDocumentRef | None
) -> ErpDocumentRef:
    """The create, never sent after `deadline` and abandoned when it is reached unanswered."""
    with send_deadline(deadline):
        try:
            async with asyncio.timeout(max(0.0, deadline - time.time())):
                return await client.create_document(doc, related)
        except TimeoutError:
            raise ErpOutcomeUnknown(
                "the ERP did not answer the create before its deadline; the document may have been stored",
                code="deadline",
            ) from None


def _log_retry(key: str) -> Callable[[RetryCallState], None]:
    """Before each wait: which document, which attempt failed, why, and how long until the next."""

    def log_it(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        log.info(
            "transient ERP failure, retrying",
            extra={
                "idempotency_key": key,
                "attempt": state.attempt_number,
                "delay": state.upcoming_sleep,
                "error": getattr(error, "reason", str(error)),
            },
        )

    return log_it
