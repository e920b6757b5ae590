"""Compile gettext catalogues (.po) to .mo files next to them, with Babel."""

from __future__ import annotations

import sys
from pathlib import Path


def compile_all(locale_dir: Path) -> list[Path]:
    """Compile every ``*.po`` below *locale_dir* whose .mo is missing or older."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name)
        with mo.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        written.append(mo)
    return written


if __name__ == "__main__":
    root = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).parents[1] / "resources" / "locale"
    )
    for path in compile_all(root):
        print(f"compiled {path}")
