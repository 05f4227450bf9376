"""What the simulated MetaKocka holds: companies, documents, warehouses, stock, products, faults."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Company:
    company_id: str
    secret_key: str
    denied_methods: set[str] = field(default_factory=set)
    fiscal_register: bool = True
    known_products: set[str] | None = None
    """When set, product lines with other codes are refused (product_not_found_list)."""
    allowed_ips: set[str] | None = None
    """When set, calls from other client addresses get opr_code 4 (documented)."""


@dataclass
class Faults:
    """Fault injection. Ratios draw from a seeded RNG so a run is reproducible."""

    delay_seconds: float = 0.0
    hang_after_store_ratio: float = 0.0
    hang_after_store_every: int = 0
    hang_seconds: float = 5.0
    slow_store_seconds: float = 0.0
    """put_document waits this long *before* storing (a slow ERP, not a lost answer)."""
    slow_store_every: int = 0
    """Only every Nth put_document is slow (0 = every one): deterministic, not random."""
    fail_5xx_next: int = 0
    html_next: int = 0
    error_next: list[dict[str, Any]] = field(default_factory=list)
    omit_furs_next: int = 0
    """The next N fiscal answers leave out furs_zoi / furs_eor (the stored bill keeps them)."""
    quota_exceeded_every: int = 0
    """Every Nth API call is answered opr_code 5 "Quote exceeds" (documented; the limit is not)."""
    seed: int = 7


@dataclass
class SimState:
    companies: dict[str, Company] = field(default_factory=dict)
    documents: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    warehouses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    stock: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    products: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    calls: Counter[str] = field(default_factory=Counter)
    next_mk_id: int = 1600000000
    rng: random.Random = field(default_factory=lambda: random.Random(7))  # noqa: S311 - simulation only
    concurrent_searches: int = 0
    max_concurrent_searches: int = 0
    by_mk_id: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """(company, mk_id) → document. The indexes keep put_document's checks flat as documents pile
    up: a simulator must never be the bottleneck of a benchmark (issue 13)."""
    sales_orders: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """(company, buyer_order) → the sales order stored with it (one at most: duplicates are refused)."""
    bills: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """(company, count_code) → the LAST invoice with that count_code (what a linked credit note uses)."""

    def store_document(self, company_id: str, doc: dict[str, Any], *, bill: bool) -> None:
        """Keep a document and index it."""
        self.documents[company_id].append(doc)
        self.by_mk_id[(company_id, doc["mk_id"])] = doc
        if doc["doc_type"] == "sales_order" and doc.get("buyer_order"):
            self.sales_orders.setdefault((company_id, doc["buyer_order"]), doc)
        if bill and doc.get("count_code"):
            self.bills[(company_id, doc["count_code"])] = doc

    def sales_order(self, company_id: str, buyer_order: object) -> dict[str, Any] | None:
        return self.sales_orders.get((company_id, str(buyer_order))) if buyer_order else None

    def document(self, company_id: str, doc_type: object, mk_id: object) -> dict[str, Any] | None:
        doc = self.by_mk_id.get((company_id, str(mk_id))) if mk_id else None
        return doc if doc is not None and doc["doc_type"] == doc_type else None

    def add_company(self, company_id: str, secret_key: str, **kw: Any) -> Company:
        company = Company(company_id=str(company_id), secret_key=secret_key, **kw)
        self.companies[company.company_id] = company
        self.documents.setdefault(company.company_id, [])
        self.warehouses.setdefault(
            company.company_id,
            [
                {
                    "mk_id": "100",
                    "mark": "glavni",
                    "name": "Glavno skladišče",
                    "main_warehouse": "true",
                    "active": "true",
                }
            ],
        )
        self.stock.setdefault(company.company_id, [])
        self.products.setdefault(company.company_id, [])
        return company

    def set_faults(self, **kw: Any) -> None:
        self.faults = Faults(**kw)
        self.rng = random.Random(self.faults.seed)  # noqa: S311

    def stats(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "documents": {cid: len(docs) for cid, docs in self.documents.items()},
            "max_concurrent_searches": self.max_concurrent_searches,
        }
