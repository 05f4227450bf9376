"""EU VAT rates per member state: the one table the mapper uses for OSS destination rates.

Source: European Commission, DG TAXUD, "VAT rates applied in the Member States of the European
Union" (taxation-customs.ec.europa.eu, VAT rates database / TEDB), as of 1 July 2025, cross-checked
for Slovenia with erp-apis.md section 3.1 (22 / 9.5 / 5). Rates change: when a member state changes
its rates, change this table (and only this table). Reduced rates are listed highest first; parking
and zero rates are left out. XI is Northern Ireland, which MetaKocka treats like an EU country for
OSS (erp-apis.md 1.5) and which uses the UK rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

D = Decimal


@dataclass(frozen=True, slots=True)
class CountryRates:
    standard: Decimal
    reduced: tuple[Decimal, ...] = ()

    def all(self) -> frozenset[Decimal]:
        return frozenset((self.standard, *self.reduced))


EU_VAT_RATES: dict[str, CountryRates] = {
    "AT": CountryRates(D("20"), (D("13"), D("10"))),
    "BE": CountryRates(D("21"), (D("12"), D("6"))),
    "BG": CountryRates(D("20"), (D("9"),)),
    "CY": CountryRates(D("19"), (D("9"), D("5"))),
    "CZ": CountryRates(D("21"), (D("12"),)),
    "DE": CountryRates(D("19"), (D("7"),)),
    "DK": CountryRates(D("25")),
    "EE": CountryRates(D("24"), (D("13"), D("9"))),
    "ES": CountryRates(D("21"), (D("10"), D("4"))),
    "FI": CountryRates(D("25.5"), (D("14"), D("10"))),
    "FR": CountryRates(D("20"), (D("10"), D("5.5"), D("2.1"))),
    "GR": CountryRates(D("24"), (D("13"), D("6"))),
    "HR": CountryRates(D("25"), (D("13"), D("5"))),
    "HU": CountryRates(D("27"), (D("18"), D("5"))),
    "IE": CountryRates(D("23"), (D("13.5"), D("9"))),
    "IT": CountryRates(D("22"), (D("10"), D("5"), D("4"))),
    "LT": CountryRates(D("21"), (D("9"), D("5"))),
    "LU": CountryRates(D("17"), (D("14"), D("8"), D("3"))),
    "LV": CountryRates(D("21"), (D("12"), D("5"))),
    "MT": CountryRates(D("18"), (D("7"), D("5"))),
    "NL": CountryRates(D("21"), (D("9"),)),
    "PL": CountryRates(D("23"), (D("8"), D("5"))),
    "PT": CountryRates(D("23"), (D("13"), D("6"))),
    "RO": CountryRates(D("21"), (D("11"),)),
    "SE": CountryRates(D("25"), (D("12"), D("6"))),
    "SI": CountryRates(D("22"), (D("9.5"), D("5"))),
    "SK": CountryRates(D("23"), (D("19"), D("5"))),
    "XI": CountryRates(D("20"), (D("5"),)),
}

EU_COUNTRIES = frozenset(EU_VAT_RATES)

VAT_ID_PREFIX_TO_COUNTRY = {"EL": "GR"}
"""VAT ids use EL for Greece; every other EU prefix equals the ISO country code."""


def is_eu(country: str) -> bool:
    return country.upper() in EU_COUNTRIES


def vat_id_country(vat_id: str | None) -> str | None:
    """The country a VAT id belongs to (its two-letter prefix), or None when it has none."""
    if not vat_id:
        return None
    compact = vat_id.replace(" ", "").replace("-", "").replace(".", "").upper()
    prefix = compact[:2]
    if len(compact) < 4 or not prefix.isalpha():
        return None
    return VAT_ID_PREFIX_TO_COUNTRY.get(prefix, prefix)


def destination_rate(rate: Decimal, home: str, destination: str) -> Decimal | None:
    """The destination's rate for a line the shop taxed at `rate`, or None when it cannot be told.

    A rate the destination itself uses is kept: a shop set up for OSS already sends destination rates.
    Otherwise the rate's category at home (standard, first reduced, second reduced, ...) is mapped to
    the same category at the destination (its lowest reduced rate when it has fewer, its standard
    rate when it has none). This is a heuristic: exact rates need per-product tax classes per country.
    """
    dest = EU_VAT_RATES.get(destination)
    origin = EU_VAT_RATES.get(home)
    if dest is None or origin is None:
        return None
    if rate == 0:
        return D("0")
    if rate in dest.all():
        return rate
    if rate == origin.standard:
        return dest.standard
    if rate in origin.reduced:
        if not dest.reduced:
            return dest.standard
        index = origin.reduced.index(rate)
        return dest.reduced[min(index, len(dest.reduced) - 1)]
    return None
