"""The search-index soak, suite size (bench/bench_soak.py is the full size).

Mixed actions through the services on one database, the search index's own integrity-check
after every erasure. With the operating system's SQLite 3.40 and ``optimize`` after each
erasure the index broke after a few thousand ordinary actions; the bundled SQLite with FTS5
secure-delete must stay sound throughout.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

BENCH = str(Path(__file__).resolve().parents[2] / "bench")
if BENCH not in sys.path:
    sys.path.insert(0, BENCH)

from soak import run_soak  # noqa: E402

pytestmark = pytest.mark.sqlite_only


def test_mixed_actions_with_erasures_keep_the_search_index_sound(
    services: Services, owner: Actor
) -> None:
    result = run_soak(services, owner, actions=1000, erasures=100, seed=17)
    assert result.problems == []
    assert result.actions == 1000
    assert result.erasures == 100
    assert result.index_checks == 100
