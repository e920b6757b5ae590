"""Start-up recovery: checking and restoring a backup before anyone can sign in, when the
database is damaged or gone (ui/recovery_dialog.py). There is no database to ask for the
backup key, so the seal is checked with the key file of the database the backup names
(services/backup/keys.py), or the key sealed in an encrypted backup's header.
"""

from __future__ import annotations

from pathlib import Path

from privacycrm_desktop.persistence import backup as files
from privacycrm_desktop.persistence.backup import BackupInfo
from privacycrm_desktop.persistence.backup_verify import verify_backup as verify_file
from privacycrm_desktop.services.audit_anchors import start_file_over
from privacycrm_desktop.services.backup import keys as backup_keys
from privacycrm_desktop.services.backup.file_restore import restore_file
from privacycrm_desktop.services.backup.records import RestoreResult

#: The actor of the restore's audit event: nobody is signed in yet.
RECOVERY = "start-up recovery"


def verify_backup(info: BackupInfo | Path, passphrase: str | None = None) -> None:
    """Check a backup with the keys this computer holds for the database it names (the key
    file beside the settings; start-up recovery has no database to ask).

    Raises:
        BackupInvalid, BackupPassphraseWrong.
    """
    if not isinstance(info, BackupInfo):
        info = files.read_manifest(info)
    verify_file(info, passphrase, backup_keys.known_keys(info.database_id))


def restore_unopenable(db_path: Path, backup: Path, passphrase: str | None = None) -> RestoreResult:
    """Start-up recovery before anyone can sign in: check the backup (its seal with the key
    file of the database it names, or the key sealed in its header), keep the damaged file
    aside as a "before-restore" backup, put the checked and migrated copy in place, replay
    the erasure ledger of the damaged file when it can still be read, and record the
    restore ("backup.restore", actor "start-up recovery") in the restored audit trail.

    Raises:
        BackupInvalid, BackupPassphraseWrong, BackupFailed.
    """
    info = files.read_manifest(backup)
    result = restore_file(
        db_path,
        backup,
        passphrase,
        actor_name=RECOVERY,
        keys=backup_keys.known_keys(info.database_id),
    )
    start_file_over(db_path)
    return result
