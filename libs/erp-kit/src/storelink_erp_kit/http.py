"""One HTTP call to an ERP, with transport failures turned into the ERP error classes.

`writes=True` marks a call that may store something: a timeout or 5xx after sending it means the
outcome is unknown (look it up before creating again), not merely "unavailable".

A create runs under a send deadline (`send_deadline`, set by the processor from the ledger): an
httpx request hook (`fenced`) refuses to send any request of it after that time, so a starved or
paused worker can never send a create after another worker was allowed to look it up and create.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

import httpx

from storelink_erp_kit.errors import ErpOutcomeUnknown, ErpUnavailable
from storelink_kit.retrying import parse_retry_after

_send_deadline: ContextVar[float | None] = ContextVar("storelink_erp_send_deadline", default=None)


@contextlib.contextmanager
def send_deadline(deadline: float) -> Iterator[None]:
    """Requests made inside (same task) are not sent after `deadline` (wall-clock seconds)."""
    token = _send_deadline.set(deadline)
    try:
        yield
    finally:
        _send_deadline.reset(token)


async def refuse_late_send(request: httpx.Request) -> None:
    """httpx request hook: runs right before the request goes to the transport."""
    deadline = _send_deadline.get()
    if deadline is not None and time.time() > deadline:
        raise ErpUnavailable(
            f"the request to {request.url.host} was not sent: its deadline had passed "
            "(nothing was stored; the document is looked up before it is created again)",
            code="deadline",
        )


def fenced(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The client with `refuse_late_send` among its request hooks (httpx's public event hooks)."""
    hooks = client.event_hooks
    if refuse_late_send not in hooks["request"]:
        client.event_hooks = {**hooks, "request": [*hooks["request"], refuse_late_send]}
    return client


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    *,
    erp_name: str,
    timeout: float,
    writes: bool,
    dumps: Callable[[Any], str] = json.dumps,
    loads: Callable[[str], Any] = json.loads,
) -> tuple[httpx.Response, Any | None]:
    """(response, parsed JSON or None when the body is not JSON). Raises ErpUnavailable/ErpOutcomeUnknown.

    `dumps`/`loads` let an ERP whose JSON carries exact decimals write and read them as Decimal."""
    host = urlsplit(url).netloc
    unknown = ErpOutcomeUnknown if writes else ErpUnavailable
    try:
        response = await client.post(
            url, content=dumps(body), timeout=timeout, headers={"content-type": "application/json"}
        )
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise ErpUnavailable(
            f"{erp_name} cannot be reached at {host} ({type(exc).__name__})", code="unreachable"
        ) from None
    except httpx.TimeoutException:
        raise unknown(
            f"{erp_name} did not answer within {timeout:g} s"
            + ("; the document may have been stored" if writes else ""),
            code="timeout",
        ) from None
    except httpx.TransportError as exc:
        raise unknown(
            f"the connection to {erp_name} broke ({type(exc).__name__})", code="transport"
        ) from None
    if response.status_code == 429:
        raise ErpUnavailable(
            f"{erp_name} is rate limiting requests (HTTP 429)",
            code="429",
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    try:
        data = loads(response.text)
    except ValueError:
        data = None
    if data is None and response.status_code >= 500:
        raise unknown(f"{erp_name} failed with HTTP {response.status_code}", code=str(response.status_code))
    return response, data
