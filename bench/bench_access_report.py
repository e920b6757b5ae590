"""The access report PDF: a typical five-page report and one with 200 history events.

Builds a small database of its own (two contacts, in a temporary folder), warms up once
(fonts are registered once per process), then times ``AccessReportService.produce``:
gathering the data through the services, laying out the PDF and writing the audit event.
Targets: the five-page report under 50 ms, the 200-event one under 250 ms.

    .venv/bin/python bench/bench_access_report.py [--runs N] [--engine E] [--pg-url URL]

On PostgreSQL the two contacts go into a fresh server database of its own
(``pcrm_bench_access_report``, set up by ``setup.initialise`` as on SQLite, dropped at the
end with its roles); each figure is printed with its PostgreSQL / SQLite ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import (
    Figure,
    engine_arguments,
    engines,
    load_average,
    median,
    pg_admin,
    pg_drop_database,
    pg_fresh_database,
    report,
    timed_ms,
    verdict,
)

TYPICAL_TARGET_MS = 50.0
HISTORY_TARGET_MS = 250.0


def build(database: str):  # type: ignore[no-untyped-def]
    """Services on a fresh database with a typical contact and one with 200 events."""
    from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
    from privacycrm_desktop.domain.contacts import ContactInput
    from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import migrate
    from privacycrm_desktop.services.clock import FixedClock
    from privacycrm_desktop.services.consent_dto import ConsentInput
    from privacycrm_desktop.services.disclosures import DisclosureInput
    from privacycrm_desktop.services.registry import Services
    from privacycrm_desktop.services.setup import CompanyInput

    engine = create_engine_for(database)
    migrate(engine)
    services = Services.build(engine, FixedClock(dt.datetime(2026, 3, 2, 10)))
    owner = services.setup.initialise(
        CompanyInput("Bench BV", "Markt 1, 9000 Gent", "0403.170.701", "privacy@bench.be", "nl"),
        "owner",
        "bench-owner-password",
    )
    card = SourceInput(SourceKind.BUSINESS_CARD, "Salon Batibouw, stand 42", dt.date(2026, 2, 20))
    notes = " ".join(
        f"Gesprek {i}: vroeg een offerte voor een keuken in eik, belt liever 's ochtends."
        for i in range(40)
    )

    def person(first: str) -> int:
        return services.contacts.create(
            owner,
            ContactInput(
                first_name=first,
                last_name="Van den Broeck-Dubois",
                organisation="Bakkerij Dubois & Zonen",
                emails=tuple(f"{first.lower()}{i}@example.be" for i in range(4)),
                phones=("+32470123456", "+3292234567", "+32475987654"),
                street="Rue de la Station 12",
                postcode="4000",
                city="Liège",
                birth_date=dt.date(1984, 5, 17),
                notes=notes,
                relationship="customer",  # type: ignore[arg-type]
                relationship_start=dt.date(2019, 4, 1),
                last_interaction=dt.date(2026, 2, 27),
            ),
            card,
        )

    def history(contact_id: int, events: int) -> None:
        for i in range(events):
            services.consent.record(
                owner,
                ConsentInput(
                    contact_id=contact_id,
                    purpose="direct_marketing_consent",
                    channel=(Channel.EMAIL, Channel.PHONE, Channel.SMS, Channel.POST)[i % 4],
                    status=ConsentStatus.OPT_IN if i % 3 else ConsentStatus.OPT_OUT,
                    method=ConsentMethod.FORM_BOX_TICKED if i % 3 else ConsentMethod.EMAIL_REPLY,
                    evidence=f"web form submission {i}",
                ),
            )
        for i in range(min(events // 4, 20)):
            services.disclosures.record(
                owner,
                DisclosureInput(
                    contact_id,
                    f"Partner {i:02d} BV",
                    "invoicing",
                    ("identity", "address"),
                    dt.date(2026, 1, 1) + dt.timedelta(days=i),
                ),
            )

    typical = person("Zoë")
    history(typical, 48)
    long_history = person("Jan")
    history(long_history, 200)
    return engine, services, owner, typical, long_history


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    engine_arguments(parser)
    args = parser.parse_args()
    print(f"load average before: {load_average()}")
    figures = {}
    for name in engines(args):
        print(f"--- {name} ---", flush=True)
        if name == "pg":
            url = pg_fresh_database(pg_admin(args.pg_url), "pcrm_bench_access_report")
            try:
                figures[name] = measure(url, args)
            finally:
                pg_drop_database(url)
        else:
            with tempfile.TemporaryDirectory() as folder:
                figures[name] = measure(str(Path(folder) / "report.db"), args)
    print(f"load average after: {load_average()}")
    return 0 if report(figures) else 1


def measure(database: str, args: argparse.Namespace) -> list[Figure]:
    """The two reports' medians on a fresh database at *database* (a file or a URL)."""
    from pypdf import PdfReader

    from privacycrm_desktop.reports.styles import register_fonts

    engine, services, owner, typical, long_history = build(database)
    reports = services.access_reports
    first_ms, _ = timed_ms(lambda: reports.produce(owner, typical, "nl"))
    print(f"first report in the process (imports, fonts): {first_ms:.1f} ms")
    figures = []
    for name, contact_id, target in (
        ("access report, typical", typical, TYPICAL_TARGET_MS),
        ("access report, 200 events", long_history, HISTORY_TARGET_MS),
    ):
        times = []
        report = None
        for _ in range(args.runs):
            ms, report = timed_ms(lambda cid=contact_id: reports.produce(owner, cid, "nl"))
            times.append(ms)
        pages = len(PdfReader(io.BytesIO(report.pdf)).pages)  # type: ignore[union-attr]
        figure = median(times)
        print(
            f"{name}: {pages} pages, median {figure:.1f} ms, best {min(times):.1f} ms "
            f"over {args.runs} runs (target {target:.0f} ms) {verdict(figure, target)}"
        )
        figures.append(Figure(f"{name} ({pages} pages)", figure, "ms", target))
    # Fonts are registered once per process: the cached call does nothing.
    assert register_fonts.cache_info().misses == 1
    engine.dispose()
    return figures


if __name__ == "__main__":
    raise SystemExit(main())
