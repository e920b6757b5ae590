"""Administration: users, the field access matrix, the audit viewer and backups."""
