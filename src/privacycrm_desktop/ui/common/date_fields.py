"""Date inputs: an optional date (a check box plus a calendar field) and conversions."""

from __future__ import annotations

import datetime as dt
import re

from PySide6.QtCore import QDate, QLocale
from PySide6.QtWidgets import QCheckBox, QDateEdit, QHBoxLayout, QWidget

from privacycrm_desktop.i18n import _


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


def day_month_format() -> str:
    """The user's short date format without the year ("dd/MM" in Belgium)."""
    without = re.sub(r"[^dM]*y+[^dM]*", "", date_format())
    return without or "dd/MM"


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
    """A date that may be left empty: the date field is used only when the box is ticked.

    With *no_year* (a birth date), a second box says the year is not known: the field
    then shows day and month only, and the value has the year *no_year*.
    """

    def __init__(
        self, today: dt.date, parent: QWidget | None = None, *, no_year: int | None = None
    ) -> None:
        super().__init__(parent)
        self.check = QCheckBox(self)
        self.edit = date_edit(today, self)
        self.edit.setEnabled(False)
        self.check.toggled.connect(self._on_toggled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        layout.addWidget(self.edit, 1)
        self._no_year = no_year
        self._today = to_qdate(today)
        self.no_year: QCheckBox | None = None
        if no_year is not None:
            # Such a date is kept with that year: the field must hold it, not clamp it.
            self.edit.setMinimumDate(QDate(no_year, 1, 1))
        # An unset date shows nothing (not today's date in grey, which reads as a value):
        # the day before the earliest date stands for "empty" and is shown blank.
        self._empty = self.edit.minimumDate().addDays(-1)
        self.edit.setMinimumDate(self._empty)
        self.edit.setSpecialValueText(" ")
        self.edit.setDate(self._empty)
        if no_year is not None:
            self.no_year = QCheckBox(_("Year unknown"), self)
            self.no_year.setEnabled(False)
            self.no_year.toggled.connect(self._on_no_year)
            layout.addWidget(self.no_year)
        self.setFocusProxy(self.check)
        self._read_only = False

    def _on_toggled(self, checked: bool) -> None:
        if checked and self.edit.date() == self._empty:
            self.edit.setDate(self._today)
        elif not checked:
            self.edit.setDate(self._empty)
        self.edit.setEnabled(checked and not self._read_only)
        if self.no_year is not None:
            self.no_year.setEnabled(checked and not self._read_only)

    def _on_no_year(self, checked: bool) -> None:
        self.edit.setDisplayFormat(day_month_format() if checked else date_format())

    def value(self) -> dt.date | None:
        """The date, or None when the box is not ticked."""
        if not self.check.isChecked() or self.edit.date() == self._empty:
            return None
        date = from_qdate(self.edit.date())
        if self.no_year is not None and self._no_year is not None and self.no_year.isChecked():
            # The year without a birthday is a leap year: 29 February stays valid.
            return date.replace(year=self._no_year)
        return date

    def set_value(self, value: dt.date | None) -> None:
        """Show *value*, or an empty (unticked) field for None."""
        self.edit.setDate(self._empty if value is None else to_qdate(value))
        if self.no_year is not None:
            self.no_year.setChecked(value is not None and value.year == self._no_year)
        self.check.setChecked(value is not None)
        self._on_toggled(value is not None)

    def set_read_only(self, read_only: bool) -> None:
        """Show the date without letting it change."""
        self._read_only = read_only
        self.check.setEnabled(not read_only)
        self.edit.setReadOnly(read_only)
        self._on_toggled(self.check.isChecked())
