"""PyInstaller entry point of the ``privacycrm-cli`` executable (the command line)."""

from privacycrm_desktop.cli import main

raise SystemExit(main())
