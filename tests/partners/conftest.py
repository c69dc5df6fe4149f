from __future__ import annotations

import datetime as dt

import pytest

from partners.catalogue import ProgramCatalogue, program_catalogue
from tests.partners.fixtures import Store, seeded_store

# A fixed "today" inside the transition window (2026-03-01 .. 2027-02-01).
TODAY = dt.date(2026, 11, 29)


@pytest.fixture(scope="session")
def catalogue() -> ProgramCatalogue:
    """The real catalogue from knowledge/data."""
    return program_catalogue()


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return seeded_store(tmp_path_factory)
