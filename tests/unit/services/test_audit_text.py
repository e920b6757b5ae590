"""Audit events in words: actions, records and details in the reader's language."""

from __future__ import annotations

import datetime as dt

import pytest

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.audit_actions import AuditAction
from privacycrm_desktop.services.audit_text import (
    describe_action,
    describe_detail,
    describe_record,
)
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services


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
