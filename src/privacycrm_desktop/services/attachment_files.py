"""Reading a file to keep with an interaction, never more than the limit allows."""

from __future__ import annotations

from pathlib import Path

from privacycrm_desktop.domain.activities import MAX_ATTACHMENT
from privacycrm_desktop.domain.errors import FieldProblem, ValidationFailed
from privacycrm_desktop.domain.text import N_

TOO_LARGE = N_("The attached file is larger than 10 MB.")


def read_attachment(path: Path) -> bytes:
    """The file's bytes, read no further than ``MAX_ATTACHMENT`` and one byte: a 3 GB file
    or a device such as /dev/zero is refused without being read whole (seen from outside:
    memory grew to 23 GB).

    Raises:
        ValidationFailed: the file is larger than the limit.
        OSError: it cannot be read.
    """
    with path.open("rb") as handle:
        data = handle.read(MAX_ATTACHMENT + 1)
    if len(data) > MAX_ATTACHMENT:
        raise ValidationFailed([FieldProblem("attachment", TOO_LARGE)])
    return data
