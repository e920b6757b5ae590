"""Tasks and follow-ups: "My day", the task list, the new-task dialog, reminders."""
