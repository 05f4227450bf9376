"""Webhook URLs: an unguessable token per connection; only its SHA-256 is stored or sent."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from storelink_control.secrecy import MASK


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, expected_sha256: str) -> bool:
    """Constant-time check, as the webhook ingress does it."""
    return hmac.compare_digest(token_sha256(token), expected_sha256)


def webhook_url(public_base_url: str, platform: str, connection_id: str, token: str | None) -> str:
    """`{base}/webhooks/{platform}/{connection_id}/{token}`; token None gives the masked form."""
    return f"{public_base_url.rstrip('/')}/webhooks/{platform}/{connection_id}/{token or MASK}"
