"""An import's chunks written behind the analysis, in a thread of its own (PostgreSQL).

On the server, writing a chunk of 10,000 contacts is mostly the server's work (COPY into
tables with a dozen indexes, the foreign keys checked row by row, the word indexes): a
second or so during which this process only waits, the analysis of the next blocks
stopped. Written from a thread, the wait lets the analysis go on (the driver releases
the GIL while it waits): the server and this process each work on a core.

One chunk at a time, in file order: the next waits for the one before, and a chunk that
failed raises its error at the next chunk or at ``settle`` (the same error, at the same
place in the run as written in line, one block later at most). The contacts a chunk
creates are in the batch's ``created`` before they are committed, so a look-up of the
analysis that sees them leaves them out as before, and one that does not finds them among
the rows of the file. SQLite writes in line: a write there is this process's own work,
and a read snapshot open while it writes would stop the WAL from starting again.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor


class WriteBehind:
    """Runs each job given to ``run`` after the one before: in a thread where *threaded*,
    else at once."""

    def __init__(self, threaded: bool) -> None:
        self._pool = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-write")
            if threaded
            else None
        )
        self._pending: Future[None] | None = None

    def run(self, job: Callable[[], None]) -> None:
        """Run *job* once the job before it ended (raising that job's error, if any)."""
        if self._pool is None:
            job()
            return
        self.settle()
        self._pending = self._pool.submit(job)

    def settle(self) -> None:
        """Wait for the job under way; its error, if it failed."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Wait for the job under way (its error left to the caller's own), end the thread."""
        try:
            pending, self._pending = self._pending, None
            if pending is not None:
                pending.exception()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)


__all__ = ["WriteBehind"]
