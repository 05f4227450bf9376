"""Shop API failures, each classified once: retryable or not, and which verdict it means."""

from __future__ import annotations

from storelink_kit.errors import PermanentError, TransientError
from storelink_kit.verdicts import Verdict


class ShopError(Exception):
    """A shop API call failed. `verdict` says what it means for the connection."""

    verdict: Verdict = Verdict.UNREACHABLE

    def __init__(self, message: str, *, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body[:500]


class ShopUnavailable(ShopError, TransientError):
    """A timeout, a refused connection or a 5xx: worth retrying later."""

    verdict = Verdict.UNREACHABLE


class ShopRateLimited(ShopError, TransientError):
    """HTTP 429; `retry_after` is the shop's own hint in seconds, when it gave one."""

    verdict = Verdict.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = 429) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ConnectionPaused(ShopError, TransientError):
    """The circuit breaker has paused this connection after repeated failures."""

    verdict = Verdict.UNREACHABLE


class ShopAuthError(ShopError, PermanentError):
    """The shop refused the credentials (401)."""

    verdict = Verdict.WRONG_SECRET


class ShopForbidden(ShopError, PermanentError):
    """The credentials are valid but may not do this (403)."""

    verdict = Verdict.MISSING_PERMISSION


class ShopNotFound(ShopError, PermanentError):
    """The addressed shop or entity does not exist (404)."""

    verdict = Verdict.WRONG_ACCOUNT


class ShopRejected(ShopError, PermanentError):
    """The shop rejected the request as invalid (400/409/422): a bug or bad data, not worth a retry."""

    verdict = Verdict.INVALID_SETTINGS


class WebhookRejected(ValueError):
    """A webhook body that is not what the platform sends; the reason goes back in the 4xx."""

    def __init__(self, reason: str, status: int = 422) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
