"""A server restore runs nothing of a dump's script but its data (persistence/pg_dump.py):
COPY blocks, sequence positions and the plain settings pg_restore writes; any other line
is refused before it reaches the server."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from privacycrm_desktop.domain.errors import BackupFailed
from privacycrm_desktop.persistence import pg_dump


class _Cursor:
    def __init__(self) -> None:
        self.ran: list[bytes] = []
        self.copied: dict[str, list[bytes]] = {}

    def execute(self, sql: bytes) -> None:
        self.ran.append(sql.strip())

    @contextmanager
    def copy(self, statement: str) -> Iterator[_Cursor]:
        self._rows = self.copied.setdefault(statement, [])
        yield self

    def write(self, row: bytes) -> None:
        self._rows.append(row)


HEADER = b"""--
-- PostgreSQL database dump
--
\\restrict abc

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET row_security = off;

"""
DATA = b"""COPY public.contact (id, first_name, "position") FROM stdin;
1\tZo\\303\\253\t0
\\.

SELECT pg_catalog.setval('public.contact_id_seq', 1, true);
COPY public.pcrm_grant_policy (app_role) FROM stdin;
owner
\\.
"""


def test_data_sequence_positions_and_settings_run() -> None:
    cursor = _Cursor()
    settings = pg_dump.apply_script(cursor, io.BytesIO(HEADER + DATA + b"\\unrestrict abc\n"))
    assert settings == {
        "statement_timeout",
        "client_encoding",
        "standard_conforming_strings",
        "row_security",
    }
    copied = cursor.copied['COPY public.contact (id, first_name, "position") FROM stdin']
    assert copied == [b"1\tZo\\303\\253\t0\n"]
    assert b"SELECT pg_catalog.setval('public.contact_id_seq', 1, true);" in cursor.ran
    assert not any("pcrm_grant_policy" in s for s in cursor.copied)  # the server's own


@pytest.mark.parametrize(
    "line",
    [
        b"CREATE FUNCTION public.pwn() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;",
        b"ALTER TABLE public.setting ADD CONSTRAINT evil CHECK (public.pwn() > 0);",
        b"SET role = postgres;",
        b"SET session_authorization = postgres;",
        b"SELECT pg_catalog.setval('public.contact_id_seq', public.pwn(), true);",
        b"SELECT pg_catalog.lo_open('16385', 131072);",
        b"COPY public.contact (id) FROM PROGRAM 'id';",
        b"SET statement_timeout = 0; ALTER ROLE x SUPERUSER;",
    ],
)
def test_any_other_line_is_refused_before_it_runs(line: bytes) -> None:
    cursor = _Cursor()
    with pytest.raises(BackupFailed):
        pg_dump.apply_script(cursor, io.BytesIO(HEADER + line + b"\n" + DATA))
    assert not any(b"pwn" in s or b"SUPERUSER" in s or b"role" in s.lower() for s in cursor.ran)
    assert cursor.copied == {}  # nothing after the refused line
