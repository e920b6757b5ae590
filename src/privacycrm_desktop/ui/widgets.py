"""Small widgets shared by the dialogs: a field's error line and its source button."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import QLabel, QStyle, QToolButton, QWidget

from privacycrm_desktop.domain.errors import FieldProblem
from privacycrm_desktop.domain.provenance import SOURCE_KIND_LABELS
from privacycrm_desktop.i18n import _, describe_problem
from privacycrm_desktop.services.dto import SourceInfo
from privacycrm_desktop.ui.date_fields import format_date


class ErrorLabel(QLabel):
    """A red, word-wrapped line under a field; hidden while it has nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setStyleSheet("color: #b00020;")
        self.setObjectName("error")
        self.hide()

    def show_message(self, text: str) -> None:
        """Show *text*, or hide the line when it is empty."""
        self.setText(text)
        self.setVisible(bool(text))


def show_problems(
    labels: Mapping[str, ErrorLabel],
    problems: list[FieldProblem],
    fallback: ErrorLabel | None = None,
) -> list[FieldProblem]:
    """Put each problem next to its field; return those no field on screen could show."""
    for label in labels.values():
        label.show_message("")
    if fallback is not None:
        fallback.show_message("")
    texts: dict[str, list[str]] = {}
    unplaced: list[FieldProblem] = []
    for problem in problems:
        if problem.field in labels:
            texts.setdefault(problem.field, []).append(describe_problem(problem))
        else:
            unplaced.append(problem)
    for field, lines in texts.items():
        labels[field].show_message("\n".join(lines))
    if unplaced and fallback is not None:
        fallback.show_message("\n".join(describe_problem(p) for p in unplaced))
    return unplaced


def describe_source(source: SourceInfo) -> str:
    """Where a value came from, in one or two lines for a tooltip or popup."""
    kind = _(SOURCE_KIND_LABELS[source.kind])
    obtained = format_date(source.obtained_on)
    text = _("{kind}: {description}").format(kind=kind, description=source.description)
    entered = _("Obtained on {date}, entered by {user}").format(
        date=obtained, user=source.entered_by or "-"
    )
    return f"{text}\n{entered}"


class SourceButton(QToolButton):
    """A small "where did we get this?" button next to a field; its tooltip says where."""

    def __init__(self, source: SourceInfo | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation))
        self.setText("?")
        self.setAutoRaise(True)
        self.source = source
        if source is None:
            self.setEnabled(False)
            self.setToolTip(_("No source recorded yet."))
        else:
            self.setToolTip(describe_source(source))
        self.setAccessibleName(_("Where did we get this?"))
        self.clicked.connect(self._explain)

    def _explain(self) -> None:
        from PySide6.QtWidgets import QToolTip

        QToolTip.showText(self.mapToGlobal(self.rect().bottomLeft()), self.toolTip(), self)
