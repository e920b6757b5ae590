"""The access report says how long erased data can survive in backups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

from .access_fixture import make_contact
from .test_access_report import pdf_text

SENTENCE = {
    "nl": "Back-ups van onze databank worden hoogstens {days} dagen bewaard",
    "fr": "Les copies de sauvegarde de notre base de données sont conservées au plus {days} jours",
    "en": "Backup copies of our database are kept for at most {days} days",
}


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_report_states_the_maximum_age_of_backups(
    svc: Services, owner: Actor, db_path: Path, language: str
) -> None:
    cid = make_contact(svc, owner)
    report = svc.access_reports.produce(owner, cid, language)
    assert SENTENCE[language].format(days=90) in pdf_text(report.pdf)  # the default
    svc.backup.update_settings(
        owner, folder=db_path.parent / "b", second_folder=None, max_age_days=45
    )
    report = svc.access_reports.produce(owner, cid, language)
    assert SENTENCE[language].format(days=45) in pdf_text(report.pdf, f"access-backups-{language}")
    assert json.loads(report.json)["backup_max_age_days"] == 45


REGISTER = {
    "nl": "hoogstens {days} dagen bewaard",
    "fr": "conservées au plus {days} jours",
    "en": "kept for at most {days} days",
}


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_register_states_the_backups_truthfully(
    svc: Services, owner: Actor, db_path: Path, language: str
) -> None:
    svc.backup.update_settings(
        owner, folder=db_path.parent / "b", second_folder=None, max_age_days=30
    )
    text = pdf_text(svc.reports.processing_register(owner, language), f"register-{language}")
    assert REGISTER[language].format(days=30) in text
