"""Retention: the expiry counts, erasing a contact, the annual cleanup wizard and the
data quality review."""
