"""Shadow mode in the mapper (issue 16): the documents of a shadow connection are the very documents
it would send, marked `shadow`, so control records them and the ERP adapter passes them by."""

from __future__ import annotations

from storelink_kit.testing.samples import sample_connection, sample_order
from storelink_mapper.mapping import map_order


def test_documents_of_a_shadow_connection_are_marked_and_otherwise_the_same() -> None:
    order = sample_order(connection_id="c", tenant_id="t")
    live = map_order(order, sample_connection(connection_id="c", tenant_id="t")).documents
    shadow = map_order(order, sample_connection(connection_id="c", tenant_id="t", shadow=True)).documents
    assert live
    assert [d.shadow for d in live] == [False] * len(live)
    assert [d.shadow for d in shadow] == [True] * len(shadow)
    assert [d.model_dump(exclude={"shadow"}) for d in shadow] == [
        d.model_dump(exclude={"shadow"}) for d in live
    ]
