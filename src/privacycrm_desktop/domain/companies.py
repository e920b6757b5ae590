"""Companies as records of their own, and the people working there.

A company is a legal entity: its name, legal form, enterprise number (KBO/BCE, or the VAT
number of another EU country), address, general e-mail and phone, website, relationship
and notes. Its general e-mail address and phone number are organisation addresses: under
the Belgian B2B rule (as for ``ContactKind.ORGANISATION_ADDRESS``) an offer aimed at the
company may go to them without a person's consent. A person is linked to a company with a
function and a department from a date; ending a link keeps it, with its end date, so a
person who moves to another company keeps the history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from privacycrm_desktop.domain.contacts import Relationship
from privacycrm_desktop.domain.countries import NO_COUNTRY, is_country_code
from privacycrm_desktop.domain.errors import FieldProblem, ValidationFailed
from privacycrm_desktop.domain.normalize import (
    DEFAULT_REGION,
    InvalidValue,
    clean_text,
    fold,
    normalise_email,
    normalise_phone,
    normalise_postcode,
    normalise_vat,
    strip_bidi_controls,
    vat_display,
)
from privacycrm_desktop.domain.text import N_

#: A compact enterprise or VAT number as people write it ("BE 0403.170.701"): the same
#: formatting the reports use.
format_vat = vat_display

MAX_COMPANY_NAME = 200
MAX_FUNCTION = 200
MAX_WEBSITE = 300
MAX_COMPANY_NOTES = 20_000


class LegalForm(StrEnum):
    """The Belgian legal forms (Code of companies and associations, 2019), and the rest."""

    NONE = ""
    BV = "bv_srl"
    NV = "nv_sa"
    CV = "cv_sc"
    VZW = "vzw_asbl"
    VOF = "vof_snc"
    COMMV = "commv_scomm"
    SOLE_TRADER = "sole_trader"
    FOREIGN = "foreign"
    OTHER = "other"


LEGAL_FORM_LABELS = {
    LegalForm.NONE: N_("(not known)"),
    LegalForm.BV: N_("BV / SRL (private limited company)"),
    LegalForm.NV: N_("NV / SA (public limited company)"),
    LegalForm.CV: N_("CV / SC (cooperative company)"),
    LegalForm.VZW: N_("VZW / ASBL (non-profit association)"),
    LegalForm.VOF: N_("VOF / SNC (general partnership)"),
    LegalForm.COMMV: N_("CommV / SComm (limited partnership)"),
    LegalForm.SOLE_TRADER: N_("Sole trader"),
    LegalForm.FOREIGN: N_("Foreign company"),
    LegalForm.OTHER: N_("Other"),
}

#: Legal forms as written before or after a company's name ("Acme NV", "SPRL Dupont"),
#: dots left out; the Belgian ones with their form, the rest foreign.
LEGAL_FORM_WORDS: dict[str, LegalForm] = {
    **dict.fromkeys(("NV", "SA"), LegalForm.NV),
    **dict.fromkeys(("BV", "SRL", "BVBA", "SPRL"), LegalForm.BV),
    **dict.fromkeys(("CVBA", "SCRL"), LegalForm.CV),
    **dict.fromkeys(("VZW", "ASBL"), LegalForm.VZW),
    **dict.fromkeys(("VOF", "SNC"), LegalForm.VOF),
    **dict.fromkeys(("CommV", "SComm"), LegalForm.COMMV),
    **dict.fromkeys(("GmbH", "AG", "Ltd", "Inc", "LLC", "PLC", "SARL", "SAS"), LegalForm.FOREIGN),
}
_LEGAL_FORM_KEYS = {word.casefold(): word for word in LEGAL_FORM_WORDS}


def legal_form_in_name(name: str) -> LegalForm | None:
    """The legal form a name is written with ("Acme NV", "N.V. Acme", "acme bvba",
    "Example Ltd."), or None. The form is a word of its own at either end, in capitals,
    in lower case or as it is spelled ("GmbH"): "Maria Sa" names a person."""
    words = name.replace(",", " ").split()
    if len(words) < 2:
        return None
    for word in (words[-1], words[0]):
        bare = word.rstrip(".").replace(".", "")
        spelled = _LEGAL_FORM_KEYS.get(bare.casefold())
        if spelled is not None and bare in (spelled, bare.upper(), bare.lower()):
            return LEGAL_FORM_WORDS[spelled]
    return None


#: The company fields that carry a source, in the card's order (each value its own).
COMPANY_FIELDS = (
    "name",
    "legal_form",
    "vat",
    "street",
    "postcode",
    "city",
    "country",
    "email",
    "phone",
    "website",
    "relationship",
    "notes",
)

COMPANY_FIELD_LABELS = {
    "name": N_("Name"),
    "legal_form": N_("Legal form"),
    "vat": N_("Enterprise or VAT number"),
    "street": N_("Street and number"),
    "postcode": N_("Postcode"),
    "city": N_("City"),
    "country": N_("Country"),
    "email": N_("General e-mail address"),
    "phone": N_("General phone number"),
    "website": N_("Website"),
    "relationship": N_("Relationship"),
    "notes": N_("Notes"),
}


@dataclass(frozen=True)
class CompanyInput:
    """A company as entered (``validate_company`` gives its stored form)."""

    name: str = ""
    legal_form: LegalForm = LegalForm.NONE
    vat: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = DEFAULT_REGION
    email: str = ""
    phone: str = ""
    website: str = ""
    relationship: Relationship = Relationship.PROSPECT
    notes: str = ""


@dataclass(frozen=True)
class LinkInput:
    """A person's place at a company: function and department, from a date."""

    function: str = ""
    department: str = ""
    started_on: dt.date | None = None


