"""The import-linter contracts of pyproject.toml bite: a forbidden import breaks them.

The package tree and the ``[tool.importlinter]`` configuration are copied once into a
temporary folder; each case adds one forbidden import there, runs ``lint-imports`` on the
copy (``PYTHONPATH`` pointing at it) and expects exactly the contract it names to be broken,
with the offending module in the report. The copy as it is keeps every contract. Without
this, a contract that names a module no longer there (or a package that no longer holds the
code) would keep passing while checking nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "privacycrm_desktop"
PYPROJECT = ROOT / "pyproject.toml"

LAYERS = "Layers point down only"
QT_ONLY_IN_UI = "Qt only in ui"
CLI_MAIN = "Only the CLI's __main__ imports its main"
CLI_ACYCLIC = "The CLI's modules import one another without cycles"


def importlinter_config(pyproject: str) -> str:
    """The ``[tool.importlinter]`` tables of *pyproject*, as TOML text of their own."""
    kept: list[str] = []
    keep = False
    for line in pyproject.splitlines():
        header = re.match(r"^\[\[?([^\]]+)\]\]?\s*$", line)
        if header:
            keep = header.group(1).strip().startswith("tool.importlinter")
        if keep:
            kept.append(line)
    return "\n".join(kept) + "\n"


def contract_names() -> list[str]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    return [contract["name"] for contract in config["contracts"]]


def lint_imports_command() -> list[str]:
    """``lint-imports`` of this environment (the script next to this Python, else the same
    entry point run by this Python)."""
    script = Path(sys.executable).with_name("lint-imports")
    if script.exists():
        return [str(script)]
    entry = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"
    return [sys.executable, "-c", entry]


class Copy:
    """The copied tree: run ``lint-imports`` on it, with or without one forbidden import."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.package = folder / "src" / "privacycrm_desktop"
        #: What ``add_import`` changed: each module with its text before (None: new).
        self.changed: list[tuple[Path, str | None]] = []

    def lint(self) -> tuple[int, str, dict[str, str]]:
        """Exit code, report, and each contract's verdict (KEPT or BROKEN)."""
        done = subprocess.run(
            [*lint_imports_command(), "--no-cache"],
            cwd=self.folder,
            env={**os.environ, "PYTHONPATH": str(self.folder / "src"), "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        report = done.stdout + done.stderr
        verdicts = dict(re.findall(r"^(.+?) (KEPT|BROKEN)\s*$", report, flags=re.MULTILINE))
        return done.returncode, report, verdicts

    def add_import(self, relative: str, line: str) -> None:
        """Append *line* to the module *relative* to the package (a new module if need be)."""
        path = self.package / relative
        before = path.read_text(encoding="utf-8") if path.exists() else None
        self.changed.append((path, before))
        path.write_text((before or '"""A probe."""\n') + line + "\n", encoding="utf-8")

    def undo(self) -> None:
        """Put back what ``add_import`` changed."""
        while self.changed:
            path, before = self.changed.pop()
            if before is None:
                path.unlink()
            else:
                path.write_text(before, encoding="utf-8")


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Copy:
    folder = tmp_path_factory.mktemp("contracts")
    shutil.copytree(
        PACKAGE,
        folder / "src" / "privacycrm_desktop",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    config = importlinter_config(PYPROJECT.read_text(encoding="utf-8"))
    (folder / "pyproject.toml").write_text(config, encoding="utf-8")
    return Copy(folder)


@pytest.fixture
def restored(copy: Copy) -> Iterator[Copy]:
    """The copy, put back as it was after the test (each case breaks it in one place)."""
    yield copy
    copy.undo()


def test_the_copied_configuration_is_the_projects() -> None:
    full = PYPROJECT.read_text(encoding="utf-8")
    copied = tomllib.loads(importlinter_config(full))
    assert copied["tool"]["importlinter"] == tomllib.loads(full)["tool"]["importlinter"]


def test_the_tree_as_it_is_keeps_every_contract(copy: Copy) -> None:
    code, report, verdicts = copy.lint()
    assert code == 0, report
    assert verdicts == dict.fromkeys(contract_names(), "KEPT"), report


@pytest.mark.parametrize(
    ("module", "line", "broken", "offender"),
    [
        pytest.param(
            "cli/qt_probe.py",
            "import PySide6.QtWidgets",
            QT_ONLY_IN_UI,
            "privacycrm_desktop.cli.qt_probe -> PySide6",
            id="a-cli-module-imports-qt",
        ),
        pytest.param(
            "services/cli_probe.py",
            "from privacycrm_desktop.cli.argparse_i18n import translate_argparse",
            LAYERS,
            "privacycrm_desktop.services.cli_probe -> privacycrm_desktop.cli.argparse_i18n",
            id="a-service-imports-from-the-cli",
        ),
        pytest.param(
            "selftest/checks.py",
            "import PySide6.QtCore",
            QT_ONLY_IN_UI,
            "privacycrm_desktop.selftest.checks -> PySide6",
            id="the-qt-free-self-test-imports-qt",
            marks=pytest.mark.slow,
        ),
        pytest.param(
            "cli/audit.py",
            "from privacycrm_desktop.cli import main",
            CLI_MAIN,
            "privacycrm_desktop.cli.audit -> privacycrm_desktop.cli",
            id="a-command-module-imports-the-cli-package",
            marks=pytest.mark.slow,
        ),
        pytest.param(
            "cli/context.py",
            "from privacycrm_desktop.cli import parser",
            CLI_ACYCLIC,
            ".context -> .parser",
            id="the-cli-context-imports-the-parser",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    restored: Copy, module: str, line: str, broken: str, offender: str
) -> None:
    restored.add_import(module, line)
    code, report, verdicts = restored.lint()
    assert code != 0, report
    expected = dict.fromkeys(contract_names(), "KEPT") | {broken: "BROKEN"}
    assert verdicts == expected, report
    assert offender in report
