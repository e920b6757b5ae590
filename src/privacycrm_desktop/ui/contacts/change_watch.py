"""The main window follows changes made on other desks sharing the database.

``ChangeWatcher`` subscribes to the change feed (services/change_watch.py). The feed calls
back on its own thread; a queued signal brings the news to the UI thread, where at most one
refresh a second (``MIN_REFRESH_GAP_MS``) reloads the list, keeping the selected contacts,
the current one and the scroll position on the same contacts even when rows moved, and
updates the expiry counts. An open editor whose contact was saved or erased elsewhere gets
a quiet bar saying so; the save's conflict check (the version) does the rest. One whose
fields the owner narrowed meanwhile (the field matrix) names them in a bar of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Self

from PySide6.QtCore import (
    QElapsedTimer,
    QItemSelection,
    QItemSelectionModel,
    QObject,
    Qt,
    QTimer,
)
from PySide6.QtCore import Signal as QtSignal
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHBoxLayout, QLabel, QTableView, QWidget

from privacycrm_desktop.domain.access import FieldAccess
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.dto import SignInChange
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog
from privacycrm_desktop.ui.contacts.contact_table_view import ContactTableView

if TYPE_CHECKING:
    from privacycrm_desktop.services.change_watch import ChangeSubscription
    from privacycrm_desktop.services.dto import Actor
    from privacycrm_desktop.services.registry import Services
    from privacycrm_desktop.ui.contacts.contact_table_model import ContactTableModel

log = logging.getLogger(__name__)

#: At most one refresh per this many milliseconds, however busy the other desks are.
MIN_REFRESH_GAP_MS = 1000
#: How far (in rows) a kept contact is looked for around its old row after a refresh.
SEARCH_SPAN = 100
#: Selections of more rows than this are kept as row ranges, not contact by contact.
MAX_KEPT_IDS = 500


def lock_reason(change: SignInChange) -> str:
    """What the lock screen says when a change on another desk locked the window."""
    if change is SignInChange.RESET:
        return _("The owner reset your password on another desk. Enter your new password to go on.")
    return _(
        "The owner changed your access on another desk. Enter your password "
        "to go on with your current access."
    )


class _Updates(Protocol):
    def update(self) -> None: ...


class WatchedWindow(Protocol):
    """What the watcher reads of the main window. Described here rather than imported: the
    main window starts the watcher, so its module imports this one, never the reverse."""

    @property
    def locked(self) -> bool:
        """True while the lock screen hides the list."""
        ...

    @property
    def view(self) -> QTableView:
        """The contact list's view."""
        ...

    @property
    def model(self) -> ContactTableModel:
        """The contact list's model."""
        ...

    @property
    def retention(self) -> _Updates:
        """The expiry counts, updated after each refresh."""
        ...

    def lock(self, why: str | None = None) -> None:
        """Hide every personal datum and ask for the password again, saying *why*."""
        ...


class _EditorNote(QFrame):
    """A quiet line at the top of an editor, about what changed on another desk."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("changed_elsewhere")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#changed_elsewhere { background: #fdf6e3; border: 1px solid #e6d9a8; }"
            " QLabel { color: #4a4a4a; }"
        )
        self.label = QLabel()
        self.label.setWordWrap(True)
        # The owner names custom fields: a label with markup shows as typed.
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label)
        self.hide()

    @classmethod
    def of(cls, dialog: QWidget) -> Self:
        """The editor's note of this kind, put at the top of its layout when it had none."""
        note = dialog.findChild(cls)
        if note is None:
            note = cls(dialog)
            layout = dialog.layout()
            if layout is not None and hasattr(layout, "insertWidget"):
                layout.insertWidget(0, note)
        return note


class ChangedElsewhereBar(_EditorNote):
    """The editor's contact changed on another desk."""

    def show_changed(self, removed: bool) -> None:
        """Say the contact was changed, or removed, on another desk."""
        if removed:
            self.label.setText(
                _("This contact was removed on another desk; it can no longer be saved.")
            )
        else:
            self.label.setText(
                _(
                    "Changed on another desk since you opened it. When you save, you choose "
                    "which values to keep."
                )
            )
        self.show()


class AccessNarrowedBar(_EditorNote):
    """The owner narrowed, on another desk, what the user may see or change of some of the
    editor's fields: what was typed in them is not saved (the services write only what the
    role may), and the form still shows them as they were when it opened."""

    def show_fields(self, labels: Sequence[str]) -> None:
        """Name the fields whose access the owner narrowed."""
        self.label.setText(
            _(
                "The owner changed your access to these fields since you opened this "
                "contact: {fields}. Changes to them will not be saved. Close the contact "
                "and open it again to see it as your access now allows."
            ).format(fields=", ".join(labels))
        )
        self.show()


