"""SQLAlchemy models, the engine and its pragmas, the unit of work, search, migrations."""
