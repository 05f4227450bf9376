"""'Test connection': a small protocol; each installed shop plugin gets the connector kit's tester.

The plugins are found through the one `storelink.platforms` entry-point group. The control plane
calls a tester with the platform and the credentials in clear, bounded by a timeout, and turns
whatever happens into a verdict and one sentence for a person.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from storelink_connector_kit.plugin import shop_plugins
from storelink_contracts import Platform
from storelink_control.schemas import CREDENTIALS_MODELS
from storelink_control.secrecy import scrub_secrets, secret_fields

log = logging.getLogger("storelink.control.testers")

TesterVerdict = Literal["ok", "failed"]


@runtime_checkable
class ConnectionTester(Protocol):
    async def test(self, platform: Platform, credentials: Mapping[str, str]) -> tuple[TesterVerdict, str]:
        """('ok', sentence) when the shop answers as it should, else ('failed', what to do)."""
        ...


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Literal["ok", "failed", "unsupported", "timeout", "error"]
    message: str
    reason: str | None = None
    """The tester's own finer verdict (wrong_secret, wrong_account, unreachable…), when it gave one."""


_REASON = re.compile(r"^([a-z][a-z_]{1,40}): (.+)$", re.DOTALL)


def split_reason(message: str) -> tuple[str | None, str]:
    """'wrong_secret: The API key…' → ('wrong_secret', 'The API key…'): one verdict, one sentence."""
    match = _REASON.match(message)
    return (match.group(1), match.group(2)) if match else (None, message)


class TesterRegistry:
    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, testers: Mapping[Platform, ConnectionTester] | None = None) -> None:
        self._testers: dict[Platform, ConnectionTester] = dict(testers or {})

    def register(self, platform: Platform, tester: ConnectionTester) -> None:
        self._testers[platform] = tester

    def unregister(self, platform: Platform) -> None:
        self._testers.pop(platform, None)

    def get(self, platform: Platform) -> ConnectionTester | None:
        return self._testers.get(platform)

    @classmethod
    def from_entry_points(cls) -> TesterRegistry:
        from storelink_connector_kit.testing_connection import PlatformTester  # HTTP: loaded once

        return cls({platform: PlatformTester(plugin) for platform, plugin in shop_plugins().items()})


async def run_test(
    registry: TesterRegistry, platform: Platform, credentials: Mapping[str, str], timeout: float
) -> Outcome:
    tester = registry.get(platform)
    if tester is None:
        return Outcome(
            "unsupported",
            f"No connection test is installed for {platform.value} in this control plane; "
            "the settings were saved, and the connector will report problems when it polls.",
        )
    try:
        async with asyncio.timeout(timeout):
            verdict, message = await tester.test(platform, credentials)
    except TimeoutError:
        return Outcome(
            "timeout",
            f"The shop did not answer within {timeout:g} seconds; check the address and try again later.",
        )
    except Exception as exc:  # whatever the tester raised, a person gets a sentence, not a trace
        text = _scrub(f"{type(exc).__name__}: {exc}", credentials, platform)
        log.warning("connection test failed with an error", extra={"platform": platform.value, "error": text})
        return Outcome(
            "error", f"The test could not run ({text}); try again, and tell support if it repeats."
        )
    if verdict not in ("ok", "failed"):
        return Outcome("error", f"The {platform.value} test gave an unknown verdict; tell support.")
    reason, sentence = split_reason(_scrub(str(message), credentials, platform))
    return Outcome(verdict, sentence, reason)


def _scrub(text: str, credentials: Mapping[str, str], platform: Platform) -> str:
    """Never echo a secret back, even if a tester put it in its message."""
    model = CREDENTIALS_MODELS.get(platform)
    return scrub_secrets(
        text, credentials, secret_fields(model) if model is not None else frozenset(credentials)
    )
