"""ERP failures, classified by what the adapter may do next.

The one distinction that matters for exactly-once creation: did the ERP possibly store the
document? `ErpRejected` means certainly not (fail with a reason); `ErpUnavailable` means it was
never sent or certainly not stored (retry); `ErpOutcomeUnknown` means it may have been stored (look
it up by its reference before any new create).
"""

from __future__ import annotations

from storelink_kit.errors import PermanentError, TransientError


class ErpError(Exception):
    """Base: `reason` is written for a person; `code` is the ERP's own error code, if any."""

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class ErpRejected(ErpError, PermanentError):
    """The ERP refused the request; nothing was stored. Retrying the same request cannot help."""


class ErpAuthFailed(ErpRejected):
    """Credentials or privileges are wrong; a person must fix the ERP settings."""


class ErpDuplicate(ErpRejected):
    """The ERP says a document with this reference exists already (e.g. MetaKocka's unique
    customer order number): the adapter must look it up instead of failing."""


class ErpUnavailable(ErpError, TransientError):
    """Not stored (unreachable, rate limited, locked); safe to retry after `retry_after` seconds."""

    def __init__(self, reason: str, *, code: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason, code=code)
        self.retry_after = retry_after


class ErpOutcomeUnknown(ErpUnavailable):
    """The request reached the ERP but no answer came back (timeout, 5xx): it may be stored."""
