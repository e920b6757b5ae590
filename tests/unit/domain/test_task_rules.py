"""Who may add tasks: the roles that may edit contacts (the Tasks menu reads it without the
task service, whose queries and model wait until after the first paint)."""

from __future__ import annotations

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.tasks import may_add_tasks


def test_the_roles_that_edit_contacts_may_add_tasks_read_only_may_not() -> None:
    assert [role for role in Role if may_add_tasks(role)] == [
        Role.OWNER,
        Role.PRIVACY_OFFICER,
        Role.SALES,
        Role.OFFICE,
    ]
