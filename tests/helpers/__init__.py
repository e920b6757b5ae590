"""Helpers shared by test files (imported as ``helpers.*``: tests/ is on sys.path, as for
``pg_support``, through the rootdir's conftest.py)."""
