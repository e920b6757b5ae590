"""What the import wizard's pages share: the services, the file read, the plan, the results.

The wizard makes one ``ImportState`` and hands it to each page. A page reads what earlier
pages left there (the file's preview, the checked rows) and leaves its own result for the
pages after it (the check's result, the import's outcome); it never reaches for the wizard,
so the pages' modules need not import the wizard's (the wizard imports them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.import_formats import FileShape
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.services.consent_dto import PurposeInfo
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports import ImportPlan, ImportPreview, ImportResult
from privacycrm_desktop.services.registry import Services


@dataclass(eq=False)
class ImportState:
    """One import in progress, from the file to the summary."""

    services: Services
    actor: Actor
    #: Today, as the contact service dates a source (the latest date obtained allowed).
    today: dt.date
    #: The register's purposes, for the mapping's consent columns and the origin page.
    purposes: list[PurposeInfo]
    #: The choices made so far, as the service takes them. The wizard assembles it from
    #: the mapping, origin and duplicates pages each time it is asked, so a page that
    #: needs the plan (the check, the import) gets the choices as they stand.
    plan: Callable[[], ImportPlan]
    #: Tell the window that contacts were added or removed (an import, or its undo).
    contacts_changed: Callable[[], None]
    path: Path | None = None
    preview: ImportPreview | None = None
    #: The dry run's result (the check page), None until it is done.
    checked: ImportResult | None = None
    #: The import's result, None when it was stopped before writing or failed.
    outcome: ImportResult | None = None
    #: Why the import failed, in the user's language; "" when it did not.
    failure: str = ""
    #: The user confirmed keeping notes that suggest special-category data (rule 10).
    confirm_special: bool = False

    def purpose(self, code: object) -> PurposeInfo | None:
        """The purpose of the register with *code*."""
        return next((p for p in self.purposes if p.code == code), None)

    def load_preview(self, path: Path, shape: FileShape | None) -> str:
        """Read *path* (with *shape*, or detected); an error message, or "" when it read."""
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.preview = self.services.imports.preview(self.actor, path, shape)
        except DomainError as exc:
            if shape is None:
                self.preview = None
            return describe_error(exc)
        except OSError:
            return _("The file cannot be opened.")
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.path = path
        return ""
