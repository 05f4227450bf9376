"""The one vocabulary for "is this connection working?", shared by test-connection, the breaker and
every shop error: a person gets a verdict plus one sentence saying what to do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    OK = "ok"
    BAD_KEY = "bad_key"
    WRONG_SHOP = "wrong_shop"
    MISSING_PERMISSION = "missing_permission"
    UNREACHABLE = "unreachable"
    RATE_LIMITED = "rate_limited"
    INVALID_SETTINGS = "invalid_settings"


@dataclass(frozen=True, slots=True)
class ConnectionVerdict:
    verdict: Verdict
    message: str

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK
