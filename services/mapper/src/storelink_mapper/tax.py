"""Tax treatment of one order: domestic, intra-community supply, OSS, or export (pure).

Rules (erp-apis.md 3.2), where the goods go decides the treatment (shipping country, else billing):
- same country as the company → domestic VAT at the shop's line rates;
- another EU state, business buyer (a company, or anyone giving a VAT id) with a VAT id → intra-
  community supply at 0 % with the exemption note; a company without a VAT id cannot be mapped;
- another EU state, consumer → destination-country rates (OSS) when the company is OSS-registered,
  else the company's own rates (below the EU-wide threshold the home VAT applies);
- outside the EU → export at 0 % with the exemption note.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from storelink_contracts import BuyerKind, CompanyProfile, OrderReceived, TaxTreatment
from storelink_mapper.rates import destination_rate, is_eu, vat_id_country

ZERO = Decimal("0")

# The wording of the exemption notes is an assumption (see services/mapper/README.md, "Assumptions").
_EU_INTRA_NOTE = "VAT exempt intra-Community supply of goods, Article 138 of Directive 2006/112/EC."
_EU_EXPORT_NOTE = "VAT exempt export of goods, Article 146 of Directive 2006/112/EC."
_LEGAL_NOTES: dict[tuple[str, TaxTreatment], str] = {
    ("SI", TaxTreatment.INTRA_COMMUNITY): (
        "Oproščeno plačila DDV po 1. točki prvega odstavka 46. člena ZDDV-1. " + _EU_INTRA_NOTE
    ),
    ("SI", TaxTreatment.EXPORT): (
        "Oproščeno plačila DDV po 1. točki prvega odstavka 52. člena ZDDV-1. " + _EU_EXPORT_NOTE
    ),
}


def legal_note(company_country: str, treatment: TaxTreatment) -> str | None:
    if treatment is TaxTreatment.INTRA_COMMUNITY:
        return _LEGAL_NOTES.get((company_country, treatment), _EU_INTRA_NOTE)
    if treatment is TaxTreatment.EXPORT:
        return _LEGAL_NOTES.get((company_country, treatment), _EU_EXPORT_NOTE)
    return None


@dataclass(frozen=True, slots=True)
class TaxDecision:
    treatment: TaxTreatment
    home: str
    destination: str
    legal_note: str | None
    why: tuple[str, ...]
    problem: str | None = None

    @property
    def exempt(self) -> bool:
        return self.treatment in (TaxTreatment.INTRA_COMMUNITY, TaxTreatment.EXPORT)

    def rate_for(self, shop_rate: Decimal) -> Decimal | None:
        """The rate this treatment puts on a line the shop taxed at `shop_rate` (None: unknown)."""
        if self.exempt:
            return ZERO
        if self.treatment is TaxTreatment.OSS:
            return destination_rate(shop_rate, self.home, self.destination)
        return shop_rate


def is_business(order: OrderReceived) -> bool:
    return order.buyer.kind is BuyerKind.COMPANY or bool(order.buyer.vat_id)


def supply_country(order: OrderReceived) -> str:
    """Where the goods go: the shipping address when there is one, else the billing address."""
    address = order.shipping_address or order.billing_address
    return address.country


def decide_tax(order: OrderReceived, company: CompanyProfile) -> TaxDecision:
    home = company.country
    dest = supply_country(order)
    if dest == home:
        return TaxDecision(
            TaxTreatment.DOMESTIC, home, dest, None, (f"tax: domestic VAT, goods stay in {home}",)
        )
    if not is_eu(dest):
        return TaxDecision(
            TaxTreatment.EXPORT,
            home,
            dest,
            legal_note(home, TaxTreatment.EXPORT),
            (f"tax: export at 0 %, goods go to {dest} outside the EU",),
        )
    if is_business(order):
        vat_id = order.buyer.vat_id
        if not vat_id or vat_id_country(vat_id) is None:
            return TaxDecision(
                TaxTreatment.INTRA_COMMUNITY,
                home,
                dest,
                None,
                (),
                problem=(
                    f"EU business buyer {order.buyer.company_name or order.buyer.name!r} in {dest} has "
                    f"{'no' if not vat_id else 'an unreadable'} VAT id: enter the buyer's VAT id "
                    "(with its country prefix, e.g. ATU12345678) in the shop order for a 0 % "
                    "intra-community supply, or record the buyer as a private person"
                ),
            )
        return TaxDecision(
            TaxTreatment.INTRA_COMMUNITY,
            home,
            dest,
            legal_note(home, TaxTreatment.INTRA_COMMUNITY),
            (f"tax: intra-community supply at 0 %, EU business buyer in {dest} with VAT id {vat_id}",),
        )
    if company.oss_registered:
        return TaxDecision(
            TaxTreatment.OSS,
            home,
            dest,
            None,
            (f"tax: OSS, EU consumer in {dest} and the company is OSS-registered → {dest} rates",),
        )
    return TaxDecision(
        TaxTreatment.DOMESTIC,
        home,
        dest,
        None,
        (f"tax: EU consumer in {dest} but the company is not OSS-registered → {home} rates",),
    )
