"""Administration > Custom fields...: the owner's own fields of contacts and companies, and
a form to define one (key, label and its translations, kind, options, what it belongs to,
how long each value is kept, purposes, data category, restricted, searchable, exported).

A defined field is at once an entry of the field catalogue: the editor, the card, the
search, exports, imports, the access report and the field matrix carry it. The dialog
calls ``CustomFieldService`` only; a refusal shows in its message line.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.custom_fields import (
    CUSTOM_KIND_LABELS,
    CUSTOM_TARGET_LABELS,
    LABEL_LANGUAGES,
    MAX_KEEP_MONTHS,
    CustomFieldDefinition,
    CustomKind,
    CustomTarget,
)
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.purposes import DATA_CATEGORY_LABELS
from privacycrm_desktop.i18n import _, current_language, describe_error, language_name, ngettext
from privacycrm_desktop.services.custom_fields import CustomFieldService, keep_text
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.window_size import size_window


class CustomFieldsDialog(QDialog):
    """The custom fields defined so far, and the form adding one."""

    def __init__(
        self, fields: CustomFieldService, actor: Actor, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._fields = fields
        self._actor = actor
        self.setWindowTitle(_("Custom fields"))
        intro = QLabel(
            _(
                "Fields of your own for every contact or company. Each one is personal data: "
                "name the purposes that need it, its data category and how long a value is "
                "kept; a restricted field is hidden from sales, office and read-only staff "
                "(change that in Field access per role)."
            )
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(
            [_("Label"), _("Kind"), _("Belongs to"), _("Each value kept"), _("Options")]
        )
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self._make_form())
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._refresh()
        size_window(self, QSize(self.fontMetrics().averageCharWidth() * 130, 580))

    def _make_form(self) -> QGroupBox:
        box = QGroupBox(_("New field"))
        columns = QHBoxLayout(box)
        left = QFormLayout()
        self.label = QLineEdit()
        self.key = QLineEdit()
        # The name imports and the command line use (privacycrm-cli field list).
        self.key.setPlaceholderText(_("Made from the label when left empty"))
        self.translations: dict[str, QLineEdit] = {}
        left.addRow(_("Label:"), self.label)
        for lang in LABEL_LANGUAGES:
            edit = QLineEdit()
            self.translations[lang] = edit
            left.addRow(_("Label in {language}:").format(language=language_name(lang)), edit)
        left.addRow(_("Key:"), self.key)
        self.kind = QComboBox()
        for kind, text in CUSTOM_KIND_LABELS.items():
            self.kind.addItem(_(text), kind.value)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        left.addRow(_("Kind:"), self.kind)
        self.choices = QLineEdit()
        self.choices.setPlaceholderText(_("Options, separated by commas"))
        left.addRow(_("Options:"), self.choices)
        self.target = QComboBox()
        for target, text in CUSTOM_TARGET_LABELS.items():
            self.target.addItem(_(text), target.value)
        left.addRow(_("Belongs to:"), self.target)
        self.keep_months = QSpinBox()
        self.keep_months.setRange(0, MAX_KEEP_MONTHS)
        # 0 months: no rule of its own, the value goes with its contact or company.
        self.keep_months.setSpecialValueText(_("As long as its contact or company"))
        # The unit follows the number (the box starts at 0, which shows the words above).
        self.keep_months.valueChanged.connect(self._keep_unit)
        self.keep_months.setToolTip(
            _(
                "The yearly cleanup erases a value this many months after it was recorded "
                "(the contact or company stays)."
            )
        )
        left.addRow(_("Keep each value:"), self.keep_months)
        right = self._right_column()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        self._kind_changed()
        return box

    def _right_column(self) -> QFormLayout:
        """What the field is for: its purposes, data category, switches, Add."""
        right = QFormLayout()
        self.purposes = QListWidget()
        for code, name in self._fields.purposes(self._actor):
            item = QListWidgetItem(_(name))
            item.setToolTip(_(name))
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setCheckState(
                Qt.CheckState.Checked
                if code == "customer_relationship"
                else Qt.CheckState.Unchecked
            )
            self.purposes.addItem(item)
        self.purposes.setMaximumHeight(self.fontMetrics().height() * 8)
        # The title above the list, the list across the column: the purposes' names are
        # long ("Marketing direct auprès des clients"), each whole on its line.
        purposes_label = QLabel(_("Purposes:"))
        purposes_label.setBuddy(self.purposes)
        right.addRow(purposes_label)
        right.addRow(self.purposes)
        self.category = QComboBox()
        for code, text in DATA_CATEGORY_LABELS.items():
            self.category.addItem(_(text), code)
        self.category.setCurrentIndex(self.category.findData("relationship"))
        right.addRow(_("Data category:"), self.category)
        self.restricted = QCheckBox(_("Restricted (hidden from staff by default)"))
        self.searchable = QCheckBox(_("The search box finds it"))
        self.exported = QCheckBox(_("Exports carry it"))
        for check in (self.restricted, self.searchable, self.exported):
            right.addRow(check)
        self.add_button = QPushButton(_("&Add field"))
        self.add_button.clicked.connect(self.add_field)
        right.addRow(self.add_button)
        return right

    def _keep_unit(self, months: int) -> None:
        """ "1 month", "12 months": the unit around the number agrees with it."""
        words = ngettext("{count} month", "{count} months", max(months, 1))
        before, _count, after = words.partition("{count}")
        self.keep_months.setPrefix(before)
        self.keep_months.setSuffix(after)

    def _kind_changed(self) -> None:
        self.choices.setEnabled(self.kind.currentData() == CustomKind.CHOICE.value)

    def _refresh(self) -> None:
        definitions = self._fields.definitions(self._actor)
        self.table.setRowCount(len(definitions))
        language = current_language()
        for row, d in enumerate(definitions):
            cells = (
                d.label_in(language),
                _(CUSTOM_KIND_LABELS[d.kind]),
                _(CUSTOM_TARGET_LABELS[d.on]),
                keep_text(d.keep_months),
                ", ".join(d.choices),
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))

    def definition(self) -> CustomFieldDefinition:
        """The form's field as a definition (checked by the service)."""
        purposes = tuple(
            str(self.purposes.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.purposes.count())
            if self.purposes.item(i).checkState() == Qt.CheckState.Checked
        )
        label = self.label.text()
        key = self.key.text() or key_from(label)
        return CustomFieldDefinition(
            key=key,
            label=label,
            kind=CustomKind(str(self.kind.currentData())),
            purposes=purposes,
            category=str(self.category.currentData()),
            restricted=self.restricted.isChecked(),
            searchable=self.searchable.isChecked(),
            exported=self.exported.isChecked(),
            choices=tuple(c for c in self.choices.text().split(",") if c.strip()),
            labels=tuple((lang, e.text()) for lang, e in self.translations.items() if e.text()),
            on=CustomTarget(str(self.target.currentData())),
            keep_months=self.keep_months.value() or None,
        )

    def add_field(self) -> None:
        """Define the form's field; the form empties for the next one."""
        try:
            self._fields.define(self._actor, self.definition())
        except DomainError as exc:
            self.error.show_message(describe_error(exc))
            return
        self.error.show_message("")
        for edit in (self.label, self.key, self.choices, *self.translations.values()):
            edit.clear()
        self._refresh()


def key_from(label: str) -> str:
    """A key made from a label: "Shoe size" -> "shoe_size" (letters and digits kept)."""
    words = "".join(c if c.isascii() and c.isalnum() else " " for c in label.casefold())
    return "_".join(words.split())
