"""Storelink mapper: which ERP documents an order needs, with which lines, taxes and totals.

`map_order` and `MappingResult` are imported on first use (PEP 562): `storelink --help` imports
this package for the `map` command without paying for the contracts' models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storelink_mapper.mapping import MappingResult, map_order

__all__ = ["MappingResult", "map_order"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from storelink_mapper import mapping

    return getattr(mapping, name)
