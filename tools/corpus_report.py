"""Import the real-file corpus (tests/data/corpus) and print what arrived, for people.

The same measurement as ``tests/unit/services/test_import_corpus.py``: each file is
imported as ``privacycrm-cli import`` does it into a fresh temporary database (undone after
each file), compared with ``expected.json``, and the two figures are printed (contacts
arrived / expected, files whole / files) with, per file, what was lost or wrong and what the
importer said. ``--reasons`` adds the importer's refusals grouped by message, the list to
work down.

The database, the app's data folder and its settings live in a temporary folder for the
run: nothing is written to this computer's own PrivacyCRM folders.

Usage: ``PYTHONPATH=src python tools/corpus_report.py [--all] [--reasons] [FILE ...]``
(FILE as ``project/name``, e.g. ``khard/post.vcf``). Exits 1 when the targets are missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OWNER_PASSWORD = "corpus-report-owner"  # noqa: S105 (a throw-away database)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", metavar="FILE", help="only these corpus files")
    parser.add_argument("--all", action="store_true", help="list the whole files too")
    parser.add_argument(
        "--reasons", action="store_true", help="the importer's refusals grouped by message"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="privacycrm-corpus-") as tmp:
        folder = Path(tmp)
        # Set before the app's modules are imported: they read these for their folders.
        os.environ["PRIVACYCRM_DATA_DIR"] = str(folder / "data")
        os.environ["PRIVACYCRM_CONFIG_DIR"] = str(folder / "config")
        sys.path.insert(0, str(ROOT / "tests"))
        from helpers.corpus import run_corpus
        from privacycrm_desktop.persistence.database import create_engine_for
        from privacycrm_desktop.persistence.migrate import migrate
        from privacycrm_desktop.services.clock import FixedClock
        from privacycrm_desktop.services.registry import Services
        from privacycrm_desktop.services.setup import CompanyInput

        engine = create_engine_for(folder / "corpus.db")
        try:
            migrate(engine)
            services = Services.build(engine, FixedClock(dt.datetime(2026, 3, 2, 10, 0)))
            owner = services.setup.initialise(
                CompanyInput("Corpus BV", "Kerkstraat 1, 9000 Gent", language="nl"),
                "owner",
                OWNER_PASSWORD,
            )

            def progress(name: str) -> None:
                if sys.stderr.isatty():
                    print(f"\r{name:<70}", end="", file=sys.stderr, flush=True)

            result = run_corpus(services, owner, args.files or None, progress)
        finally:
            engine.dispose()
    if sys.stderr.isatty():
        print("\r" + " " * 70 + "\r", end="", file=sys.stderr)
    print(result.report(whole_files=args.all))
    if args.reasons:
        print("\nThe importer's refusals by message, in how many files:")
        for message, count in result.reasons().most_common():
            print(f"{count:5d}  {message}")
    return 0 if result.meets_targets else 1


if __name__ == "__main__":
    sys.exit(main())
