"""An e-mail file (.eml) read for the timeline (``domain.activities.read_eml``)."""

from __future__ import annotations

import pytest

from privacycrm_desktop.domain.activities import read_eml
from privacycrm_desktop.domain.errors import ValidationFailed


def test_encoded_headers_are_decoded() -> None:
    mail = read_eml(
        b"From: =?utf-8?B?Wm/DqyBMZWbDqHZyZQ==?= <zoe@example.be>\r\n"
        b"Subject: =?utf-8?B?SGFsbG8=?=\r\nDate: Tue, 3 Mar 2026 10:00:00 +0100\r\n\r\nDag\r\n"
    )
    assert (mail.sender, mail.subject, mail.body) == (
        "Zoë Lefèvre <zoe@example.be>",
        "Hallo",
        "Dag",
    )
    assert mail.sent_at is not None
    assert mail.sent_at.hour == 9  # naive UTC


def test_a_header_that_does_not_decode_is_kept_as_written() -> None:
    # Seen from outside: "=?utf-8?B?!!!invalid?=" was stored as replacement characters.
    mail = read_eml(b"From: a@example.be\r\nSubject: =?utf-8?B?!!!invalid?=\r\n\r\nhi\r\n")
    assert mail.subject == "=?utf-8?B?!!!invalid?="


def test_bytes_without_any_header_are_no_e_mail() -> None:
    with pytest.raises(ValidationFailed):
        read_eml(b"just some words\n")
