"""In Chromium: "Sign in with your company account" on the page, against a real provider.

The app is served by uvicorn over a seeded store of its own (no Rasa: the sign-in does
not need it), the provider is ``oidc-provider-mock`` (tests/bot/oidc_fixtures.py). The
person presses the button, signs in at the provider's page and is back on the chat,
signed in as its partner, without the token ever appearing in an address.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from partners.db import create_db_engine
from partners.models import Person
from partners.prestart import init_db
from tests.bot.oidc_fixtures import CLIENT_ID, Provider, oidc_provider
from tests.bot.test_rate_limits import app_with
from tests.browser.conftest import DESKTOP
from tests.partners.fixtures import Store, store_settings
from tests.partners.portal_fixtures import free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with oidc_provider() as served:
        yield served


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("company-sign-in")
    settings = store_settings(f"sqlite:///{folder / 'partners.db'}", folder)
    engine = init_db(settings, engine=create_db_engine(settings.effective_database_url))
    yield Store(settings, engine, None, folder / "partners.db")  # type: ignore[arg-type]
    engine.dispose()


@pytest.fixture(scope="module")
def app_url(store: Store, provider: Provider) -> Iterator[str]:
    """The app over HTTP, with company sign-in at ``provider`` (no start-up warm-up)."""
    settings = {
        "oidc_issuer": provider.issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": "browser-test-secret",
    }
    with app_with(store, **settings) as app:
        port = free_port()
        config = uvicorn.Config(app, port=port, log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)


@pytest.fixture
def tab(browser: Browser, app_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, base_url=app_url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def sign_in_at_the_provider(tab: Page, sub: str) -> list[str]:
    """Press the button, sign in as ``sub`` at the provider; return every address visited."""
    addresses: list[str] = []
    tab.on("request", lambda request: addresses.append(request.url))
    tab.goto("/")
    tab.get_by_role("button", name="Sign in with your company account").click()
    tab.wait_for_url("**/oauth2/authorize**")
    tab.locator("input[name=sub]").fill(sub)
    tab.get_by_role("button", name="Authorize").click()
    return addresses


def test_a_person_signs_in_with_the_company_account_and_chats_as_its_partner(
    tab: Page, store: Store, provider: Provider
) -> None:
    with Session(store.engine) as session:
        person = session.scalars(select(Person).where(Person.partner_id == "P-0006")).first()
        assert person is not None
        email = person.email
    provider.add_user("browser-user", email=email, email_verified=True)
    addresses = sign_in_at_the_provider(tab, "browser-user")
    expect(tab.locator("#chat-view")).to_be_visible()
    expect(tab.locator("#who")).to_have_text("Signed in as P-0006")
    assert tab.evaluate("window.location.hash") == ""  # the page tidied the address
    token = tab.evaluate("JSON.parse(sessionStorage.getItem('pa.auth')).token")
    assert token and all(token not in address for address in addresses)
    assert not any("access_token" in address for address in addresses)


def test_a_company_account_of_nobody_in_the_program_is_told_so(
    tab: Page, provider: Provider
) -> None:
    provider.add_user("browser-stranger", email="stranger@nowhere.test", email_verified=True)
    sign_in_at_the_provider(tab, "browser-stranger")
    note = tab.locator("#signin-note")
    expect(note).to_have_text("your company account is not linked to a partner of the program")
    expect(tab.locator("#signin-view")).to_be_visible()
    assert tab.evaluate("sessionStorage.getItem('pa.auth')") is None
