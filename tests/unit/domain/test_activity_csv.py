"""Reading files of interactions (issue 22): which program wrote them, which column holds
what (with ``--map``), kinds in the programs' words, dates in the file's own order."""

from __future__ import annotations

import datetime as dt

import pytest

from privacycrm_desktop.domain.activities import ActivityKind, html_text
from privacycrm_desktop.domain.activity_csv import (
    EXPORT_COLUMNS,
    KIND_WORDS,
    ActivityField,
    ActivityProfile,
    DateOrder,
    MappingProblem,
    column_map,
    date_order,
    detect_profile,
    kind_of,
    parse_moment,
    people_ids,
)


@pytest.mark.parametrize("profile", list(EXPORT_COLUMNS))
def test_what_we_write_for_a_program_is_recognised_as_that_program(
    profile: ActivityProfile,
) -> None:
    headers = [h for h, _what in EXPORT_COLUMNS[profile]]
    assert detect_profile(headers) is profile
    mapped = column_map(headers)
    readable = {w for _h, w in EXPORT_COLUMNS[profile]} & {f.value for f in ActivityField}
    assert {f.value for f in mapped.values()} == readable
    # Each kind written reads back as a kind (Odoo has no letter or visit: a close one).
    for kind in ActivityKind:
        assert kind_of(KIND_WORDS[profile][kind]) is not None


def test_dutch_and_french_headers_and_words() -> None:
    assert detect_profile(["Datum", "Type", "Onderwerp", "E-mailadres"]) is (
        ActivityProfile.TEAMLEADER
    )
    mapped = column_map(["Datum", "Onderwerp", "Omschrijving", "Adresse e-mail", "Soort"])
    assert list(mapped.values()) == [
        ActivityField.OCCURRED_AT,
        ActivityField.SUMMARY,
        ActivityField.DETAILS,
        ActivityField.EMAIL,
        ActivityField.KIND,
    ]
    assert kind_of("Telefoongesprek") is ActivityKind.CALL
    assert kind_of("Réunion") is ActivityKind.MEETING
    assert kind_of("To Do") is ActivityKind.NOTE
    assert kind_of("Fax") is None
    assert detect_profile(["When", "What"]) is ActivityProfile.GENERIC


def test_a_mapping_overrides_leaves_out_and_refuses() -> None:
    headers = ["Date", "Subject", "Who"]
    assert column_map(headers, ["Who=contact_id"])[2] is ActivityField.CONTACT_ID
    moved = column_map(headers, ["Who=summary"])
    assert moved == {0: ActivityField.OCCURRED_AT, 2: ActivityField.SUMMARY}
    assert 1 not in column_map(headers, ["Subject="])
    with pytest.raises(MappingProblem):
        column_map(headers, ["Missing=summary"])
    with pytest.raises(MappingProblem):
        column_map(headers, ["Who=nonsense"])


def test_dates_in_the_files_order() -> None:
    assert date_order(["03/04/2025", "14/03/2025"]) is DateOrder.DMY
    assert date_order(["03/04/2025", "03/14/2025"]) is DateOrder.MDY
    assert date_order(["03/04/2025"]) is DateOrder.DMY  # undecided: day first
    assert parse_moment("03/04/2025 9:05", DateOrder.DMY) == dt.datetime(2025, 4, 3, 9, 5)
    assert parse_moment("03/04/2025", DateOrder.MDY) == dt.datetime(2025, 3, 4)
    assert parse_moment("14.03.2025", DateOrder.DMY) == dt.datetime(2025, 3, 14)
    assert parse_moment("2025-03-14 10:30:15", DateOrder.DMY) == dt.datetime(
        2025, 3, 14, 10, 30, 15
    )
    assert parse_moment("2025-03-14T10:30", DateOrder.MDY) == dt.datetime(2025, 3, 14, 10, 30)
    for bad in ("31/02/2025", "yesterday", "", "2025-13-01"):
        assert parse_moment(bad, DateOrder.DMY) is None, bad


def test_people_and_html_notes() -> None:
    assert people_ids("3, 4;5 6") == (3, 4, 5, 6)
    assert people_ids("") == ()
    assert people_ids("3 Jan") is None
    assert html_text("<p>Prijs <b>besproken</b></p><p>tweede</p>") == "Prijs besproken\ntweede"
    assert html_text("a < b and c > d") == "a < b and c > d"


def test_html_notes_lose_scripts_and_styles_and_keep_their_lines() -> None:
    assert html_text("<p>hello <b>world</b><script>alert(1)</script></p>") == "hello world"
    assert html_text("<style>p { color: red }</style><p>Rood</p>") == "Rood"
    assert html_text("<div>een</div><div>twee<br>drie</div><ul><li>a</li><li>b</li></ul>") == (
        "een\ntwee\ndrie\na\nb"
    )
    assert html_text("<p>Tom &amp; Jerry&nbsp;&lt;3</p>") == "Tom & Jerry\xa0<3"
    # An unclosed script takes the rest: script text never becomes a note.
    assert "alert" not in html_text("<p>x</p><script>alert(1)")
