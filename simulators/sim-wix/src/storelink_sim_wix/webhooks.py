"""How Wix delivers a webhook, as documented: the simulator's sender, for tests of a receiver.

[V WEBHOOKS] https://dev.wix.com/docs/rest/articles/getting-started/webhook-resend-policy (read
2026-12-01) and github:wix-incubator/wix-rest-docs `guides/Webhooks.md`: a delivery fails on a
1250 ms timeout or on any answer but 200; up to 12 more attempts follow, each a documented time after
the previous failure; resends can arrive after later webhooks (out of order). ASSUMPTION
(storelink_connector_wix.assumptions.WEBHOOK_RESEND_AFTER_SECONDS): Automations "Send via webhook"
posts follow the same policy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

DEADLINE_SECONDS = 1.25
RESEND_AFTER_SECONDS: tuple[int, ...] = (
    60,
    600,
    3600,
    7200,
    7200,
    7200,
    14400,
    14400,
    14400,
    28800,
    28800,
    43200,
)


@dataclass(slots=True)
class Delivery:
    """What happened to one webhook: each attempt's outcome, and the waits between them."""

    outcomes: list[str] = field(default_factory=list)
    """Per attempt: "200", another status such as "503", or "timeout"."""
    waits: list[float] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return bool(self.outcomes) and self.outcomes[-1] == "200"


async def deliver(
    url: str,
    body: Any,
    *,
    deadline: float = DEADLINE_SECONDS,
    resend_after: Sequence[float] = RESEND_AFTER_SECONDS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Delivery:
    """POST `body` as Wix would; `sleep` is injectable so a test need not wait 2.3 days."""
    delivery = Delivery()
    async with httpx.AsyncClient(timeout=deadline) as client:
        for attempt in range(len(resend_after) + 1):
            if attempt:
                wait = resend_after[attempt - 1]
                delivery.waits.append(wait)
                await sleep(wait)
            delivery.outcomes.append(await _attempt(client, url, body, deadline))
            if delivery.delivered:
                return delivery
    return delivery


async def _attempt(client: httpx.AsyncClient, url: str, body: Any, deadline: float) -> str:
    """One POST, with the whole answer due within `deadline` seconds."""
    try:
        async with asyncio.timeout(deadline):
            response = await client.post(url, json=body)
    except TimeoutError:
        return "timeout"
    except httpx.TransportError as exc:
        return type(exc).__name__
    return str(response.status_code)
