"""ERP adapter throughput: documents per second into the MetaKocka simulator.

Baseline (same run): bare `put_document` calls without the ledger. Then the full processor
(ledger row before the call, lease, write-ahead attempt, result) on SQLite and on PostgreSQL, one
document at a time (`process`, 16 in flight) and a consumer batch at a time (`process_fresh`, the
batch's new documents in a few transactions, 16 creates in flight). Prints figures; not pass/fail.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from storelink_contracts import DocumentKind, Envelope, Event
from storelink_erp_kit.client import ErpClient
from storelink_erp_kit.database import migrate
from storelink_erp_kit.ledger import Ledger
from storelink_erp_kit.processor import DocumentProcessor
from storelink_erp_kit.testing.server import serve_in_thread
from storelink_erp_metakocka.client import MetakockaClient
from storelink_kit.database import make_engine
from storelink_kit.testing.postgres import PostgresNotAvailable, throwaway_postgres
from storelink_kit.testing.samples import sample_document
from storelink_sim_metakocka.app import create_app
from storelink_sim_metakocka.state import SimState

N = 400
CONCURRENCY = 16
BATCH = 200


class NullPublisher:
    async def publish(
        self, event: Event, *, caused_by: Envelope | None = None, origin: str | None = None
    ) -> Envelope:
        return Envelope.for_event(event, source="bench")


def documents(tag: str) -> list[Any]:
    return [
        sample_document(
            kind=DocumentKind.INVOICE_DOMESTIC,
            order_number=f"{tag}-{i}",
            idempotency_key=f"{tag}-{i}",
            order_external_id=f"{tag}-{i}",
        )
        for i in range(N)
    ]


async def run_bounded(jobs: list[Any]) -> float:
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one(job: Any) -> None:
        async with sem:
            await job()

    start = time.perf_counter()
    await asyncio.gather(*(one(j) for j in jobs))
    return time.perf_counter() - start


async def bench_baseline(base_url: str) -> float:
    client = MetakockaClient(company_id="16", secret_key="s", base_url=base_url)
    docs = documents("base")
    took = await run_bounded([lambda d=d: client.create_document(d) for d in docs])
    await client.aclose()
    return took


async def bench_processor(base_url: str, db_url: str, tag: str, *, batches: bool = False) -> float:
    engine = make_engine(db_url)
    await migrate(engine)
    client = MetakockaClient(company_id="16", secret_key="s", base_url=base_url)

    async def client_for(doc: Any) -> ErpClient:
        return client

    proc = DocumentProcessor(
        ledger=Ledger(engine), client_for=client_for, publisher=NullPublisher(), owner="bench"
    )
    docs = documents(tag)
    if batches:
        limit = asyncio.Semaphore(CONCURRENCY)
        start = time.perf_counter()
        for i in range(0, N, BATCH):
            done = await proc.process_fresh([[(d, None)] for d in docs[i : i + BATCH]], limit)
            assert len(done) == len(docs[i : i + BATCH])
        took = time.perf_counter() - start
    else:
        took = await run_bounded([lambda d=d: proc.process(d) for d in docs])
    await client.aclose()
    await engine.dispose()
    return took


def report(name: str, seconds: float, baseline: float) -> None:
    rate, per_doc, factor = N / seconds, 1000 * seconds / N, seconds / baseline
    print(f"{name:<32} {rate:8.0f} docs/s   {per_doc:6.2f} ms/doc   x{factor:4.2f} of baseline")


def main() -> None:
    state = SimState()
    state.add_company("16", "s")
    with serve_in_thread(create_app(state), lifespan="off") as url, tempfile.TemporaryDirectory() as tmp:
        base_url = url + "/rest/eshop/"
        print(f"{N} invoices, {CONCURRENCY} in flight, MetaKocka simulator over HTTP")
        baseline = asyncio.run(bench_baseline(base_url))
        report("baseline: bare put_document", baseline, baseline)
        runs = 1
        sqlite = f"sqlite+aiosqlite:///{Path(tmp) / 'b.db'}"
        for batches, how in ((False, "one by one"), (True, f"batches of {BATCH}")):
            took = asyncio.run(bench_processor(base_url, sqlite, f"sq{batches:d}", batches=batches))
            report(f"ledger SQLite, {how}", took, baseline)
            runs += 1
        try:
            with throwaway_postgres() as pg:
                for batches, how in ((False, "one by one"), (True, f"batches of {BATCH}")):
                    took = asyncio.run(bench_processor(base_url, pg, f"pg{batches:d}", batches=batches))
                    report(f"ledger PostgreSQL, {how}", took, baseline)
                    runs += 1
        except PostgresNotAvailable as exc:
            print(f"PostgreSQL skipped: {exc}")
        print(f"documents stored: {len(state.documents['16'])} (expected {runs * N})")


if __name__ == "__main__":
    main()
