"""Marking of translatable messages in code that must not translate itself.

The domain and services raise errors whose message is an English msgid; the layer that
talks to a person (UI, CLI, reports) translates it into that person's language. ``N_``
only marks the string for extraction into the catalogues.
"""


def N_(message: str) -> str:  # noqa: N802 (gettext convention)
    """Mark *message* for translation without translating it now."""
    return message
