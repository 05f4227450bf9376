"""Control API latency: a settings change (DB transaction + Kafka publish with acks=all + commit)
against reads and against the bare HTTP round trip (/healthz) measured in the same run.

    .venv/bin/python bench/bench_control.py          # KAFKA_BOOTSTRAP_SERVERS, or a local broker
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import uvicorn

from storelink_contracts import TopicNames
from storelink_control.app import build as build_control
from storelink_control.settings import ControlSettings
from storelink_control.testers import TesterRegistry
from storelink_kit.admin import ensure_topics
from storelink_kit.secrets import SecretBox
from storelink_kit.settings import KafkaSettings
from storelink_kit.testing.kafka_broker import free_port, kafka_bootstrap_servers

N = 200


async def timed(label: str, n: int, call: Callable[[int], Awaitable[httpx.Response]]) -> float:
    samples: list[float] = []
    for i in range(n):
        start = time.perf_counter()
        response = await call(i)
        samples.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    samples.sort()
    p50 = statistics.median(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"{label:<34} n={n:<4} p50={p50:7.2f} ms  p95={p95:7.2f} ms  {1000 * n / sum(samples):7.1f} req/s")
    return p50


async def run(bootstrap: str) -> None:
    topics = TopicNames(prefix=f"bench{uuid.uuid4().hex[:8]}.")
    await ensure_topics(bootstrap, topics, partitions_override=1)
    operator = secrets.token_urlsafe(24)
    tmp = Path(tempfile.mkdtemp())
    settings = ControlSettings(
        database_url=f"sqlite+aiosqlite:///{tmp / 'bench.db'}",
        operator_token=operator,
        rate_limit="1000000/minute",
        kafka=KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=topics.prefix),
    )
    app = build_control(settings, testers=TesterRegistry(), box=SecretBox([SecretBox.generate_key()])).core
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    for _ in range(600):
        if server.started:
            break
        await asyncio.sleep(0.05)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {operator}"}
    ) as client:
        company = {"name": "Bench d.o.o.", "erp": "metakocka", "vat_id": "SI12345678"}
        (await client.post("/v1/tenants", json={"tenant_id": "bench", "company": company})).raise_for_status()
        body = {
            "platform": "wix",
            "credentials": {"api_key": "k" * 32, "site_id": str(uuid.uuid4())},
        }
        created = await client.post("/v1/tenants/bench/connections", json=body)
        cid = created.json()["connection"]["connection_id"]
        print(f"SQLite, Kafka at {bootstrap}, sequential requests over loopback HTTP")
        base = await timed("GET /healthz (baseline)", N, lambda i: client.get("/healthz"))
        read = await timed("GET /v1/connections/{id}", N, lambda i: client.get(f"/v1/connections/{cid}"))
        await timed("GET /v1/tenants", N, lambda i: client.get("/v1/tenants"))
        change = await timed(
            "PATCH /v1/connections/{id}",
            N,
            lambda i: client.patch(f"/v1/connections/{cid}", json={"polling_interval_seconds": 60 + i}),
        )
        print(f"read = {read / base:.1f}x baseline, settings change = {change / base:.1f}x baseline")
    server.should_exit = True
    await task


def main() -> None:
    with kafka_bootstrap_servers() as bootstrap:
        asyncio.run(run(bootstrap))


if __name__ == "__main__":
    main()
