"""PyInstaller entry point of the ``privacycrm-cli`` executable (the command line)."""

import multiprocessing

# Big imports start this program again as worker processes (services/imports/pool.py,
# "spawn"): in such a child this runs the worker and exits instead of the program.
multiprocessing.freeze_support()

from privacycrm_desktop.cli import main  # noqa: E402 - after freeze_support, on purpose

raise SystemExit(main())
