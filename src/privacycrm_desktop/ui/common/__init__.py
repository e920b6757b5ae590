"""Widgets, table models, background jobs and helpers that several features share."""
