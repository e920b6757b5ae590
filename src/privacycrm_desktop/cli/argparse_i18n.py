"""argparse's own messages ("usage:", "error:", "invalid choice") in the user's language.

argparse looks its texts up through the module-level ``_`` and ``ngettext`` it imported from
gettext, with no catalogue of its own for Dutch or French. ``translate_argparse()`` points
those names at our catalogue; the msgids below are argparse's (Python 3.11), marked here so
that they are extracted and translated like every other message.
"""

from __future__ import annotations

import argparse

from privacycrm_desktop.i18n import N_, _, ngettext

#: argparse's messages a person can meet (help, usage and errors), as argparse spells them.
ARGPARSE_MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("ignored explicit argument %r"),
    N_("can't open '%(filename)s': %(error)s"),
)


def _argparse_ngettext(singular: str, plural: str, count: int) -> str:
    # Marked so the pair is extracted: argparse asks for "expected %s argument(s)".
    if singular == "expected %s argument":
        return ngettext("expected %s argument", "expected %s arguments", count)
    return ngettext(singular, plural, count)


def translate_argparse() -> None:
    """Let argparse's messages follow the language set with ``i18n.set_language``."""
    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = _argparse_ngettext  # type: ignore[attr-defined]


__all__ = ["ARGPARSE_MESSAGES", "translate_argparse"]
