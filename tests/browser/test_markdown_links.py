"""Links in the assistant's answers never lead off the site by a scheme-relative trick.

The widget's markdown renderer (bot/static/js/markdown.js) allows web links, mail
links and paths of this site. Chromium itself resolves each rendered link here: a
path must stay on this origin however it is spelled ("/\\host" is "//host" to a
browser), and script or data links must not become links at all.
"""

from __future__ import annotations

import functools
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import ROOT

pytestmark = pytest.mark.browser
PORTS = range(8230, 8250)  # this test's own ports

# Each would leave the site, or run script, if it became a link as written.
TRICKS = [
    "/\\evil.example/x",
    "//evil.example/x",
    "\\\\evil.example/x",
    "\\/evil.example/x",
    "/\\/evil.example/x",
    "/\\\\evil.example/x",
    "///evil.example/x",
    "http:/\\evil.example/x",
    "https:evil.example/x",
    "https:\\\\evil.example/x",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "javascript://evil.example/%0aalert(1)",
    "data:text/html,hi",
    "vbscript:msgbox(1)",
    "/\u0000/evil.example/x",
    "/\u0008/evil.example/x",
    "\u0001//evil.example/x",
]

RENDER = """async (hrefs) => {
    const { renderMarkdown } = await import("/static/js/markdown.js");
    const box = document.createElement("div");
    return hrefs.map((href) => {
        box.innerHTML = renderMarkdown(`see [the page](${href}) now`);
        return [...box.querySelectorAll("a")].map((a) => ({
            href: a.href, origin: new URL(a.href).origin, protocol: new URL(a.href).protocol,
        }));
    });
}"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The widget's own files (bot/static as /static/...), served over HTTP.

    The renderer is a plain ES module: Chromium needs only its file on an http origin,
    not the whole stack.
    """
    handler = functools.partial(_QuietHandler, directory=str(ROOT / "bot"))
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                break
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:
    """A fresh tab on the site."""
    context = browser.new_context(base_url=site)
    tab = context.new_page()
    tab.goto("/static/")  # a plain listing page: no script of the widget runs
    yield tab
    context.close()


def test_no_link_trick_leaves_the_site_or_runs_script(page: Page) -> None:
    origin = page.evaluate("location.origin")
    rendered = page.evaluate(RENDER, TRICKS)
    for trick, links in zip(TRICKS, rendered, strict=True):
        for link in links:
            assert link["origin"] == origin, f"{trick!r} became a link to {link['href']}"
            assert link["protocol"] in ("http:", "https:"), f"{trick!r} -> {link['href']}"


def test_real_links_still_work(page: Page) -> None:
    origin = page.evaluate("location.origin")
    hrefs = ["https://example.org/a?b=1", "mailto:office@example.org", "/docs", "/%5Cpath"]
    rendered = page.evaluate(RENDER, hrefs)
    assert [links[0]["href"] for links in rendered] == [
        "https://example.org/a?b=1",
        "mailto:office@example.org",
        f"{origin}/docs",
        f"{origin}/%5Cpath",
    ]
