"""What the platform-agnostic connector journeys (tests/connectors) need from a platform.

A new platform adds one harness class around its simulator; every journey then runs for it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from decimal import Decimal
from typing import Any, Protocol

from storelink_connector_kit.platform import ShopPlatform


class ShopHarness(Protocol):
    """A simulated shop of one platform, served over real HTTP."""

    name: str
    platform: ShopPlatform

    def serve(self) -> AbstractAsyncContextManager[str]:
        """Run the simulator; yields its base URL."""
        ...

    def credentials(self) -> dict[str, Any]:
        """Credentials (as a person enters them) of the shop the journeys use."""
        ...

    # orders
    def create_order(self, *, paid: bool = False, sku: str = "SKU-0001", hidden: bool = False) -> str:
        """A new order (hidden = an abandoned checkout the platform does not list); its id."""
        ...

    def change_order(self, external_id: str) -> None:
        """A real change: the order becomes paid (or changes status)."""
        ...

    def touch_order(self, external_id: str) -> None:
        """The shop bumps the order's update time without changing anything in it."""
        ...

    def doorbell(self, external_id: str) -> dict[str, Any]:
        """The webhook body the platform sends when this order changes."""
        ...

    # catalog, stock and prices
    def seed_catalog(self, skus: list[str]) -> None: ...

    def shop_stock(self) -> Mapping[str, int]: ...

    def shop_prices(self) -> Mapping[str, Decimal]: ...

    def stock_push_minimum(self, skus: int) -> int:
        """The fewest write calls the platform's bulk endpoints allow for `skus` stock values."""
        ...

    # simulator switches and counters
    def calls(self) -> int: ...

    def write_calls(self) -> int: ...

    def failures_seen(self) -> Mapping[int, int]:
        """Injected or throttled answers given so far, by HTTP status."""
        ...

    def inject(
        self,
        *,
        fail_every: int = 0,
        fail_status: int = 503,
        rate_limit: int | None = None,
        window_seconds: float | None = None,
    ) -> None: ...

    def clear_faults(self) -> None: ...
