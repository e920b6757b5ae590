"""Hatch build hook: compile the gettext catalogues (.po -> .mo) into the build.

Compiled catalogues are build products, never committed; the wheel and an editable
install both get them from here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

sys.path.insert(0, str(Path(__file__).parent))
from compile_catalogues import compile_all


class CatalogueBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Compile every catalogue under resources/locale before files are collected."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        compile_all(Path(self.root) / "resources" / "locale")
