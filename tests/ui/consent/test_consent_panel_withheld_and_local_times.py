"""The "Consent and marketing" dialog: a written special-category consent is
withheld from roles that may not see special categories, and times are local.

Screenshots (nl, fr, 1024x600) go to PRIVACYCRM_SCREENSHOT_DIR when it is set.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.special_categories import SpecialCategory
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.consent.consent_panel import ConsentDialog

from ..screens import save

SOURCE = SourceInput(SourceKind.SALE, "Invoice 17", dt.date(2025, 3, 1))
EVIDENCE_COLUMN = 5


@pytest.fixture
def brussels(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This computer stands in Brussels (CET in winter, CEST in summer)."""
    monkeypatch.setenv("TZ", "Europe/Brussels")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def dialog(qtbot: QtBot, services: Services, actor: Actor, cid: int) -> ConsentDialog:
    shown = ConsentDialog(
        services.consent, services.statements, actor, cid, "nl", disclosures=services.disclosures
    )
    qtbot.addWidget(shown)
    return shown


def login(services: Services, owner: Actor, role: Role) -> Actor:
    services.auth.add_user(owner, role.value, "a long password 1", role)
    return services.auth.login(role.value, "a long password 1")


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_roles_without_special_access_do_not_see_the_written_consent(
    qtbot: QtBot, services: Services, owner: Actor, language: str
) -> None:
    cid = services.contacts.create(
        owner, ContactInput(first_name="Zoë", last_name="Peeters"), SOURCE
    )
    services.disclosures.record_special_consent(
        owner, cid, SpecialCategory.HEALTH, ConsentMethod.SIGNED_PAPER, "diabetes form ref 12"
    )
    services.consent.record(
        owner,
        ConsentInput(
            cid,
            "direct_marketing_consent",
            Channel.EMAIL,
            ConsentStatus.OPT_IN,
            ConsentMethod.FORM_BOX_TICKED,
            evidence="web form 4711",
        ),
    )
    apply_language(language)
    mine = dialog(qtbot, services, owner, cid)
    cells = [mine.history.item(r, EVIDENCE_COLUMN).text() for r in range(2)]
    assert any("diabetes form ref 12" in c for c in cells)
    for role in (Role.READ_ONLY, Role.OFFICE, Role.SALES):
        shown = dialog(qtbot, services, login(services, owner, role), cid)
        texts = " ".join(
            shown.history.item(r, c).text()
            for r in range(shown.history.rowCount())
            for c in range(shown.history.columnCount())
        )
        assert "diabetes" not in texts
        for label in ("Health", "Gezondheid", "Santé"):
            assert label not in texts
        assert "web form 4711" in texts  # ordinary evidence stays
        for row in range(shown.history.rowCount()):
            shown.history.selectRow(row)
            assert not shown.evidence_button.isEnabled()
        if role is Role.OFFICE:
            shown.resize(1024, 600)
            shown.show()
            qtbot.waitExposed(shown)
            save(shown, f"{language}-consent-dialog-office")
        shown.close()


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (dt.datetime(2026, 1, 15, 3, 40), "04:40"),  # winter: CET, UTC+1
        (dt.datetime(2026, 7, 15, 2, 40), "04:40"),  # summer: CEST, UTC+2
    ],
)
def test_consent_times_are_local_in_winter_and_summer(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    clock: FixedClock,
    brussels: None,
    stored: dt.datetime,
    shown: str,
) -> None:
    cid = services.contacts.create(
        owner, ContactInput(first_name="Zoë", last_name="Peeters"), SOURCE
    )
    clock.current = stored
    services.consent.record(
        owner,
        ConsentInput(
            cid,
            "direct_marketing_consent",
            Channel.EMAIL,
            ConsentStatus.OPT_IN,
            ConsentMethod.FORM_BOX_TICKED,
            evidence="web form 4711",
        ),
    )
    assert services.consent.history(owner, cid)[0].recorded_at == stored  # stored in UTC
    apply_language("nl")
    window = dialog(qtbot, services, owner, cid)
    when = window.history.item(0, 0).text()
    zone = "CET" if stored.month == 1 else "CEST"
    assert when.endswith(f"{shown} {zone}")
    assert "15" in when
    if stored.month == 1:
        for language in ("nl", "fr"):
            apply_language(language)
            shown = dialog(qtbot, services, owner, cid)
            shown.resize(1024, 600)
            shown.show()
            qtbot.waitExposed(shown)
            save(shown, f"{language}-consent-dialog-local-time")
            shown.close()
