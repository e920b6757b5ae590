"""Import of contacts from CSV and vCard files, as a pipeline of steps.

The modules, in the order a run goes through them: ``plan`` (the file read, the plan
checked), ``analyse`` (every row validated and placed; ``pool`` validates a big file's
rows in worker processes), ``write`` (the batch written chunk by chunk), ``undo``;
``service`` holds ``ImportService``, the use cases the wizard and the CLI call, and
``model`` what they take and give.

Callers import from this package. Its names are loaded on first use: the worker
processes of ``pool`` import this package before their own module, and must not pay for
the database layers they never use (a worker starts in a fifth of the time).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from privacycrm_desktop.services.imports.model import (
        ImportBatchRow,
        ImportPlan,
        ImportPreview,
        ImportResult,
    )
    from privacycrm_desktop.services.imports.service import ImportService
    from privacycrm_desktop.services.imports.summary import conflicts_line as conflicts_line
    from privacycrm_desktop.services.imports.summary import defaults_lines as defaults_lines
    from privacycrm_desktop.services.imports.summary import to_check_line as to_check_line

#: Each public name and the module of this package that defines it.
_HOMES = {
    "ImportBatchRow": "model",
    "ImportPlan": "model",
    "ImportPreview": "model",
    "ImportResult": "model",
    "ImportService": "service",
    "conflicts_line": "summary",
    "defaults_lines": "summary",
    "to_check_line": "summary",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])


__all__ = ["ImportBatchRow", "ImportPlan", "ImportPreview", "ImportResult", "ImportService"]
