"""Closed vocabularies shared by all events."""

from __future__ import annotations

from enum import StrEnum


class Platform(StrEnum):
    WIX = "wix"
    SHOPAMINE = "shopamine"
    WOOCOMMERCE = "woocommerce"
    SHOPIFY = "shopify"


class DoorbellReason(StrEnum):
    """Why a connector must talk to a shop: orders changed (a webhook), or values wait to be pushed."""

    WEBHOOK = "webhook"
    PUSH = "push"


class ErpSystem(StrEnum):
    METAKOCKA = "metakocka"
    ERACUNI = "eracuni"


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class PaymentStatus(StrEnum):
    UNPAID = "unpaid"
    PENDING = "pending"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"


class PaymentMethod(StrEnum):
    CARD = "card"
    CASH = "cash"
    CASH_ON_DELIVERY = "cash_on_delivery"
    BANK_TRANSFER = "bank_transfer"
    PAYPAL = "paypal"
    OTHER = "other"
    UNKNOWN = "unknown"


class BuyerKind(StrEnum):
    PERSON = "person"
    COMPANY = "company"


class TargetDocument(StrEnum):
    """What an imported order becomes in the ERP (a connection setting)."""

    OFFER = "offer"
    SALES_ORDER = "sales_order"
    INVOICE = "invoice"


class DocumentKind(StrEnum):
    """A concrete ERP document the mapper asks for."""

    OFFER = "offer"
    SALES_ORDER = "sales_order"
    INVOICE_DOMESTIC = "invoice_domestic"
    INVOICE_FOREIGN = "invoice_foreign"
    CREDIT_NOTE = "credit_note"
    CANCELLATION = "cancellation"


class TaxTreatment(StrEnum):
    DOMESTIC = "domestic"
    INTRA_COMMUNITY = "intra_community"
    OSS = "oss"
    EXPORT = "export"


class LineKind(StrEnum):
    PRODUCT = "product"
    SHIPPING = "shipping"
    FEE = "fee"
    DISCOUNT = "discount"
    ROUNDING = "rounding"


class PriceListKind(StrEnum):
    B2C = "b2c"
    B2B = "b2b"
