"""``privacycrm-cli``: what an administrator scripts, without a screen (docs/architecture.md,
"Headless interface").

A composition root like app.py: it builds the engine, migrates, builds the services and
calls them. The package, one module per command group (as calibre's ``db/cli``):

- ``parser``: the global options, then each group's ``register``; the one registry of
  commands (each leaf stores the function that runs it: ``set_defaults(run=...)``);
- ``context``: what the commands share (the context, signing in, opening the database,
  failures as exit codes and one line on stderr);
- ``options`` and ``output``: argparse value types, and the JSON / text rendering;
- the groups: ``setup``, ``users``, ``contacts``, ``marketing``, ``requests``,
  ``retention``, ``export``, ``backup``, ``imports``, ``audit``, ``storage``.

This module holds ``main`` only; no other module of the package imports it.
Exit codes: 0 ok, 1 refused or failed (one line on stderr), 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from privacycrm_desktop.cli.argparse_i18n import translate_argparse
from privacycrm_desktop.cli.context import run_command
from privacycrm_desktop.cli.options import default_language
from privacycrm_desktop.cli.parser import build_parser
from privacycrm_desktop.i18n import LANGUAGES, set_language


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--lang", choices=LANGUAGES)
    known, _rest = pre.parse_known_args(argv)
    set_language(known.lang or default_language())
    translate_argparse()  # "usage:", "error:", "invalid choice" in that language too
    args = build_parser().parse_args(argv)
    set_language(args.lang)
    return run_command(args)


__all__ = ["main"]
