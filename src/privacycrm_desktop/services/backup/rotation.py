"""Rotation: which backups are kept, and for how long.

Kept are the newest backup of each of the last 7 days, of each of the last 5 weeks and of
each month, and nothing older than the maximum age (default 90 days; the access report
tells the data subject so). The copy of the database kept aside at a restore goes after a
few days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from privacycrm_desktop.domain.errors import BackupInvalid
from privacycrm_desktop.persistence import backup as files
from privacycrm_desktop.persistence.backup import BackupInfo, BackupTier, find_backups

#: The copy of the database kept aside at a restore is removed after this many days (or
#: the maximum age of backups, when shorter).
BEFORE_RESTORE_DAYS = 7
DAILY_DAYS = 7
WEEKLY_DAYS = 35


def _sound(info: BackupInfo) -> bool:
    """The file is whole and matches its sealed checksum (the check rotation relies on)."""
    if not info.verified:
        return False
    try:
        files.check_file(info)
    except BackupInvalid:
        return False
    return True


def _thin(
    members: list[tuple[BackupInfo, str]],
    newest: BackupInfo | None,
    key: bytes,
    drop: Callable[[BackupInfo], None],
) -> None:
    """Keep one backup of a period (the newest overall, else the newest sound one), drop
    the others; when none is sound, drop none."""
    candidates = [m for m in members if m[0] is not newest]
    if newest is not None and len(candidates) < len(members) and _sound(newest):
        keeper: tuple[BackupInfo, str] | None = (newest, newest.tier)
    elif len(candidates) == 1 and len(members) == 1:
        keeper = candidates[0]
    else:
        keeper = next((m for m in candidates if _sound(m[0])), None)
    if keeper is None:
        return  # nothing sound in this period: delete none of it
    kept, tier = keeper
    if kept is not newest and kept.tier != tier:
        files.set_tier(kept, tier, key)
    for info, _tier in candidates:
        if info is not kept:
            drop(info)


def rotate_folder(
    folder: Path,
    now: dt.datetime,
    max_age_days: int,
    *,
    key: bytes,
    keys: list[bytes],
) -> list[Path]:
    """Rotation in one folder, over the backups sealed by *keys* (anything else is left
    alone): keep the newest backup overall, and of each day (last 7 days), of each ISO week
    (last 5 weeks) and of each month the newest one whose file still matches its manifest
    (a damaged newer backup never pushes out a sound older one; when none in a period is
    sound, none of that period is deleted); delete the rest and all older than
    *max_age_days*. Manual backups age like the others. The copy kept aside at a restore
    goes after ``BEFORE_RESTORE_DAYS`` (or the maximum age, when shorter)."""
    cutoff = now - dt.timedelta(days=max_age_days)
    aside_cutoff = now - dt.timedelta(days=min(BEFORE_RESTORE_DAYS, max_age_days))
    deleted: list[Path] = []

    def drop(info: BackupInfo) -> None:
        files.delete_backup(info)
        deleted.append(info.path)

    groups: dict[tuple[object, ...], list[tuple[BackupInfo, str]]] = {}
    newest: BackupInfo | None = None
    for info in find_backups(folder):
        if files.sealed_by(info, keys) is None:
            continue
        if info.tier == BackupTier.BEFORE_RESTORE:
            if info.created_at < aside_cutoff:
                drop(info)
            continue
        if newest is None:
            newest = info
        elif info.created_at < cutoff:
            drop(info)
            continue
        age = (now.date() - info.created_at.date()).days
        if age < DAILY_DAYS:
            group: tuple[object, ...] = ("day", info.created_at.date())
            tier = info.tier
        elif age < WEEKLY_DAYS:
            group = ("week", *info.created_at.isocalendar()[:2])
            tier = BackupTier.WEEKLY
        else:
            group = ("month", info.created_at.year, info.created_at.month)
            tier = BackupTier.MONTHLY
        groups.setdefault(group, []).append((info, tier))
    for members in groups.values():
        _thin(members, newest, key, drop)
    return deleted
