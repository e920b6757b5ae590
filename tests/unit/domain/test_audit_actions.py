"""Every audit action the code writes is an ``AuditAction`` with a label, found by reading
the sources (Python calls and the server's SQL functions), so a new action without a
label fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import privacycrm_desktop
from privacycrm_desktop.domain.audit_actions import (
    ACTION_LABELS,
    AuditAction,
    DetailPart,
    action_label,
    split_detail,
)
from privacycrm_desktop.domain.retention import CleanupAction

SOURCES = Path(privacycrm_desktop.__file__).parent
CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")
#: Functions that take the action as an argument and write the event with it.
WRITERS = {"record_event": "action", "_audit": 2, "_log": 1, "_add_link": 6, "AuditEntry": 0}
SQL_WRITES = re.compile(r"pcrm_audit_write\([^,]+,\s*'([a-z_]+\.[a-z_]+)'")


def _strings(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    if isinstance(node, ast.JoinedStr) and ast.unparse(node) == "f'cleanup.{action.value}'":
        return [f"cleanup.{a.value}" for a in CleanupAction]
    return []


def written_actions() -> dict[str, str]:
    """Each action code written somewhere, with the file that writes it."""
    found: dict[str, str] = {}
    for path in SOURCES.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for match in SQL_WRITES.finditer(text):
            found[match.group(1)] = str(path)
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            where = WRITERS.get(str(name))
            if where is None:
                continue
            if isinstance(where, str):
                args = [k.value for k in node.keywords if k.arg == where]
            else:
                args = node.args[where : where + 1]
            for arg in args:
                for value in _strings(arg):
                    if CODE.match(value):
                        found[value] = str(path)
    return found


def test_every_written_action_is_known_and_labelled() -> None:
    written = written_actions()
    assert len(written) >= 40  # the scan itself still finds the writers
    unknown = {code: path for code, path in written.items() if code not in set(AuditAction)}
    assert not unknown, f"add these to AuditAction with a label: {unknown}"
    assert set(AuditAction) - set(written) == set(), "actions no code writes any more"


def test_every_action_has_a_label() -> None:
    assert set(ACTION_LABELS) == set(AuditAction)
    assert all(action_label(a.value) for a in AuditAction)
    assert action_label("something.new") is None


def test_details_split_into_parts() -> None:
    assert split_detail("role=sales;count=3") == (
        DetailPart("role", "sales"),
        DetailPart("count", "3"),
    )
    assert split_detail("count=3 seed=1") == (DetailPart("count", "3"), DetailPart("seed", "1"))
    assert split_detail("03-01") == (DetailPart("", "03-01"),)
    assert split_detail("") == ()
