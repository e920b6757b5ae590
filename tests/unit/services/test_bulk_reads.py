"""Look-ups of many values at once (persistence/bulk_reads), on both engines: the rows
Core gives, on SQLite from SQL compiled once per statement, on the server from one
statement text whose values are one array."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, event, or_, select

from privacycrm_desktop.persistence import bulk_reads
from privacycrm_desktop.persistence.bulk_reads import VALUES, rows_in
from privacycrm_desktop.persistence.dialect import nocase
from privacycrm_desktop.persistence.models import Contact, ContactEmail
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

_IN = bindparam(VALUES, expanding=True)


def test_rows_in_gives_the_rows_core_gives(services: Services, owner: Actor) -> None:
    services.demo.generate(owner, 60, seed=5)
    by_email = select(ContactEmail.contact_id, ContactEmail.address).where(
        nocase(ContactEmail.address).in_(_IN)
    )
    by_name = select(Contact.id, Contact.sort_name).where(
        Contact.sort_name.in_(_IN),
        or_(Contact.import_batch_id.is_(None), Contact.import_batch_id != bindparam("batch")),
    )
    with services.uow() as uow:
        conn = uow.session.connection()
        stored = [a for (a,) in conn.execute(select(ContactEmail.address)).tuples()]
        names = [n for (n,) in conn.execute(select(Contact.sort_name)).tuples()]
        # More values than one query takes (500; 5,000 in an array on the server); on
        # SQLite upper case found case-insensitively (NOCASE; the server's lower() index
        # takes the folded addresses an import looks up).
        sqlite = conn.dialect.name == "sqlite"
        emails = [a.upper() if sqlite else a for a in stored]
        emails += [f"nobody{n}@example.be" for n in range(5_100)]
        cases: list[tuple[Any, list[str], dict[str, Any]]] = [
            (by_email, emails, {}),
            (by_name, [*names, *(f"x{n}" for n in range(700))], {"batch": 999}),
        ]
        for statement, values, params in cases:
            expected = {
                row
                for start in range(0, len(values), 500)
                for row in conn.execute(
                    statement, {VALUES: values[start : start + 500], **params}
                ).tuples()
            }
            found = list(rows_in(conn, statement, values, params))
            assert expected
            assert sorted(found) == sorted(expected)
            if sqlite:
                # Compiled once, its IN list written by length from then on.
                assert bulk_reads._COMPILED[id(statement)][0] is statement
        assert list(rows_in(conn, by_email, [])) == []


def test_on_the_server_the_values_go_as_one_array_in_one_statement_text(
    services: Services, owner: Actor
) -> None:
    # With an IN list SQLAlchemy and the driver wrote and parsed 500 placeholders at every
    # execution (each length a new text the server parses and plans again).
    services.demo.generate(owner, 30, seed=5)
    by_id = select(ContactEmail.contact_id, ContactEmail.address).where(
        ContactEmail.contact_id.in_(_IN)
    )
    sent: list[str] = []
    with services.uow() as uow:
        conn = uow.session.connection()
        stored = sorted(conn.execute(select(ContactEmail.contact_id, ContactEmail.address)))
        ids = sorted({cid for cid, _address in stored})

        def note(_conn: Any, _cursor: Any, statement: str, *rest: Any) -> None:
            sent.append(statement)

        event.listen(conn, "before_cursor_execute", note)
        try:
            found = [list(rows_in(conn, by_id, part)) for part in (ids[:3], ids, ids[:1])]
        finally:
            event.remove(conn, "before_cursor_execute", note)
    assert sorted(found[1]) == stored
    assert sorted(found[0]) == [r for r in stored if r[0] in ids[:3]]
    assert sorted(found[2]) == [r for r in stored if r[0] == ids[0]]
    assert len(sent) == 3
    if conn.dialect.name == "postgresql":
        assert len(set(sent)) == 1
        assert "= ANY(" in sent[0]
        assert " IN (" not in sent[0]
