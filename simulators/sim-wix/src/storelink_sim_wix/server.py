"""Serving the simulator over real HTTP: in-process for tests, or as its own process."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import uvicorn

from storelink_sim_wix.app import create_app
from storelink_sim_wix.state import WixSim


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serve_sim(sim: WixSim, port: int | None = None) -> AsyncIterator[str]:
    """Run the simulator on 127.0.0.1 inside the current event loop; yields its base URL."""
    port = port or free_port()
    config = uvicorn.Config(
        create_app(sim), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
