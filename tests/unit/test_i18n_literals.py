"""No text reaches a person without going through the catalogue (docs/architecture.md,
Internationalisation).

An AST scan of the Qt layer, the CLI and the app's entry point: a string literal (or an
f-string with words in it) passed straight to a Qt text setter, a widget's constructor, a
message box, ``print`` / ``parser.error`` / argparse help, ``SystemExit`` ... is a message
that would stay English in Dutch and French. Wrap it in ``_()`` (or mark it ``N_()`` and
translate it where it is shown). Text that is not language (a symbol, a file filter, a
code) has no letters, or goes on the small allow-list below with the reason.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "privacycrm_desktop"

#: Methods whose every string argument is shown to a person.
TEXT_METHODS = {
    "setText",
    "setWindowTitle",
    "setPlaceholderText",
    "setToolTip",
    "setStatusTip",
    "setWhatsThis",
    "setTitle",
    "setSubTitle",
    "setButtonText",
    "setInformativeText",
    "setDetailedText",
    "setLabelText",
    "setAccessibleName",
    "setAccessibleDescription",
    "setHorizontalHeaderLabels",
    "setVerticalHeaderLabels",
    "setHeaderLabels",
    "setSpecialValueText",
    "setSuffix",
    "setPrefix",
    "showMessage",
    "show_message",
    "addMenu",
    "addAction",
    "addTab",
    "addRow",
    "addItem",
    "addItems",
    "insertItem",
    "addButton",
    "setItemText",
    "setTabText",
    "warning",
    "information",
    "question",
    "critical",
    "about",
    "getText",
    "getItem",
    "getInt",
    "getDouble",
    "getSaveFileName",
    "getOpenFileName",
    "getExistingDirectory",
}

#: Methods shown only when called on an argparse parser (``log.error`` is not for people).
PARSER_METHODS = {"error", "exit"}

#: Constructors whose string arguments are shown (widgets, actions, argparse).
TEXT_CONSTRUCTORS = {
    "QLabel",
    "QPushButton",
    "QCheckBox",
    "QRadioButton",
    "QGroupBox",
    "QAction",
    "QToolButton",
    "QMessageBox",
    "QWizardPage",
    "QCommandLinkButton",
    "SystemExit",
    "CliError",
}

#: Keyword arguments shown to a person wherever they appear (argparse and friends).
TEXT_KEYWORDS = {"help", "description", "epilog", "title", "text", "message"}

#: Calls that print to the terminal: every string reaches a person.
PRINT_FUNCTIONS = {"print", "echo", "fail", "warn", "die"}

#: (file relative to the package, literal) pairs that are not language, with the reason.
ALLOWED: dict[tuple[str, str], str] = {
    ("app.py", "PrivacyCRM Desktop"): "the product's name",
    ("cli/context.py", "privacycrm-cli: "): "the program's name before every message",
    ("app.py", "first_paint "): "a figure for the start-up benchmark, read by a script",
    ("app.py", "rss_kb "): "a figure for the start-up benchmark, read by a script",
    ("app.py", "cpu_s "): "a figure for the start-up benchmark, read by a script",
}

_WORD = re.compile(r"[A-Za-zÀ-ÿ]{2,}")
#: Markup tags, file names and file patterns ("<ul>", "audit.csv", "*.pdf") are not words.
_NOT_LANGUAGE = re.compile(r"<[^<>]*>|\*\.\w+|\b[\w-]+\.(csv|pdf|txt|json|png)\b")
_TRANSLATORS = {"_", "N_", "ngettext", "tr_in", "describe_error", "describe_problem"}


def _files() -> Iterator[Path]:
    yield from sorted((PACKAGE / "ui").rglob("*.py"))
    yield from sorted((PACKAGE / "cli").rglob("*.py"))
    yield PACKAGE / "app.py"


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _is_translated(node: ast.AST) -> bool:
    """``_("...")``, ``_("...").format(...)``, ``ngettext(...)``..."""
    if isinstance(node, ast.Call):
        name = _callee(node)
        if name in _TRANSLATORS:
            return True
        if name == "format" and isinstance(node.func, ast.Attribute):
            return _is_translated(node.func.value)
    return False


def _literal_text(node: ast.AST) -> str | None:
    """The words of a literal or an f-string (placeholders left out); None for the rest."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    if isinstance(node, ast.Call) and _callee(node) == "format":
        func = node.func
        assert isinstance(func, ast.Attribute)
        return _literal_text(func.value)
    return None