def company_key(name: str) -> str:
    """The key one company is known by: its name folded and trimmed ("ACME nv " = "acme nv").

    The migration turns each distinct key among the contacts' organisation texts into one
    company, and a new company with the same key as a stored one is a likely duplicate.
    """
    # Folded first, then the spaces: folding can itself leave one (a lone cedilla).
    return " ".join(fold(name).split())


def _field(problems: list[FieldProblem], name: str, check: object) -> str:
    """Run *check* (a zero-argument callable), noting its problem under *name*."""
    try:
        return str(check())  # type: ignore[operator]
    except InvalidValue as exc:
        problems.append(FieldProblem(name, exc.message, dict(exc.params)))
        return ""


def _too_long(problems: list[FieldProblem], name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        problems.append(
            FieldProblem(name, N_("Too long: at most {limit} characters."), {"limit": limit})
        )


def validate_company(data: CompanyInput) -> CompanyInput:
    """Check and normalise a company: the name is required, the enterprise number is
    validated (stored compact, "BE0403170701"), addresses and numbers normalised.

    Raises:
        ValidationFailed: with one problem per field that is wrong.
    """
    problems: list[FieldProblem] = []
    name = _field(problems, "name", lambda: clean_text(data.name))
    if not name and not problems:
        problems.append(FieldProblem("name", N_("Enter the company's name.")))
    _too_long(problems, "name", name, MAX_COMPANY_NAME)
    country = _field(problems, "country", lambda: clean_text(data.country).upper())
    if country and (len(country) != 2 or not country.isalpha()):
        problems.append(FieldProblem("country", N_("Use a two-letter country code (BE, NL...).")))
    elif country and not is_country_code(country):
        problems.append(FieldProblem("country", NO_COUNTRY, {"value": country}))
    country = country or DEFAULT_REGION
    vat = _field(problems, "vat", lambda: normalise_vat(data.vat))
    texts = {}
    for field in ("street", "city", "website"):
        texts[field] = _field(problems, field, lambda f=field: clean_text(getattr(data, f)))
        _too_long(problems, field, texts[field], MAX_WEBSITE if field == "website" else 200)
    postcode = ""
    if data.postcode.strip():
        postcode = _field(problems, "postcode", lambda: normalise_postcode(data.postcode, country))
    email = ""
    if data.email.strip():
        email = _field(problems, "email", lambda: normalise_email(data.email))
    phone = ""
    if data.phone.strip():
        region = country if len(country) == 2 else DEFAULT_REGION
        phone = _field(problems, "phone", lambda: normalise_phone(data.phone, region))
    notes = strip_bidi_controls(data.notes or "").strip()
    _too_long(problems, "notes", notes, MAX_COMPANY_NOTES)
    if problems:
        raise ValidationFailed(problems)
    return replace(
        data,
        name=name,
        legal_form=LegalForm(data.legal_form),
        vat=vat,
        street=texts["street"],
        postcode=postcode,
        city=texts["city"],
        country=country,
        email=email,
        phone=phone,
        website=texts["website"],
        relationship=Relationship(data.relationship),
        notes=notes,
    )


def validate_link(data: LinkInput, today: dt.date) -> LinkInput:
    """Check a person's function and department; the start defaults to *today*.

    Raises:
        ValidationFailed: a value too long, with control characters, or a future start.
    """
    problems: list[FieldProblem] = []
    function = _field(problems, "function", lambda: clean_text(data.function))
    department = _field(problems, "department", lambda: clean_text(data.department))
    _too_long(problems, "function", function, MAX_FUNCTION)
    _too_long(problems, "department", department, MAX_FUNCTION)
    started = data.started_on or today
    if started > today:
        problems.append(FieldProblem("started_on", N_("A link cannot start in the future.")))
    if problems:
        raise ValidationFailed(problems)
    return LinkInput(function=function, department=department, started_on=started)


#: Relationships that give a company a purpose of its own (a contract, invoices to keep):
#: such a company is kept even without people.
PURPOSEFUL_RELATIONSHIPS = frozenset(
    {Relationship.CUSTOMER, Relationship.FORMER_CUSTOMER, Relationship.SUPPLIER}
)


def is_cleanup_candidate(people: int, relationship: Relationship) -> bool:
    """True for a company the cleanup proposes to review: nobody is linked to it (now or
    in the past: a person's past links go with that person) and its relationship gives it
    no purpose of its own (a prospect, "other")."""
    return people == 0 and Relationship(relationship) not in PURPOSEFUL_RELATIONSHIPS