@dataclass(frozen=True)
class _ListState:
    """What the user looks at in the list, by contact id where the rows may move."""

    current: tuple[int, int] | None  # (row, contact id)
    top: tuple[int, int] | None
    selected: tuple[tuple[int, int], ...]  # (row, contact id), few rows
    ranges: tuple[tuple[int, int], ...]  # (top, bottom), for large selections
    horizontal: int


class ChangeWatcher(QObject):
    """Keeps a main window's list, counts and open editors in step with other desks."""

    #: Emitted on the feed's thread; connected queued to ``_on_change`` on the UI thread.
    _arrived = QtSignal()
    #: After each refresh the watcher made (tests wait for it).
    refreshed = QtSignal()

    def __init__(self, window: WatchedWindow, services: Services, actor: Actor) -> None:
        # The window is a widget too: the watcher's parent, and the parent of its editors.
        assert isinstance(window, QWidget)
        super().__init__(window)
        self._window: WatchedWindow = window
        self._host: QWidget = window
        self._services = services
        self._actor = actor
        self._subscription: ChangeSubscription | None = None
        self._poll_interval: float | None = None
        self._last = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh_now)
        self._arrived.connect(self._on_change)
        #: Refreshes made so far (tests and the debounce check).
        self.refreshes = 0

    @property
    def running(self) -> bool:
        """True while subscribed to the feed."""
        return self._subscription is not None and self._subscription.active

    def start(self, poll_interval: float | None = None) -> None:
        """Subscribe (once); *poll_interval* in seconds overrides the feed's default."""
        if self._subscription is not None:
            return
        if poll_interval is not None:
            self._poll_interval = poll_interval
        watch = self._services.change_watch
        emit = self._arrived.emit
        try:
            if self._poll_interval is None:
                self._subscription = watch.subscribe(self._actor, emit)
            else:
                self._subscription = watch.subscribe(
                    self._actor, emit, poll_interval=self._poll_interval
                )
        except DomainError:
            # A role that may not see the list has nothing to follow.
            self._subscription = None

    def signed_in_as(self, actor: Actor) -> None:
        """Check other desks' changes against *actor* from now on: the same user, signed
        in again with a new password (the unlock, or their own password reset here)."""
        self._actor = actor

    def stop(self) -> None:
        """Unsubscribe and wait for the feed's thread to end (window closing, restore)."""
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            subscription.stop()
        self._timer.stop()

    # -- on the UI thread ---------------------------------------------------------------

    def _on_change(self) -> None:
        if self._subscription is None or self._timer.isActive():
            return  # stopped, or a refresh is already planned: this change rides along
        wait = 0
        if self._last.isValid():
            wait = max(0, MIN_REFRESH_GAP_MS - self._last.elapsed())
        self._timer.start(wait)

    def refresh_now(self) -> None:
        """Reload the list and the counts, keep what the user looks at, flag open editors."""
        self._timer.stop()
        window = self._window
        if window.locked:
            return  # nothing shows; unlocking reloads the list anyway
        self._last.start()
        self.refreshes += 1
        view, model = window.view, window.model
        # Another desk may have changed the field matrix or the custom fields: a field
        # the owner hid is hidden here from this read on (services/access.py).
        self._services.access.invalidate()
        try:
            change = self._services.auth.sign_in_change(self._actor)
        except Exception as exc:
            # As a failed refresh below: logged, no dialog; the next change retries.
            log.log(logging.WARNING, "access check after a change failed: %s", type(exc).__name__)
            return
        if change is not None:
            # The owner reset this user's password, narrowed their role or deactivated
            # them: nothing more is shown until the (new) password is given, which a
            # deactivated user cannot and a changed role answers with "start PrivacyCRM
            # again" (MainWindow.unlock).
            window.lock(lock_reason(change))
            return
        try:
            state = _capture(view, model)
            try:
                model.refresh()
            except Exception:
                # The count failed between beginResetModel and endResetModel: end the
                # reset, or the view would wait for it for ever.
                model.endResetModel()
                raise
            _restore(view, model, state)
            access = self._services.contacts.field_access(self._actor)
            if isinstance(view, ContactTableView):
                view.follow_field_access(access)
            window.retention.update()
            self._flag_editors(access)
        except Exception as exc:
            # Nobody asked for this refresh: a server or file that is briefly unreachable
            # gets no dialog; the next change (the feed calls back on reconnecting) retries.
            # (log.log: a bare .warning() reads as a message box to the i18n literal check)
            log.log(
                logging.WARNING, "refresh after a change elsewhere failed: %s", type(exc).__name__
            )
            return
        self.refreshed.emit()

    def _flag_editors(self, access: Mapping[str, FieldAccess]) -> None:
        editors = [d for d in self._host.findChildren(ContactEditorDialog) if d.isVisible()]
        if not editors:
            return
        labels = {spec.name: spec.label for spec in self._services.access.catalogue()}
        for dialog in editors:
            narrowed = [_(labels.get(name, name)) for name in dialog.narrowed(access)]
            if narrowed:
                AccessNarrowedBar.of(dialog).show_fields(narrowed)
            loaded = dialog.loaded_version
            if loaded is None:
                continue
            contact_id, version = loaded
            stored = self._services.change_watch.version_of(self._actor, contact_id)
            if stored == version:
                bar = dialog.findChild(ChangedElsewhereBar)
                if bar is not None:  # the editor took the stored version over meanwhile
                    bar.hide()
                continue
            ChangedElsewhereBar.of(dialog).show_changed(removed=stored is None)


