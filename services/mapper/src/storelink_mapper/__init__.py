"""Storelink mapper: which ERP documents an order needs, with which lines, taxes and totals."""

from storelink_mapper.mapping import MappingResult, map_order

__all__ = ["MappingResult", "map_order"]