def _candidates(node: ast.AST) -> Iterator[ast.AST]:
    """The expressions inside an argument that end up as text (lists, conditionals...)."""
    if _is_translated(node):
        return
    if isinstance(node, ast.List | ast.Tuple):
        for element in node.elts:
            yield from _candidates(element)
    elif isinstance(node, ast.IfExp):
        yield from _candidates(node.body)
        yield from _candidates(node.orelse)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        yield from _candidates(node.left)
        yield from _candidates(node.right)
    else:
        yield node


def _problems_in(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _callee(node)
        arguments: list[ast.AST] = []
        on_parser = name in PARSER_METHODS and "parser" in ast.unparse(node.func).lower()
        if on_parser or name in TEXT_METHODS | TEXT_CONSTRUCTORS | PRINT_FUNCTIONS:
            arguments.extend(node.args)
        arguments.extend(k.value for k in node.keywords if k.arg in TEXT_KEYWORDS)
        for argument in arguments:
            for candidate in _candidates(argument):
                text = _literal_text(candidate)
                if text is not None and _WORD.search(_NOT_LANGUAGE.sub(" ", text)):
                    yield node.lineno, text


def untranslated_literals() -> list[str]:
    """Every literal with words passed to a text sink without ``_()``, as file:line: text."""
    found = []
    for path in _files():
        relative = path.relative_to(PACKAGE).as_posix()
        for lineno, text in _problems_in(path):
            if (relative, text) not in ALLOWED:
                found.append(f"{relative}:{lineno}: {text!r}")
    return found


def test_no_untranslated_text_reaches_the_user() -> None:
    problems = untranslated_literals()
    assert not problems, (
        "text shown without _() (wrap it, or add it to ALLOWED with a reason):\n"
        + "\n".join(problems)
    )


def test_the_scan_catches_an_untranslated_label(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from PySide6.QtWidgets import QLabel, QMessageBox\n"
        "label = QLabel('Name:')\n"
        "ok = QLabel(_('Name:'))\n"
        "label.setToolTip(f'Saved {n} contacts')\n"
        "box = QMessageBox.warning(None, _('Title'), 'Something failed')\n"
        "print(_('fine'), file=sys.stderr)\n"
        "print('Refused', file=sys.stderr)\n"
        "parser.error('unknown command')\n"
        "parser.add_argument('--db', help='database file')\n"
        "label.setText('✔')\n",
        encoding="utf-8",
    )
    found = [text for _line, text in _problems_in(sample)]
    assert found == [
        "Name:",
        "Saved  contacts",
        "Something failed",
        "Refused",
        "unknown command",
        "database file",
    ]


@pytest.mark.parametrize("entry", sorted(ALLOWED))
def test_the_allow_list_is_still_needed(entry: tuple[str, str]) -> None:
    relative, text = entry
    found = [t for _line, t in _problems_in(PACKAGE / relative)]
    assert text in found, f"{entry} is no longer used: remove it from ALLOWED"


def _gettext_calls_in_f_strings(tree: ast.AST) -> Iterator[int]:
    """Lines where ``_()``, ``N_()`` or ``ngettext()`` is called on a literal inside an f-string:
    Babel's extractor does not look into f-strings, so the message never reaches the
    catalogues (seen: the merge dialog's "Keep" stayed English in French)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.JoinedStr):
            continue
        for inner in ast.walk(node):
            if (
                isinstance(inner, ast.Call)
                and isinstance(inner.func, ast.Name)
                and inner.func.id in ("_", "N_", "ngettext")
                and any(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) for a in inner.args
                )
            ):
                yield inner.lineno


def test_no_message_is_marked_inside_an_f_string() -> None:
    found = [
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in _gettext_calls_in_f_strings(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == [], "take the message out of the f-string: " + ", ".join(found)
