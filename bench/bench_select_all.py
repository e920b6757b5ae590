"""Select all (Ctrl+A) in the main window on a million contacts, and the card.

Ctrl+A selects by query: a flag meaning "every contact the search and the view give",
not a million selected model rows (``QTableView.selectAll`` took about 5 s at 100,000).
The export then takes the list as the service pages it. Measured in the real window
(offscreen): the whole list, a search and a saved view; then reading the card of a contact
in the middle of the list. Target: select all within 100 ms.

    .venv/bin/python bench/bench_select_all.py [--count N] [--compare-old] [--engine E]

``--compare-old`` also times Qt's own ``selectAll`` of every row (slow: minutes at 1M).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import (
    Figure,
    count_argument,
    engine_arguments,
    engines,
    ensure_database,
    median,
    open_services,
    report,
)

TARGET_MS = 100.0
CARD_TARGET_MS = 100.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    count_argument(parser)
    parser.add_argument("--compare-old", action="store_true")
    engine_arguments(parser)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    figures = {}
    for name in engines(args):
        print(f"--- {name} ---", flush=True)
        figures[name] = measure(app, ensure_database(args.count, name, args.pg_url), args)
    return 0 if report(figures) else 1


def measure(app, database: str, args: argparse.Namespace) -> list[Figure]:  # type: ignore[no-untyped-def]
    """Select all and the card in the main window on one database."""
    from PySide6.QtCore import QItemSelectionModel
    from PySide6.QtWidgets import QTableView

    from privacycrm_desktop.services.dto import ContactFilter, ListFilter
    from privacycrm_desktop.ui.contacts.contact_table_model import Column
    from privacycrm_desktop.ui.main_window import MainWindow

    engine, services, actor = open_services(database)
    window = MainWindow(services, actor)
    window.resize(1366, 768)
    window.show()
    app.processEvents()

    def select_all_ms() -> float:
        window.clear_all_matching()
        app.processEvents()
        started = time.perf_counter()
        window.view.selectAll()  # what Ctrl+A calls
        app.processEvents()  # the repaint of the rows shown
        return (time.perf_counter() - started) * 1000

    figures: dict[str, float] = {}
    cases = (
        ("whole list", "", ListFilter()),
        ("search 'gent'", "gent", ListFilter()),
        ("view expired", "", ListFilter(ContactFilter.EXPIRED)),
    )
    for name, query, view in cases:
        window.apply_view(view)
        window.search.setText(query)
        window.apply_search()
        app.processEvents()
        rows = window.model.rowCount()
        times = [select_all_ms() for _ in range(5)]
        assert window.all_matching
        assert not window.view.selectionModel().hasSelection()
        figures[name] = max(times)
        print(
            f"select all, {name} ({rows:,} contacts): median {median(times):.1f} ms, "
            f"max {max(times):.1f} ms (target <= {TARGET_MS:.0f} ms)",
            flush=True,
        )
    window.clear_all_matching()
    window.apply_view(ListFilter())
    window.search.setText("")
    window.apply_search()
    card_times = []
    for row in (0, window.model.rowCount() // 2, window.model.rowCount() - 1):
        flags = QItemSelectionModel.SelectionFlag
        window.view.selectionModel().setCurrentIndex(
            window.model.index(row, Column.NAME), flags.ClearAndSelect | flags.Rows
        )
        started = time.perf_counter()
        window.show_card_of_current()
        card_times.append((time.perf_counter() - started) * 1000)
    print(f"card of the selected contact: max {max(card_times):.1f} ms", flush=True)
    if args.compare_old:
        started = time.perf_counter()
        QTableView.selectAll(window.view)
        app.processEvents()
        print(f"Qt's selectAll of every row: {(time.perf_counter() - started) * 1000:.0f} ms")
    window.close()
    engine.dispose()
    return [
        Figure("select all (max)", max(figures.values()), "ms", TARGET_MS),
        Figure("card of a contact", max(card_times), "ms", CARD_TARGET_MS),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
