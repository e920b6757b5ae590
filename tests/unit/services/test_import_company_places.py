"""An import links each person with a function or department to the row's company (made
when no company has the name, folded), keeps a function without a company in the notes,
and its undo takes the links and the companies it made away (a company that was there
stays); on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from privacycrm_desktop.domain.companies import CompanyInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

from .test_imports import contact_by_email, run, write

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2025, 2, 20))
CSV = (
    "First Name,Last Name,Company,Job Title,Department,E-mail Address\n"
    "Jan,Peeters,Brouwerij Zoë NV,Aankoper,Aankoop,jan@x.be\n"
    "An,Claes,BROUWERIJ ZOE nv,,Boekhouding,an@x.be\n"
    "Piet,Smet,Drukkerij Janssens,Drukker,,piet@x.be\n"
    "Els,Maes,,Zelfstandige,,els@x.be\n"
    "Luc,Wouters,Garage Maes,,,luc@x.be\n"
)


def _place(svc: Services, owner: Actor, email: str) -> list[tuple[str, str, str]]:
    links = svc.companies.links_of(owner, contact_by_email(svc, owner, email))
    return [(x.company_name, x.function, x.department) for x in links if x.current]


def test_an_import_links_people_to_companies_and_its_undo_takes_them_away(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    there = svc.companies.add(owner, CompanyInput(name="Drukkerij Janssens"), CARD)
    result = run(svc, owner, write(tmp_path, "outlook.csv", CSV))
    assert result.imported == 5
    assert _place(svc, owner, "jan@x.be") == [("Brouwerij Zoë NV", "Aankoper", "Aankoop")]
    # The same company however it is written: made once, named as first written.
    assert _place(svc, owner, "an@x.be") == [("Brouwerij Zoë NV", "", "Boekhouding")]
    assert _place(svc, owner, "piet@x.be") == [("Drukkerij Janssens", "Drukker", "")]
    # A function without a company: a line of the notes, as before companies.
    els = svc.contacts.get(owner, contact_by_email(svc, owner, "els@x.be"))
    assert els.companies == ()
    assert "Job Title: Zelfstandige" in els.notes.splitlines()
    # An organisation without a function or department stays the contact's text.
    assert _place(svc, owner, "luc@x.be") == []
    names = sorted(r.name for r in svc.companies.rows(owner))
    assert names == ["Brouwerij Zoë NV", "Drukkerij Janssens"]
    assert result.batch_id is not None
    svc.imports.undo(owner, result.batch_id)
    assert [r.id for r in svc.companies.rows(owner)] == [there]
    assert svc.companies.get(owner, there).people == ()
