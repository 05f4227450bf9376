"""What a person enters to connect e-računi (the control plane's API, CLI and console show it)."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator, model_validator

from storelink_contracts.base import NonEmptyStr
from storelink_erp_kit.adapters import ErpCredentials


class EracuniCredentials(ErpCredentials):
    """e-računi's documented login (its WS Authentication page): the API user's name and password,
    sent as md5pass, and the organisation token; plus what fiscal verification needs."""

    username: NonEmptyStr
    password: SecretStr | None = Field(
        default=None,
        min_length=1,
        max_length=512,
        description="The API user's password (sent only as md5pass)",
    )
    md5pass: SecretStr | None = Field(
        default=None, description="Instead of the password: MD5 hex of the USER NAME in capitals + password"
    )
    token: SecretStr = Field(
        min_length=4,
        max_length=512,
        description="Organisation token (Settings → Company settings → Web services)",
    )
    cash_register_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Electronic device that fiscally verifies invoices",
    )
    business_unit: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Business premises registered for fiscal verification",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        exclude=True,  # never stored or shown; the console does not offer it
        description="Not accepted: e-računi logs in with md5pass",
    )

    @field_validator("secret_key")
    @classmethod
    def _no_secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            raise ValueError(
                "e-računi's documented login is the API user's password (sent as md5pass), not a secret key: "
                "enter password (or md5pass) instead"
            )
        return value

    @field_validator("md5pass")
    @classmethod
    def _md5_hex(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[0-9a-fA-F]{32}", value.get_secret_value()):
            raise ValueError("md5pass is 32 hexadecimal characters (or enter password instead)")
        return value

    @model_validator(mode="after")
    def _one_login(self) -> EracuniCredentials:
        if (self.password is None) == (self.md5pass is None):
            raise ValueError("give the API user's password or its md5pass (exactly one of them)")
        return self
