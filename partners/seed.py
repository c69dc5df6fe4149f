"""Write the fictitious sample partners into an empty partner store.

Seeding is deterministic (``partners.sample_data``) and takes about a second for
the default 320 partners. Every sample partner signs in with its id and the
passcode ``demo``; without sample data no partner has a passcode.

Run by hand with ``python -m partners.seed`` (migrates first; refuses a store that
already has partners).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session
from tqdm import tqdm

from partners.auth import hash_passcode
from partners.catalogue import ProgramCatalogue, program_catalogue
from partners.db import create_db_engine
from partners.migrate import upgrade
from partners.models import (
    Certification,
    ChatLink,
    CourseCompletion,
    EarnedCompetency,
    Partner,
    Person,
    Revenue,
    SatisfactionScore,
    Voucher,
)
from partners.sample_data import RANDOM_SEED, SampleGenerator, SamplePartner
from partners.tiers import current_tier, tiers_by_rank
from settings import get_settings

logger = logging.getLogger(__name__)

SAMPLE_PASSCODE = "demo"
DEFAULT_PARTNER_COUNT = 320
# Most partners sit at the bottom of the pyramid, few at the top (lowest tier first).
TIER_SHARES = (0.42, 0.30, 0.19, 0.09)
COUNTRY_WEIGHTS = {"US": 5, "DE": 3, "GB": 3, "FR": 2, "JP": 2, "IN": 2, "BR": 2}
SAMPLE_SLACK_TEAM = "T0SAMPLE"
# Every this-many partners has a sample Slack user linked.
SLACK_LINK_EVERY = 20


@dataclass(frozen=True)
class SeedSummary:
    """What a seeding run wrote."""

    partners: int
    tiers: dict[str, int]
    countries: int
    seconds: float


def generate(
    catalogue: ProgramCatalogue, count: int, seed: int = RANDOM_SEED
) -> list[SamplePartner]:
    """Generate ``count`` sample partners (P-0001 is the fixed demo partner)."""
    generator = SampleGenerator(catalogue, seed)
    plan = random.Random(seed + 1)
    tiers = tiers_by_rank(catalogue.rules)
    slots = [i for i, share in enumerate(TIER_SHARES) for _ in range(round(share * (count - 1)))]
    slots = (slots + [0] * count)[: count - 1]
    plan.shuffle(slots)
    codes = [country.code for country in catalogue.rules.countries]
    weights = [COUNTRY_WEIGHTS.get(code, 1) for code in codes]
    partners = [generator.build_demo()]
    for number, tier_index in tqdm(
        enumerate(slots, start=2), total=len(slots), desc="sample partners", disable=None
    ):
        country = plan.choices(codes, weights)[0]
        partners.append(generator.build(number, country, min(tier_index, len(tiers) - 1)))
    for partner in partners:
        partner.tier = current_tier(catalogue.rules, generator.snapshot(partner)).name
    return partners


def seed_sample_data(
    engine: Engine, catalogue: ProgramCatalogue, count: int = DEFAULT_PARTNER_COUNT
) -> SeedSummary:
    """Write ``count`` sample partners into the (migrated, empty) store behind ``engine``."""
    started = time.perf_counter()
    logger.info("seeding %d sample partners", count)
    partners = generate(catalogue, count)
    # One hash for the shared, public demo passcode: per-partner salts would protect
    # nothing here and would cost ~50 ms per partner.
    passcode = hash_passcode(SAMPLE_PASSCODE)
    currency = {country.code: country.currency for country in catalogue.rules.countries}
    rows: dict[type, list[dict[str, object]]] = {table: [] for table in _TABLES}
    for number, partner in enumerate(partners, start=1):
        rows[Partner].append(
            {
                "id": partner.id,
                "name": partner.name,
                "country": partner.country,
                "passcode_hash": passcode,
                "tier": partner.tier,
            }
        )
        rows[Person].extend(partner.people)
        rows[Certification].extend(partner.certifications)
        rows[CourseCompletion].extend(
            {"person_id": person, "course_id": course, "completed_on": day}
            for (person, course), day in partner.completions.items()
        )
        rows[EarnedCompetency].extend(
            {"partner_id": partner.id, "competency_id": c, "earned_on": day}
            for c, day in partner.competencies.items()
        )
        rows[Revenue].extend(
            {
                "partner_id": partner.id,
                "year": y,
                "amount": a,
                "currency": currency[partner.country],
            }
            for y, a in partner.revenue
        )
        rows[SatisfactionScore].extend(
            {"partner_id": partner.id, "year": y, "quarter": q, "score": s}
            for y, q, s in partner.scores
        )
        rows[Voucher].extend(partner.vouchers)
        if number % SLACK_LINK_EVERY == 0:
            rows[ChatLink].append(
                {
                    "partner_id": partner.id,
                    "channel": "slack",
                    "external_user_id": f"U0SAMPLE{number:04d}",
                    "team_id": SAMPLE_SLACK_TEAM,
                    "linked_at": _linked_at(catalogue),
                }
            )
    with Session(engine) as session, session.begin():
        existing = session.scalar(select(func.count()).select_from(Partner)) or 0
        if existing:
            raise RuntimeError(f"the partner store already has {existing} partners; not seeding")
        for table in _TABLES:
            if rows[table]:
                session.execute(insert(table), rows[table])
        _advance_sequences(session)
    summary = SeedSummary(
        partners=len(partners),
        tiers=dict(Counter(partner.tier for partner in partners)),
        countries=len({partner.country for partner in partners}),
        seconds=time.perf_counter() - started,
    )
    logger.info(
        "seeded %d sample partners in %d countries (%s) in %.1f s",
        summary.partners,
        summary.countries,
        ", ".join(f"{tier} {n}" for tier, n in sorted(summary.tiers.items())),
        summary.seconds,
    )
    return summary


_TABLES: tuple[type, ...] = (
    Partner,
    Person,
    Certification,
    CourseCompletion,
    EarnedCompetency,
    Revenue,
    SatisfactionScore,
    Voucher,
    ChatLink,
)


def _linked_at(catalogue: ProgramCatalogue) -> dt.datetime:
    start = catalogue.rules.transition.start
    return dt.datetime(start.year, start.month, start.day, 9, 0, tzinfo=dt.timezone.utc)


def _advance_sequences(session: Session) -> None:
    """Move PostgreSQL's id sequences past the explicit ids the seed wrote."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        text("SELECT setval(pg_get_serial_sequence('people', 'id'), (SELECT max(id) FROM people))")
    )


def main() -> int:
    """Migrate the configured store and seed it with the sample partners."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    engine = create_db_engine(get_settings().effective_database_url)
    print("==> migrating the partner store")
    upgrade(engine)
    print("==> seeding sample partners")
    try:
        summary = seed_sample_data(engine, program_catalogue())
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"==> {summary.partners} partners, {summary.tiers}, {summary.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
