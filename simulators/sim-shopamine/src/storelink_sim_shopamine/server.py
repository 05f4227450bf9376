"""Run the simulator on 127.0.0.1 inside the current event loop (tests) or as a process."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import uvicorn

from storelink_sim_shopamine.app import make_app
from storelink_sim_shopamine.state import Sim


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def running(sim: Sim, port: int | None = None) -> AsyncIterator[str]:
    """Serve `sim` over real HTTP for the block; yields the base host (`http://127.0.0.1:PORT`)."""
    port = port or free_port()
    config = uvicorn.Config(make_app(sim), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
