"""Rules that span several fields; each problem names the field a person must fix and why."""

from __future__ import annotations

import re
from collections import Counter

from storelink_control.schemas import CompanyBase, ConnectionSettings, Problem

VAT_PREFIX_EXCEPTIONS = {"GR": "EL"}
"""Greece's VAT ids start with EL, not its ISO code."""


def check_settings(settings: ConnectionSettings) -> list[Problem]:
    problems: list[Problem] = []
    if settings.stock_sync and not settings.warehouse:
        problems.append(
            Problem(
                field="warehouse",
                problem="stock sync is on: name the ERP warehouse whose stock goes to the shop",
            )
        )
    if settings.price_sync and not settings.price_lists:
        problems.append(
            Problem(field="price_lists", problem="price sync is on: add at least one price list (B2C or B2B)")
        )
    counts = Counter(p.name for p in settings.price_lists)
    for index, price_list in enumerate(settings.price_lists):
        if counts[price_list.name] > 1:
            problems.append(
                Problem(
                    field=f"price_lists.{index}.name",
                    problem=f"price list {price_list.name!r} is listed more than once",
                )
            )
    if settings.auto_invoice_paid and not settings.import_orders:
        problems.append(
            Problem(
                field="auto_invoice_paid",
                problem="automatic invoicing of paid orders needs import_orders on",
            )
        )
    return problems


def check_company(company: CompanyBase, prefix: str = "company.") -> list[Problem]:
    problems: list[Problem] = []
    vat_id = company.vat_id
    if vat_id is not None:
        expected = VAT_PREFIX_EXCEPTIONS.get(company.country, company.country)
        if not re.fullmatch(r"[A-Z]{2}[0-9A-Z]{2,13}", vat_id):
            problems.append(
                Problem(
                    field=f"{prefix}vat_id",
                    problem=f"{vat_id!r} is not a VAT id: two letters then digits, e.g. SI12345678",
                )
            )
        elif not vat_id.startswith(expected):
            problems.append(
                Problem(
                    field=f"{prefix}vat_id",
                    problem=f"a company in {company.country} has a VAT id starting with {expected}",
                )
            )
        elif company.country == "SI" and not re.fullmatch(r"SI\d{8}", vat_id):
            problems.append(
                Problem(field=f"{prefix}vat_id", problem="a Slovenian VAT id is SI followed by 8 digits")
            )
    if company.fiscal_verification and company.country != "SI":
        problems.append(
            Problem(
                field=f"{prefix}fiscal_verification",
                problem="fiscal verification (davčno potrjevanje) applies only to companies in Slovenia",
            )
        )
    if company.fiscal_verification and vat_id is None:
        problems.append(
            Problem(
                field=f"{prefix}fiscal_verification", problem="fiscal verification needs the company's VAT id"
            )
        )
    if company.oss_registered and vat_id is None:
        problems.append(
            Problem(field=f"{prefix}oss_registered", problem="an OSS registration needs the company's VAT id")
        )
    return problems
