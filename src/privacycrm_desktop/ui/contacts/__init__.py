"""The contact list, the contact editor and its conflict dialog, and following the
changes made on other desks."""
