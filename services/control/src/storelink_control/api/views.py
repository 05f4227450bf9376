"""Rows → response bodies (masked credentials, masked webhook token)."""

from __future__ import annotations

from storelink_contracts import Platform
from storelink_control.db.tables import ApiToken, AttentionItem, AuditEntry, Connection, DeadLetter, Tenant
from storelink_control.events import company_fields
from storelink_control.schemas import (
    AttentionOut,
    AuditOut,
    Change,
    CompanyOut,
    ConnectionOut,
    DeadLetterOut,
    TenantOut,
    TokenOut,
)
from storelink_control.settings import ControlSettings
from storelink_control.webhooks import webhook_url


def tenant_out(tenant: Tenant) -> TenantOut:
    return TenantOut(
        tenant_id=tenant.id,
        company=CompanyOut(**company_fields(tenant), erp_credentials=tenant.erp_credentials_masked),
        created_at=tenant.created_at,
        updated_at=tenant.updated_at,
    )


def connection_out(connection: Connection, settings: ControlSettings) -> ConnectionOut:
    return ConnectionOut.model_validate(
        {
            **connection.settings,
            "connection_id": connection.id,
            "tenant_id": connection.tenant_id,
            "platform": Platform(connection.platform),
            "version": connection.version,
            "credentials": connection.credentials_masked,
            "webhook_url": webhook_url(
                settings.webhook_base(connection.platform), connection.platform, connection.id, None
            ),
            "webhook_rotated_at": connection.webhook_rotated_at,
            "created_at": connection.created_at,
            "updated_at": connection.updated_at,
            "updated_by": connection.updated_by,
        }
    )


def audit_out(entry: AuditEntry) -> AuditOut:
    return AuditOut(
        subject=entry.subject,
        subject_id=entry.subject_id,
        version=entry.version,
        action=entry.action,
        actor=entry.actor,
        at=entry.at,
        changes=[Change.model_validate(c) for c in entry.changes],
    )


def token_out(row: ApiToken) -> TokenOut:
    return TokenOut(
        token_id=row.id,
        name=row.name,
        tenant_id=row.tenant_id,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def dead_letter_out(row: DeadLetter) -> DeadLetterOut:
    return DeadLetterOut(
        id=row.id,
        tenant_id=row.tenant_id,
        connection_id=row.connection_id,
        event_type=row.headers.get("ce_type"),
        original_topic=row.original_topic,
        original_key=row.original_key,
        error_class=row.error_class,
        error=row.error,
        service=row.service,
        attempts=row.attempts,
        failed_at=row.failed_at,
        replayed_at=row.replayed_at,
        replay_count=row.replay_count,
    )


def attention_out(row: AttentionItem) -> AttentionOut:
    return AttentionOut(
        id=row.id,
        tenant_id=row.tenant_id,
        connection_id=row.connection_id,
        external_id=row.external_id,
        number=row.number,
        reasons=[str(r) for r in row.reasons],
        resolved=row.resolved,
        settings_version=row.settings_version,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        replayed_at=row.replayed_at,
        replay_count=row.replay_count,
    )
