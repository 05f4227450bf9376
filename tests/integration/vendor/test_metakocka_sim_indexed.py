"""The MetaKocka simulator stays flat as it fills (issue 13): put_document's duplicate check, the
linked credit note's invoice, get_document and change_document_status by buyer_order read indexes,
never a scan of every stored document. Counted, not timed: no dependence on machine speed."""

from __future__ import annotations

from typing import Any

import pytest

from ...corpus import MK_COMPANY, MkSim, example


class _CountingList(list[dict[str, Any]]):
    """The company's document list, counting every walk through it."""

    walks = 0

    def __iter__(self) -> Any:
        type(self).walks += 1
        return super().__iter__()

    def __reversed__(self) -> Any:
        type(self).walks += 1
        return super().__reversed__()


def _put(sim: MkSim, name: str, **changes: Any) -> dict[str, Any]:
    return sim.post("put_document", {**example("metakocka", name)["body"], **changes})


@pytest.mark.slow  # real-time windows or volume: in `make test`, not the fast level
def test_put_get_and_status_by_buyer_order_walk_no_document_list(mk_sim: MkSim) -> None:
    for i in range(60):
        assert (
            _put(mk_sim, "req_sales_order_minimal", buyer_order=f"B{i}", count_code=f"SO{i}")["opr_code"]
            == "0"
        )
    assert _put(mk_sim, "req_bill_foreign_full")["opr_code"] == "0"
    mk_sim.state.documents[MK_COMPANY] = _CountingList(mk_sim.state.documents[MK_COMPANY])
    _CountingList.walks = 0

    fresh = _put(mk_sim, "req_sales_order_minimal", buyer_order="B-new", count_code="SO-new")
    again = _put(mk_sim, "req_sales_order_minimal", buyer_order="B7", count_code="SO-again")
    credit = mk_sim.post("put_document", example("metakocka", "req_credit_note_financial")["body"])
    got = mk_sim.post("get_document", {"doc_type": "sales_order", "buyer_order": "B50"})
    by_id = mk_sim.post("get_document", {"doc_type": "sales_order", "doc_id": fresh["mk_id"]})
    status = mk_sim.post(
        "change_document_status", {"doc_type": "sales_order", "status_code": "created", "buyer_order": "B3"}
    )
    walks = _CountingList.walks

    assert walks == 0
    assert fresh["opr_code"] == "0", fresh
    assert again["opr_code"] == "2", again  # the duplicate is still refused
    assert "already exists" in again["opr_desc"]
    assert credit["opr_code"] == "0", credit  # the linked invoice is still found
    assert got["opr_code"] == "0"
    assert got["count_code"] == "SO50"
    assert by_id["buyer_order"] == "B-new"
    assert status["opr_code"] == "0", status
    assert mk_sim.state.sales_order(MK_COMPANY, "B3")["status_code"] == "created"  # type: ignore[index]
    assert len(mk_sim.state.documents[MK_COMPANY]) == 63
