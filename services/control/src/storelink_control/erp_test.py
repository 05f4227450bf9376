"""'Test ERP connection': the tenant's stored ERP credentials against the ERP, one verdict and one
sentence, in bounded time (the adapters' own connection tests, found through erp-kit)."""

from __future__ import annotations

import asyncio
import logging

from storelink_contracts import ErpSystem
from storelink_control.control import Control
from storelink_control.db.tables import Tenant
from storelink_control.schemas import ERP_CREDENTIALS_MODELS, ErpTestResult
from storelink_control.secrecy import scrub_secrets, secret_fields
from storelink_erp_kit.adapters import check_erp_connection
from storelink_kit.secrets import SecretError

log = logging.getLogger("storelink.control.erp_test")


def _scrub(message: str, credentials: dict[str, str], erp: ErpSystem) -> str:
    return scrub_secrets(message, credentials, secret_fields(ERP_CREDENTIALS_MODELS[erp]))


async def run_erp_test(control: Control, tenant: Tenant) -> ErpTestResult:
    erp = ErpSystem(tenant.erp)
    timeout = control.settings.test_timeout_seconds

    def result(verdict: str, message: str, reason: str | None = None) -> ErpTestResult:
        return ErpTestResult.model_validate(
            {"tenant_id": tenant.id, "erp": erp, "verdict": verdict, "reason": reason, "message": message}
        )

    if not tenant.erp_credentials_encrypted:
        return result(
            "failed",
            f"No {erp.value} credentials are saved yet: enter them and save first.",
            "no_credentials",
        )
    try:
        credentials = {
            k: str(v) for k, v in control.box.decrypt_json(tenant.erp_credentials_encrypted).items()
        }
    except SecretError:
        return result(
            "error", "The saved ERP credentials cannot be decrypted with this hub's key: enter them again."
        )
    try:
        async with asyncio.timeout(timeout):
            verdict = await check_erp_connection(
                erp, credentials, url=control.settings.erp_base_urls.get(erp.value), timeout=timeout
            )
    except TimeoutError:
        return result(
            "timeout", f"{erp.value} did not answer within {timeout:g} seconds; try again later.", "timeout"
        )
    except LookupError as exc:
        return result("unsupported", str(exc))
    except Exception as exc:  # whatever the adapter raised, a person gets a sentence, not a trace
        text = _scrub(f"{type(exc).__name__}: {exc}", credentials, erp)
        log.warning("ERP connection test failed with an error", extra={"erp": erp.value, "error": text})
        return result("error", f"The test could not run ({text}); try again, and tell support if it repeats.")
    return result(
        "ok" if verdict.ok else "failed", _scrub(verdict.message, credentials, erp), verdict.verdict.value
    )
