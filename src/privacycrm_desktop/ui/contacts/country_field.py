"""A country chooser: names from the locale's CLDR data (Babel), the ISO code as its value."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

from privacycrm_desktop.domain.normalize import fold
from privacycrm_desktop.i18n import _, country_name, country_names, current_language

#: Shown first: the countries most contacts of a Belgian business live in.
NEIGHBOURS = ("BE", "NL", "FR", "LU", "DE")


class CountryCombo(QComboBox):
    """Choose a country by its name in the user's language; ``code()`` gives "BE"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        language = current_language()
        names = country_names(language)
        for code in NEIGHBOURS:
            self.addItem(country_name(code, language), code)
        self.insertSeparator(self.count())
        # Sorted as a person reads them: accents and case do not change the order.
        for code, name in sorted(names.items(), key=lambda item: fold(item[1])):
            if code not in NEIGHBOURS:
                self.addItem(name, code)
        self.set_code("BE")

    def set_code(self, code: str) -> None:
        """Show the country *code*; an unknown code is shown as it is, not lost; an empty
        one (an import could not tell the country) as no country, never as Belgium."""
        code = (code or "").upper()
        index = self.findData(code)
        if index < 0:
            self.addItem(code or _("(no country)"), code)
            index = self.count() - 1
        self.setCurrentIndex(index)

    def code(self) -> str:
        """The ISO code of the country chosen ("" for no country)."""
        data = self.currentData()
        return "BE" if data is None else str(data)


__all__ = ["NEIGHBOURS", "CountryCombo"]
