"""What an operator does on the console (``/ops/``), in Playwright steps."""

from __future__ import annotations

import datetime as dt
import re
import time

import httpx
from playwright.sync_api import Download, Locator, Page, expect

from tests.conftest import Stack

SAMPLE_OPERATOR = "ops@example.com"
SAMPLE_PASSCODE = "demo"
# Analytics are written by a consumer of Rasa's event broker, after the answer: what a
# turn adds shows up a moment later. Tests wait for it by refreshing, this long at most.
INGEST_WAIT_SECONDS = 90
# The dashboard's range until the operator picks another: the last 30 days (UTC).
DEFAULT_DAYS = 30


def sign_in(page: Page, email: str = SAMPLE_OPERATOR, passcode: str = SAMPLE_PASSCODE) -> None:
    """Open the console and sign in with the keyboard only; wait for the dashboard."""
    page.goto("/ops/")
    expect(page.get_by_label("E-mail")).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Passcode")).to_be_focused()
    page.keyboard.type(passcode)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()


def go(page: Page, screen: str) -> None:
    """Open one of the console's screens from its navigation."""
    page.get_by_role("navigation", name="Console").get_by_role("link", name=screen).click()


def kpi(page: Page, name: str) -> Locator:
    """A dashboard figure by its id part: ``turns``, ``conversations``, ``feedback``..."""
    return page.locator(f"#kpi-{name} .kpi-value")


def wait_for_turns(page: Page, at_least: int) -> int:
    """Refresh the dashboard until it counts ``at_least`` turns; return the count shown."""
    deadline = time.monotonic() + INGEST_WAIT_SECONDS
    shown = -1
    while time.monotonic() < deadline:
        page.get_by_role("button", name="Refresh").click()
        expect(page.locator("#dash-status")).to_contain_text("Updated")
        shown = int(kpi(page, "turns").inner_text())
        if shown >= at_least:
            return shown
        page.wait_for_timeout(1000)
    raise AssertionError(f"the dashboard shows {shown} turns, expected {at_least} or more")


def search_conversations(page: Page, text: str) -> Locator:
    """Search the conversations for ``text`` until one is found; return the results' rows."""
    go(page, "Conversations")
    rows = page.locator("#conv-results tbody tr")
    deadline = time.monotonic() + INGEST_WAIT_SECONDS
    while time.monotonic() < deadline:
        page.get_by_label("Text").fill(text)
        page.get_by_role("button", name="Search").click()
        expect(page.locator("#conv-status")).to_contain_text("conversation(s)")
        if not page.locator("#conv-status").inner_text().startswith("0 "):
            return rows
        page.wait_for_timeout(1000)
    raise AssertionError(f"no conversation with {text!r} reached the review")


def downloaded_text(download: Download) -> str:
    """The text of a finished download."""
    path = download.path()
    assert path is not None, "the download did not finish"
    return path.read_text(encoding="utf-8")


def summary_turns(stack: Stack, token: str) -> int:
    """How many turns the dashboard's default range counts, from the API (a baseline)."""
    today = dt.datetime.now(dt.timezone.utc).date()
    start = today - dt.timedelta(days=DEFAULT_DAYS - 1)
    response = httpx.get(
        f"{stack.app_url}/v1/analytics/summary",
        params={"start": start.isoformat(), "end": today.isoformat()},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()
    turns: int = response.json()["turns"]
    return turns


def queue_item(page: Page, text: str) -> Locator:
    """The handoff queue's entry whose last message says ``text``."""
    return page.locator("#queue-list .queue-item", has_text=re.compile(re.escape(text)))
