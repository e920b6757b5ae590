"""The marketing service's optional progress hook: it reports, and it can stop the work."""

from __future__ import annotations

import gc

import pytest
from sqlalchemy import text

from privacycrm_desktop.domain.consent import Channel
from privacycrm_desktop.services.audit import AuditFilter
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services


class Stop(Exception):
    """What a cancel looks like to the service: an exception from the hook."""


@pytest.fixture
def many(svc: Services, owner: Actor) -> Services:
    svc.demo.generate(owner, 1200, seed=5)
    # An opt-in for everyone with an e-mail address: the list decides them one by one
    # (the others are counted, not read), so its progress has work to report.
    with svc.uow(write=True) as uow:
        uow.session.execute(
            text(
                "INSERT INTO consent_event (contact_id, purpose_id, channel, status, method, "
                "evidence, evidence_file_name, product_category, contact_point_hash, "
                "recorded_at) SELECT c.id, p.id, 'email', 'opt_in', 'form_box_ticked', 'ref', "
                "'', '', '', c.created_at FROM contact c, purpose p "
                "WHERE c.primary_email != '' AND p.code = 'direct_marketing_consent'"
            )
        )
    return svc


@pytest.mark.slow
def test_build_reports_progress_up_to_the_end(many: Services, owner: Actor) -> None:
    reports: list[tuple[int, int]] = []
    with_hook = many.marketing.build(
        owner,
        "direct_marketing_consent",
        Channel.EMAIL,
        progress=lambda done, total: reports.append((done, total)),
    )
    without = many.marketing.build(owner, "direct_marketing_consent", Channel.EMAIL)
    assert with_hook == without  # the hook changes nothing in the result
    assert len(reports) >= 4
    assert reports[-1][0] == reports[-1][1] > 0
    done = [d for d, _t in reports]
    assert done == sorted(done)
    assert {t for _d, t in reports} == {reports[-1][1]}


def test_an_exception_from_the_hook_stops_an_export_before_it_is_logged(
    many: Services, owner: Actor
) -> None:
    def stop(done: int, total: int) -> None:
        if done > 0:
            raise Stop

    with pytest.raises(Stop):
        many.marketing.export_csv(
            owner, "direct_marketing_consent", Channel.EMAIL, None, "", progress=stop
        )
    where = AuditFilter(action="export.marketing_csv")
    assert many.audit.count_events(owner, where) == 0


def test_the_cyclic_collector_is_paused_while_a_list_is_made_and_on_again_after(
    many: Services, owner: Actor
) -> None:
    during: list[bool] = []

    def stop(done: int, total: int) -> None:
        during.append(gc.isenabled())
        if done > 0:
            raise Stop

    assert gc.isenabled()
    many.marketing.build(
        owner, "direct_marketing_consent", Channel.EMAIL, progress=lambda d, t: stop(0, t)
    )
    with pytest.raises(Stop):
        many.marketing.build(owner, "direct_marketing_consent", Channel.EMAIL, progress=stop)
    assert during
    assert not any(during)  # the list's many small objects are not scanned over and over
    assert gc.isenabled()
