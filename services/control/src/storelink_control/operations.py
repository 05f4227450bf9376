"""What a person can change: tenants, connections, webhook tokens — versioned, audited, published.

Every change runs in one database transaction that also publishes the new ConnectionConfigured /
ConnectionRemoved and waits for Kafka's acknowledgement (acks=all) before committing: when Kafka
does not take the event, nothing is saved and the caller is told to try again.
"""

from __future__ import annotations

import logging
import secrets as pysecrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storelink_contracts import ConnectionRemoved, Event, Platform
from storelink_control.auth import Principal
from storelink_control.control import Control
from storelink_control.db.tables import AuditEntry, Connection, Tenant
from storelink_control.errors import Conflict, Invalid, NotFound, Unavailable, problems_of
from storelink_control.events import company_fields, connection_configured
from storelink_control.rules import check_company, check_settings
from storelink_control.schemas import (
    CREATE_MODELS,
    CREDENTIALS_MODELS,
    ERP_CREDENTIALS_MODELS,
    SETTINGS_FIELDS,
    CompanyBase,
    CompanyInBase,
    ConnectionCreateBase,
    ConnectionSettings,
    ConnectionUpdate,
    TenantCreate,
)
from storelink_control.secrecy import clear_values, diff, masked_values, prefixed, secret_fields
from storelink_control.webhooks import new_token, token_sha256

log = logging.getLogger("storelink.control")


def _now() -> datetime:
    return datetime.now(UTC)


async def _publish(control: Control, events: Sequence[Event]) -> None:
    try:
        await control.publisher.publish_many([(e, None) for e in events], origin="control")
    except Exception as exc:
        log.error("settings event not published; change rolled back", extra={"error": type(exc).__name__})
        raise Unavailable("Kafka did not confirm the change, so nothing was saved; try again") from exc
    for event in events:
        log.info(
            "connection settings published",
            extra={
                "event_type": event.event_type,
                "tenant_id": event.tenant_id,
                "connection_id": getattr(event, "connection_id", None),
                "version": getattr(event, "version", None),
            },
        )


# --------------------------------------------------------------------------- lookups


async def get_tenant(session: AsyncSession, caller: Principal, tenant_id: str) -> Tenant:
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None or not caller.can_see(tenant.id):
        raise NotFound(f"tenant {tenant_id!r}")
    return tenant


async def get_connection(session: AsyncSession, caller: Principal, connection_id: str) -> Connection:
    connection = await session.get(Connection, connection_id)
    if connection is None or connection.removed_at is not None or not caller.can_see(connection.tenant_id):
        raise NotFound(f"connection {connection_id!r}")
    return connection


async def live_connections(session: AsyncSession, tenant_id: str | None) -> list[Connection]:
    query = select(Connection).where(Connection.removed_at.is_(None)).order_by(Connection.created_at)
    if tenant_id is not None:
        query = query.where(Connection.tenant_id == tenant_id)
    return list((await session.scalars(query)).all())


def _audit(
    tenant_id: str,
    subject: str,
    subject_id: str,
    version: int | None,
    action: str,
    actor: str,
    changes: list[dict[str, Any]],
    at: datetime,
) -> AuditEntry:
    return AuditEntry(
        tenant_id=tenant_id,
        subject=subject,
        subject_id=subject_id,
        version=version,
        action=action,
        actor=actor,
        at=at,
        changes=changes,
    )


def _next_version(
    connection: Connection, caller: Principal, action: str, changes: list[dict[str, Any]], at: datetime
) -> AuditEntry:
    """A connection's settings move to their next version; the audit row that says who and what."""
    connection.version += 1
    connection.updated_at = at
    connection.updated_by = caller.actor
    return _audit(
        connection.tenant_id,
        "connection",
        connection.id,
        connection.version,
        action,
        caller.actor,
        changes,
        at,
    )


# --------------------------------------------------------------------------- tenants


def _company_fields(company: CompanyBase) -> dict[str, Any]:
    return {
        "name": company.name,
        "country": company.country,
        "vat_id": company.vat_id,
        "oss_registered": company.oss_registered,
        "fiscal_verification": company.fiscal_verification,
    }


