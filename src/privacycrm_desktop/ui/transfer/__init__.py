"""Contacts in and out: the import wizard with its history, and the export dialog."""
