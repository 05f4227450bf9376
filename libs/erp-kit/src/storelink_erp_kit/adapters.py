"""The installed ERP adapters, found through the `storelink.erp_adapters` entry-point group.

The CLI (`storelink render`, `storelink erp-test-connection`) and the control plane use this to
reach an adapter's client without importing every adapter by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel, ConfigDict

from storelink_contracts import CompanyProfile, ErpSystem
from storelink_erp_kit.client import ErpClient
from storelink_erp_kit.errors import ErpError
from storelink_kit.secrets import SecretBox, SecretError
from storelink_kit.texts import Text, stray_texts
from storelink_kit.verdicts import ConnectionVerdict, Verdict

ENTRY_POINT_GROUP = "storelink.erp_adapters"


class ErpCredentials(BaseModel):
    """What a person enters to connect an ERP; unknown fields are an error (a typo is not dropped).

    An adapter's subclass validates with plain-language errors; its `SecretStr` fields are the
    secrets (encrypted at rest, masked in output, scrubbed from messages)."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True, slots=True)
class ErpAdapterSpec:
    erp: ErpSystem
    name: str
    """The ERP's name in API model names (`MetaKockaCompany`)."""
    credentials: type[ErpCredentials]
    make_client: Callable[..., ErpClient]
    """`make_client(credentials: dict, *, url: str | None, timeout: float) -> ErpClient`."""
    placeholder_credentials: dict[str, str]
    """What `render` shows when no credentials are given (the secret is masked anyway)."""
    texts: Mapping[str, Text] = field(default_factory=dict)
    """What the console says about this ERP: `option.<erp>` and its credential fields' labels."""

    def __post_init__(self) -> None:
        if stray := stray_texts(self.texts, self.erp.value, self.credentials.model_fields):
            raise ValueError(f"console texts outside the {self.erp.value} adapter's slots: {stray}")


def installed_adapters() -> dict[ErpSystem, ErpAdapterSpec]:
    found: dict[ErpSystem, ErpAdapterSpec] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        spec = ep.load()
        if isinstance(spec, ErpAdapterSpec):
            found[spec.erp] = spec
    return found


def adapter_for(erp: ErpSystem | str) -> ErpAdapterSpec:
    system = ErpSystem(erp)
    adapters = installed_adapters()
    if system not in adapters:
        raise LookupError(
            f"the {system.value} adapter is not installed (installed: "
            f"{', '.join(sorted(a.value for a in adapters)) or 'none'})"
        )
    return adapters[system]


async def check_erp_connection(
    erp: ErpSystem | str, credentials: dict[str, Any], *, url: str | None = None, timeout: float = 15.0
) -> ConnectionVerdict:
    """One clear verdict: ok, wrong secret, wrong company id/token, missing privileges, unreachable.

    For the control plane (call it with the decrypted credentials) and the CLI.
    """
    try:
        client = adapter_for(erp).make_client(credentials, url=url, timeout=timeout)
    except ErpError as exc:
        return ConnectionVerdict(Verdict.WRONG_ACCOUNT, exc.reason)
    try:
        return await client.test_connection()
    finally:
        await client.aclose()


async def check_company_erp(
    company: CompanyProfile, box: SecretBox, *, url: str | None = None, timeout: float = 15.0
) -> ConnectionVerdict:
    """The control plane's entry: test a company's stored (encrypted) ERP credentials."""
    if not company.erp_credentials_encrypted:
        return ConnectionVerdict(
            Verdict.WRONG_ACCOUNT, f"no {company.erp.value} credentials are set for company {company.name!r}"
        )
    try:
        credentials = box.decrypt_json(company.erp_credentials_encrypted)
    except SecretError:
        return ConnectionVerdict(
            Verdict.UNEXPECTED,
            "the stored ERP credentials cannot be decrypted with this hub's key: enter them again",
        )
    return await check_erp_connection(company.erp, credentials, url=url, timeout=timeout)
