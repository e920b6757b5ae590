"""The import wizard's mapping page: what each column of the file becomes.

One combo box per column, pre-filled with the service's guess, under a line naming the
program the file was recognised as (Outlook, Google...). A consent column needs a
purpose and a channel, so consent is offered as "Consent: <purpose> by <channel>" for the
marketing purposes only, and only when the file states consent or the user says it does.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.domain.consent import Channel
from privacycrm_desktop.domain.custom_fields import custom_key_for
from privacycrm_desktop.domain.import_formats import IMPORT_FIELD_LABELS, ColumnTarget, ImportField
from privacycrm_desktop.domain.import_profiles import PROFILE_LABELS
from privacycrm_desktop.i18n import N_, _, current_language
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.transfer.import_state import ImportState

#: The channel inside "Consent: <purpose> by <channel>" (lower case, mid-sentence).
CHANNEL_WORDS = {
    Channel.EMAIL: N_("e-mail"),
    Channel.PHONE: N_("phone"),
    Channel.SMS: N_("text message"),
    Channel.POST: N_("post"),
}
IGNORE = ""
EXAMPLE_CHARS = 40


def target_key(target: ColumnTarget | None) -> str:
    """The combo box data for *target* ("" for "Do not import")."""
    if target is None:
        return IGNORE
    if target.field is ImportField.CONSENT:
        return f"consent:{target.purpose_code or ''}:{target.channel or ''}"
    if target.field is ImportField.CUSTOM:
        return f"custom:{target.key or ''}"
    return f"field:{target.field.value}"


def _escape(text: str) -> str:
    # A label with a buddy reads "&" as a mnemonic: a header "Name & Co" must show as is.
    return text.replace("&", "&&")


class MappingPage(QWizardPage):
    """One line per column of the file: its header, an example value and what it becomes."""

    def __init__(self, state: ImportState) -> None:
        super().__init__()
        self._state = state
        self.setTitle(_("What each column holds"))
        self.setSubTitle(
            _(
                "Each column of the file with an example from its first rows. Choose what it "
                'becomes in PrivacyCRM, or "Do not import".'
            )
        )
        # Consent is offered only to who may record it (the service checks it again).
        may_record = has_permission(state.actor.role, Permission.RECORD_CONSENT)
        self.marketing = [p for p in state.purposes if p.is_marketing and may_record]
        #: The owner's custom fields: a column may fill one.
        self.custom = state.services.custom_fields.definitions(state.actor)
        self.profile = QLabel()
        self.profile.setWordWrap(True)
        self.profile.setTextFormat(Qt.TextFormat.PlainText)
        self.consent = QCheckBox(_("The file &records who agreed to receive marketing"))
        self.consent.setToolTip(
            _("Only when the file says who agreed, to what and how: consent cannot be assumed.")
        )
        self.consent.setVisible(bool(self.marketing))
        self.consent.toggled.connect(self._consent_toggled)
        self.show_empty = QCheckBox(_("Show &empty columns"))
        self.show_empty.toggled.connect(self._show_rows)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.error = ErrorLabel()
        self.grid = QGridLayout()
        self.grid.setColumnStretch(1, 1)
        self.grid.setHorizontalSpacing(self.fontMetrics().averageCharWidth() * 2)
        inner = QWidget()
        inner_layout = QVBoxLayout(inner)
        inner_layout.addLayout(self.grid)
        inner_layout.addStretch(1)
        self.area = QScrollArea()
        self.area.setWidgetResizable(True)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.area.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.addWidget(self.profile)
        layout.addWidget(self.consent)
        layout.addWidget(self.show_empty)
        layout.addWidget(self.area, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        self.combos: list[QComboBox] = []
        self._rows: list[tuple[QLabel, QLabel, QComboBox, bool]] = []
        self._targets: dict[str, ColumnTarget] = {}
        self._built_for: tuple[str, ...] | None = None

    # -- building -----------------------------------------------------------------------

    def initializePage(self) -> None:
        preview = self._state.preview
        assert preview is not None
        if self._built_for == preview.headers:
            return  # back and forth: keep the user's choices
        self._built_for = preview.headers
        self.profile.setText(
            _("Read as {profile}: check what each column becomes and change what is wrong.").format(
                profile=_(PROFILE_LABELS[preview.profile])
            )
        )
        guessed_consent = any(
            t is not None and t.field is ImportField.CONSENT for t in preview.mapping
        )
        self.consent.blockSignals(True)
        self.consent.setChecked(
            bool(self.marketing) and (preview.states_consent or guessed_consent)
        )
        self.consent.blockSignals(False)
        self._build(preview.headers, preview.sample, preview.mapping)

    def _build(
        self,
        headers: tuple[str, ...],
        sample: tuple[tuple[str, ...], ...],
        mapping: tuple[ColumnTarget | None, ...],
    ) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        titles = (_("Column in the file"), _("Example"), _("Import as"))
        for column, title in enumerate(titles):
            label = QLabel(f"<b>{title}</b>")
            self.grid.addWidget(label, 0, column)
        self.combos = []
        self._rows = []
        unresolved: list[str] = []
        for i, header in enumerate(headers):
            values = [row[i] for row in sample if i < len(row) and row[i].strip()]
            example = " ".join(values[0].split()) if values else ""  # one line
            if len(example) > EXAMPLE_CHARS:
                example = example[: EXAMPLE_CHARS - 1] + "…"
            combo = QComboBox()
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(44)
            combo.setAccessibleName(header)
            self._fill(combo)
            guess = mapping[i] if i < len(mapping) else None
            if guess is None and (key := custom_key_for(header, self.custom)) is not None:
                guess = ColumnTarget(ImportField.CUSTOM, key=key)  # named as the field
            found = combo.findData(target_key(guess))
            if guess is not None and found < 0:
                unresolved.append(header)
            combo.setCurrentIndex(max(found, 0))
            # A long consent entry may be cut in the box: the tooltip shows it whole.
            combo.setToolTip(combo.currentText())
            combo.currentTextChanged.connect(combo.setToolTip)
            name = QLabel(_escape(header) or _("(no header)"))
            name.setBuddy(combo)
            shown = QLabel(example)
            shown.setTextFormat(Qt.TextFormat.PlainText)
            shown.setStyleSheet("color: palette(placeholder-text);")
            shown.setToolTip(values[0] if values else "")
            # The example gives way (it is cut) so the choice always shows in full.
            shown.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            row = i + 1
            self.grid.addWidget(name, row, 0)
            self.grid.addWidget(shown, row, 1)
            self.grid.addWidget(combo, row, 2)
            self.combos.append(combo)
            self._rows.append((name, shown, combo, bool(values)))
        # Tab goes from the check boxes down the choices, in the order of the columns.
        for first, second in zip([self.show_empty, *self.combos], self.combos, strict=False):
            QWidget.setTabOrder(first, second)
        self.note.setText(
            _("Choose the purpose and channel of these consent columns yourself: {columns}").format(
                columns=", ".join(unresolved)
            )
            if unresolved
            else ""
        )
        self.note.setVisible(bool(unresolved))
        has_empty = any(not filled for *_widgets, filled in self._rows)
        self.show_empty.setVisible(has_empty)
        self._show_rows()

    def _fill(self, combo: QComboBox) -> None:
        combo.addItem(_("Do not import"), IGNORE)
        for field, label in IMPORT_FIELD_LABELS.items():
            if field in (ImportField.CONSENT, ImportField.CUSTOM):
                continue
            target = ColumnTarget(field)
            self._targets[target_key(target)] = target
            combo.addItem(_(label), target_key(target))
        for definition in self.custom:
            target = ColumnTarget(ImportField.CUSTOM, key=definition.key)
            self._targets[target_key(target)] = target
            text = _("Custom field: {label}").format(label=definition.label_in(current_language()))
            combo.addItem(text, target_key(target))
        if not self.consent.isChecked():
            return
        combo.insertSeparator(combo.count())
        for purpose in self.marketing:
            for channel in Channel:
                target = ColumnTarget(ImportField.CONSENT, purpose.code, channel.value)
                self._targets[target_key(target)] = target
                text = _("Consent: {purpose} by {channel}").format(
                    purpose=_(purpose.name), channel=_(CHANNEL_WORDS[channel])
                )
                combo.addItem(text, target_key(target))

    def _show_rows(self) -> None:
        show_all = self.show_empty.isChecked()
        for name, shown, combo, filled in self._rows:
            visible = show_all or filled or combo.currentIndex() > 0
            for widget in (name, shown, combo):
                widget.setVisible(visible)

    def _consent_toggled(self) -> None:
        for combo in self.combos:
            key = str(combo.currentData())
            combo.blockSignals(True)
            combo.clear()
            self._fill(combo)
            combo.setCurrentIndex(max(0, combo.findData(key)))
            combo.blockSignals(False)

    # -- the result ---------------------------------------------------------------------

    def mapping(self) -> tuple[ColumnTarget | None, ...]:
        """What each column becomes (None: not imported)."""
        return tuple(self._targets.get(str(combo.currentData())) for combo in self.combos)

    def cleanupPage(self) -> None:
        """Going back keeps the choices (they are rebuilt only for another file)."""

    def validatePage(self) -> bool:
        if not any(self.mapping()):
            self.error.show_message(_("Choose what at least one column holds."))
            return False
        self.error.show_message("")
        return True
