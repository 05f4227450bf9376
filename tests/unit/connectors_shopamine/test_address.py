"""The store address as people paste it → the shop domain in the API URL (pure, table-tested)."""

from __future__ import annotations

import pytest

from storelink_connector_shopamine.address import StoreAddressError, api_base_url, shop_domain
from storelink_connector_shopamine.platform import parse_shopamine_credentials

SAME_SHOP = [
    "www.example.si",
    "example.si",
    "WWW.EXAMPLE.SI",
    "Example.si",
    "  www.example.si  ",
    "\twww.example.si\n",
    "https://www.example.si",
    "https://www.example.si/",
    "http://example.si/",
    "HTTPS://WWW.Example.SI/",
    "https://www.example.si/sl/izdelki/kava?utm_source=x#top",
    "https://www.example.si/admin/",
    "https://www.example.si:443/",
    "//www.example.si/",
    "www.example.si.",
    "https://api.shopamine.com/www.example.si/api/v1",
    "https://api.shopamine.com/example.si/api/v1/items/list",
]


@pytest.mark.parametrize("pasted", SAME_SHOP)
def test_every_form_of_one_address_names_the_same_shop(pasted: str) -> None:
    assert shop_domain(pasted) == "www.example.si"


@pytest.mark.parametrize(
    ("pasted", "domain"),
    [
        ("shop.example.si", "shop.example.si"),
        ("https://Trgovina.Example.co.uk/", "trgovina.example.co.uk"),
        ("moja-trgovina.si", "www.moja-trgovina.si"),
        ("https://www.čokolada.si/", "www.xn--okolada-i6a.si"),
    ],
)
def test_deeper_hosts_are_kept_and_international_names_become_punycode(pasted: str, domain: str) -> None:
    assert shop_domain(pasted) == domain


@pytest.mark.parametrize(
    ("pasted", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("www.example .si", "spaces"),
        ("ana@example.si", "e-mail"),
        ("https://user:pw@www.example.si/", "e-mail address or holds a login"),
        ("localhost", "not a full domain name"),
        ("example", "not a full domain name"),
        ("192.168.1.10", "IP address"),
        ("https://api.shopamine.com/", "Shopamine API address"),
        ("ftp://www.example.si", "not a web address"),
        ("www.example.s1", "top-level domain"),
        ("www.-bad-.si", "not a full domain name"),
        ("https://www.example.si:99999/", "not a web address"),
    ],
)
def test_what_cannot_be_a_shop_gets_a_clear_error(pasted: str, reason: str) -> None:
    with pytest.raises(StoreAddressError, match=reason):
        shop_domain(pasted)


def test_api_base_url_uses_the_gateway_or_an_override() -> None:
    assert api_base_url("www.example.si") == "https://api.shopamine.com/www.example.si/api/v1"
    assert (
        api_base_url("www.example.si", "http://127.0.0.1:8092/")
        == "http://127.0.0.1:8092/www.example.si/api/v1"
    )


def test_credentials_take_the_token_with_or_without_bearer_and_refuse_what_is_broken() -> None:
    parsed = parse_shopamine_credentials({"store_address": "example.si/", "api_token": " Bearer abc123 "})
    assert parsed == {"shop_domain": "www.example.si", "api_token": "abc123"}
    with pytest.raises(ValueError, match="API KEY token is missing"):
        parse_shopamine_credentials({"store_address": "example.si", "api_token": "  "})
    with pytest.raises(ValueError, match="spaces or line breaks"):
        parse_shopamine_credentials({"store_address": "example.si", "api_token": "abc\n123"})
    with pytest.raises(ValueError, match="empty"):
        parse_shopamine_credentials({"api_token": "abc"})
