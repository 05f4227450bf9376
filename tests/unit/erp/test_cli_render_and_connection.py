"""`storelink render` sends exactly what the adapter sends; ERP connection tests give one verdict each.

The tests of this subject that need a broker, a process or real time:
tests/integration/erp/test_cli_render_and_connection.py.
"""

from __future__ import annotations

import pytest

from storelink_contracts import ErpSystem
from storelink_erp_kit.adapters import check_erp_connection as check_erp
from storelink_kit.testing.kafka_broker import free_port
from storelink_kit.verdicts import Verdict

from ...support.erp import ER_PASSWORD, ER_TOKEN, ER_USER, MK_COMPANY, MK_SECRET, ErSim, MkSim


@pytest.mark.parametrize(
    ("creds", "deny", "verdict"),
    [
        ({"company_id": MK_COMPANY, "secret_key": MK_SECRET}, None, Verdict.OK),
        ({"company_id": MK_COMPANY, "secret_key": "wrong"}, None, Verdict.WRONG_SECRET),
        # MetaKocka answers one documented code (3) for both: the verdict names the pair
        ({"company_id": "999", "secret_key": MK_SECRET}, None, Verdict.WRONG_SECRET),
        ({"company_id": MK_COMPANY, "secret_key": MK_SECRET}, "search", Verdict.MISSING_PERMISSION),
    ],
)
async def test_metakocka_connection_verdicts(
    mk_sim: MkSim, creds: dict[str, str], deny: str | None, verdict: Verdict
) -> None:
    if deny:
        mk_sim.state.companies[MK_COMPANY].denied_methods.add(deny)
    result = await check_erp(ErpSystem.METAKOCKA, creds, url=mk_sim.base_url, timeout=3)
    assert result.verdict is verdict, result
    assert MK_SECRET not in result.message


@pytest.mark.parametrize(
    ("creds", "deny", "verdict"),
    [
        ({"username": ER_USER, "password": ER_PASSWORD, "token": ER_TOKEN}, False, Verdict.OK),
        ({"username": ER_USER, "password": "wrong", "token": ER_TOKEN}, False, Verdict.WRONG_SECRET),
        ({"username": ER_USER, "password": ER_PASSWORD, "token": "wrong"}, False, Verdict.WRONG_ACCOUNT),
        ({"username": ER_USER, "password": ER_PASSWORD, "token": ER_TOKEN}, True, Verdict.MISSING_PERMISSION),
    ],
)
async def test_eracuni_connection_verdicts(
    er_sim: ErSim, creds: dict[str, str], deny: bool, verdict: Verdict
) -> None:
    if deny:
        er_sim.state.users[ER_USER].denied_methods.add("SalesInvoiceList")
    result = await check_erp(ErpSystem.ERACUNI, creds, url=er_sim.api_url, timeout=3)
    assert result.verdict is verdict, result


async def test_unreachable_and_incomplete_credentials() -> None:
    url = f"http://127.0.0.1:{free_port()}/rest/eshop/"
    result = await check_erp("metakocka", {"company_id": "1", "secret_key": "x"}, url=url, timeout=2)
    assert result.verdict is Verdict.UNREACHABLE
    assert "cannot be reached" in result.message
    incomplete = await check_erp("eracuni", {"username": "u"}, timeout=2)
    assert incomplete.verdict is Verdict.WRONG_ACCOUNT
    assert "password, token" in incomplete.message


async def test_control_plane_checks_a_companys_encrypted_credentials(mk_sim: MkSim) -> None:
    from storelink_erp_kit.adapters import check_company_erp
    from storelink_kit.secrets import SecretBox
    from storelink_kit.testing.samples import sample_company

    box = SecretBox([SecretBox.generate_key()])
    good = sample_company(
        erp=ErpSystem.METAKOCKA,
        erp_credentials_encrypted=box.encrypt_json({"company_id": MK_COMPANY, "secret_key": MK_SECRET}),
    )
    assert (await check_company_erp(good, box, url=mk_sim.base_url)).ok
    other_key = SecretBox([SecretBox.generate_key()])
    undecryptable = await check_company_erp(good, other_key, url=mk_sim.base_url)
    assert undecryptable.verdict is Verdict.UNEXPECTED
    assert "enter them again" in undecryptable.message
    missing = await check_company_erp(sample_company(erp=ErpSystem.METAKOCKA), box)
    assert missing.verdict is Verdict.WRONG_ACCOUNT