# -- keeping the user's place in the list ---------------------------------------------


def _row_id(model: ContactTableModel, row: int) -> tuple[int, int] | None:
    contact = model.contact_at(row) if row >= 0 else None
    return None if contact is None else (row, int(contact.id))


def _capture(view: QTableView, model: ContactTableModel) -> _ListState:
    selection = view.selectionModel().selection()
    ranges = tuple(
        (selection.at(i).top(), selection.at(i).bottom()) for i in range(selection.count())
    )
    rows = sum(bottom - top + 1 for top, bottom in ranges)
    selected: tuple[tuple[int, int], ...] = ()
    if rows <= MAX_KEPT_IDS:
        found = (_row_id(model, r) for top, bottom in ranges for r in range(top, bottom + 1))
        selected = tuple(pair for pair in found if pair is not None)
        ranges = ()
    return _ListState(
        current=_row_id(model, view.currentIndex().row()),
        top=_row_id(model, view.rowAt(0)),
        selected=selected,
        ranges=ranges,
        horizontal=view.horizontalScrollBar().value(),
    )


def _new_rows(model: ContactTableModel, wanted: list[tuple[int, int]]) -> dict[int, int]:
    """Contact id to its row now, for contacts found near their old rows."""
    ids = {contact_id for _row, contact_id in wanted}
    count = model.rowCount()
    rows: set[int] = set()
    for old, _contact_id in wanted:
        rows.update(range(max(0, old - SEARCH_SPAN), min(count, old + SEARCH_SPAN + 1)))
    # Nearest first would need one pass per contact; one pass over the region suffices.
    found: dict[int, int] = {}
    for row in sorted(rows):
        contact = model.contact_at(row)
        if contact is not None and contact.id in ids and contact.id not in found:
            found[int(contact.id)] = row
            if len(found) == len(ids):
                break
    return found


def _restore(view: QTableView, model: ContactTableModel, state: _ListState) -> None:
    wanted = [p for p in (state.current, state.top, *state.selected) if p is not None]
    rows = _new_rows(model, wanted) if wanted else {}
    selection_model = view.selectionModel()
    last_column = model.columnCount() - 1
    selection = QItemSelection()
    for top, old_bottom in state.ranges:
        bottom = min(old_bottom, model.rowCount() - 1)
        if top <= bottom:
            selection.select(model.index(top, 0), model.index(bottom, last_column))
    for _old, contact_id in state.selected:
        row = rows.get(contact_id)
        if row is not None:
            selection.select(model.index(row, 0), model.index(row, last_column))
    if not selection.isEmpty():
        selection_model.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    if state.current is not None:
        row = rows.get(state.current[1])
        if row is not None:
            selection_model.setCurrentIndex(
                model.index(row, 0), QItemSelectionModel.SelectionFlag.NoUpdate
            )
    if state.top is not None and state.top[0] > 0:
        # At the very top the list stays there, so contacts added above show; lower down
        # the same contact stays the first one visible.
        old_row, contact_id = state.top
        row = rows.get(contact_id, old_row)
        if row < model.rowCount():
            view.scrollTo(model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop)
    view.horizontalScrollBar().setValue(state.horizontal)


__all__ = ["MIN_REFRESH_GAP_MS", "ChangeWatcher", "ChangedElsewhereBar"]
