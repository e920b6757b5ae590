"""README: "every benchmark runs on both engines" (issue 23). Each script in bench/ takes
``--engine sqlite|pg|both`` (``common.engine_arguments``) and runs once per engine chosen
(``common.engines``), and ``run_all.py`` (``make bench``) runs every script: a script
added later is checked too."""

from __future__ import annotations

import ast
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _called(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def test_every_benchmark_takes_the_engine_and_runs_once_per_engine() -> None:
    scripts = sorted(BENCH.glob("bench_*.py"))
    assert len(scripts) >= 16
    lacking = [
        path.name for path in scripts if not {"engine_arguments", "engines"} <= _called(path)
    ]
    assert lacking == []


def test_make_bench_runs_every_benchmark() -> None:
    tree = ast.parse((BENCH / "run_all.py").read_text(encoding="utf-8"))
    listed: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "BENCHES" for t in node.targets
        ):
            listed = set(ast.literal_eval(node.value))
    assert listed == {path.name for path in BENCH.glob("bench_*.py")}
