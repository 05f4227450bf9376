"""The Wix conformance suite: every documented example in tests/corpus/wix/ goes through OUR
parser/client AND through our simulator (storelink_sim_wix) over real HTTP.

The simulator must accept exactly what Wix documents and answer in the documented shapes, errors
included; where the docs are silent its behaviour is an ASSUMPTION listed in
storelink_connector_wix/assumptions.py, and the two copies of each assumed value must agree.

Here only what needs a broker, a process or real time; the rest:
tests/unit/vendor/wix/test_conformance.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import Response

from storelink_sim_wix import webhooks as sim_webhooks
from storelink_sim_wix.server import free_port

# ------------------------------------------------------------------ webhooks (item 8)


def receiver(answers: list[int | None], release: asyncio.Event | None = None) -> FastAPI:
    """A webhook receiver answering the given statuses in turn; None = no answer until `release`."""
    app = FastAPI()
    release = release or asyncio.Event()

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        await request.body()
        status = answers.pop(0) if answers else 200
        if status is None:
            await release.wait()  # hangs: deterministic, whatever the machine's speed
        return Response(status_code=status or 200)

    return app


async def serve(app: FastAPI) -> AsyncIterator[str]:
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        server.should_exit = True
        await task


@pytest.mark.slow  # real-time windows or volume: in `make test`, not the fast level
async def test_item8_an_answer_later_than_1250_ms_is_a_failure() -> None:
    release = asyncio.Event()
    async for url in serve(receiver([None], release)):
        delivery = await sim_webhooks.deliver(url, {}, resend_after=())
        release.set()  # the receiver answers only now, long after Wix gave up
    assert delivery.outcomes == ["timeout"]
    assert not delivery.delivered
