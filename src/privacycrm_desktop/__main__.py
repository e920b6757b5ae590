"""Run the desktop app with ``python -m privacycrm_desktop``."""

from privacycrm_desktop.app import main

raise SystemExit(main())
