"""Use cases: one call is one user action, one transaction, with its audit record."""