async def create_tenant(control: Control, caller: Principal, body: TenantCreate) -> Tenant:
    if not caller.is_operator:
        raise PermissionError("only an operator token can create tenants")
    if problems := check_company(body.company):
        raise Invalid(problems)
    at = _now()
    async with control.sessions() as session, session.begin():
        if await session.get(Tenant, body.tenant_id) is not None:
            raise Conflict(f"tenant {body.tenant_id!r} exists already")
        creds = body.company.erp_credentials
        tenant = Tenant(
            id=body.tenant_id,
            **_company_fields(body.company),
            erp=body.company.erp.value,
            erp_credentials_encrypted=control.box.encrypt_json(clear_values(creds)) if creds else None,
            erp_credentials_masked=masked_values(creds) if creds else None,
            created_at=at,
            updated_at=at,
        )
        session.add(tenant)
        changes = diff({}, {**company_fields(tenant), **_erp_flat(creds)}, ALL_ERP_SECRETS)
        session.add(_audit(tenant.id, "tenant", tenant.id, None, "created", caller.actor, changes, at))
    return tenant


ALL_ERP_SECRETS = frozenset().union(*(secret_fields(m) for m in ERP_CREDENTIALS_MODELS.values()))


def _erp_flat(creds: BaseModel | None) -> dict[str, Any]:
    return prefixed("erp_credentials.", clear_values(creds)) if creds is not None else {}


async def update_company(
    control: Control, caller: Principal, tenant_id: str, company: CompanyInBase
) -> Tenant:
    """A new company profile; every live connection of the tenant gets a new settings version."""
    if problems := check_company(company):
        raise Invalid(problems)
    at = _now()
    async with control.sessions() as session, session.begin():
        tenant = await get_tenant(session, caller, tenant_id)
        old_clear = (
            control.box.decrypt_json(tenant.erp_credentials_encrypted)
            if tenant.erp_credentials_encrypted
            else {}
        )
        old = {**company_fields(tenant), **prefixed("erp_credentials.", old_clear)}
        for key, value in _company_fields(company).items():
            setattr(tenant, key, value)
        creds = company.erp_credentials
        if creds is not None:
            tenant.erp_credentials_encrypted = control.box.encrypt_json(clear_values(creds))
            tenant.erp_credentials_masked = masked_values(creds)
            new_clear: dict[str, Any] = clear_values(creds)
        elif company.erp.value != tenant.erp:
            tenant.erp_credentials_encrypted = None
            tenant.erp_credentials_masked = None
            new_clear = {}
        else:
            new_clear = old_clear
        tenant.erp = company.erp.value
        new = {**company_fields(tenant), **prefixed("erp_credentials.", new_clear)}
        changes = diff(old, new, ALL_ERP_SECRETS)
        if not changes:
            return tenant
        tenant.updated_at = at
        session.add(
            _audit(tenant.id, "tenant", tenant.id, None, "company_changed", caller.actor, changes, at)
        )
        events: list[Event] = []
        for connection in await live_connections(session, tenant.id):
            session.add(
                _next_version(
                    connection, caller, "company_changed", prefixed_changes("company.", changes), at
                )
            )
            events.append(connection_configured(connection, tenant))
        await session.flush()
        await _publish(control, events)
    return tenant


def prefixed_changes(prefix: str, changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**c, "field": prefix + c["field"]} for c in changes]


# --------------------------------------------------------------------------- connections


def _settings_of(model: ConnectionSettings) -> dict[str, Any]:
    return model.model_dump(mode="json", include=set(SETTINGS_FIELDS))


def _new_connection_id(platform: Platform) -> str:
    return f"{platform.value}-{pysecrets.token_hex(6)}"


