"""Helpers shared by the test suites (imported as ``helpers.<module>``)."""
