"""The lock file pins what pyproject.toml asks for, and this environment was installed from it."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "lock.txt"


def _pins() -> dict[str, tuple[str, Marker | None]]:
    pins: dict[str, tuple[str, Marker | None]] = {}
    for text in LOCK.read_text(encoding="utf-8").splitlines():
        line = text.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        (spec,) = requirement.specifier
        assert spec.operator == "==", line
        pins[canonicalize_name(requirement.name)] = (spec.version, requirement.marker)
    return pins


def _asked() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines += extra
    return [Requirement(line) for line in lines]


def test_every_dependency_is_pinned_within_what_pyproject_allows() -> None:
    pins = _pins()
    for requirement in _asked():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in {LOCK.name}: run make lock"
        version, _marker = pins[name]
        assert requirement.specifier.contains(version, prereleases=True), (name, version)


def test_this_environment_runs_the_locked_versions() -> None:
    pins = _pins()
    for requirement in _asked():
        name = canonicalize_name(requirement.name)
        version, marker = pins[name]
        if marker is not None and not marker.evaluate():
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # an extra this environment did not install (the bundle's, say)
        assert installed == version, f"{name} {installed} is installed, the lock says {version}"


def test_the_makefile_installs_from_the_lock_file() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = re.findall(r"pip install [^\n]*-e '\.\[[^\n]*", makefile)
    assert installs
    assert all("-c $(LOCK)" in line for line in installs), installs
