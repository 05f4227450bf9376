"""The push's pure decisions: what can be sent, how a retry changes the outcome, how a price's basis
is stored with the wanted value."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storelink_connector_kit.platform import CatalogItem, PushOutcome
from storelink_connector_kit.push import PriceBasis, split_known, with_retry
from storelink_connector_kit.store import Wanted
from storelink_contracts import PriceListKind

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "basis",
    [
        PriceBasis(True, "EUR", PriceListKind.B2C),
        PriceBasis(False, "EUR", PriceListKind.B2B),
        PriceBasis(False, "HUF", None),
    ],
)
def test_a_price_basis_reads_back_as_it_was_stored(basis: PriceBasis) -> None:
    assert PriceBasis.read(basis.text) == basis


def test_the_stored_text_is_the_one_rows_already_hold() -> None:
    """Rows written before PriceBasis existed read the same (the column's format is unchanged)."""
    assert PriceBasis(True, "EUR", PriceListKind.B2C).text == "gross:EUR:b2c"
    assert PriceBasis.read("net:EUR:b2b") == PriceBasis(False, "EUR", PriceListKind.B2B)
    assert PriceBasis.read("") == PriceBasis(False, "", None)


def test_split_known_sends_what_the_shop_has_and_says_why_not_the_rest() -> None:
    pending = [Wanted("A-1", "3", AT), Wanted("B-2", "4", AT), Wanted("C-3", "5", AT)]
    items = {"A-1": CatalogItem("A-1", "p1"), "C-3": CatalogItem("C-3", "p3")}
    known, unknown = split_known(pending, items)
    assert [w.sku for w in known] == ["A-1", "C-3"]
    assert list(unknown) == ["B-2"]
    assert "sku B-2 is not in the shop" in unknown["B-2"]


def test_a_retry_clears_what_it_wrote_and_keeps_the_newest_reason() -> None:
    first = PushOutcome(
        written=["A"], failed={"B": "stale", "C": "stale", "D": "refused"}, catalog_stale=True
    )
    again = PushOutcome(written=["B"], failed={"C": "still refused"})
    merged = with_retry(first, again)
    assert merged.written == ["A", "B"]
    assert merged.failed == {"C": "still refused", "D": "refused"}
    assert first.failed == {"B": "stale", "C": "stale", "D": "refused"}  # the inputs are not changed
