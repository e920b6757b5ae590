"""Consent and marketing: a contact's consent, special categories and disclosures;
purposes, privacy statements and marketing lists."""
