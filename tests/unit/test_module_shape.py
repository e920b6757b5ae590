"""The shape of the package: no import cycle, no module too long to read, a small root.

Read from the source tree, so a module added later is held to the same rules.
"""

from __future__ import annotations

from pathlib import Path

import grimp

PACKAGE = "privacycrm_desktop"
SOURCE = Path(__file__).resolve().parents[2] / "src" / PACKAGE
MAX_LINES = 600
#: Alembic scripts stay as they were written: a migration is history, not code to tidy.
FROZEN = SOURCE / "persistence" / "migrations"
#: What the root package may hold besides the sub-packages: the two entry points and the
#: settings every layer reads.
ROOT_MODULES = {"__init__.py", "__main__.py", "app.py", "config.py", "i18n.py"}


def _cycles() -> list[list[str]]:
    """Groups of modules that import each other, directly or in a ring, counting imports
    inside functions too (only imports under ``TYPE_CHECKING`` are left out: they never run)."""
    graph = grimp.build_graph(PACKAGE, exclude_type_checking_imports=True)
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:  # Tarjan's algorithm, without recursion
        nonlocal counter
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(edges[target])))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))

    for module in modules:
        if module not in index:
            visit(module)
    return groups


def test_no_import_cycle() -> None:
    assert _cycles() == []


def test_no_module_over_600_lines() -> None:
    long = {
        str(path.relative_to(SOURCE)): count
        for path in SOURCE.rglob("*.py")
        if FROZEN not in path.parents
        and (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_root_package_holds_only_entry_points_and_settings() -> None:
    assert {p.name for p in SOURCE.glob("*.py")} <= ROOT_MODULES


def test_the_tests_carry_no_type_ignore() -> None:
    """mypy checks src/ only (pyproject.toml): in a test such a comment silences nothing."""
    tests = SOURCE.parents[1] / "tests"
    marker = "# type: " + "ignore"
    found = [
        str(path.relative_to(tests))
        for path in tests.rglob("*.py")
        if marker in path.read_text(encoding="utf-8")
    ]
    assert found == []
