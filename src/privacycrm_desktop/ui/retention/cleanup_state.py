"""What the cleanup wizard's pages share: the services, the scan's figures and the plan.

The wizard makes one ``CleanupState`` and hands it to each page; a page reads what the pages
before it left there (the scan's total and reasons, the review's plan) and never reaches
for the wizard itself, so the pages' modules need not import the wizard's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from privacycrm_desktop.services.cleanup import CleanupPlan
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services


class Page(IntEnum):
    """The wizard's pages, in order."""

    SCAN = 0
    REVIEW = 1
    DRY_RUN = 2
    EXECUTE = 3


@dataclass(eq=False)
class CleanupState:
    """The cleanup in progress, from the scan to the report."""

    services: Services
    actor: Actor
    #: How many contacts are past their keep-until date (the scan page counts them).
    total: int = 0
    #: How many custom field values are past their keep period (the scan counts them).
    values: int = 0
    #: Why the contacts expired: reason code -> its label (msgid), from the scan.
    labels: dict[str, str] = field(default_factory=dict)
    #: The user's decisions, as the review page leaves them.
    plan: CleanupPlan = field(default_factory=CleanupPlan)
