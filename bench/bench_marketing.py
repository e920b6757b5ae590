"""A marketing list of 50,000 people (issue 23): ``MarketingService.build`` end to end.

On a copy of the cached demo database of ``--count`` contacts (default 50,000; cached as
bench/out/bench-marketing-<n>.db): every contact with an e-mail address is given an opt-in
for the consent purpose on e-mail (one INSERT ... SELECT; the demo records no consent), and
``--unsubscribed`` contacts (default 200) unsubscribe through the services, so that
opt-outs keyed by a contact point and suppression digests are there as in a real database.
Then ``build`` for that purpose on e-mail (the list holds nearly every contact) and the
soft opt-in purpose on post: the first run, then the median and max of ``--runs``.
Target: <= 0.5 s for the e-mail list.

    .venv/bin/python bench/bench_marketing.py [--count 50000] [--runs 5] [--profile]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import (
    OUT,
    count_argument,
    ensure_database,
    median,
    open_services,
    result_line,
    timed_ms,
)

TARGET_MS = 500.0
CONSENT = "direct_marketing_consent"
SOFT = "direct_marketing_soft_opt_in"


def prepare(count: int, unsubscribed: int) -> Path:
    """The copy of the demo database with the opt-ins and the unsubscriptions planted."""
    path = OUT / f"bench-marketing-{count}.db"
    if path.exists():
        return path
    partial = path.with_suffix(".building")
    shutil.copyfile(ensure_database(count), partial)
    engine, services, actor = open_services(partial)
    from sqlalchemy import text

    from privacycrm_desktop.domain.consent import ConsentMethod

    with engine.begin() as conn:
        purpose = conn.execute(
            text("SELECT id FROM purpose WHERE code = :c"), {"c": CONSENT}
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO consent_event (contact_id, purpose_id, channel, status, method, "
                "evidence, evidence_file_name, product_category, contact_point_hash, "
                "recorded_by, recorded_at) SELECT id, :p, 'email', 'opt_in', :m, 'bench', '', "
                "'', '', NULL, '2026-01-05 10:00:00' FROM contact WHERE primary_email != ''"
            ),
            {"p": purpose, "m": ConsentMethod.FORM_BOX_TICKED.value},
        )
    step = max(1, count // unsubscribed)
    for n in range(unsubscribed):
        offset = n * step
        row = services.contacts.page(actor, offset=offset, limit=1)
        if row:
            services.consent.unsubscribe(actor, row[0].id)
    engine.dispose()
    partial.rename(path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    count_argument(parser, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--unsubscribed", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="cProfile one e-mail list")
    args = parser.parse_args()
    engine, services, actor = open_services(prepare(args.count, args.unsubscribed))
    from privacycrm_desktop.domain.consent import Channel

    marketing = services.marketing
    print(f"load average before: {os.getloadavg()}")
    worst = 0.0
    for purpose, channel, category in ((CONSENT, Channel.EMAIL, None), (SOFT, Channel.POST, "x")):
        first_ms, result = timed_ms(
            lambda p=purpose, c=channel, k=category: marketing.build(actor, p, c, k)
        )
        runs = [
            timed_ms(lambda p=purpose, c=channel, k=category: marketing.build(actor, p, c, k))[0]
            for _ in range(args.runs)
        ]
        print(
            f"{purpose} on {channel.value}: {len(result.entries):,} people, "  # type: ignore[attr-defined]
            f"{sum(result.excluded.values()):,} left out; first {first_ms:.0f} ms, "  # type: ignore[attr-defined]
            f"median {median(runs):.0f} ms, max {max(runs):.0f} ms"
        )
        if channel is Channel.EMAIL:
            worst = median(runs)
    if args.profile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(marketing.build, actor, CONSENT, Channel.EMAIL)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    print(f"load average after: {os.getloadavg()}")
    print(
        result_line(
            "marketing list, 50,000 people (median)",
            f"{worst:.0f} ms",
            f"<= {TARGET_MS:.0f} ms",
            worst <= TARGET_MS,
        )
    )
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
