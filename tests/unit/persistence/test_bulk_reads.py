"""Look-ups of many values at once (persistence/bulk_reads): the rows Core gives, on SQLite
from SQL compiled once per statement."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, or_, select

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
        # More values than one query takes (500), upper case found case-insensitively.
        emails = [a.upper() for a in stored] + [f"nobody{n}@example.be" for n in range(1_100)]
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
            if conn.dialect.name == "sqlite":
                # Compiled once, its IN list written by length from then on.
                assert bulk_reads._COMPILED[id(statement)][0] is statement
        assert list(rows_in(conn, by_email, [])) == []
