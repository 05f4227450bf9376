"""The one outbound HTTP layer every platform module uses.

Per connection: a timeout on every call, the shop's rate limit kept exactly (`WindowRateLimiter`:
never more than the documented calls per window, paced), retries with exponential backoff and
jitter on timeouts / 5xx (tenacity), `Retry-After` honoured on 429 (it pauses the whole
connection), and a circuit breaker that pauses a connection that keeps failing. Non-retryable
answers (401, 403, 404, 4xx) become typed ShopErrors at once.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import orjson
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from storelink_connector_kit.breaker import BreakerReport, BreakerState, CircuitBreaker, Permit
from storelink_connector_kit.errors import (
    ConnectionPaused,
    ShopAuthError,
    ShopError,
    ShopForbidden,
    ShopNotFound,
    ShopRateLimited,
    ShopRejected,
    ShopUnavailable,
)
from storelink_connector_kit.ratelimit import WindowRateLimiter
from storelink_kit.observability import httpx_event_hooks, record_outbound
from storelink_kit.redact import redact_text
from storelink_kit.retrying import RetryAfterOr, parse_retry_after

log = logging.getLogger("storelink.connector.http")


@dataclass(frozen=True, slots=True)
class HttpPolicy:
    """How hard to try. Defaults suit a real shop; tests shrink the waits."""

    timeout_seconds: float = 20.0
    max_attempts: int = 6
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 120.0
    rate_per_minute: float = 200.0
    """Calls the shop allows per 60 s window (its documented limit; kept exactly, see ratelimit)."""
    rate_burst: int = 10
    """Calls that may go at once after a quiet spell; then one per 60 s / rate_per_minute."""
    rate_margin_seconds: float = 1.0
    """Added to the window: the shop counts arrivals, we count departures."""
    breaker_threshold: int = 5
    breaker_pause_seconds: float = 60.0


def _exact_decimal(value: Any) -> orjson.Fragment:
    """A Decimal as a JSON number token, fixed point, every digit kept (never through a float)."""
    if isinstance(value, Decimal) and value.is_finite():
        return orjson.Fragment(format(value, "f"))
    raise TypeError(f"cannot encode {value!r} ({type(value).__name__}) as JSON")


def dumps_exact(body: Any) -> bytes:
    """Compact UTF-8 JSON in which Decimals are numbers written digit for digit.

    orjson writes the number text itself (a Fragment), so no string in the body can ever be
    mistaken for a number, whatever it contains.
    """
    return orjson.dumps(body, default=_exact_decimal)


class ShopHttp:
    """An httpx client bound to one connection of one shop."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        connection_id: str,
        policy: HttpPolicy | None = None,
        on_breaker_change: Callable[[BreakerReport], None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        platform: str = "",
    ) -> None:
        self.policy = policy or HttpPolicy()
        self.connection_id = connection_id
        self.platform = platform
        self.limiter = WindowRateLimiter(
            max(1, math.floor(self.policy.rate_per_minute)),
            60.0,
            burst=self.policy.rate_burst,
            margin_seconds=self.policy.rate_margin_seconds,
        )
        self.breaker = CircuitBreaker(
            connection_id,
            failure_threshold=self.policy.breaker_threshold,
            pause_seconds=self.policy.breaker_pause_seconds,
            on_change=on_breaker_change,
        )
        self.client = httpx.AsyncClient(
            base_url=base_url,
            headers=dict(headers),
            timeout=self.policy.timeout_seconds,
            transport=transport,
            event_hooks=httpx_event_hooks(connection_id, platform),
        )
        self.calls = 0

    async def aclose(self) -> None:
        await self.client.aclose()

    async def request_json(
        self, method: str, path: str, *, json_body: Any = None, params: Mapping[str, str] | None = None
    ) -> Any:
        """One logical call (with its retries); the decoded JSON body (decimals as Decimal), `{}` if empty."""
        response = await self.request(method, path, json_body=json_body, params=params)
        if not response.content:
            return {}
        try:
            return json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise ShopUnavailable(
                f"{method} {path}: the shop answered {response.status_code} with a body that is not JSON",
                status=response.status_code,
            ) from None

    async def request(
        self, method: str, path: str, *, json_body: Any = None, params: Mapping[str, str] | None = None
    ) -> httpx.Response:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=RetryAfterOr(
                wait_random_exponential(multiplier=self.policy.backoff_initial, max=self.policy.backoff_max),
                cap=self.policy.max_retry_after,
            ),
            retry=retry_if_exception_type((ShopUnavailable, ShopRateLimited)),
            reraise=True,
        )
        permit = self.breaker.acquire()
        if permit is None:
            raise self._paused()
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, path, json_body, params, permit)
        except (ShopUnavailable, ShopRateLimited) as exc:
            if not isinstance(exc, ShopRateLimited):
                self.breaker.failure(str(exc))
            raise
        finally:
            self.breaker.release(permit)
        raise AssertionError("unreachable")  # pragma: no cover - tenacity re-raises or returns

    def _paused(self) -> ConnectionPaused:
        if self.breaker.state is BreakerState.HALF_OPEN:
            wait = "waits for the trial call that tests whether the shop is back"
        else:
            wait = f"is paused for {self.breaker.remaining_pause():.0f} s"
        return ConnectionPaused(
            f"connection {self.connection_id} {wait} after repeated failures: {self.breaker.last_reason}"
        )

    async def _once(
        self,
        method: str,
        path: str,
        json_body: Any,
        params: Mapping[str, str] | None,
        permit: Permit,
    ) -> httpx.Response:
        if not self.breaker.admits(permit):  # the breaker opened (or a trial began) since the last try
            raise self._paused()
        await self.limiter.acquire()
        self.calls += 1
        content = dumps_exact(json_body) if json_body is not None else None
        headers = {"content-type": "application/json"} if content is not None else None
        try:
            response = await self.client.request(
                method, path, content=content, params=params, headers=headers
            )
        except httpx.TimeoutException:
            record_outbound(self.connection_id, self.platform, None)
            raise ShopUnavailable(f"{method} {path}: the shop did not answer in time") from None
        except httpx.TransportError as exc:
            record_outbound(self.connection_id, self.platform, None)
            raise ShopUnavailable(f"{method} {path}: cannot reach the shop ({type(exc).__name__})") from None
        status = response.status_code
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if retry_after is not None:  # every caller of this connection waits, not just this one
                self.limiter.pause(min(retry_after, self.policy.max_retry_after))
        if status < 500 and status not in (408, 429):
            self.breaker.success()  # the shop answered; a 4xx is about the request, not an outage
        if status < 400:
            return response
        raise self._error_for(method, path, response)

    @staticmethod
    def _error_for(method: str, path: str, response: httpx.Response) -> ShopError:
        status = response.status_code
        body = redact_text(response.text[:500])
        what = f"{method} {path}: HTTP {status}"
        if status == 429:
            return ShopRateLimited(
                f"{what}: rate limited", retry_after=parse_retry_after(response.headers.get("retry-after"))
            )
        if status >= 500 or status == 408:
            return ShopUnavailable(f"{what}: the shop had a server error", status=status, body=body)
        if status == 401:
            return ShopAuthError(f"{what}: the shop refused the API key", status=status, body=body)
        if status == 403:
            return ShopForbidden(f"{what}: the key may not do this", status=status, body=body)
        if status == 404:
            return ShopNotFound(f"{what}: not found", status=status, body=body)
        return ShopRejected(f"{what}: the shop rejected the request: {body}", status=status, body=body)
