"""PDF reports with reportlab (no Qt): the register of processing, notices, letters."""
