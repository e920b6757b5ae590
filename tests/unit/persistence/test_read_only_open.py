"""A database on a read-only filesystem opens for looking things up.

In WAL mode SQLite needs a ``-shm`` file beside the database even to read; on a
read-only mount it cannot make one, and every command failed, look-ups included, and the
app asked for the database to be "updated to this version". Now the app's start-up
(``app.build_services``) opens it read-only: sign-in and look-ups work, saving says why
not, and the sign-in's audit event waits (persistence/unit_of_work.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from privacycrm_desktop.app import build_services
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.errors import StorageReadOnly
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.database import create_engine_for, read_only_uri
from privacycrm_desktop.persistence.migrate import migrate
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

SOURCE = SourceInput(SourceKind.PHONE_CALL, "phoned in")


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a read-only bind mount needs root")
    folder = tmp_path / "data"
    folder.mkdir()
    engine = create_engine_for(folder / "crm.db")
    migrate(engine)
    services = Services.build(engine)
    owner = services.setup.initialise(
        CompanyInput("Acme BV", "Kerkstraat 1, 9000 Gent", "", "privacy@acme.be", "nl"),
        "owner",
        "correct horse battery",
    )
    services.contacts.create(owner, ContactInput(last_name="Kept"), SOURCE)
    engine.dispose()
    subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
        yield folder / "crm.db"
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_the_app_opens_a_database_on_a_read_only_filesystem(read_only_mount: Path) -> None:
    assert read_only_uri(read_only_mount) is not None
    services = build_services(str(read_only_mount))
    try:
        actor = services.auth.login("owner", "correct horse battery")
        [row] = services.contacts.page(actor, limit=10)
        assert "Kept" in row.name
        assert services.contacts.get(actor, row.id).last_name == "Kept"
        with pytest.raises(StorageReadOnly):
            services.contacts.create(actor, ContactInput(last_name="Refused"), SOURCE)
        assert services.uow.deferred >= 1  # the sign-in's audit event waits, not lost
    finally:
        services.uow.take_deferred()  # not kept aside from a test
        services.uow.engine.dispose()


def test_a_writable_folder_opens_normally(tmp_path: Path) -> None:
    file = tmp_path / "crm.db"
    file.touch()
    assert read_only_uri(file) is None
