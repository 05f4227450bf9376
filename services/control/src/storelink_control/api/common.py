"""Response declarations shared by the routes (so the OpenAPI document lists every error)."""

from __future__ import annotations

from typing import Annotated, Any, TypeVarTuple

from fastapi import Path
from sqlalchemy import Select
from sqlalchemy.orm import QueryableAttribute

from storelink_control.schemas import ErrorOut, ValidationProblem

RowId = Annotated[int, Path(ge=1, le=2**63 - 1, description="A row id (a positive 64-bit integer)")]
"""A database row id in a path: one no row can have is a 422 with a reason, never a 500."""

AUTH: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No token, or an unknown or revoked one"},
    429: {"model": ErrorOut, "description": "Too many requests; see Retry-After"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "Not found (also: it belongs to another tenant)"}
}
INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": ValidationProblem, "description": "Each bad field, and why"}
}
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorOut, "description": "Kafka did not take the change; nothing was saved"}
}
FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorOut, "description": "Needs an operator token"}
}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorOut, "description": "It exists already"}}
OPERATOR_TOKEN_FIXED: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "The bootstrap operator token is set by the settings, not here"}
}


Row = TypeVarTuple("Row")


def matching(query: Select[*Row], *filters: tuple[QueryableAttribute[Any], object]) -> Select[*Row]:
    """`query` narrowed by each (column, value) filter a caller gave; a value of None was not asked for."""
    for column, value in filters:
        if value is not None:
            query = query.where(column == value)
    return query
