"""Every sentence a person reads from the control plane, in English and Slovenian: the one catalog.

Why a typed dict and not gettext/Babel: the catalog is small (a few hundred sentences), it must
not need a compile step (`.po` → `.mo`) for `make up`, and keeping both languages of a sentence
side by side makes a missing translation a failing test (`test_every_sentence_has_both_languages`)
instead of a silently English page. Templates call `t(key, **params)`; Python calls
`text(key, lang, **params)`. The API speaks English (`lang="en"`); the console speaks the
language each user chose.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Literal

from storelink_connector_kit.plugin import shop_plugins
from storelink_erp_kit.adapters import installed_adapters
from storelink_kit.texts import Text

log = logging.getLogger("storelink.control.i18n")

Lang = Literal["en", "sl"]
LANGS: tuple[Lang, ...] = ("en", "sl")
DEFAULT_LANG: Lang = "en"


def as_lang(value: str | None) -> Lang:
    """A stored or asked-for language; anything unknown is English."""
    return "sl" if (value or "").lower().startswith("sl") else "en"


def text(key: str, lang: Lang, /, **params: Any) -> str:
    """The sentence in `lang` with `{params}` filled in; an unknown key shows itself (a test forbids it)."""
    entry = CATALOG.get(key)
    if entry is None:
        return key
    template = entry.sl if lang == "sl" else entry.en
    return template.format(**params)  # literal braces are doubled in the catalog


# --------------------------------------------------------------------------- field problems

PROBLEM_KEY_BY_TYPE: dict[str, str] = {
    "missing": "problem.missing",
    "string_too_short": "problem.too_short",
    "too_short": "problem.too_short",
    "string_too_long": "problem.too_long",
    "too_long": "problem.too_long",
    "greater_than_equal": "problem.at_least",
    "greater_than": "problem.more_than",
    "less_than_equal": "problem.at_most",
    "less_than": "problem.less_than",
    "int_parsing": "problem.whole_number",
    "int_type": "problem.whole_number",
    "int_from_float": "problem.whole_number",
    "bool_parsing": "problem.yes_no",
    "bool_type": "problem.yes_no",
    "decimal_parsing": "problem.number",
    "decimal_type": "problem.number",
    "float_parsing": "problem.number",
    "enum": "problem.one_of",
    "literal_error": "problem.one_of",
    "string_pattern_mismatch": "problem.pattern",
    "extra_forbidden": "problem.unknown_field",
    "string_type": "problem.text",
    "dict_type": "problem.object",
    "model_type": "problem.object",
    "model_attributes_type": "problem.object",
    "list_type": "problem.list",
    "json_invalid": "problem.json",
    "datetime_parsing": "problem.datetime",
    "datetime_type": "problem.datetime",
}


def problem_text(err: Mapping[str, Any], lang: Lang = DEFAULT_LANG) -> str:
    """One pydantic error in plain words (never pydantic's own wording such as "items after validation")."""
    kind = str(err.get("type", ""))
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        return str(err.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    loc = [str(p) for p in err.get("loc", ())]
    if kind == "string_pattern_mismatch" and loc and f"hint.{loc[-1]}" in CATALOG:
        return text(f"hint.{loc[-1]}", lang)  # what the field looks like, e.g. a plugin's account id
    key = PROBLEM_KEY_BY_TYPE.get(kind)
    if key is None:
        return text("problem.invalid", lang)
    params: dict[str, Any] = {
        "min": ctx.get("min_length", ctx.get("ge", ctx.get("gt", ""))),
        "max": ctx.get("max_length", ctx.get("le", ctx.get("lt", ""))),
        "expected": str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", "),
    }
    if kind in ("greater_than_equal", "greater_than"):
        params["min"] = ctx.get("ge", ctx.get("gt", ""))
    if kind in ("less_than_equal", "less_than"):
        params["max"] = ctx.get("le", ctx.get("lt", ""))
    return text(key, lang, **params)


# --------------------------------------------------------------------------- the catalog

CATALOG: dict[str, Text] = {
    # field problems (API, CLI and console)
    "problem.missing": Text("is required", "je obvezen podatek"),
    "problem.too_short": Text(
        "is too short: give at least {min} characters", "je prekratek: vpišite vsaj {min} znakov"
    ),
    "problem.too_long": Text("is too long: at most {max} characters", "je predolg: največ {max} znakov"),
    "problem.at_least": Text("must be at least {min}", "mora biti vsaj {min}"),
    "problem.more_than": Text("must be more than {min}", "mora biti več kot {min}"),
    "problem.at_most": Text("must be at most {max}", "je lahko največ {max}"),
    "problem.less_than": Text("must be less than {max}", "mora biti manj kot {max}"),
    "problem.whole_number": Text("must be a whole number, e.g. 3600", "mora biti celo število, npr. 3600"),
    "problem.yes_no": Text("must be yes or no (true or false)", "mora biti da ali ne (true ali false)"),
    "problem.number": Text("must be a number, e.g. 0.05", "mora biti število, npr. 0,05"),
    "problem.one_of": Text("must be one of: {expected}", "mora biti ena od možnosti: {expected}"),
    "problem.pattern": Text("is not in the expected form", "ni v pričakovani obliki"),
    "problem.unknown_field": Text(
        "is not a known setting (check the spelling)", "ni znana nastavitev (preverite črkovanje)"
    ),
    "problem.text": Text("must be text", "mora biti besedilo"),
    "problem.object": Text("must be a group of fields ({{...}})", "mora biti skupina polj ({{...}})"),
    "problem.list": Text("must be a list", "mora biti seznam"),
    "problem.json": Text("is not valid JSON", "ni veljaven JSON"),
    "problem.datetime": Text(
        "must be a date and time, e.g. 2026-12-01T10:00:00+01:00",
        "mora biti datum in čas, npr. 2026-12-01T10:00:00+01:00",
    ),
    "problem.invalid": Text("is not valid", "ni veljaven"),
    "hint.tenant_id": Text(
        "use 2 to 63 lower-case letters, digits and dashes, e.g. acme-shop",
        "uporabite 2 do 63 malih črk, številk in vezajev, npr. acme-trgovina",
    ),
}

CATALOG.update(
    {
        # frame
        "console.title": Text("Console", "Konzola"),
        "console.skip": Text("Skip to the content", "Preskoči na vsebino"),
        "nav.label": Text("Main menu", "Glavni meni"),
        "nav.home": Text("Overview", "Pregled"),
        "nav.inbox": Text("Inbox", "Nabiralnik"),
        "nav.orders": Text("Order timeline", "Potek naročila"),
        "console.language": Text("Language", "Jezik"),
        "lang.en": Text("English", "angleščina"),
        "lang.sl": Text("Slovenian", "slovenščina"),
        "console.switch": Text("Change", "Zamenjaj"),
        "console.sign_out": Text("Sign out", "Odjava"),
        "console.save": Text("Save", "Shrani"),
        "console.saved": Text("Saved.", "Shranjeno."),
        "console.fix_fields": Text(
            "Please correct the {n} marked field(s) below.", "Popravite označena polja spodaj ({n})."
        ),
        "console.asking_erp": Text("asking the ERP…", "sprašujem ERP…"),
        "console.asking_shop": Text("asking the shop…", "sprašujem trgovino…"),
        "console.operator_only": Text(
            "only an operator can add companies", "podjetja lahko dodaja samo operater"
        ),
        # sign-in
        "signin.title": Text("Sign in", "Prijava"),
        "signin.intro": Text(
            "Sign in with your Storelink API token (a company's token, or the operator token).",
            "Prijavite se s svojim žetonom API za Storelink (žeton podjetja ali žeton operaterja).",
        ),
        "signin.token": Text("API token", "Žeton API"),
        "signin.submit": Text("Sign in", "Prijava"),
        "signin.wrong": Text(
            "This token is unknown or revoked. Check it and try again.",
            "Tega žetona ne poznamo ali je preklican. Preverite ga in poskusite znova.",
        ),
        "signin.where": Text(
            "Under make up the operator token is STORELINK_CONTROL_OPERATOR_TOKEN in"
            " .state/local/secrets.env; a company's token is made with:"
            " storelink tenants token --name NAME --tenant ID.",
            "Pri make up je žeton operaterja STORELINK_CONTROL_OPERATOR_TOKEN v .state/local/secrets.env;"
            " žeton podjetja naredite z: storelink tenants token --name IME --tenant ID.",
        ),
        # verdicts
        "verdict.ok": Text("Works", "Deluje"),
        "verdict.failed": Text("Does not work", "Ne deluje"),
        "verdict.timeout": Text("No answer", "Ni odgovora"),
        "verdict.unsupported": Text("Not tested", "Ni preizkušeno"),
        "verdict.error": Text("The test could not run", "Preizkusa ni bilo mogoče izvesti"),
        # the finer verdicts of shop and ERP tests (a sentence in the user's language before the
        # shop's or ERP's own detail)
        "reason.ok": Text("the connection works", "povezava deluje"),
        "reason.wrong_secret": Text(
            "the API key or password was refused", "API ključ ali geslo je bilo zavrnjeno"
        ),
        "reason.wrong_account": Text(
            "no such shop, site, company or user", "te trgovine, strani, podjetja ali uporabnika ni"
        ),
        "reason.missing_permission": Text(
            "the key or user lacks a permission", "ključu ali uporabniku manjka dovoljenje"
        ),
        "reason.unreachable": Text("could not be reached", "ni dosegljiv"),
        "reason.rate_limited": Text("too many requests; try again later", "preveč zahtev; poskusite kasneje"),
        "reason.invalid_settings": Text(
            "the settings cannot be right as typed", "nastavitve niso pravilno vpisane"
        ),
        "reason.ip_not_allowed": Text(
            "the ERP refuses calls from this server's address", "ERP zavrača klice z naslova tega strežnika"
        ),
        "reason.unexpected": Text("an unexpected answer", "nepričakovan odgovor"),
        "reason.no_credentials": Text("no credentials are saved yet", "podatki za dostop še niso shranjeni"),
        "reason.timeout": Text("no answer in time", "ni odgovora v roku"),
        # home and status
        "home.title": Text("Overview", "Pregled"),
        "home.companies": Text("Companies", "Podjetja"),
        "home.no_companies": Text("No company yet.", "Še ni nobenega podjetja."),
        "home.add_company": Text("Add a company", "Dodaj podjetje"),
        "home.status": Text("Does it work?", "Ali deluje?"),
        "home.live": Text("Updates by itself every few seconds.", "Se osveži samo vsakih nekaj sekund."),
        "status.caption": Text("Status of every shop connection", "Stanje vseh povezav s trgovinami"),
        "status.connection": Text("Connection", "Povezava"),
        "status.state": Text("State", "Stanje"),
        "status.last_order": Text("Last order", "Zadnje naročilo"),
        "status.last_webhook": Text("Last webhook", "Zadnji webhook"),
        "status.last_poll": Text("Last poll", "Zadnje preverjanje"),
        "status.orders": Text("Orders", "Naročila"),
        "status.documents": Text("ERP documents", "Dokumenti v ERP"),
        "status.problems": Text("Open problems", "Odprte težave"),
        "status.paused": Text("paused", "ustavljena"),
        "status.enabled": Text("on", "vklopljena"),
        "status.open_problems": Text("{n} to look at", "{n} za pregled"),
        "status.none": Text("none", "ni"),
        "status.empty": Text("No connection yet.", "Še ni nobene povezave."),
        "doc_state.created": Text("created", "ustvarjeni"),
        "doc_state.failed": Text("failed", "neuspešni"),
        # company
        "company.new_title": Text("New company", "Novo podjetje"),
        "company.title": Text("Company", "Podjetje"),
        "company.profile": Text("Company profile", "Podatki o podjetju"),
        "company.erp": Text("ERP / invoicing program", "ERP / program za račune"),
        "company.test_erp": Text("Test ERP connection", "Preizkusi povezavo z ERP"),
        "company.connections": Text("Shop connections", "Povezave s trgovinami"),
        "company.no_connections": Text("No shop connected yet.", "Še ni povezane trgovine."),
        "help.fiscal_needs": Text(
            "Fiscal verification needs the VAT id and, in the ERP, the business premises and cash register"
            " the invoices are issued from.",
            "Davčno potrjevanje potrebuje davčno številko ter v ERP poslovni prostor in elektronsko napravo,"
            " iz katerih se izdajajo računi.",
        ),
        "help.secrets_kept": Text(
            "Saved secrets are never shown; leave a secret field empty to keep it.",
            "Shranjenih skrivnosti ne prikažemo; pustite polje prazno, da ostane shranjena vrednost.",
        ),
        "help.secret_saved": Text("saved — type to replace", "shranjeno — vpišite za zamenjavo"),
        # connection
        "connection.new_title": Text("New {platform} connection", "Nova povezava {platform}"),
        "connection.title": Text("{platform} shop", "Trgovina {platform}"),
        "connection.back": Text("back to the company", "nazaj na podjetje"),
        "connection.shop": Text("Access to the shop", "Dostop do trgovine"),
        "connection.settings": Text("What to synchronise", "Kaj sinhroniziramo"),
        "connection.test": Text("Test connection", "Preizkusi povezavo"),
        # webhook
        "webhook.title": Text("Web Hook URL", "Web Hook URL"),
        "webhook.why": Text(
            "Orders arrive with the next poll anyway; with the webhook they arrive seconds after they are"
            " placed.",
            "Naročila pridejo tudi ob naslednjem preverjanju; z webhookom pridejo nekaj sekund po oddaji.",
        ),
        "webhook.generate": Text("Generate a new Web Hook URL", "Zgeneriraj nov Web Hook URL"),
        "webhook.confirm": Text(
            "The old Web Hook URL stops working. Generate a new one?",
            "Stari Web Hook URL preneha delovati. Zgeneriram novega?",
        ),
        "webhook.shown_once": Text(
            "Copy it now: it is shown only this once. Treat it like a password.",
            "Kopirajte ga zdaj: prikazan je samo enkrat. Varujte ga kot geslo.",
        ),
        "webhook.url": Text("Web Hook URL", "Web Hook URL"),
        "webhook.copy": Text("Copy", "Kopiraj"),
        "webhook.steps_title": Text("In the shop", "V trgovini"),
        # inbox
        "inbox.title": Text("Inbox", "Nabiralnik"),
        "inbox.failed": Text("ERP documents that failed", "Neuspešni dokumenti v ERP"),
        "inbox.failed_help": Text(
            "Fix the cause (e.g. the ERP key in the company profile), then press Retry: each document is"
            " created once.",
            "Odpravite vzrok (npr. ključ ERP pri podatkih o podjetju) in pritisnite Poskusi znova: vsak"
            " dokument nastane enkrat.",
        ),
        "inbox.order": Text("Order", "Naročilo"),
        "inbox.document": Text("Document", "Dokument"),
        "inbox.reason": Text("Why", "Zakaj"),
        "inbox.retries": Text("Retries", "Ponovitve"),
        "inbox.action": Text("Action", "Dejanje"),
        "inbox.retry": Text("Retry", "Poskusi znova"),
        "inbox.none": Text("Nothing here.", "Tu ni ničesar."),
        "inbox.attention": Text("Orders that need attention", "Naročila, ki potrebujejo pozornost"),
        "inbox.attention_help": Text(
            "Change the settings or the shop's data, then map the order again.",
            "Spremenite nastavitve ali podatke v trgovini in naročilo ponovno prenesite.",
        ),
        "inbox.map_again": Text("Map again", "Prenesi znova"),
        "inbox.dead_letters": Text(
            "Messages that could not be processed", "Sporočila, ki jih ni bilo mogoče obdelati"
        ),
        "inbox.dead_help": Text(
            "Technical failures; send them again once the cause is fixed.",
            "Tehnične napake; ko je vzrok odpravljen, jih pošljite znova.",
        ),
        "inbox.what": Text("Message", "Sporočilo"),
        "inbox.replay": Text("Send again", "Pošlji znova"),
        # timeline
        "orders.title": Text("Order timeline", "Potek naročila"),
        "orders.number": Text("Shop order number", "Številka naročila v trgovini"),
        "orders.search": Text("Show", "Prikaži"),
        "orders.not_found": Text("No order {number} has arrived yet.", "Naročilo {number} še ni prispelo."),
        "orders.order": Text("Order {number}", "Naročilo {number}"),
        "orders.snapshots": Text("Received from the shop", "Prejeto iz trgovine"),
        "orders.documents": Text("ERP documents", "Dokumenti v ERP"),
        "orders.why": Text("Why this document", "Zakaj ta dokument"),
        "orders.created": Text("Created in the ERP: {number}", "Ustvarjen v ERP: {number}"),
        "orders.after_retries": Text(
            "after {n} retry from the inbox", "po {n}. ponovnem poskusu iz nabiralnika"
        ),
        "orders.failed": Text("The ERP refused it", "ERP ga je zavrnil"),
        "orders.pending": Text("Waiting for the ERP…", "Čakam na ERP…"),
        "orders.would_send": Text(
            "Would send (shadow mode): nothing was sent to the ERP",
            "Bi poslal (način sence): v ERP ni bilo poslano nič",
        ),
        "orders.no_documents": Text("No document requested yet.", "Še ni zahtevanega dokumenta."),
        "via.webhook": Text("by webhook", "prek webhooka"),
        "via.poll": Text("by polling", "s preverjanjem"),
        "via.replay": Text("sent again from the console", "ponovno poslano iz konzole"),
        "via.other": Text("received", "prejeto"),
        "order_status.pending": Text("pending", "v čakanju"),
        "order_status.confirmed": Text("confirmed", "potrjeno"),
        "order_status.fulfilled": Text("fulfilled", "odpremljeno"),
        "order_status.cancelled": Text("cancelled", "preklicano"),
        "order_status.refunded": Text("refunded", "vrnjeno"),
        "payment.unpaid": Text("unpaid", "neplačano"),
        "payment.pending": Text("payment pending", "plačilo v teku"),
        "payment.partially_paid": Text("partly paid", "delno plačano"),
        "payment.paid": Text("paid", "plačano"),
        "payment.partially_refunded": Text("partly refunded", "delno vrnjeno"),
        "payment.refunded": Text("refunded", "vrnjeno"),
        "payment.voided": Text("voided", "razveljavljeno"),
        "doc_kind.offer": Text("Offer", "Ponudba"),
        "doc_kind.sales_order": Text("Sales order", "Prodajno naročilo"),
        "doc_kind.invoice_domestic": Text("Invoice (domestic)", "Račun (domači)"),
        "doc_kind.invoice_foreign": Text("Invoice (foreign)", "Račun (tuji)"),
        "doc_kind.credit_note": Text("Credit note", "Dobropis"),
        "doc_kind.cancellation": Text("Cancellation", "Preklic"),
        # field labels (form field name → label)
        "field.tenant_id": Text("Short name (for addresses and tokens)", "Kratko ime (za naslove in žetone)"),
        "field.name": Text("Company name", "Naziv podjetja"),
        "field.country": Text("Country (two letters)", "Država (dve črki)"),
        "field.vat_id": Text("VAT id", "Identifikacijska številka za DDV"),
        "field.oss_registered": Text("Registered for OSS (EU one-stop shop)", "Vključeni v sistem VEM (OSS)"),
        "field.fiscal_verification": Text(
            "Fiscally verify invoices (davčno potrjevanje)", "Davčno potrjevanje računov"
        ),
        "field.erp": Text("ERP", "ERP"),
        "field.description": Text("Description", "Opis"),
        "field.enabled": Text("Connection on", "Povezava vklopljena"),
        "field.import_orders": Text("Import orders", "Uvoz naročil"),
        "field.target_document": Text("Orders become", "Naročila se prenesejo kot"),
        "field.auto_invoice_paid": Text(
            "Invoice paid orders automatically", "Avtomatsko fakturiranje plačanih naročil"
        ),
        "field.polling_interval_seconds": Text(
            "Polling interval (seconds)", "Interval preverjanja (sekunde)"
        ),
        "field.first_import_lookback_days": Text(
            "First import looks back (days)", "Prvi uvoz sega nazaj (dni)"
        ),
        "field.warehouse": Text("Warehouse (for stock sync)", "Skladišče (za sinhronizacijo zaloge)"),
        "field.cost_center": Text("Cost center", "Stroškovno mesto"),
        "field.price_lists": Text("Price lists", "Ceniki"),
        "field.price_list_name": Text("Price list {n}", "Cenik {n}"),
        "field.price_list_kind": Text("Kind of price list {n}", "Vrsta cenika {n}"),
        "field.price_list_send": Text("Prices of list {n} are sent", "Cene cenika {n} pošiljamo"),
        "field.stock_sync": Text("Sync stock to the shop", "Sinhronizacija zaloge v trgovino"),
        "field.shadow": Text(
            "Shadow mode: map orders and show the documents, send nothing to the ERP or the shop",
            "Način sence: naročila se preslikajo in dokumenti prikažejo, v ERP in trgovino se ne pošlje nič",
        ),
        "field.price_sync": Text("Sync prices to the shop", "Sinhronizacija cen v trgovino"),
        "field.reconcile_daily": Text(
            "Reconcile every day (each difference becomes a needs-attention item)",
            "Vsak dan uskladi (vsaka razlika postane postavka, ki zahteva pozornost)",
        ),
        "field.reconcile_hour": Text("Reconcile from hour (0-23)", "Usklajevanje od ure (0-23)"),
        "field.rounding_tolerance": Text(
            "Rounding tolerance (EUR)", "Dovoljeno odstopanje zaokroževanja (EUR)"
        ),
        "help.price_lists": Text(
            "B2C prices are sent gross and B2B prices net unless you choose otherwise.",
            "Cene B2C pošiljamo z DDV, cene B2B brez DDV, razen če izberete drugače.",
        ),
        "help.polling_interval_seconds": Text(
            "3600 = every hour (at least 60).", "3600 = vsako uro (najmanj 60)."
        ),
        "option.offer": Text("Offer", "Ponudba"),
        "option.sales_order": Text("Sales order", "Prodajno naročilo"),
        "option.invoice": Text(
            "Invoice (domestic or foreign, by the buyer)", "Račun (domači ali tuji, glede na kupca)"
        ),
        "option.b2c": Text("B2C (consumers)", "B2C (potrošniki)"),
        "option.b2b": Text("B2B (businesses)", "B2B (podjetja)"),
        "option.send_default": Text("as usual for the kind", "običajno za vrsto"),
        "option.send_gross": Text("gross (with VAT)", "z DDV (bruto)"),
        "option.send_net": Text("net (without VAT)", "brez DDV (neto)"),
    }
)


def add_plugin_texts(catalog: dict[str, Text], owner: str, texts: Mapping[str, Text]) -> None:
    """A plugin's own sentences join the catalog. Two plugins may share a label (`field.api_key`) if
    they say the same; one that says otherwise is logged and the first kept, so a third-party
    plugin cannot relabel another's fields."""
    for key, sentence in texts.items():
        known = catalog.get(key)
        if known is not None and tuple(known) != tuple(sentence):
            log.warning(
                "console text left out: another plugin says it otherwise", extra={"key": key, "plugin": owner}
            )
            continue
        catalog[key] = Text(*sentence)


# What the console says about each shop platform and each ERP comes from its plugin or adapter.
for _plugin in shop_plugins().values():
    add_plugin_texts(CATALOG, _plugin.platform.value, _plugin.texts)
for _adapter in installed_adapters().values():
    add_plugin_texts(CATALOG, _adapter.erp.value, _adapter.texts)
