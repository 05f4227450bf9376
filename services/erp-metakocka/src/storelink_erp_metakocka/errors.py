"""MetaKocka's `opr_code` / `opr_desc` answers → errors with reasons a person can act on.

MetaKocka publishes no full code table (erp-apis.md §1.2); the auth and duplicate texts matched
here are assumptions MK1 and MK2 in libs/erp-kit/ERP-ASSUMPTIONS.md.
"""

from __future__ import annotations

import re
from typing import Any

from storelink_erp_kit.errors import ErpAuthFailed, ErpDuplicate, ErpError, ErpRejected, ErpUnavailable

FURS_REASONS = {
    "4001": "MetaKocka has no certified cash register set for this company: set up fiscal verification "
    "(davčna blagajna) in MetaKocka, then replay the document",
    "4002": "the invoice was not marked for fiscal verification in MetaKocka (FURS): check the fiscal "
    "settings of the company",
    "4003": "MetaKocka could not read the fiscal (FURS) data of the company: check the FURS certificate and "
    "business premises in MetaKocka; retry later",
    "4004": "MetaKocka could not generate the fiscal QR code: retry later or contact MetaKocka support",
}


def classify(body: dict[str, Any], *, method: str) -> ErpError:
    """The error for a non-zero `opr_code` (callers check `opr_code == "0"` first)."""
    code = str(body.get("opr_code", "?"))
    desc = str(body.get("opr_desc") or body.get("error_desc") or "no description")
    low = desc.lower()
    if code in FURS_REASONS:
        return ErpRejected(f"{FURS_REASONS[code]} (MetaKocka: {desc})", code=code)
    if "secret" in low and ("wrong" in low or "invalid" in low or "not valid" in low):
        return ErpAuthFailed(
            "MetaKocka rejected the secret key: create a new API key in MetaKocka (Dodatne nastavitve – "
            "API) and enter it in the connection settings",
            code=f"auth:{code}",
        )
    if "company" in low and ("not exist" in low or "not found" in low or "unknown" in low):
        return ErpAuthFailed(
            "MetaKocka has no company with the configured company id: copy the company id from MetaKocka's "
            "API settings into the connection settings",
            code=f"auth:{code}",
        )
    if re.search(r"permission|privilege|not allowed|no access|access denied", low):
        return ErpAuthFailed(
            f"the MetaKocka API user may not call {method}: grant it the rights in MetaKocka "
            f"(MetaKocka: {desc})",
            code=f"privileges:{code}",
        )
    missing = body.get("product_not_found_list")
    if missing:
        codes = ", ".join(
            str(p.get("code") or p.get("count_code") or p) if isinstance(p, dict) else str(p) for p in missing
        )
        return ErpRejected(
            f"MetaKocka does not know the product(s) {codes}: create them in MetaKocka or correct the SKU in "
            "the shop, then replay the document",
            code=code,
        )
    if "buyer_order" in low and ("exist" in low or "unique" in low or "duplicate" in low):
        return ErpDuplicate(f"MetaKocka already has this customer order number ({desc})", code=code)
    if "temporar" in low or "try again" in low or "maintenance" in low:
        return ErpUnavailable(f"MetaKocka is temporarily unavailable ({desc})", code=code)
    if code == "2":
        return ErpRejected(
            f"MetaKocka rejected the data: {desc}; correct it in the shop or settings", code=code
        )
    if code == "5":
        return ErpRejected(f"MetaKocka refused by a business rule: {desc}", code=code)
    return ErpRejected(f"MetaKocka refused the request ({method}): {desc}", code=code)
