"""Small widgets shared by the dialogs: a field's error line and its source button."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from itertools import pairwise

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QKeyEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.errors import FieldProblem
from privacycrm_desktop.domain.provenance import SOURCE_KIND_LABELS
from privacycrm_desktop.i18n import _, describe_problem
from privacycrm_desktop.services.dto import SourceInfo
from privacycrm_desktop.ui.common.date_fields import format_date


def available_geometry(widget: QWidget) -> QRect:
    """The free area of the screen *widget* is on (or of the primary screen).

    Not ``widget.screen()``: PySide6 6.11 makes the QScreen it returns a child of
    *widget*'s wrapper, and when the cycle collector frees that wrapper it deletes the
    QScreen itself. Qt keeps using the deleted screen and the process crashes later,
    somewhere else (seen in the UI tests as segmentation faults in ``QMainWindow()``).
    The static lookups below return the screen without tying it to a widget.
    """
    screen = (
        QGuiApplication.screenAt(widget.mapToGlobal(QPoint(0, 0)))
        or QGuiApplication.primaryScreen()
    )
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1024, 768)


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


class ElidedLabel(QLabel):
    """One line that ends in "…" when it does not fit; the whole text is its tooltip and
    accessible name. For status-bar notes, which must not make the bar several lines high
    at 1024 pixels in French or Dutch."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.set_full_text(text)

    def full_text(self) -> str:
        """The text before eliding."""
        return self._full

    def set_full_text(self, text: str) -> None:
        """Show *text*, elided to the label's width."""
        self._full = text
        self.setToolTip(text)
        self.setAccessibleName(text)
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(0, self.contentsRect().width())
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width))


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


def tab_buttons_in_visual_order(box: QDialogButtonBox) -> None:
    """Let Tab visit a button box's buttons left to right, as the platform lays them out.

    Qt chains them in the order they were made, so "Cancel" may come before "Save".
    """
    layout = box.layout()
    if layout is None:
        return
    buttons = []
    for index in range(layout.count()):
        item = layout.itemAt(index)
        widget = item.widget() if item is not None else None
        if isinstance(widget, QAbstractButton):
            buttons.append(widget)
    for first, second in pairwise(buttons):
        QWidget.setTabOrder(first, second)


def describe_source(source: SourceInfo) -> str:
    """Where a value came from, in one or two lines for a tooltip or popup."""
    kind = _(SOURCE_KIND_LABELS[source.kind])
    obtained = format_date(source.obtained_on)
    text = _("{kind}: {description}").format(kind=kind, description=source.description)
    entered = _("Obtained on {date}, entered by {user}").format(
        date=obtained, user=source.entered_by or "-"
    )
    return f"{text}\n{entered}"


class SourcePopup(QFrame):
    """The text of a source button in a small popup; Escape or a click elsewhere closes it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.Box)
        self.label = QLabel()
        self.label.setWordWrap(True)
        # Selectable by keyboard: the popup takes focus, so a screen reader reads the text.
        self.label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.label.setMaximumWidth(self.fontMetrics().averageCharWidth() * 60)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)

    def show_text(self, text: str, at: QPoint) -> None:
        """Show *text* with the popup's top left corner at *at*, kept on the screen."""
        self.label.setText(text)
        self.adjustSize()
        screen = QGuiApplication.screenAt(at) or QGuiApplication.primaryScreen()
        if screen is not None:
            room = screen.availableGeometry()
            at = QPoint(
                max(room.left(), min(at.x(), room.right() - self.width())),
                max(room.top(), min(at.y(), room.bottom() - self.height())),
            )
        self.move(at)
        self.show()
        self.label.setFocus(Qt.FocusReason.PopupFocusReason)


class SourceButton(QToolButton):
    """A small "where did we get this?" button next to a field.

    Its tooltip says where; Tab reaches it and Space or Enter opens the same text in a
    popup, so the keyboard and a screen reader get what the mouse gets.
    """

    def __init__(self, source: SourceInfo | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation))
        self.setText("?")
        self.setAutoRaise(True)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.source = source
        self.popup: SourcePopup | None = None
        self.setAccessibleName(_("Where did we get this?"))
        if source is None:
            self.setEnabled(False)
            self.setToolTip(_("No source recorded yet."))
        else:
            self.setToolTip(describe_source(source))
        self.clicked.connect(self.explain)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTipChange:
            # A screen reader announces the description on focus.
            self.setAccessibleDescription(self.toolTip())
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            # Enter opens the popup instead of pressing the dialog's default button.
            event.accept()
            self.click()
            return
        super().keyPressEvent(event)

    def explain(self) -> None:
        """Show where the value came from in a popup under the button."""
        if self.popup is None:
            self.popup = SourcePopup(self)
        self.popup.show_text(self.toolTip(), self.mapToGlobal(self.rect().bottomLeft()))


def swatch(colour: str) -> QIcon:
    """A small square of a tag's colour (the tag filter, the editor's and a company's tags)."""
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class SearchOnEnter(QObject):
    """Enter or Return in a dialog's search field runs *search*, and nothing else: the key
    would also press the dialog's default button (OK), saving a request half filled in or
    saying "choose the person" beside the results just found."""

    def __init__(self, field: QLineEdit, search: Callable[[], None]) -> None:
        super().__init__(field)
        self._search = search
        field.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self._search()
            return True
        return False
