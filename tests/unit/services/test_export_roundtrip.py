"""Export then import gives back the same values, for every CSV profile and vCard version.

A contact is saved through the editor's service in one database, exported by the owner,
and imported into a second database with the mapping the importer guesses by itself;
every exported field of the imported contact equals the original's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from privacycrm_desktop.domain.contacts import ContactInput, ContactKind, Language
from privacycrm_desktop.domain.errors import ValidationFailed
from privacycrm_desktop.domain.export_csv import CsvProfile
from privacycrm_desktop.domain.export_formats import EXPORT_FIELDS, ExportFormat
from privacycrm_desktop.domain.export_vcard import VcardVersion
from privacycrm_desktop.domain.import_cells import MULTI_VALUE
from privacycrm_desktop.domain.import_formats import DuplicatePolicy
from privacycrm_desktop.domain.normalize import fold
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import migrate
from privacycrm_desktop.persistence.models import Contact
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor, ContactDetail
from privacycrm_desktop.services.exports import ExportRequest
from privacycrm_desktop.services.imports import ImportPlan
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2026, 2, 1))
FILE = SourceInput(SourceKind.IMPORT_FILE, "Our own export", dt.date(2026, 3, 1))
CLOCK = dt.datetime(2026, 3, 2, 10)
PASSWORD = "round trip password"


@dataclass
class Pair:
    """The database exported from and the one imported into."""

    source: Services
    target: Services
    source_owner: Actor
    target_owner: Actor
    folder: Path


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    engines, made = [], []
    for name in ("from.db", "into.db"):
        engine = create_engine_for(tmp_path / name)
        migrate(engine)
        services = Services.build(engine, FixedClock(CLOCK))
        owner = services.setup.initialise(CompanyInput("Acme BV", "Markt 1"), "owner", PASSWORD)
        engines.append(engine)
        made.append((services, owner))
    folder = tmp_path / "files"
    folder.mkdir()
    yield Pair(made[0][0], made[1][0], made[0][1], made[1][1], folder)
    for engine in engines:
        engine.dispose()


# Text as people type it: accents, other scripts, quotes, markup, separators, and the
# characters a spreadsheet would run as a formula at the start of a cell.
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEZéèëçàâîïôœßøñÿŠŽĳ李Ωж"
_ODD = "=+-@'\",;:\\<>&/().!?*#%"
_word = st.text(alphabet=_LETTERS + _ODD, min_size=1, max_size=12) | st.sampled_from(
    ["<b>Jan</b>", "&amp;", "\\n", "=SUM(A1)", "BEGIN:VCARD", "'quoted'"]
)
_text = st.lists(_word, min_size=1, max_size=3).map(" ".join)
_notes = st.lists(_text, min_size=1, max_size=3).map("\n".join)
_emails = st.lists(
    st.sampled_from(["zoe@example.be", "z.lefevre@example.fr", "info@bakkerij.be", "a@b.nl"]),
    max_size=3,
    unique=True,
).map(tuple)
_phones = st.lists(
    st.sampled_from(["0475 12 34 56", "+32 2 345 67 89", "+33 1 23 45 67 89", "09 223 44 55"]),
    max_size=3,
    unique=True,
).map(tuple)


@st.composite
def contacts(draw: st.DrawFn) -> ContactInput:
    organisation_address = draw(st.booleans()) and draw(st.booleans())
    person = not organisation_address
    country, postcode = draw(st.sampled_from([("BE", "9000"), ("BE", "4000"), ("FR", "75001")]))
    with_address = draw(st.booleans())
    return ContactInput(
        kind=ContactKind.PERSON if person else ContactKind.ORGANISATION_ADDRESS,
        first_name=draw(_text) if person else "",
        last_name=draw(_text) if person else "",
        organisation=draw(_text) if organisation_address or draw(st.booleans()) else "",
        emails=draw(_emails),
        phones=draw(_phones),
        street=draw(_text) if with_address else "",
        postcode=postcode if with_address else "",
        city=draw(_text) if with_address else "",
        country=country,
        language=draw(st.sampled_from(list(Language))),
        birth_date=draw(st.none() | st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31))),
        notes=draw(st.none() | _notes) or "",
    )


_tag = _word.filter(lambda w: "," not in w and ";" not in w)
_tags = st.lists(_tag, max_size=3, unique_by=fold)


def exported_values(detail: ContactDetail, ordered_phones: bool = True) -> dict[str, object]:
    values: dict[str, object] = {}
    for field in EXPORT_FIELDS:
        value = getattr(detail, "companies" if field == "company_links" else field)
        if field in ("emails", "phones"):
            values[field] = tuple(v.value for v in value)
        elif field == "tags":
            values[field] = tuple(sorted(m.name for m in detail.tags))
        elif field == "company_links":
            # The place the person has now, as a file carries it.
            values[field] = tuple(
                (x.company_name, x.function, x.department) for x in detail.companies if x.current
            )[:1]
        else:
            values[field] = value
    if not ordered_phones:
        # Outlook has a column per kind of number: a mobile comes back in another place.
        values["phones"] = tuple(sorted(p.value for p in detail.phones))
    values["kind"] = detail.kind
    return values


def newest(services: Services) -> int:
    with services.uow() as uow:
        return int(uow.session.execute(select(func.max(Contact.id))).scalar_one())


ROUND_TRIP = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


VARIANTS = [(ExportFormat.CSV, p) for p in CsvProfile] + [
    (ExportFormat.VCARD, v) for v in VcardVersion
]


@pytest.mark.slow
@pytest.mark.parametrize(("fmt", "variant"), VARIANTS, ids=lambda v: str(getattr(v, "value", v)))
@ROUND_TRIP
@given(data=contacts(), tags=_tags)
def test_export_then_import_gives_back_the_same_values(
    pair: Pair,
    fmt: ExportFormat,
    variant: CsvProfile | VcardVersion,
    data: ContactInput,
    tags: list[str],
) -> None:
    if variant is CsvProfile.GOOGLE:
        # Google's own separator of several values in one cell: a value holding " ::: "
        # cannot be written in its format (the import takes it as several).
        assume(not any(MULTI_VALUE.search(str(v)) for v in asdict(data).values()))
    try:
        # Notes such as "CSC" (a union's name) are saved as the user confirmed them, and
        # the import of one's own export confirms them again.
        contact_id = pair.source.contacts.create(
            pair.source_owner, data, CARD, special_confirmed=True
        )
    except ValidationFailed:
        # Not a contact the editor saves as it is: no round trip to check.
        assume(False)
    for name in tags:
        tag_id = pair.source.tags.create(pair.source_owner, f"{name} {contact_id}")
        pair.source.tags.assign(pair.source_owner, tag_id, [contact_id])
    original = pair.source.contacts.get(pair.source_owner, contact_id)
    out = pair.folder / f"contact-{contact_id}.{fmt.value}"
    request = ExportRequest(
        fmt,
        "customer_relationship",
        "Ourselves",
        (contact_id,),
        None,
        csv_profile=variant if isinstance(variant, CsvProfile) else CsvProfile.PRIVACYCRM,
        vcard_version=variant if isinstance(variant, VcardVersion) else VcardVersion.V4,
    )
    assert pair.source.exports.export(pair.source_owner, request, out).count == 1

    imports, owner = pair.target.imports, pair.target_owner
    preview = imports.preview(owner, out)
    plan = ImportPlan(
        out,
        preview.shape,
        preview.mapping,  # the importer's own guess: nothing mapped by hand
        FILE,
        "customer_relationship",
        "contract",
        DuplicatePolicy.CREATE,
        confirm_special=True,
    )
    result = imports.run(owner, plan)
    assert (result.imported, result.invalid) == (1, ()), result
    copy = pair.target.contacts.get(owner, newest(pair.target))
    ordered = variant is not CsvProfile.OUTLOOK
    expected, got = exported_values(original, ordered), exported_values(copy, ordered)
    if variant is CsvProfile.GOOGLE:
        # Google's labels are its own groups ("* myContacts"): no place for our tags.
        assert got["tags"] == ()
        expected["tags"] = ()
    assert got == expected


@pytest.mark.parametrize(("fmt", "variant"), VARIANTS, ids=lambda v: str(getattr(v, "value", v)))
def test_a_company_link_and_tags_survive_export_then_import(
    pair: Pair, fmt: ExportFormat, variant: CsvProfile | VcardVersion
) -> None:
    """The company's name, the function and the department go out in the profile's own
    columns (vCard ORG with its unit, TITLE) and come back as a link to the company (made
    in the other database), with the tags."""
    from privacycrm_desktop.domain.companies import CompanyInput as Company
    from privacycrm_desktop.domain.companies import LinkInput

    src, owner = pair.source, pair.source_owner
    contact_id = src.contacts.create(
        owner, ContactInput(first_name="Zoë", last_name="Lefèvre", emails=("zoe@example.be",)), CARD
    )
    company = src.companies.add(owner, Company(name="Brouwerij Zoë NV"), CARD)
    src.companies.link(owner, contact_id, company, LinkInput("Zaakvoerster", "Directie"), CARD)
    src.tags.assign_named(owner, "VIP", [contact_id])
    original = src.contacts.get(owner, contact_id)
    out = pair.folder / f"company-{variant}.{fmt.value}"
    request = ExportRequest(
        fmt,
        "customer_relationship",
        "Ourselves",
        (contact_id,),
        None,
        csv_profile=variant if isinstance(variant, CsvProfile) else CsvProfile.PRIVACYCRM,
        vcard_version=variant if isinstance(variant, VcardVersion) else VcardVersion.V4,
    )
    src.exports.export(owner, request, out)
    text = out.read_bytes().decode("utf-8-sig")
    if fmt is ExportFormat.VCARD:
        assert "ORG:Brouwerij Zoë NV;Directie" in text
        assert "TITLE:Zaakvoerster" in text
        assert "CATEGORIES:VIP" in text
    else:
        header = text.splitlines()[0]
        expected = {
            CsvProfile.OUTLOOK: ("Company", "Job Title", "Department", "Categories"),
            CsvProfile.GOOGLE: (
                "Organization Name",
                "Organization Title",
                "Organization Department",
            ),
            CsvProfile.PRIVACYCRM: ("Organisation", "Function", "Department", "Tags"),
            CsvProfile.EXCEL_NL: ("Organisatie", "Functie", "Afdeling", "Tags"),
            CsvProfile.EXCEL_FR: ("Société", "Fonction", "Service", "Étiquettes"),
        }[CsvProfile(variant)]
        for column in expected:
            assert column in header, (variant, column)
    imports, target = pair.target.imports, pair.target_owner
    preview = imports.preview(target, out)
    plan = ImportPlan(
        out,
        preview.shape,
        preview.mapping,
        FILE,
        "customer_relationship",
        "contract",
        DuplicatePolicy.CREATE,
        confirm_special=True,
    )
    result = imports.run(target, plan)
    assert (result.imported, result.invalid) == (1, ()), result
    copy = pair.target.contacts.get(target, newest(pair.target))
    assert exported_values(copy)["company_links"] == exported_values(original)["company_links"]
    assert exported_values(copy)["company_links"] == (
        ("Brouwerij Zoë NV", "Zaakvoerster", "Directie"),
    )
    if variant is not CsvProfile.GOOGLE:
        assert [t.name for t in copy.tags] == ["VIP"]
    # The company was made once in the other database; a second import links to it.
    assert pair.target.companies.count(target) == 1
    assert imports.run(target, plan).imported == 1
    assert pair.target.companies.count(target) == 1
    people = pair.target.companies.rows(target)[0].people
    assert people == 2
