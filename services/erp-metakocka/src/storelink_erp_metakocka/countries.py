"""ISO country code → the English country name MetaKocka expects in `partner.country`."""

from __future__ import annotations

NAMES: dict[str, str] = {
    "AT": "Austria",
    "BE": "Belgium",
    "BG": "Bulgaria",
    "HR": "Croatia",
    "CY": "Cyprus",
    "CZ": "Czech Republic",
    "DK": "Denmark",
    "EE": "Estonia",
    "FI": "Finland",
    "FR": "France",
    "DE": "Germany",
    "GR": "Greece",
    "HU": "Hungary",
    "IE": "Ireland",
    "IT": "Italy",
    "LV": "Latvia",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "MT": "Malta",
    "NL": "Netherlands",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "SK": "Slovakia",
    "SI": "Slovenia",
    "ES": "Spain",
    "SE": "Sweden",
    "GB": "United Kingdom",
    "XI": "United Kingdom - Northern Ireland",
    "CH": "Switzerland",
    "NO": "Norway",
    "RS": "Serbia",
    "BA": "Bosnia and Herzegovina",
    "ME": "Montenegro",
    "MK": "North Macedonia",
    "US": "United States",
    "CA": "Canada",
    "AU": "Australia",
}


def country_name(code: str) -> str:
    """The English name; the code itself when unknown (MK accepts 2-letter codes in some fields)."""
    return NAMES.get(code.upper(), code.upper())
