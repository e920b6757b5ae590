"""A vCard file a phone writes, imported end to end: every card arrives, names split the
Belgian way, one coherent address with the others kept in the notes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from privacycrm_desktop.domain.contacts import ContactKind
from privacycrm_desktop.domain.import_formats import DuplicatePolicy
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.models import ContactEmail
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports import ImportPlan
from privacycrm_desktop.services.registry import Services

#: Shaped like an iPhone export (CR CR LF line ends, grouped properties, a photo), with a
#: 2.1 card from an old Android phone and a company card.
CARDS = "\r\r\n".join(
    [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "PRODID:-//Apple Inc.//iPhone OS 17.0//EN",
        "FN:Jan Van den Broeck",
        "item1.EMAIL;type=INTERNET;type=pref:jan.vandenbroeck@example.be",
        "item1.X-ABLabel:_$!<Other>!$_",
        "TEL;type=CELL;type=VOICE;type=pref:0475 12 34 56",
        "TEL;type=WORK;type=FAX:09 111 22 33",
        "item2.ADR;type=HOME:;;Kerkstraat 1;Gent;;9000;België",
        "item3.ADR;type=WORK:;Bus 3;Industrieweg 5;Kortrijk;;8500;België",
        "BDAY;X-APPLE-OMIT-YEAR=1604:1604-05-17",
        "PHOTO;VALUE=uri:data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ==",
        "X-SOCIALPROFILE;type=linkedin:http://linkedin.com/in/jvdb",
        "END:VCARD",
        "BEGIN:VCARD",
        "VERSION:2.1",
        "N;ENCODING=quoted-printable:d'Hondt;Ren=C3=A9",
        "EMAIL;INTERNET:rene.dhondt@example.be",
        "# exported by an old phone",
        "AGENT:",
        "BEGIN:VCARD",
        "VERSION:2.1",
        "N:Assistent;An",
        "EMAIL:an@example.be",
        "END:VCARD",
        "END:VCARD",
        "BEGIN:VCARD",
        "VERSION:3.0",
        "N:;;;;",
        "FN:Bakkerij De Smet",
        "ORG:Bakkerij De Smet;",
        "EMAIL;type=WORK:info@bakkerij-desmet.example.be",
        "X-ABShowAs:COMPANY",
        "END:VCARD",
        "",
    ]
)


def test_every_card_of_a_phone_export_arrives(svc: Services, owner: Actor, tmp_path: Path) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_bytes(CARDS.encode())
    preview = svc.imports.preview(owner, path)
    plan = ImportPlan(
        path=path,
        shape=preview.shape,
        mapping=preview.mapping,
        source=SourceInput(SourceKind.IMPORT_FILE, "iPhone", dt.date(2026, 3, 1)),
        purpose_code="customer_relationship",
        legal_basis="contract",
        duplicates=DuplicatePolicy.SKIP,
    )
    result = svc.imports.run(owner, plan)
    assert (result.imported, result.invalid_rows) == (3, 0), result.invalid

    def contact(address: str) -> int:
        with svc.uow() as uow:
            return int(
                uow.session.execute(
                    select(ContactEmail.contact_id).where(ContactEmail.address == address)
                ).scalar_one()
            )

    jan = svc.contacts.get(owner, contact("jan.vandenbroeck@example.be"))
    assert (jan.first_name, jan.last_name) == ("Jan", "Van den Broeck")
    assert [p.value for p in jan.phones] == ["+32475123456"]
    assert (jan.street, jan.postcode, jan.city) == ("Industrieweg 5 Bus 3", "8500", "Kortrijk")
    assert jan.notes.splitlines() == [
        "Fax: 09 111 22 33",
        "Profile: http://linkedin.com/in/jvdb",  # no field of its own: kept in the notes
        "Home address: Kerkstraat 1, 9000 Gent, België",
    ]
    rene = svc.contacts.get(owner, contact("rene.dhondt@example.be"))
    assert (rene.first_name, rene.last_name) == ("René", "d'Hondt")
    bakery = svc.contacts.get(owner, contact("info@bakkerij-desmet.example.be"))
    assert (bakery.kind, bakery.organisation) == (
        ContactKind.ORGANISATION_ADDRESS,
        "Bakkerij De Smet",
    )
