"""Every action the audit trail records, with what a person reads for it.

The trail stores short codes (``user.deactivate``) and details as ``key=value`` pairs that
never hold a personal value; the viewer shows words in the reader's language. A code
written anywhere must be a member of ``AuditAction`` (``record_event`` refuses others), so
a new action cannot reach the viewer without a label.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from privacycrm_desktop.domain.text import N_


class AuditAction(StrEnum):
    """What an audit event records."""

    ACCESS_SET = "access.set"
    ACTIVITY_ADD = "activity.add"
    ACTIVITY_ATTACHMENT_OPEN = "activity.attachment_open"
    ACTIVITY_DELETE = "activity.delete"
    ACTIVITY_EXPORT = "activity.export"
    ACTIVITY_IMPORT = "activity.import"
    ACTIVITY_READ_DETAILS = "activity.read_details"
    AUDIT_EXPORT = "audit.export"
    AUDIT_OUTSIDE_WRITES_REVIEWED = "audit.outside_writes_reviewed"
    BACKUP_CREATE = "backup.create"
    BACKUP_PASSPHRASE = "backup.passphrase"  # noqa: S105 (an action's name)
    BACKUP_RESTORE = "backup.restore"
    BACKUP_SETTINGS = "backup.settings"
    CLEANUP_APPLY = "cleanup.apply"
    CLEANUP_ERASE = "cleanup.erase"
    CLEANUP_ANONYMISE = "cleanup.anonymise"
    CLEANUP_KEEP = "cleanup.keep"
    CLEANUP_ASK_CONSENT = "cleanup.ask_consent"
    CLEANUP_REPORT = "cleanup.report"
    COMPANY_CREATE = "company.create"
    COMPANY_LINK = "company.link"
    COMPANY_MERGE = "company.merge"
    COMPANY_MERGE_UNDO = "company.merge_undo"
    COMPANY_MOVE = "company.move"
    COMPANY_UNLINK = "company.unlink"
    COMPANY_UPDATE = "company.update"
    CONSENT_EVIDENCE_OPEN = "consent.evidence_open"
    CONSENT_RECORD = "consent.record"
    CONSENT_UNSUBSCRIBE_ALL = "consent.unsubscribe_all"
    CONTACT_ANONYMISE = "contact.anonymise"
    CONTACT_CREATE = "contact.create"
    CONTACT_ERASE = "contact.erase"
    CONTACT_MERGE = "contact.merge"
    CONTACT_MERGE_UNDO = "contact.merge_undo"
    CONTACT_READ_RESTRICTED = "contact.read_restricted"
    COMPANY_READ_RESTRICTED = "company.read_restricted"
    CONTACT_UPDATE = "contact.update"
    DEMO_GENERATE = "demo.generate"
    DISCLOSURE_RECORD = "disclosure.record"
    EXPORT_CONTACTS = "export.contacts"
    EXPORT_MARKETING_CSV = "export.marketing_csv"
    IMPORT_INVALID_ROWS = "import.invalid_rows"
    IMPORT_RUN = "import.run"
    IMPORT_UNDO = "import.undo"
    POST_LABELS = "post.labels"
    POST_LETTERS = "post.letters"
    PURPOSE_UPDATE = "purpose.update"
    REPORT_ACCESS = "report.access"
    REPORT_PROCESSING_REGISTER = "report.processing_register"
    REPORT_SHORT_NOTICE = "report.short_notice"
    REQUEST_ADD = "request.add"
    REQUEST_CLOSE = "request.close"
    REQUEST_EXTEND = "request.extend"
    REQUEST_LETTER = "request.letter"
    REQUEST_RECTIFY = "request.rectify"
    RETENTION_HOLD_ADD = "retention.hold_add"
    RETENTION_HOLD_REMOVE = "retention.hold_remove"
    RETENTION_RECONFIRM_MONTHS = "retention.reconfirm_months"
    SERVER_ROLES_ENABLE = "server_roles.enable"
    SETTINGS_CLEANUP_REMINDER = "settings.cleanup_reminder"
    SETTINGS_IDLE_TIMEOUT = "settings.idle_timeout"
    SETTINGS_MERGE_UNDO_DAYS = "settings.merge_undo_days"
    SETTINGS_LOGO = "settings.logo"
    SETUP_INITIALISE = "setup.initialise"
    SPECIAL_CATEGORY_READ = "special_category.read"
    SPECIAL_CATEGORY_RECORD = "special_category.record"
    STATEMENT_PUBLISH = "statement.publish"
    STORAGE_REPAIR = "storage.repair"
    TAG_ASSIGN = "tag.assign"
    CUSTOM_FIELD_DEFINE = "field.define"
    CUSTOM_VALUE_EXPIRE = "cleanup.value_expired"
    TAG_ASSIGN_COMPANY = "tag.assign_company"
    TAG_CREATE = "tag.create"
    TAG_DELETE = "tag.delete"
    TAG_MERGE = "tag.merge"
    TAG_RECOLOUR = "tag.recolour"
    TAG_RENAME = "tag.rename"
    TAG_UNASSIGN = "tag.unassign"
    TAG_UNASSIGN_COMPANY = "tag.unassign_company"
    TASK_ADD = "task.add"
    TASK_DONE = "task.done"
    TASK_REASSIGN = "task.reassign"
    TASK_REOPEN = "task.reopen"
    TRANSFER_REFUSED = "transfer.refused"
    USER_ADD = "user.add"
    USER_DEACTIVATE = "user.deactivate"
    USER_LOCKED = "user.locked"
    USER_LOGIN = "user.login"
    USER_PASSWORD_RESET = "user.password_reset"  # noqa: S105 (an action's name)
    USER_REACTIVATE = "user.reactivate"
    USER_ROLE = "user.role"


#: What each action is called in the viewer (a past participle, as a log reads).
ACTION_LABELS: dict[AuditAction, str] = {
    AuditAction.ACCESS_SET: N_("Field access changed"),
    AuditAction.AUDIT_EXPORT: N_("Audit trail exported"),
    AuditAction.AUDIT_OUTSIDE_WRITES_REVIEWED: N_("Changes outside PrivacyCRM reviewed"),
    AuditAction.BACKUP_CREATE: N_("Backup made"),
    AuditAction.BACKUP_PASSPHRASE: N_("Backup passphrase changed"),
    AuditAction.BACKUP_RESTORE: N_("Backup restored"),
    AuditAction.BACKUP_SETTINGS: N_("Backup settings changed"),
    AuditAction.CLEANUP_APPLY: N_("Annual cleanup carried out"),
    AuditAction.CLEANUP_ERASE: N_("Erased by the cleanup"),
    AuditAction.CLEANUP_ANONYMISE: N_("Anonymised by the cleanup"),
    AuditAction.CLEANUP_KEEP: N_("Kept by the cleanup"),
    AuditAction.CLEANUP_ASK_CONSENT: N_("Consent asked again by the cleanup"),
    AuditAction.CLEANUP_REPORT: N_("Cleanup report made"),
    AuditAction.ACTIVITY_ADD: N_("Interaction logged"),
    AuditAction.ACTIVITY_ATTACHMENT_OPEN: N_("Interaction's attached file opened"),
    AuditAction.ACTIVITY_DELETE: N_("Interaction deleted"),
    AuditAction.ACTIVITY_EXPORT: N_("Interactions exported to a file"),
    AuditAction.ACTIVITY_IMPORT: N_("Interactions imported from a file"),
    AuditAction.ACTIVITY_READ_DETAILS: N_("Interaction details read"),
    AuditAction.CONSENT_EVIDENCE_OPEN: N_("Consent evidence opened"),
    AuditAction.CONSENT_RECORD: N_("Consent recorded"),
    AuditAction.CONSENT_UNSUBSCRIBE_ALL: N_("Unsubscribed from everything"),
    AuditAction.CONTACT_ANONYMISE: N_("Contact anonymised"),
    AuditAction.COMPANY_CREATE: N_("Company added"),
    AuditAction.COMPANY_LINK: N_("Person linked to a company"),
    AuditAction.COMPANY_MERGE: N_("Companies merged"),
    AuditAction.COMPANY_MERGE_UNDO: N_("Merge of companies undone"),
    AuditAction.COMPANY_MOVE: N_("Person moved to another company"),
    AuditAction.COMPANY_UNLINK: N_("Person left a company"),
    AuditAction.COMPANY_UPDATE: N_("Company changed"),
    AuditAction.CONTACT_CREATE: N_("Contact created"),
    AuditAction.CONTACT_ERASE: N_("Contact erased"),
    AuditAction.CONTACT_MERGE: N_("Contacts merged"),
    AuditAction.CONTACT_MERGE_UNDO: N_("Merge of contacts undone"),
    AuditAction.CONTACT_READ_RESTRICTED: N_("Restricted fields read"),
    AuditAction.COMPANY_READ_RESTRICTED: N_("A company's restricted fields read"),
    AuditAction.CONTACT_UPDATE: N_("Contact changed"),
    AuditAction.DEMO_GENERATE: N_("Demo contacts generated"),
    AuditAction.DISCLOSURE_RECORD: N_("Disclosure recorded"),
    AuditAction.EXPORT_CONTACTS: N_("Contacts exported"),
    AuditAction.EXPORT_MARKETING_CSV: N_("Marketing list exported"),
    AuditAction.IMPORT_INVALID_ROWS: N_("Rejected import rows saved"),
    AuditAction.IMPORT_RUN: N_("Contacts imported"),
    AuditAction.IMPORT_UNDO: N_("Import undone"),
    AuditAction.POST_LABELS: N_("Address labels printed"),
    AuditAction.POST_LETTERS: N_("Letters printed for the post"),
    AuditAction.PURPOSE_UPDATE: N_("Purpose changed"),
    AuditAction.REPORT_ACCESS: N_("Access report made"),
    AuditAction.REPORT_PROCESSING_REGISTER: N_("Register of processing made"),
    AuditAction.REPORT_SHORT_NOTICE: N_("Short privacy notice made"),
    AuditAction.REQUEST_ADD: N_("Request registered"),
    AuditAction.REQUEST_CLOSE: N_("Request closed"),
    AuditAction.REQUEST_EXTEND: N_("Request deadline extended"),
    AuditAction.REQUEST_LETTER: N_("Request letter made"),
    AuditAction.REQUEST_RECTIFY: N_("Value corrected on request"),
    AuditAction.RETENTION_HOLD_ADD: N_("Retention hold added"),
    AuditAction.RETENTION_HOLD_REMOVE: N_("Retention hold removed"),
    AuditAction.RETENTION_RECONFIRM_MONTHS: N_("Re-consent period changed"),
    AuditAction.SERVER_ROLES_ENABLE: N_("Server roles switched on"),
    AuditAction.SETTINGS_CLEANUP_REMINDER: N_("Cleanup reminder date changed"),
    AuditAction.SETTINGS_IDLE_TIMEOUT: N_("Idle lock time changed"),
    AuditAction.SETTINGS_MERGE_UNDO_DAYS: N_("Days a merge can be undone changed"),
    AuditAction.SETTINGS_LOGO: N_("Letterhead logo changed"),
    AuditAction.SETUP_INITIALISE: N_("Database set up"),
    AuditAction.SPECIAL_CATEGORY_READ: N_("Special-category data read"),
    AuditAction.SPECIAL_CATEGORY_RECORD: N_("Special-category data recorded"),
    AuditAction.STATEMENT_PUBLISH: N_("Privacy statement published"),
    AuditAction.STORAGE_REPAIR: N_("Database repaired"),
    AuditAction.TAG_ASSIGN: N_("Tag put on contacts"),
    AuditAction.CUSTOM_FIELD_DEFINE: N_("Custom field defined"),
    AuditAction.CUSTOM_VALUE_EXPIRE: N_("Custom field value erased: its keep period passed"),
    AuditAction.TAG_ASSIGN_COMPANY: N_("Tag put on a company"),
    AuditAction.TAG_CREATE: N_("Tag added"),
    AuditAction.TAG_DELETE: N_("Tag deleted"),
    AuditAction.TAG_MERGE: N_("Tags merged"),
    AuditAction.TAG_RECOLOUR: N_("Tag's colour changed"),
    AuditAction.TAG_RENAME: N_("Tag renamed"),
    AuditAction.TAG_UNASSIGN: N_("Tag taken off contacts"),
    AuditAction.TAG_UNASSIGN_COMPANY: N_("Tag taken off a company"),
    AuditAction.TASK_ADD: N_("Task added"),
    AuditAction.TASK_DONE: N_("Task done"),
    AuditAction.TASK_REASSIGN: N_("Task handed to another user"),
    AuditAction.TASK_REOPEN: N_("Task opened again"),
    AuditAction.TRANSFER_REFUSED: N_("Transfer refused"),
    AuditAction.USER_ADD: N_("User added"),
    AuditAction.USER_DEACTIVATE: N_("User deactivated"),
    AuditAction.USER_LOCKED: N_("User locked out"),
    AuditAction.USER_LOGIN: N_("User signed in"),
    AuditAction.USER_PASSWORD_RESET: N_("Password reset"),
    AuditAction.USER_REACTIVATE: N_("User reactivated"),
    AuditAction.USER_ROLE: N_("User's role changed"),
}

#: What a record of each kind is called, before its number ("Request no. 7").
ENTITY_LABELS: dict[str, str] = {
    "app_user": N_("User no. {id}"),
    "audit_event": N_("Audit trail"),
    "backup": N_("Backup"),
    "cleanup": N_("Cleanup"),
    "company": N_("Company no. {id}"),
    "consent_event": N_("Consent no. {id}"),
    "contact": N_("Contact no. {id}"),
    "database": N_("Database"),
    "disclosure": N_("Disclosure no. {id}"),
    "import_batch": N_("Import no. {id}"),
    "privacy_statement": N_("Privacy statement no. {id}"),
    "purpose": N_("Purpose no. {id}"),
    "recipient": N_("Recipient no. {id}"),
    "rectification": N_("Correction no. {id}"),
    "report": N_("Report"),
    "rights_request": N_("Request no. {id}"),
    "role_field_access": N_("Field access"),
    "setting": N_("Setting"),
    "tag": N_("Tag no. {id}"),
    "custom_field": N_("Custom field no. {id}"),
    "task": N_("Task no. {id}"),
}
#: A record of a kind the list above does not name.
OTHER_ENTITY = N_("Record no. {id}")

#: Audit actors that are no person: the app itself did the work.
AUTOMATIC_BACKUP_ACTOR = "automatic backup"
INTEGRITY_CHECK_ACTOR = "integrity check"
SYSTEM_ACTORS: dict[str, str] = {
    AUTOMATIC_BACKUP_ACTOR: N_("Automatic backup"),
    INTEGRITY_CHECK_ACTOR: N_("Integrity check"),
}
#: The recipient of an export whose file stays within the company.
INTERNAL_RECIPIENT = "internal"

#: What the keys of an event's detail are called.
DETAIL_LABELS: dict[str, str] = {
    "access": N_("access"),
    "backend": N_("database kind"),
    "backup_created": N_("backup made on"),
    "cancelled": N_("cancelled"),
    "erasures_replayed": N_("erasures done again"),
    "failed": N_("failed"),
    "imported": N_("imported"),
    "interrupted": N_("interrupted"),
    "invalid": N_("invalid"),
    "ledger_read": N_("disclosure ledger read"),
    "merged": N_("merged"),
    "merge": N_("merge"),
    "restored": N_("brought back"),
    "days": N_("days"),
    "other_database": N_("another database's backup"),
    "purpose": N_("purpose"),
    "second_copy": N_("second copy"),
    "skipped": N_("skipped"),
    "tier": N_("kind of backup"),
    "verified": N_("identity verified"),
    "categories": N_("categories"),
    "channel": N_("channel"),
    "contact": N_("contact"),
    "contacts": N_("contacts"),
    "count": N_("number"),
    "tag": N_("tag"),
    "disclosures": N_("disclosures"),
    "deferred": N_("recorded later"),
    "encrypted": N_("encrypted"),
    "field": N_("field"),
    "fields": N_("fields"),
    "format": N_("format"),
    "from": N_("from"),
    "hold": N_("hold"),
    "kind": N_("kind"),
    "language": N_("language"),
    "linked": N_("linked to"),
    "origin": N_("origin"),
    "layout": N_("label sheet"),
    "left_out": N_("left out"),
    "logo": N_("logo"),
    "letter": N_("letter"),
    "max_age_days": N_("keep backups (days)"),
    "minutes": N_("minutes"),
    "months": N_("months"),
    "of": N_("of"),
    "opt_outs": N_("opt-outs"),
    "reason": N_("reason"),
    "rebuilt": N_("rebuilt"),
    "recipient": N_("recipient"),
    "removed": N_("removed"),
    "request": N_("request"),
    # An export's restricted fields (it held them), or a custom field restricted or not.
    "restricted": N_("restricted"),
    "on": N_("for"),
    "keep_months": N_("keep (months)"),
    "role": N_("role"),
    "rows": N_("rows"),
    "second_folder": N_("second folder"),
    "seed": N_("seed"),
    "status": N_("status"),
    "suppressed": N_("suppressed"),
    "suppression_opt_outs": N_("opt-outs from the suppression list"),
    "to": N_("to"),
    "unmerged": N_("merges undone"),
    "until": N_("until"),
    "variant": N_("variant"),
    "what": N_("what"),
    "people": N_("people who took part"),
    "profile": N_("file made for"),
    "refused": N_("refused"),
    "dry_run": N_("trial run"),
    "details": N_("details"),
}


@dataclass(frozen=True)
class DetailPart:
    """One ``key=value`` of an event's detail; a part without a key is free text."""

    key: str
    value: str


def split_detail(detail: str) -> tuple[DetailPart, ...]:
    """The parts of a stored detail ("role=sales;count=3", "count=3 seed=1", "03-01")."""
    parts: list[DetailPart] = []
    for raw in detail.replace(" ", ";").split(";"):
        chunk = raw.strip()
        if not chunk:
            continue
        key, sep, value = chunk.partition("=")
        if sep and key.replace("_", "").isalpha():
            parts.append(DetailPart(key, value))
        else:
            parts.append(DetailPart("", chunk))
    return tuple(parts)


def action_label(action: str) -> str | None:
    """The msgid naming *action*, None for a code this version does not know."""
    try:
        return ACTION_LABELS[AuditAction(action)]
    except ValueError:
        return None
