"""The ConnectionConfigured event of a stored connection (pure: rows in, event out)."""

from __future__ import annotations

from typing import Any

from storelink_contracts import CompanyProfile, ConnectionConfigured, ErpSystem, Platform
from storelink_control.db.tables import Connection, Tenant


def company_fields(tenant: Tenant) -> dict[str, Any]:
    """The company profile as the event and the API both show it (the ERP credentials differ:
    encrypted in the event, masked in the API)."""
    return {
        "name": tenant.name,
        "country": tenant.country,
        "vat_id": tenant.vat_id,
        "oss_registered": tenant.oss_registered,
        "fiscal_verification": tenant.fiscal_verification,
        "erp": ErpSystem(tenant.erp),
    }


def company_profile(tenant: Tenant) -> CompanyProfile:
    encrypted = tenant.erp_credentials_encrypted
    return CompanyProfile(**company_fields(tenant), erp_credentials_encrypted=encrypted)


def connection_configured(connection: Connection, tenant: Tenant) -> ConnectionConfigured:
    return ConnectionConfigured.model_validate(
        {
            **connection.settings,
            "tenant_id": connection.tenant_id,
            "connection_id": connection.id,
            "version": connection.version,
            "platform": Platform(connection.platform),
            "company": company_profile(tenant),
            "credentials_encrypted": connection.credentials_encrypted,
            "webhook_token_sha256": connection.webhook_token_sha256,
            "updated_at": connection.updated_at,
            "updated_by": connection.updated_by,
        }
    )
