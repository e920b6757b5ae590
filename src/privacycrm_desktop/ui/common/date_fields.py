"""Date inputs: an optional date (a check box plus a calendar field) and conversions."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QLocale
from PySide6.QtWidgets import QCheckBox, QDateEdit, QHBoxLayout, QWidget


def to_qdate(value: dt.date) -> QDate:
    """A Python date as a QDate."""
    return QDate(value.year, value.month, value.day)


def from_qdate(value: QDate) -> dt.date:
    """A QDate as a Python date."""
    return dt.date(value.year(), value.month(), value.day())


def date_format() -> str:
    """The user's short date format, always with a four-digit year (birth dates!)."""
    pattern = QLocale().dateFormat(QLocale.FormatType.ShortFormat)
    if "yyyy" not in pattern:
        pattern = pattern.replace("yy", "yyyy")
    return pattern


def format_date(value: dt.date) -> str:
    """A date as the user writes it (13/12/2016 in Belgium)."""
    return QLocale().toString(to_qdate(value), date_format())


def date_edit(value: dt.date, parent: QWidget | None = None) -> QDateEdit:
    """A calendar-popup date field in the user's date format."""
    edit = QDateEdit(to_qdate(value), parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(date_format())
    edit.setMinimumDate(QDate(1900, 1, 1))
    return edit


class OptionalDateEdit(QWidget):
    """A date that may be left empty: the date field is used only when the box is ticked."""

    def __init__(self, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = QCheckBox(self)
        self.edit = date_edit(today, self)
        self.edit.setEnabled(False)
        self.check.toggled.connect(self._on_toggled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        layout.addWidget(self.edit, 1)
        self.setFocusProxy(self.check)
        self._read_only = False

    def _on_toggled(self, checked: bool) -> None:
        self.edit.setEnabled(checked and not self._read_only)

    def value(self) -> dt.date | None:
        """The date, or None when the box is not ticked."""
        return from_qdate(self.edit.date()) if self.check.isChecked() else None

    def set_value(self, value: dt.date | None) -> None:
        """Show *value*, or an empty (unticked) field for None."""
        if value is not None:
            self.edit.setDate(to_qdate(value))
        self.check.setChecked(value is not None)
        self._on_toggled(value is not None)

    def set_read_only(self, read_only: bool) -> None:
        """Show the date without letting it change."""
        self._read_only = read_only
        self.check.setEnabled(not read_only)
        self.edit.setReadOnly(read_only)
        self._on_toggled(self.check.isChecked())
