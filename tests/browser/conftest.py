"""Headless Chromium (Debian's, at /usr/bin/chromium) driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from tests.conftest import ROOT, Stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
DESKTOP: ViewportSize = {"width": 1280, "height": 860}
PHONE: ViewportSize = {"width": 375, "height": 740}


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the browser tests.

    Package scope, not session: Playwright's sync API keeps an event loop running
    while it is open, and later tests call ``asyncio.run``.
    """
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: run scripts/setup-browser.sh (make test does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, stack: Stack) -> Iterator[Page]:
    """A fresh desktop-sized tab (its own storage) on the running app."""
    context = browser.new_context(viewport=DESKTOP, base_url=stack.app_url)
    context.set_default_timeout(60_000)  # the first answers wait on a cold Rasa
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (test-artifacts/, git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def browser_phone(browser: Browser, stack: Stack) -> Iterator[Page]:
    """A fresh phone-sized tab (375 px wide, touch) on the running app."""
    context = browser.new_context(
        viewport=PHONE, base_url=stack.app_url, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(60_000)
    tab = context.new_page()
    yield tab
    context.close()
