"""The Qt desktop interface: the only package that imports PySide6.

``main_window`` assembles the feature packages (startup, contacts, consent, transfer,
requests, retention, admin); they do not import each other and share ``common``
(docs/architecture.md, "The ui package").
"""
