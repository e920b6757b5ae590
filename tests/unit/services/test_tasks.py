"""Tasks and "My day" through the service layer, on SQLite and PostgreSQL: adding, ticking
off, reopening and handing on tasks; the person's data rules (field matrix, erasure,
audit); "My day" with the requests' deadlines and the consents to re-confirm."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text

from privacycrm_desktop.domain.access import FieldAccess, Role, mask
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.errors import NotFound, PermissionDenied, ValidationFailed
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.requests import RequestKind
from privacycrm_desktop.domain.retention import RECONFIRM_REASON
from privacycrm_desktop.domain.tasks import DayGroup, ItemKind, TaskDraft, TaskOrigin
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.requests import RequestInput

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2026, 2, 20))
# The clock of the tests: Monday 2 March 2026, 10:00 (the machine's zone is UTC).
MONDAY = dt.date(2026, 3, 2)


def _user(svc: Services, owner: Actor, name: str, role: Role) -> Actor:
    svc.auth.add_user(owner, name, f"{name} has a good password", role)
    return svc.auth.login(name, f"{name} has a good password")


def _audit(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT action, entity_id, detail FROM audit_event "
                "WHERE action LIKE 'task.%' ORDER BY id"
            )
        ).all()
    return [(str(a), str(i), str(d)) for a, i, d in rows]


def test_a_task_is_added_ticked_off_reopened_and_handed_on(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    sales = _user(svc, owner, "sara", Role.SALES)
    person = svc.contacts.create(owner, ContactInput(first_name="Jan", last_name="Peeters"), CARD)
    tid = svc.tasks.add(
        owner,
        TaskDraft(
            "  Call   back about the offer ",
            "Line one\nline two  ",
            MONDAY,
            dt.time(14, 30, 12),
            contact_id=person,
        ),
    )
    info = svc.tasks.get(owner, tid)
    assert (info.title, info.details, info.due_time) == (
        "Call back about the offer",
        "Line one\nline two",
        dt.time(14, 30),
    )
    assert (info.assignee, info.contact_name, info.created_by, info.done) == (
        "owner",
        "Peeters, Jan",
        "owner",
        False,
    )
    assert svc.tasks.set_done(sales, tid).done_by == "sara"
    assert svc.tasks.list_tasks(owner) == []
    assert [t.id for t in svc.tasks.list_tasks(owner, include_done=True)] == [tid]
    assert not svc.tasks.set_done(owner, tid, done=False).done
    svc.tasks.reassign(owner, tid, sales.user_id)
    assert [t.id for t in svc.tasks.list_tasks(sales, mine=True)] == [tid]
    assert svc.tasks.list_tasks(owner, mine=True) == []
    # The audit names the task by its number, never its text or the person.
    events = _audit(engine)
    assert [a for a, _i, _d in events] == ["task.add", "task.done", "task.reopen", "task.reassign"]
    assert all(i == str(tid) for _a, i, _d in events)
    assert not any("Call" in d or "Peeters" in d or "Line" in d for _a, _i, d in events)


def test_bad_tasks_are_refused_and_nothing_is_saved(svc: Services, owner: Actor) -> None:
    for draft in (
        TaskDraft(""),
        TaskDraft("x" * 201),
        TaskDraft("bell\x07"),
        TaskDraft("ok", due_time=dt.time(9)),  # a time without a date
        TaskDraft("ok", contact_id=1, company_id=1),
        TaskDraft("ok", assignee_id=999),
    ):
        with pytest.raises(ValidationFailed):
            svc.tasks.add(owner, draft)
    with pytest.raises(NotFound):
        svc.tasks.add(owner, TaskDraft("ok", contact_id=424242))
    with pytest.raises(NotFound):
        svc.tasks.set_done(owner, 424242)
    assert svc.tasks.list_tasks(owner, include_done=True) == []


def test_tasks_about_a_person_follow_the_field_matrix(svc: Services, owner: Actor) -> None:
    office = _user(svc, owner, "olga", Role.OFFICE)
    reader = _user(svc, owner, "rita", Role.READ_ONLY)
    person = svc.contacts.create(owner, ContactInput(first_name="An", last_name="Claes"), CARD)
    about = svc.tasks.add(
        owner, TaskDraft("Qtaskcanary offer", "Qdetailcanary", MONDAY, contact_id=person)
    )
    own = svc.tasks.add(owner, TaskDraft("Order paper", due_on=MONDAY, assignee_id=office.user_id))
    with pytest.raises(PermissionDenied):
        svc.tasks.add(reader, TaskDraft("Anything"))
    with pytest.raises(PermissionDenied):
        svc.tasks.set_done(reader, own)
    svc.access.set_field_access(owner, Role.OFFICE, "tasks", FieldAccess.HIDDEN)
    svc.access.set_field_access(owner, Role.READ_ONLY, "tasks", FieldAccess.MASKED)
    seen = {t.id: t for t in svc.tasks.list_tasks(office)}
    assert seen[about].hidden
    assert (seen[about].title, seen[about].details) == ("", "")
    assert (seen[own].title, seen[own].hidden) == ("Order paper", False)
    assert svc.tasks.list_tasks(office, contact_id=person) == []
    with pytest.raises(PermissionDenied):
        svc.tasks.add(office, TaskDraft("About her", contact_id=person))
    with pytest.raises(PermissionDenied):
        svc.tasks.set_done(office, about)
    svc.tasks.set_done(office, own)  # a task about nobody: still hers to tick off
    masked = svc.tasks.get(reader, about)
    assert masked.title == mask("Qtaskcanary offer")
    assert "Qdetailcanary" not in masked.details


def test_a_persons_tasks_go_with_the_person_and_the_rest_stay(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    person = svc.contacts.create(owner, ContactInput(first_name="Els", last_name="Wouters"), CARD)
    other = svc.contacts.create(owner, ContactInput(first_name="Luc", last_name="Maes"), CARD)
    svc.tasks.add(owner, TaskDraft("Qerasecanary", "Qerasedetail", MONDAY, contact_id=person))
    kept = svc.tasks.add(owner, TaskDraft("Visit Luc", contact_id=other))
    svc.erasure.erase(owner, person, ErasureReason.ERASURE_REQUEST)
    assert [t.id for t in svc.tasks.list_tasks(owner, include_done=True)] == [kept]
    with engine.connect() as conn:
        titles = conn.execute(text("SELECT title, details FROM task")).all()
    assert [tuple(r) for r in titles] == [("Visit Luc", "")]


def test_my_day_groups_tasks_and_derived_items(
    svc: Services, owner: Actor, clock: FixedClock, engine: Engine
) -> None:
    sales = _user(svc, owner, "sara", Role.SALES)
    person = svc.contacts.create(owner, ContactInput(first_name="Zoë", last_name="Lefèvre"), CARD)
    made = {
        "late": svc.tasks.add(owner, TaskDraft("Late", due_on=MONDAY - dt.timedelta(days=3))),
        "earlier today": svc.tasks.add(
            owner, TaskDraft("Earlier", due_on=MONDAY, due_time=dt.time(9))
        ),
        "today": svc.tasks.add(owner, TaskDraft("Today", due_on=MONDAY, due_time=dt.time(15))),
        "today, no time": svc.tasks.add(owner, TaskDraft("Any time", due_on=MONDAY)),
        "sunday": svc.tasks.add(owner, TaskDraft("Sunday", due_on=MONDAY + dt.timedelta(days=6))),
    }
    svc.tasks.add(owner, TaskDraft("Next week", due_on=MONDAY + dt.timedelta(days=7)))
    svc.tasks.add(owner, TaskDraft("Undated"))
    svc.tasks.add(owner, TaskDraft("Someone else's", due_on=MONDAY, assignee_id=sales.user_id))
    done = svc.tasks.add(owner, TaskDraft("Done already", due_on=MONDAY))
    svc.tasks.set_done(owner, done)
    # A request received a month ago is due this week; another one later.
    clock.current = dt.datetime(2026, 2, 4, 10)
    due_soon = svc.requests.add(owner, RequestInput(RequestKind.ACCESS, (person,)))
    clock.current = dt.datetime(2026, 3, 1, 10)
    svc.requests.add(owner, RequestInput(RequestKind.ERASURE, (person,)))
    clock.current = dt.datetime(2026, 3, 2, 10)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE contact SET keep_reason = :r, keep_until = :d WHERE id = :c"),
            {"r": RECONFIRM_REASON, "d": MONDAY - dt.timedelta(days=1), "c": person},
        )
    day = svc.my_day.my_day(owner)
    tasks = {i.title: i.group for i in day.items if i.kind is ItemKind.TASK}
    assert tasks == {
        "Late": DayGroup.OVERDUE,
        "Earlier": DayGroup.OVERDUE,
        "Today": DayGroup.TODAY,
        "Any time": DayGroup.TODAY,
        "Sunday": DayGroup.THIS_WEEK,
    }
    assert {i.task_id for i in day.items if i.kind is ItemKind.TASK} == set(made.values())
    requests = [i for i in day.items if i.kind is ItemKind.REQUEST_DEADLINE]
    assert [(i.request_id, i.group, i.request_kind) for i in requests] == [
        (due_soon, DayGroup.THIS_WEEK, RequestKind.ACCESS)
    ]
    assert requests[0].contact_name == "Lefèvre, Zoë"
    assert requests[0].reference.startswith("R-2026-")
    consents = [i for i in day.items if i.kind is ItemKind.RECONSENT]
    assert [(i.contact_id, i.group) for i in consents] == [(person, DayGroup.OVERDUE)]
    assert (day.total(DayGroup.OVERDUE), day.total(DayGroup.TODAY)) == (3, 2)
    assert day.total(DayGroup.THIS_WEEK) == 2
    # Overdue first, then today, then the week; each in due order.
    groups = [i.group for i in day.items]
    assert groups == sorted(groups, key=list(DayGroup).index)
    # Sales handle no requests: their day has the consents but no request deadlines.
    theirs = svc.my_day.my_day(sales)
    assert {i.kind for i in theirs.items} == {ItemKind.TASK, ItemKind.RECONSENT}
    # Later in the day the 15:00 task is overdue, and the reminders name it.
    clock.current = dt.datetime(2026, 3, 2, 15, 1)
    assert {i.title: i.group for i in svc.my_day.my_day(owner).items if i.title}["Today"] is (
        DayGroup.OVERDUE
    )
    reminded = svc.tasks.due_reminders(owner)
    assert reminded[0] == made["late"]
    assert set(reminded) == {made[k] for k in ("late", "today, no time", "earlier today", "today")}
    assert {t.title for t in svc.tasks.list_tasks(owner, overdue=True)} == {
        "Late",
        "Earlier",
        "Today",
    }


def test_my_day_counts_what_it_does_not_list(
    svc: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from privacycrm_desktop.services import my_day

    monkeypatch.setattr(my_day, "TASK_CAP", 3)
    for n in range(5):
        svc.tasks.add(owner, TaskDraft(f"Late {n}", due_on=MONDAY - dt.timedelta(days=n + 1)))
    svc.tasks.add(owner, TaskDraft("Today", due_on=MONDAY))
    day = svc.my_day.my_day(owner)
    assert len(day.items) == 3
    assert day.total(DayGroup.OVERDUE) == 5
    assert day.total(DayGroup.TODAY) == 1
    assert day.left_out(ItemKind.TASK) == 3
    assert [i.title for i in day.items] == ["Late 4", "Late 3", "Late 2"]
    assert TaskOrigin.MANUAL in {svc.tasks.get(owner, 1).origin}


@pytest.mark.sqlite_only
def test_my_days_tasks_are_one_index_range_without_sorting(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    from sqlalchemy import select

    from privacycrm_desktop.persistence.task_models import Task
    from privacycrm_desktop.services.my_day import DUE_ORDER, open_tasks_until

    query = select(Task.id).where(*open_tasks_until(1, MONDAY)).order_by(*DUE_ORDER).limit(100)
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    assert "USING INDEX ix_task_open" in plan or "USING COVERING INDEX ix_task_open" in plan
    assert "TEMP B-TREE" not in plan


def test_the_access_report_lists_the_tasks_about_the_person(svc: Services, owner: Actor) -> None:
    import io
    import json

    from pypdf import PdfReader

    person = svc.contacts.create(owner, ContactInput(first_name="Els", last_name="Maes"), CARD)
    other = svc.contacts.create(owner, ContactInput(first_name="Luc", last_name="Peeters"), CARD)
    svc.tasks.add(owner, TaskDraft("Send the offer", "Two options", MONDAY, contact_id=person))
    svc.tasks.add(owner, TaskDraft("Visit Luc", contact_id=other))
    svc.tasks.add(owner, TaskDraft("Order paper"))
    report = svc.access_reports.produce(owner, person, "en")
    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(report.pdf)).pages)
    assert "Send the offer: Two options" in " ".join(text.split())
    assert "Visit Luc" not in text
    assert "Order paper" not in text
    tasks = [d for d in json.loads(report.json)["data"] if d["field"] == "tasks"]
    assert [(t["value"], t["details"], t["due_on"], t["done"]) for t in tasks] == [
        ("Send the offer", "Two options", MONDAY.isoformat(), False)
    ]


def test_a_consent_given_long_ago_comes_into_my_day_until_it_is_confirmed_again(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    """Derived from the consent register, never copied: the line comes when the consent
    falls due for re-confirmation and goes when the person confirms."""
    from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
    from privacycrm_desktop.services.consent_dto import ConsentInput

    person = svc.contacts.create(owner, ContactInput(first_name="Ann", last_name="Maes"), CARD)

    def consent() -> None:
        svc.consent.record(
            owner,
            ConsentInput(
                contact_id=person,
                purpose="direct_marketing_consent",
                channel=Channel.EMAIL,
                status=ConsentStatus.OPT_IN,
                method=ConsentMethod.FORM_BOX_TICKED,
                evidence="form",
            ),
        )

    def reconsents() -> list[tuple[int | None, DayGroup]]:
        day = svc.my_day.my_day(owner)
        return [(i.contact_id, i.group) for i in day.items if i.kind is ItemKind.RECONSENT]

    consent()  # on Monday 2 March 2026: due for re-confirmation on 2 March 2028
    assert reconsents() == []
    clock.current = dt.datetime(2028, 2, 28, 10)  # the Monday of that week
    assert reconsents() == [(person, DayGroup.THIS_WEEK)]
    clock.current = dt.datetime(2028, 3, 6, 10)
    assert reconsents() == [(person, DayGroup.OVERDUE)]
    assert not svc.tasks.list_tasks(owner, include_done=True)  # shown, not copied
    consent()  # confirmed again: due two years on
    assert reconsents() == []


def test_my_day_reads_no_names_that_no_task_needs(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    """Tasks about nobody, or about people only: no look-up of contacts or companies with
    an empty id list (a round trip each, for nothing, on the server)."""
    from sqlalchemy import event

    person = svc.contacts.create(owner, ContactInput(first_name="Jan", last_name="Peeters"), CARD)
    svc.tasks.add(owner, TaskDraft("Order paper", due_on=MONDAY))
    sent: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        svc.my_day.my_day(owner)
        alone = list(sent)
        svc.tasks.add(owner, TaskDraft("Call Jan", due_on=MONDAY, contact_id=person))
        sent.clear()
        day = svc.my_day.my_day(owner)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert [i.contact_name for i in day.items if i.task_id is not None and i.contact_id] == [
        "Peeters, Jan"
    ]  # the names a task needs are still read
    for statements in (alone, sent):
        assert not [s for s in statements if "FROM company " in s or s.endswith("FROM company")]
    assert not [s for s in alone if "FROM contact WHERE contact.id IN" in s]
