"""The self-test (``privacycrm --self-test``, ``privacycrm-cli self-test``): does this copy of
the app work?

``checks``: every step but the window, free of Qt; ``window``: the main-window step (Qt),
above ui in the layers. This module imports neither, so that importing ``checks`` never
loads Qt.
"""
