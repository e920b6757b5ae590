"""Validation of a big import's rows in worker processes (100,000 rows in < 15 s).

Converting and validating a row with the contact editor's rules (``read_row``:
email-validator, phonenumbers, the text checks) and computing its duplicate keys is pure
Python and most of an import's time; the interpreter runs it on one core. A table of
``POOL_MIN_ROWS`` rows or more is therefore checked by a pool of worker processes, one per
core, in tasks of ``TASK_ROWS`` rows; the rows come back in file order, so everything after
(suppression and duplicate checks, writing) stays in the calling process and decides
exactly as before. Smaller tables are checked in this process: starting a worker costs
about a third of a second, as much as checking a few thousand rows.

The workers are started with "spawn" on every system: forking a process that runs Qt
threads is unsafe, and spawn is what Windows and macOS do anyway. A frozen (PyInstaller)
program must call ``multiprocessing.freeze_support()`` first thing (the entry points in
installers/pyinstaller/ do). The functions a worker runs are top-level functions of this
module, which imports only the domain (and the package's ``__init__`` imports nothing
until asked), so a worker starts quickly.

Stopping early (a cancel) cancels the tasks not started; the ones running end within a
task's time, and their results are dropped. If the pool breaks (a worker killed, processes
not allowed), the remaining rows are checked in this process: slower, never different.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import functools
import gc
import importlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, NamedTuple

from privacycrm_desktop.domain.contact_columns import StoredColumns, stored_columns
from privacycrm_desktop.domain.duplicates import MatchKey, Person, match_keys, person
from privacycrm_desktop.domain.import_formats import ColumnTarget, ImportField, RowProblem
from privacycrm_desktop.domain.import_rows import DEFAULT_COUNTRY, ImportedRow, read_row
from privacycrm_desktop.domain.special_categories import SpecialCategoryTerms, scan
from privacycrm_desktop.domain.suppression import (
    HashKind,
    normalised_candidates,
    suppression_points,
)

#: Tables with fewer data rows are checked in the calling process.
POOL_MIN_ROWS = 5_000
#: Rows per task sent to a worker.
TASK_ROWS = 2_000
#: At most this many workers, however many cores (each holds its own interpreter).
MAX_WORKERS = 8

Keys = list[tuple[HashKind, str]]
Rows = Sequence[tuple[int, tuple[str, ...]]]


class RowPlan(NamedTuple):
    """What checking a row needs besides its cells."""

    headers: tuple[str, ...]
    mapping: tuple[ColumnTarget | None, ...]
    today: dt.date
    #: The suppression list's secret, and the hash kinds it holds entries of; None
    #: when the list is empty (nothing to hash).
    suppression: tuple[str, frozenset[str]] | None = None
    #: The country taken for a row that names none (``read_row``).
    default_country: str = DEFAULT_COUNTRY
    #: The special-category term lists the notes are scanned with (rule 10); None: the
    #: notes are not scanned here (``ValidRow.special`` stays None).
    special_terms: tuple[SpecialCategoryTerms, ...] | None = None
    #: The file's birth dates are written month first (``import_values.month_first``).
    months_first: bool = False


class ValidRow(NamedTuple):
    """A valid row with what the steps after validation need, computed where it was
    checked: its suppression points and their digests, the stored columns of the contact
    as read, and what identifies the person (``domain.duplicates``)."""

    row: ImportedRow
    #: The points the suppression list is checked for (every e-mail, every number, the
    #: name + postcode).
    keys: Keys
    #: (hash kind, digest) of the keys of the kinds the suppression list holds.
    digests: tuple[tuple[str, str], ...]
    #: Sort key, primary e-mail and phone, full-text row (``domain.contact_columns``).
    columns: StoredColumns
    #: The person as duplicates are compared, and the keys that may find another record.
    person: Person = Person()
    matches: tuple[MatchKey, ...] = ()
    #: The row's UID cell (a contact of this database when it is our own export's).
    uid: str = ""
    #: Do the notes suggest special-category data (``RowPlan.special_terms``)? None when
    #: they were not scanned.
    special: bool | None = None


#: A checked row: valid, or every problem of an invalid row.
Checked = ValidRow | list[RowProblem]


def check_rows(plan: RowPlan, rows: Rows) -> list[Checked]:
    """Read and validate *rows* (row number, cells) with the editor's rules, in order."""
    checked: list[Checked] = []
    headers, mapping, today, suppression, country, terms, american = plan
    uid_column = next(
        (i for i, t in enumerate(mapping) if t is not None and t.field is ImportField.UID), None
    )
    for number, cells in rows:
        row = read_row(
            number,
            headers,
            cells,
            mapping,
            today,
            default_country=country,
            months_first=american,
        )
        if isinstance(row, list):
            checked.append(row)
            continue
        data = row.contact
        emails, phones = data.emails, data.phones
        if row.unkeyed:
            # A point kept as typed or made up (555) is no point to suppress by.
            emails = tuple(e for e in emails if e not in row.unkeyed)
            phones = tuple(p for p in phones if p not in row.unkeyed)
        keys = suppression_points(emails, phones, data.first_name, data.last_name, data.postcode)
        digests: tuple[tuple[str, str], ...] = ()
        if suppression is not None:
            salt, kinds = suppression
            digests = tuple(
                (kind.value, digest)
                for kind, key in keys
                if kind.value in kinds
                for digest in normalised_candidates(salt, kind, key)
            )
        # The person compares by the values that identify (``duplicates.person``), the
        # same rule a stored contact's values meet.
        who = person(
            data.first_name,
            data.last_name,
            data.organisation,
            data.emails,
            data.phones,
            data.postcode,
            data.city,
            data.street,
            data.birth_date,
        )
        uid = (
            cells[uid_column].strip() if uid_column is not None and uid_column < len(cells) else ""
        )
        special = None
        if terms is not None:
            special = bool(data.notes.strip()) and bool(scan(data.notes, terms))
        checked.append(
            ValidRow(
                row, keys, digests, stored_columns(data), who, tuple(match_keys(who)), uid, special
            )
        )
    return checked


