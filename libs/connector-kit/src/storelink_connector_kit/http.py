"""The one outbound HTTP layer every platform module uses.

Per connection: a timeout on every call, a rate limit (aiolimiter's leaky bucket), retries with
exponential backoff and jitter on timeouts / 5xx (tenacity), `Retry-After` honoured on 429, and a
circuit breaker that pauses a connection that keeps failing. Non-retryable answers (401, 403, 404,
4xx) become typed ShopErrors at once.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential
from tenacity.wait import wait_base

from storelink_connector_kit.breaker import BreakerReport, CircuitBreaker
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
from storelink_kit.observability import httpx_event_hooks, record_outbound
from storelink_kit.redact import redact_text

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
    breaker_threshold: int = 5
    breaker_pause_seconds: float = 60.0


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class _WaitRetryAfter(wait_base):
    """Retry-After when the shop gave one, else exponential backoff with full jitter."""

    def __init__(self, policy: HttpPolicy) -> None:
        self.fallback = wait_random_exponential(multiplier=policy.backoff_initial, max=policy.backoff_max)
        self.cap = policy.max_retry_after

    def __call__(self, retry_state: Any) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, ShopRateLimited) and exc.retry_after is not None:
            return min(exc.retry_after, self.cap)
        return float(self.fallback(retry_state))


_DECIMAL_MARK = "\u0000dec:"
_DECIMAL_RE = re.compile(r'"\\u0000dec:(-?\d+(?:\.\d+)?)"')


def dumps_exact(body: Any) -> bytes:
    """JSON where Decimals become JSON numbers digit for digit (never through a float)."""

    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return _DECIMAL_MARK + format(value, "f")
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")

    text = json.dumps(body, default=default, ensure_ascii=False, separators=(",", ":"))
    return _DECIMAL_RE.sub(lambda m: m.group(1), text).encode()


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
        self.limiter = AsyncLimiter(max(1.0, self.policy.rate_per_minute), 60.0)
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
            wait=_WaitRetryAfter(self.policy),
            retry=retry_if_exception_type((ShopUnavailable, ShopRateLimited)),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, path, json_body, params)
        except (ShopUnavailable, ShopRateLimited) as exc:
            if not isinstance(exc, ConnectionPaused | ShopRateLimited):
                self.breaker.failure(str(exc))
            raise
        raise AssertionError("unreachable")  # pragma: no cover - tenacity re-raises or returns

    async def _once(
        self, method: str, path: str, json_body: Any, params: Mapping[str, str] | None
    ) -> httpx.Response:
        if not self.breaker.allow():
            raise ConnectionPaused(
                f"connection {self.connection_id} is paused for {self.breaker.remaining_pause():.0f} s "
                f"after repeated failures: {self.breaker.last_reason}"
            )
        async with self.limiter:
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
                raise ShopUnavailable(
                    f"{method} {path}: cannot reach the shop ({type(exc).__name__})"
                ) from None
        status = response.status_code
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
