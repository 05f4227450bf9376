"""MetaKocka's `opr_code` answers → errors with reasons a person can act on.

The code table is documented (http://dev.metakocka.si/eshop/index.html, "Sistemske napake", read
2026-12-01): 1 unknown internal server error, 2 bad parameter, 3 invalid secret_key / company_id,
4 IP address not allowed, 5 "Quote exceeds" (too many requests in a period), 6 application error
with `opr_code_app` / `opr_desc_app`. FURS error ids 4001-4004 are documented in
metakocka_api_base docs/put_sales_bill_send_to_furs.md. Everything else matched here is an
assumption in `storelink_erp_metakocka.assumptions`.
"""

from __future__ import annotations

from typing import Any

from storelink_erp_kit.errors import (
    ErpAuthFailed,
    ErpDuplicate,
    ErpError,
    ErpOutcomeUnknown,
    ErpRejected,
    ErpUnavailable,
)
from storelink_erp_metakocka.assumptions import (
    DUPLICATE_WORDS,
    FURS_ERROR_CODES,
    PRIVILEGE_WORDS,
    QUOTA_RETRY_AFTER_SECONDS,
)

FURS_REASONS = {
    "4001": "MetaKocka has no certified cash register set for this company: set up fiscal verification "
    "(davčna blagajna) in MetaKocka, then replay the document",
    "4002": "the invoice was not marked for fiscal verification in MetaKocka (FURS): check the fiscal "
    "settings of the company",
    "4003": "MetaKocka could not read the fiscal (FURS) data of the company: check the FURS certificate and "
    "business premises in MetaKocka; retry later",
    "4004": "MetaKocka could not generate the fiscal QR code: retry later or contact MetaKocka support",
}
CREDENTIALS_REASON = (
    "MetaKocka does not accept this secret key and company id together: check both in the connection "
    "settings (company id and API key from MetaKocka's Dodatne nastavitve – API; create a new key if "
    "the old one was replaced)"
)


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    return str(value).strip() if value not in (None, "") else ""


def describe(body: dict[str, Any]) -> str:
    """MetaKocka's own words: the application error (code and text) when there is one, else opr_desc."""
    desc = _text(body, "opr_desc") or _text(body, "error_desc") or "no description"
    app_desc, app_code = _text(body, "opr_desc_app"), _text(body, "opr_code_app")
    if not (app_desc or app_code):
        return desc
    app = app_desc or desc
    if app_code:
        app = f"{app} (application error {app_code})"
    generic = desc.lower() in ("application error", "no description", app_desc.lower())
    return app if generic else f"{app}; {desc}"


def _missing_products(body: dict[str, Any], code: str) -> ErpRejected | None:
    missing = body.get("product_not_found_list")
    if not missing:
        return None
    if isinstance(missing, dict):
        missing = [missing]
    codes = ", ".join(
        str(p.get("code") or p.get("count_code") or p) if isinstance(p, dict) else str(p) for p in missing
    )
    return ErpRejected(
        f"MetaKocka does not know the product(s) {codes}: create them in MetaKocka or correct the SKU in "
        "the shop, then replay the document",
        code=code,
    )


def classify(body: dict[str, Any], *, method: str, writes: bool = False) -> ErpError:
    """The error for a non-zero `opr_code` (callers check `opr_code == "0"` first). `writes`: the call
    may have stored something, so an unknown internal error leaves the outcome unknown."""
    code = _text(body, "opr_code") or "?"
    app_code = _text(body, "opr_code_app")
    desc = describe(body)
    low = desc.lower()
    furs = code if code in FURS_ERROR_CODES else app_code if app_code in FURS_ERROR_CODES else None
    if furs:
        return ErpRejected(f"{FURS_REASONS[furs]} (MetaKocka: {desc})", code=furs)
    if code == "1":
        reason = f"MetaKocka had an unknown internal error on {method} ({desc}); retried"
        return ErpOutcomeUnknown(reason, code=code) if writes else ErpUnavailable(reason, code=code)
    if code == "3":
        return ErpAuthFailed(f"{CREDENTIALS_REASON} (MetaKocka: {desc})", code="auth:3")
    if code == "4":
        return ErpAuthFailed(
            f"MetaKocka refuses calls from this server's IP address ({desc}): allow the address in "
            "MetaKocka's API settings, or remove the IP restriction of the API key",
            code="ip_not_allowed:4",
        )
    if code == "5":
        return ErpUnavailable(
            f"MetaKocka says too many requests in a short time (MetaKocka: {desc}); retried after a pause",
            code=code,
            retry_after=QUOTA_RETRY_AFTER_SECONDS,
        )
    missing = _missing_products(body, code)
    if missing is not None:
        return missing
    if "buyer_order" in low and any(w in low for w in DUPLICATE_WORDS):
        return ErpDuplicate(f"MetaKocka already has this customer order number ({desc})", code=code)
    if code == "6" and any(w in low for w in PRIVILEGE_WORDS):
        return ErpAuthFailed(
            f"the MetaKocka API user may not call {method}: grant it the rights in MetaKocka "
            f"(MetaKocka: {desc})",
            code=f"privileges:{code}",
        )
    if code == "2":
        reason = f"MetaKocka rejected the data: {desc}; correct it in the shop or settings"
        return ErpRejected(reason, code=code)
    if code == "6":
        reason = f"MetaKocka refused {method} (application error): {desc}"
        return ErpRejected(reason, code=f"6:{app_code}" if app_code else code)
    return ErpRejected(f"MetaKocka refused the request ({method}): {desc}", code=code)