# -- in a worker process ----------------------------------------------------------------------

_worker_plan: RowPlan | None = None


#: prctl(2) option: the signal a process gets when its parent dies (Linux).
_PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> None:
    """End this worker when *parent* (the importing process) dies, also by SIGKILL.

    A killed parent never shuts its pool down: without this its workers (and with them the
    resource tracker, which waits for every holder of its pipe) would run on.
    Linux: the kernel sends SIGKILL (``PR_SET_PDEATHSIG``). Elsewhere: a daemon thread
    sees the parent change and exits.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)  # the parent died before the signal was asked for

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    if not sys.platform.startswith("linux") and os.name == "posix":
        threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _start_worker(plan: RowPlan, parent: int | None = None) -> None:
    """Keep what every task of this import shares (sent once, not with every task).

    The cyclic garbage collector is off, as in the calling process during an import: the
    rows are freed by reference counting, and the collector would only walk them again.
    """
    global _worker_plan  # noqa: PLW0603 - one worker process serves one import
    if parent is not None:
        _die_with(parent)
    _worker_plan = plan
    gc.disable()
    remember_domain_checks()


def remember_domain_checks() -> bool:
    """Let email-validator check each domain once (in a worker process only).

    Its check of the part after the @ (``validate_email_domain_name``: characters, IDNA
    normalisation, labels, special-use names) is a pure function of the domain and two
    flags, and half the time of validating an address; an import's addresses share a few
    domains. The result is remembered per (domain, flags); an invalid domain raises again
    each time (exceptions are not remembered), and the caller only reads the result, so
    every address gets exactly the verdict and normal form it gets without this (tests
    compare both on tricky addresses). True when installed (now or before).
    """
    try:
        module: Any = importlib.import_module("email_validator.validate_email")
        check = module.validate_email_domain_name
    except (ImportError, AttributeError):  # another email-validator: leave it as it is
        return False
    if not hasattr(check, "cache_info"):
        module.validate_email_domain_name = functools.lru_cache(maxsize=4096)(check)
    return True


def _check_task(rows: Rows) -> list[Checked]:
    assert _worker_plan is not None, "the worker was started without its plan"
    return check_rows(_worker_plan, rows)


# -- in the calling process -------------------------------------------------------------------


def worker_count(rows: int) -> int:
    """How many workers check *rows* rows: 0 (this process) below ``POOL_MIN_ROWS``, else
    one per usable core, at most ``MAX_WORKERS`` and at most one per task."""
    if rows < POOL_MIN_ROWS:
        return 0
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    tasks = -(-rows // TASK_ROWS)
    return max(1, min(cores, MAX_WORKERS, tasks))


class RowChecker:
    """The checked rows of a table, in file order, block by block.

    Use as a context manager: leaving it (also early, on a cancel or an error) stops the
    workers. ``workers`` 0 checks in this process; None chooses (``worker_count``). With
    *first_here*, this process checks the first task itself while the workers start.
    """

    def __init__(
        self,
        plan: RowPlan,
        rows: Rows,
        *,
        block: int,
        workers: int | None = None,
        first_here: bool = True,
    ) -> None:
        if TASK_ROWS % block:
            raise ValueError("a block must divide a task")
        self._plan = plan
        self._rows = rows
        self._block = block
        self.workers = worker_count(len(rows)) if workers is None else workers
        self._first_here = first_here
        self._pool: ProcessPoolExecutor | None = None
        self._tasks: dict[int, Future[list[Checked]]] = {}

    def __enter__(self) -> RowChecker:
        if self.workers > 0:
            try:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(self._plan, os.getpid()),
                )
                first = TASK_ROWS if self._first_here else 0
                self._tasks = {
                    start // TASK_ROWS: self._pool.submit(
                        _check_task, self._rows[start : start + TASK_ROWS]
                    )
                    for start in range(first, len(self._rows), TASK_ROWS)
                }
            except (OSError, BrokenProcessPool):
                self.close()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers: tasks not started are cancelled, running ones dropped."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def blocks(self) -> Iterator[list[Checked]]:
        """The checked rows in blocks of ``block`` rows: rows[0:block], rows[block:2 * block]
        and so on (the last may be shorter)."""
        rows, block = self._rows, self._block
        for start in range(0, len(rows), TASK_ROWS):
            checked = self._task_result(start // TASK_ROWS)
            if checked is not None:
                for offset in range(0, len(checked), block):
                    yield checked[offset : offset + block]
                continue
            for offset in range(start, min(start + TASK_ROWS, len(rows)), block):
                yield check_rows(self._plan, rows[offset : offset + block])

    def _task_result(self, index: int) -> list[Checked] | None:
        """A worker's result, or None to check in this process (no pool, or it broke, or
        the task is this process's own)."""
        task = self._tasks.get(index)
        if self._pool is None or task is None:
            return None
        try:
            return task.result()
        except (BrokenProcessPool, OSError):
            self.close()
            self.workers = 0
            return None


__all__ = [
    "POOL_MIN_ROWS",
    "TASK_ROWS",
    "Checked",
    "RowChecker",
    "RowPlan",
    "ValidRow",
    "check_rows",
    "worker_count",
]
