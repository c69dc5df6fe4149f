"""The widget on other sites: the demo portal's tab, a site not on the list, and steps.

Three origins take part: the assistant (``stack.app_url``), the demo portal the
launcher starts beside it (``stack.portal_url``, the only allowed site), and a
``foreign_site`` served here on a port of its own, with the same one tag.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, FrameLocator, Locator, Page, expect

from tests.browser.conftest import DESKTOP
from tests.conftest import APP_PORT, Stack

FOREIGN_PORT = int(os.environ.get("PA_TEST_FOREIGN_PORT", str(APP_PORT + 2)))
LAUNCHER = "Ask the Partner Assistant"
RESTORE_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class ForeignSite:
    """A site that is not on the widget's allowlist."""

    url: str

    @property
    def widget_page(self) -> str:
        """A page that embeds the widget with the portal's tag."""
        return f"{self.url}/"

    @property
    def framing_page(self) -> str:
        """A page that frames the chat directly, claiming to be the allowed portal."""
        return f"{self.url}/framed"


def _foreign_pages(app_url: str, portal_url: str) -> dict[str, str]:
    tag = f'<script src="{app_url}/widget.js" data-portal-token-url="/token"></script>'
    frame = f'<iframe title="chat" src="{app_url}/embed?origin={portal_url}"></iframe>'
    page = "<!doctype html><html lang='en'><title>{title}</title><body>{body}</body></html>"
    return {
        "/": page.format(title="Another site", body=f"<h1>Another site</h1>{tag}"),
        "/framed": page.format(title="Framing", body=f"<h1>Framing the chat</h1>{frame}"),
    }


@pytest.fixture(scope="module", name="foreign_site")
def foreign_site_fixture(stack: Stack) -> Iterator[ForeignSite]:
    """Serve two pages on 127.0.0.1:<FOREIGN_PORT>, an origin the assistant does not allow."""
    pages = _foreign_pages(stack.app_url, stack.portal_url)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server hook's name
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write((body or "not found").encode())

        def log_message(self, *_: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", FOREIGN_PORT), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ForeignSite(f"http://127.0.0.1:{FOREIGN_PORT}")
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(name="tab")
def tab_fixture(browser: Browser, stack: Stack) -> Iterator[Page]:
    """A fresh desktop tab (its own cookies and storage), on no site yet."""
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(60_000)  # the first answers wait on a cold Rasa
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def open_widget(page: Page) -> FrameLocator:
    """Click the launcher on the embedding page; return the chat's frame."""
    page.get_by_role("button", name=LAUNCHER).click()
    return chat_frame(page)


def chat_frame(page: Page) -> FrameLocator:
    """The widget's frame (inside its shadow root, which Playwright's CSS pierces)."""
    return page.frame_locator("#partner-assistant-widget iframe")


def restored(frame: FrameLocator) -> Locator:
    """Wait until the widget has restored its conversation (or started a new one).

    The frame marks its log ``aria-busy`` while it signs in and fetches the history;
    that takes a Rasa round trip, slow on a busy machine, hence the long wait.
    """
    log = frame.locator("#log[aria-busy='false']")
    expect(log).to_have_count(1, timeout=RESTORE_TIMEOUT_MS)
    return frame.locator("#log")


def ask_widget(frame: FrameLocator, text: str) -> Locator:
    """Type ``text`` in the widget, wait for the answer; return the newest bot message."""
    bots = frame.locator("#log .msg.bot")
    before = bots.count()
    box = frame.get_by_label("Your message")
    expect(box).to_be_enabled()
    box.fill(text)
    box.press("Enter")
    expect(frame.locator("#log .msg.user").last).to_have_text(f"You said: {text}")
    expect(bots).not_to_have_count(before)
    expect(frame.locator("#typing")).to_be_hidden()
    return bots.last


def portal_sign_in(page: Page, partner_id: str) -> str:
    """Sign in at the demo portal as the first sample person of ``partner_id``.

    Returns:
        The option's text: "<person>: <company> (<partner id>)".
    """
    choice = page.locator("#user-id option", has_text=f"({partner_id})").first
    label = choice.inner_text()
    page.get_by_label("Sample person").select_option(label=label)
    page.get_by_role("button", name="Sign in to the portal").click()
    expect(page.locator("#portal-user")).to_contain_text(partner_id)
    return label
