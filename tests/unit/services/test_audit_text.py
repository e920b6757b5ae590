"""Audit events in words: actions, records and details in the reader's language."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.audit_actions import SYSTEM_ACTORS, AuditAction
from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.export_formats import ExportFormat
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.audit_text import (
    describe_action,
    describe_actor,
    describe_detail,
    describe_record,
)
from privacycrm_desktop.services.backup.service import AUTOMATIC
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.exports import ExportRequest
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.storage_repair import ACTOR as INTEGRITY_CHECK


@pytest.mark.parametrize(
    ("language", "action", "detail"),
    [
        ("en", "User deactivated", "role: Privacy officer · number: 1,200"),
        ("nl", "Gebruiker gedeactiveerd", "rol: Privacyverantwoordelijke · aantal: 1.200"),
        ("fr", "Utilisateur désactivé", "rôle : Responsable vie privée · nombre : 1\u202f200"),
    ],
)
def test_action_and_detail_in_the_language(language: str, action: str, detail: str) -> None:
    assert describe_action(AuditAction.USER_DEACTIVATE, language) == action
    assert describe_detail("role=privacy_officer;count=1200", language) == detail


def test_values_are_words_dates_and_yes_or_no() -> None:
    assert (
        describe_detail("fields=first_name,emails", "en") == "fields: First name, E-mail addresses"
    )
    assert describe_detail("until=2026-03-02", "en") == "until: 2 March 2026"
    assert describe_detail("encrypted=1;language=nl", "en") == "encrypted: yes · language: Dutch"
    assert describe_detail("03-01", "en") == "1 March"
    assert "2025" in describe_detail("backup_created=2025-03-14T10:00:00", "en")
    assert "T10" not in describe_detail("backup_created=2025-03-14T10:00:00", "en")


def test_records_by_name_or_kind_and_number() -> None:
    assert describe_record("app_user", "4", "sam", "en") == "sam"
    assert describe_record("rights_request", "7", "", "nl") == "Verzoek nr. 7"
    assert describe_record("contact", "2001", "", "en") == "Contact no. 2,001"
    assert describe_record("setting", "-", "", "en") == "Setting"
    assert describe_record("rights_request", "", "", "en") == "Request"
    assert describe_record("rights_request", "-", "", "fr") == "Demande"
    assert describe_record("rights_request", "", "", "nl") == "Verzoek"


def test_an_unknown_action_stays_as_stored() -> None:
    assert describe_action("something.new", "fr") == "something.new"


def test_the_trail_names_users_and_contacts(services: Services, owner: Actor) -> None:
    services.auth.add_user(owner, "sam", "another good password", Role.SALES)
    services.auth.deactivate_user(owner, "sam")
    events = services.audit.list_events(owner)
    deactivated = next(e for e in events if e.action == AuditAction.USER_DEACTIVATE)
    assert deactivated.entity == "app_user"
    assert deactivated.record_name == "sam"
    assert events[0].at < dt.datetime.max.isoformat()


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        (
            "nl",
            "formaat: CSV (rekenblad) · "
            "variant: PrivacyCRM (alle kolommen, om opnieuw te importeren) · "
            "ontvanger: binnen het bedrijf · verstrekkingen: 0 · "
            # The restricted fields the file held (it said "left out": they were in it).
            "beperkt: Geboortedatum, Notities",
        ),
    ],
)
def test_an_exports_detail_names_format_variant_recipient_and_fields(
    language: str, detail: str
) -> None:
    stored = (
        "format=csv;variant=privacycrm;recipient=internal;disclosures=0;restricted=birth_date,notes"
    )
    assert describe_detail(stored, language) == detail


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("nl", "soort: Tekst · beperkt: ja · voor: personen · bewaren (maanden): –"),
        ("fr", "type : Texte · restreint : oui · pour : personnes · conserver (mois) : –"),
    ],
)
def test_a_custom_fields_definition_reads_in_words(language: str, detail: str) -> None:
    # An outside attack read "soort: text · weggelaten velden: 1 · on: contact · keep
    # months:" in the audit trail.
    stored = "kind=text;restricted=1;on=contact;keep_months="
    assert describe_detail(stored, language) == detail


def test_no_export_detail_keeps_a_code() -> None:
    from privacycrm_desktop.domain.export_csv import CsvProfile
    from privacycrm_desktop.domain.export_vcard import VcardVersion
    from privacycrm_desktop.domain.fields import FIELDS_BY_NAME
    from privacycrm_desktop.domain.purposes import RecipientKind

    for language in ("nl", "fr"):
        for key, codes in (
            ("format", [f.value for f in ExportFormat]),
            ("variant", [v.value for v in (*CsvProfile, *VcardVersion)]),
            ("recipient", ["internal", *(k.value for k in RecipientKind)]),
            ("restricted", list(FIELDS_BY_NAME)),
        ):
            for code in codes:
                shown = describe_detail(f"{key}={code}", language)
                value = re.split(r"\s?: ", shown, maxsplit=1)[1]
                assert value not in (code, code.replace("_", " ")), shown


def test_the_apps_own_work_is_named_in_words() -> None:
    assert {AUTOMATIC, INTEGRITY_CHECK} <= set(SYSTEM_ACTORS)
    for actor in SYSTEM_ACTORS:
        assert describe_actor(actor, "nl") != actor
        assert describe_actor(actor, "fr") != actor
    assert describe_actor(AUTOMATIC, "nl") == "Automatische back-up"
    assert describe_actor("sam", "fr") == "sam"


def test_a_purpose_recorded_by_code_is_named(
    services: Services, owner: Actor, tmp_path: Path
) -> None:
    services.exports.export(
        owner,
        ExportRequest(
            format=ExportFormat.CSV,
            purpose="customer_relationship",
            recipient="Onthaal",
            recipient_kind=None,
        ),
        tmp_path / "all.csv",
    )
    event = next(e for e in services.audit.list_events(owner) if e.action == "export.contacts")
    assert event.entity_id == "customer_relationship"
    assert event.record_name
    assert "_" not in event.record_name
    assert describe_record("purpose", "customer_relationship", "", "nl") == (
        "Doeleinde: customer relationship"
    )


def test_a_detail_names_the_recipient_and_purpose_from_the_register(
    services: Services, owner: Actor, tmp_path: Path
) -> None:
    services.exports.export(
        owner,
        ExportRequest(
            format=ExportFormat.CSV, purpose="customer_relationship", recipient="Drukkerij NV"
        ),
        tmp_path / "all.csv",
    )
    event = next(e for e in services.audit.list_events(owner) if e.action == "export.contacts")
    shown = describe_detail(event.detail, "en", event.names())
    assert "recipient: Drukkerij NV" in shown
    assert re.search(r"recipient: \d", describe_detail(event.detail, "en")) is not None

    zoe = services.contacts.create(
        owner,
        ContactInput(first_name="Zoë", last_name="Lefèvre", emails=("zoe@example.be",)),
        SourceInput(SourceKind.BUSINESS_CARD, "Salon", dt.date(2025, 2, 20)),
    )
    services.consent.record(
        owner,
        ConsentInput(
            zoe,
            "direct_marketing_consent",
            Channel.EMAIL,
            ConsentStatus.OPT_IN,
            ConsentMethod.FORM_BOX_TICKED,
            "web form 1",
        ),
    )
    consent = next(e for e in services.audit.list_events(owner) if "purpose=" in e.detail)
    purpose = next(
        p for p in services.statements.purposes(owner) if p.code == "direct_marketing_consent"
    )
    shown = describe_detail(consent.detail, "en", consent.names())
    assert f"purpose: {purpose.name}" in shown
    # The register's purposes in the reader's language.
    assert "doeleinde: Direct marketing met toestemming" in describe_detail(
        consent.detail, "nl", consent.names()
    )
    assert describe_record("purpose", "2", "Customer relationship", "fr") == "Relation client"
    assert "status: Opt-in" in shown
