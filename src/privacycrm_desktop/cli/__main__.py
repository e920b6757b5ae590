"""Run the command line with ``python -m privacycrm_desktop.cli``."""

from privacycrm_desktop.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
