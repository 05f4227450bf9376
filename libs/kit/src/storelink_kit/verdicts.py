"""The one vocabulary for "is this connection working?", for shops and ERPs alike: test-connection,
the breaker and every shop or ERP error give a verdict plus one sentence saying what to do.

(Shops and ERPs had a vocabulary each, with two names for the same finding — `bad_key` and
`wrong_secret`, `wrong_shop` and `wrong_account`, `missing_permission` and `missing_privileges`.)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    OK = "ok"
    WRONG_SECRET = "wrong_secret"  # noqa: S105 - a verdict name: the key, token or password is refused
    WRONG_ACCOUNT = "wrong_account"
    """No such shop, site, company or API user."""
    MISSING_PERMISSION = "missing_permission"
    IP_NOT_ALLOWED = "ip_not_allowed"
    """The ERP refuses calls from this server's address (e.g. MetaKocka's opr_code 4)."""
    UNREACHABLE = "unreachable"
    RATE_LIMITED = "rate_limited"
    INVALID_SETTINGS = "invalid_settings"
    UNEXPECTED = "unexpected"


@dataclass(frozen=True, slots=True)
class ConnectionVerdict:
    verdict: Verdict
    message: str

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK
