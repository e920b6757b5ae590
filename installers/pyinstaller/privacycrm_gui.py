"""PyInstaller entry point of the ``privacycrm`` executable (the desktop app)."""

from privacycrm_desktop.app import main

raise SystemExit(main())