async def create_connection(
    control: Control,
    caller: Principal,
    tenant_id: str,
    body: ConnectionCreateBase,
) -> tuple[Connection, str]:
    """A new connection and its webhook token (the token is returned once, stored only hashed)."""
    if problems := check_settings(body):
        raise Invalid(problems)
    at = _now()
    token = new_token()
    async with control.sessions() as session, session.begin():
        tenant = await get_tenant(session, caller, tenant_id)
        clear = clear_values(body.credentials)
        connection = Connection(
            id=_new_connection_id(body.platform),
            tenant_id=tenant.id,
            platform=body.platform.value,
            version=1,
            settings=_settings_of(body),
            credentials_encrypted=control.box.encrypt_json(clear),
            credentials_masked=masked_values(body.credentials),
            webhook_token_sha256=token_sha256(token),
            webhook_rotated_at=at,
            created_at=at,
            updated_at=at,
            updated_by=caller.actor,
            removed_at=None,
        )
        session.add(connection)
        secrets = secret_fields(type(body.credentials))
        changes = diff({}, {**connection.settings, **prefixed("credentials.", clear)}, secrets)
        session.add(_audit(tenant.id, "connection", connection.id, 1, "created", caller.actor, changes, at))
        await session.flush()
        await _publish(control, [connection_configured(connection, tenant)])
    return connection, token


async def update_connection(
    control: Control, caller: Principal, connection_id: str, patch: ConnectionUpdate
) -> Connection:
    at = _now()
    async with control.sessions() as session, session.begin():
        connection = await get_connection(session, caller, connection_id)
        platform = Platform(connection.platform)
        old_clear: dict[str, Any] = control.box.decrypt_json(connection.credentials_encrypted)
        given = patch.model_dump(exclude_unset=True, exclude={"credentials"})
        creds = {**old_clear, **(patch.credentials or {})}
        data = {**connection.settings, **given, "platform": platform.value, "credentials": creds}
        try:
            model = CREATE_MODELS[platform].model_validate(data)
        except ValidationError as exc:
            raise Invalid(problems_of(exc.errors())) from None
        if problems := check_settings(model):
            raise Invalid(problems)
        credentials = getattr(model, "credentials")  # noqa: B009 - both create models have it
        new_clear = clear_values(credentials)
        new_settings = _settings_of(model)
        secrets = secret_fields(CREDENTIALS_MODELS[platform])
        changes = diff(
            {**connection.settings, **prefixed("credentials.", old_clear)},
            {**new_settings, **prefixed("credentials.", new_clear)},
            secrets,
        )
        if not changes:
            return connection
        connection.settings = new_settings
        if new_clear != old_clear:
            connection.credentials_encrypted = control.box.encrypt_json(new_clear)
            connection.credentials_masked = masked_values(credentials)
        tenant = await get_tenant(session, caller, connection.tenant_id)
        session.add(_next_version(connection, caller, "updated", changes, at))
        await session.flush()
        await _publish(control, [connection_configured(connection, tenant)])
    return connection


async def rotate_webhook(control: Control, caller: Principal, connection_id: str) -> tuple[Connection, str]:
    """A new token; the old one stops working as soon as the connectors read the new version."""
    at = _now()
    token = new_token()
    async with control.sessions() as session, session.begin():
        connection = await get_connection(session, caller, connection_id)
        tenant = await get_tenant(session, caller, connection.tenant_id)
        connection.webhook_token_sha256 = token_sha256(token)
        connection.webhook_rotated_at = at
        changes = [{"field": "webhook_token", "old": "***", "new": "***"}]
        session.add(_next_version(connection, caller, "webhook_rotated", changes, at))
        await session.flush()
        await _publish(control, [connection_configured(connection, tenant)])
    return connection, token


async def remove_connection(control: Control, caller: Principal, connection_id: str) -> Connection:
    at = _now()
    async with control.sessions() as session, session.begin():
        connection = await get_connection(session, caller, connection_id)
        connection.removed_at = at
        session.add(_next_version(connection, caller, "removed", [], at))
        await session.flush()
        event = ConnectionRemoved(
            tenant_id=connection.tenant_id,
            connection_id=connection.id,
            version=connection.version,
            removed_at=at,
        )
        await _publish(control, [event])
    return connection


async def republish_all(control: Control) -> int:
    """Send the current settings of every live connection again (same versions; harmless to consumers).

    Run at start, so a connections topic that lost data (or a fresh cluster) is filled again.
    """
    async with control.sessions() as session:
        events: list[Event] = []
        for connection in await live_connections(session, None):
            tenant = await session.get(Tenant, connection.tenant_id)
            if tenant is not None:
                events.append(connection_configured(connection, tenant))
    if events:
        await control.publisher.publish_many([(e, None) for e in events], origin="control")
    return len(events)
