"""``request add``, ``request list`` and ``export-report`` in-process."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from .test_cli import INIT, SOURCE, ZOE, _env, db, run, run_json  # noqa: F401 (fixtures: the autouse environment, the file)


@pytest.fixture
def ready(capsys: pytest.CaptureFixture[str], db: Path) -> Path:  # noqa: F811 (fixture)
    """An initialised database with Zoë in it."""
    code, _out, err = run(capsys, db, *INIT, user=None)
    assert code == 0, err
    assert run_json(capsys, db, *ZOE, *SOURCE, "2024-05-01") == {"id": 1}
    return db


def test_request_add_and_list(capsys: pytest.CaptureFixture[str], ready: Path) -> None:
    created = run_json(
        capsys,
        ready,
        "request",
        "add",
        "--kind",
        "access",
        "--contact",
        "1",
        "--received",
        "2024-01-31",
        "--channel",
        "e-mail",
        "--requester",
        "Zoë",
    )
    assert isinstance(created, dict)
    assert created["id"] == 1
    assert created["due_on"] == "2024-02-29"
    code, out, err = run(capsys, ready, "request", "add", "--kind", "erasure", "--contact", "1")
    assert code == 0, err
    assert out.strip() == "2"
    listed = run_json(capsys, ready, "request", "list")
    assert isinstance(listed, dict)
    rows = listed["requests"]
    assert [r["id"] for r in rows] == [1, 2]
    assert rows[0]["overdue"] is True
    assert rows[0]["kind"] == "access"
    assert rows[0]["contacts"] == [1]
    code, out, err = run(capsys, ready, "request", "list")
    assert code == 0
    assert "R-2024-0001" in out
    # Bad input: unknown contact, a kind that does not exist, a date in the future.
    code, _o, err = run(capsys, ready, "request", "add", "--kind", "access", "--contact", "9")
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    code, _o, _e = run(capsys, ready, "request", "add", "--kind", "nope", "--contact", "1")
    assert code == 2
    code, _o, err = run(
        capsys,
        ready,
        "request",
        "add",
        "--kind",
        "access",
        "--contact",
        "1",
        "--received",
        "2999-01-01",
    )
    assert code == 1


def test_export_report(capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path) -> None:
    pdf, copy = tmp_path / "zoe.pdf", tmp_path / "zoe.json"
    code, out, err = run(capsys, ready, "export-report", "1", "--out", str(pdf))
    assert code == 0, err
    assert out.strip() == str(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    document = run_json(
        capsys, ready, "export-report", "1", "--out", str(pdf), "--lang", "fr", "--json", str(copy)
    )
    assert document == {
        "id": 1,
        "pdf": str(pdf),
        "json": str(copy),
        "language": "fr",
        "reference": document["reference"],
    }
    text = " ".join(PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text().split())
    assert "Lefèvre" in text
    assert "Vos données" in text
    assert json.loads(copy.read_text(encoding="utf-8"))["contact_id"] == 1
    # An office user may not produce it.
    code, _o, err = run(capsys, ready, "user", "add", "anna", "--role", "office")
    assert code == 0, err
    code, _o, err = run(capsys, ready, "export-report", "1", "--out", str(pdf), user="anna")
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    code, _o, _e = run(capsys, ready, "export-report", "1", "--out", str(pdf), "--lang", "de")
    assert code == 2
