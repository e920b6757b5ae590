"""PrivacyCRM Desktop: a contact manager in which privacy law is part of the data model."""

__version__ = "0.1.0"
