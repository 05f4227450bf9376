"""Encryption of credentials at rest and in events (Fernet; several keys allow rotation)."""

from __future__ import annotations

import json
import os
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SECRET_KEY_ENV = "STORELINK_SECRET_KEY"  # noqa: S105 - the name of a variable


class SecretError(ValueError):
    """A secret could not be decrypted: wrong key, or not a Storelink ciphertext."""


class SecretBox:
    """Encrypts JSON objects with the hub's key. The first key encrypts; all keys decrypt."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise SecretError(f"no encryption key: set {SECRET_KEY_ENV} (see `storelink secret-key`)")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
        except (ValueError, TypeError):
            raise SecretError(
                f"{SECRET_KEY_ENV} is not a valid key (32 url-safe base64-encoded bytes)"
            ) from None

    @classmethod
    def from_env(cls) -> SecretBox:
        """Comma-separated keys, newest first, from STORELINK_SECRET_KEY."""
        raw = os.environ.get(SECRET_KEY_ENV, "")
        return cls([k.strip() for k in raw.split(",") if k.strip()])

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt_json(self, data: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(data, sort_keys=True).encode()).decode()

    def decrypt_json(self, token: str) -> dict[str, Any]:
        try:
            plain = self._fernet.decrypt(token.encode())
        except (InvalidToken, ValueError):
            raise SecretError("credentials cannot be decrypted with the configured key") from None
        data = json.loads(plain)
        if not isinstance(data, dict):
            raise SecretError("decrypted credentials are not a JSON object")
        return data
