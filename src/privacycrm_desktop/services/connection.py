"""Which database this computer opens: the file here, or a shared PostgreSQL server.

File > Database... builds a server URL from its parts, tries it, and saves it
for the next start (config.py); the password is never saved: the server's own password
file (``~/.pgpass``) or the person signing in provides it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from privacycrm_desktop import config
from privacycrm_desktop.domain.errors import FieldProblem, ValidationFailed
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.database import (
    POSTGRESQL_DRIVER,
    create_engine_for,
    is_postgresql_url,
    normalise_url,
)
from privacycrm_desktop.persistence.storage_errors import SERVER_UNREACHABLE, storage_error

DEFAULT_PORT = 5432
__all__ = [
    "DEFAULT_PORT",
    "SERVER_UNREACHABLE",
    "ServerChoice",
    "current_choice",
    "local_file",
    "save_choice",
    "server_url",
    "try_server",
]
_NO_HOST = N_("Enter the server's name or address.")
_NO_DATABASE = N_("Enter the name of the database on the server.")
_BAD_PORT = N_("The port is a number from 1 to 65535.")
_REFUSED = N_(
    "The server answered but refused the connection: check the user name, the password "
    "and the database name."
)


@dataclass(frozen=True)
class ServerChoice:
    """A shared server as a person types it in (no password: it is never saved)."""

    host: str
    port: int
    database: str
    user: str


def current_choice() -> ServerChoice | None:
    """The server this computer opens at the next start, or None for the file here."""
    saved = config.saved_database()
    if saved is None or not is_postgresql_url(saved):
        return None
    url = make_url(normalise_url(saved))
    return ServerChoice(
        host=url.host or "",
        port=url.port or DEFAULT_PORT,
        database=url.database or "",
        user=url.username or "",
    )


def local_file() -> str:
    """The database file in this computer's data folder."""
    return str(config.data_dir() / config.DB_FILE_NAME)


def server_url(choice: ServerChoice, password: str = "") -> str:
    """The URL of *choice*; with *password* only for trying it, never for saving."""
    problems = []
    if not choice.host.strip():
        problems.append(FieldProblem("host", _NO_HOST))
    if not choice.database.strip():
        problems.append(FieldProblem("database", _NO_DATABASE))
    if not 0 < choice.port < 65536:
        problems.append(FieldProblem("port", _BAD_PORT))
    if problems:
        raise ValidationFailed(problems)
    return URL.create(
        POSTGRESQL_DRIVER,
        username=choice.user.strip() or None,
        password=password or None,
        host=choice.host.strip(),
        port=choice.port,
        database=choice.database.strip(),
    ).render_as_string(hide_password=False)


def try_server(choice: ServerChoice, password: str) -> None:
    """Connect once to *choice*; raise a domain error saying why that failed."""
    engine = create_engine_for(server_url(choice, password))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        mapped = storage_error(exc)  # None for refused credentials (refused_sign_in)
        if mapped is not None and "does not exist" not in str(exc):
            raise mapped from exc
        raise ValidationFailed([FieldProblem("server", _REFUSED)]) from exc
    finally:
        engine.dispose()


def save_choice(choice: ServerChoice | None) -> None:
    """Open *choice* (None: the file here) at the next start of the app and the CLI."""
    config.save_database(None if choice is None else server_url(choice))
