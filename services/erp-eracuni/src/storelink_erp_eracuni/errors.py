"""e-računi's `response.status` envelope → errors a person can act on (errors may come with HTTP 500).

The wording e-računi uses is not documented; what we rely on is assumption ER1-ER3
(`storelink_erp_eracuni.assumptions`)."""

from __future__ import annotations

import re

from storelink_erp_eracuni.assumptions import BUSY_PATTERNS
from storelink_erp_kit.errors import ErpAuthFailed, ErpError, ErpRejected, ErpUnavailable


class ErpBusy(ErpUnavailable):
    """The per-user lock or the rate limit refused the call before doing anything: safe to resend."""


def _field_errors(description: str) -> list[str]:
    """`Error nr: 1 #buyerTaxNumber - VAT ID entry is mandatory…; ` → ["buyerTaxNumber: VAT ID …"]."""
    out = []
    for m in re.finditer(r"Error nr:\s*\d+\s*#(\S+)\s*-\s*([^;]+);?", description):
        out.append(f"{m.group(1)}: {m.group(2).strip()}")
    return out


def classify(description: str, *, method: str) -> ErpError:
    low = description.lower()
    if any(p in low for p in BUSY_PATTERNS):
        return ErpBusy("e-računi is still processing another request of this API user", code="locked")
    if "password" in low or "md5pass" in low or ("login" in low and "token" not in low):
        return ErpAuthFailed(
            "e-računi rejected the user name or password (md5pass): enter the API user's name and password "
            "as set in e-računi in the company's e-računi settings",
            code="auth:secret",
        )
    if "token" in low and ("invalid" in low or "unknown" in low or "not valid" in low):
        return ErpAuthFailed(
            "e-računi does not know the organization token: copy it from e-računi (Settings → Company "
            "settings → Web services - API) into the company's e-računi settings",
            code="auth:token",
        )
    if re.search(r"privilege|permission|not authori[sz]ed|access denied", low):
        return ErpAuthFailed(
            f"the e-računi API user may not call {method}: give the user the same rights as in the web app "
            f"(e-računi: {description.strip()})",
            code="privileges",
        )
    if "methodofpayment" in low.replace(" ", ""):
        return ErpRejected(
            f"e-računi refuses the payment method on this invoice ({description.strip()}): "
            "map the shop's payment "
            "method to one allowed for fiscalized invoices in the connection settings",
            code="methodOfPayment",
        )
    fields = _field_errors(description)
    if fields:
        return ErpRejected(
            f"e-računi rejected the document: {'; '.join(fields)}. Correct it in the shop or the settings",
            code=fields[0].split(":", 1)[0],
        )
    return ErpRejected(f"e-računi refused {method}: {description.strip() or 'no description'}", code="error")
