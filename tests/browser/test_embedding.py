"""The widget embedded by one tag: on the demo portal it chats; elsewhere it is refused.

Two origins talk here, the assistant and the demo portal (the launcher's sample mode
allows exactly the portal), plus a third site that is not on the list.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.embedding_fixtures import (  # noqa: F401 - fixtures
    LAUNCHER,
    ForeignSite,
    ask_widget,
    chat_frame,
    foreign_site_fixture,
    open_widget,
    portal_sign_in,
    restored,
    tab_fixture,
)
from tests.conftest import Stack

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_the_portal_embeds_the_widget_with_exactly_one_tag(stack: Stack) -> None:
    page = httpx.get(f"{stack.portal_url}/").text
    tags = [line.strip() for line in page.splitlines() if line.strip().startswith("<script")]
    assert tags == [
        f'<script src="{stack.app_url}/widget.js" '
        'data-portal-token-url="/portal/assistant-token"></script>'
    ]
    script = httpx.get(f"{stack.app_url}/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")


def test_a_visitor_on_the_portal_asks_about_the_program_and_the_chat_survives_a_reload(
    tab: Page, stack: Stack, artifacts: Path
) -> None:
    tab.goto(f"{stack.portal_url}/")
    frame = open_widget(tab)
    restored(frame)
    expect(frame.get_by_text("Not signed in at the portal")).to_be_visible()
    # No passcode anywhere: the embedded widget signs in only through the portal.
    expect(frame.get_by_label("Passcode")).to_have_count(0)
    expect(tab.get_by_label("Passcode")).to_have_count(0)

    answer = ask_widget(frame, "what does the security competency require?")
    expect(answer).to_contain_text("Source:")
    expect(answer).to_contain_text("C-SECURITY")
    tab.screenshot(path=str(artifacts / "widget-on-portal.png"))

    # Reload: the widget opens again by itself with the same conversation.
    tab.reload()
    frame = chat_frame(tab)
    restored(frame)
    expect(frame.locator("#log .msg.user")).to_have_count(1)
    expect(frame.locator("#log .msg.bot").first).to_contain_text("C-SECURITY")
    expect(frame.get_by_label("Your message")).to_be_enabled()

    # Closing it keeps it closed after a reload; the launcher stays.
    tab.get_by_role("button", name="Close the Partner Assistant").click()
    tab.reload()
    expect(tab.get_by_role("button", name=LAUNCHER)).to_have_attribute("aria-expanded", "false")
    expect(tab.locator("#partner-assistant-widget iframe")).to_have_count(0)


def test_a_partner_signed_in_at_the_portal_chats_as_itself(tab: Page, stack: Stack) -> None:
    tab.goto(f"{stack.portal_url}/")
    person = portal_sign_in(tab, "P-0002")
    name, company = person.split(": ", 1)
    company = company.removesuffix(" (P-0002)")
    frame = open_widget(tab)
    restored(frame)
    expect(frame.get_by_text(f"Signed in at the portal as {name}, P-0002")).to_be_visible()

    ask_widget(frame, "what's my tier?")
    expect(frame.locator("#log")).to_contain_text(f"{company} (P-0002) is")
    expect(frame.locator("#log .tier-card")).to_have_count(1)

    # Reload: still signed in, the same conversation.
    tab.reload()
    frame = chat_frame(tab)
    restored(frame)
    expect(frame.get_by_text(f"Signed in at the portal as {name}, P-0002")).to_be_visible()
    expect(frame.locator("#log .tier-card")).to_have_count(1)

    # The assistant's token is revoked (or expires): the widget renews it from the
    # portal and keeps the conversation; the refused message is to be sent again.
    embedded = next(f for f in tab.frames if f.url.startswith(f"{stack.app_url}/embed"))
    token = json.loads(embedded.evaluate("sessionStorage.getItem('pa.auth')"))["token"]
    revoked = httpx.post(
        f"{stack.app_url}/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}
    )
    assert revoked.status_code == 204
    box = frame.get_by_label("Your message")
    box.fill("what's my tier?")
    box.press("Enter")
    expect(frame.get_by_role("alert")).to_contain_text("signed in again")
    restored(frame)
    ask_widget(frame, "what's my tier?")
    expect(frame.locator("#log .tier-card")).to_have_count(2)

    # Signed out at the portal, the widget is a visitor's: the partner's chat is gone.
    tab.get_by_role("button", name="Sign out of the portal").click()
    frame = chat_frame(tab)
    restored(frame)
    expect(frame.get_by_text("Not signed in at the portal")).to_be_visible()
    expect(frame.locator("#log .msg")).to_have_count(0)
    ask_widget(frame, "what's my tier?")
    expect(frame.locator("#log .msg.user")).to_have_count(1)
    expect(frame.locator("#log")).not_to_contain_text("P-0002")
    expect(frame.locator("#log .tier-card")).to_have_count(0)


def test_a_site_not_on_the_list_gets_no_chat(
    tab: Page, stack: Stack, foreign_site: ForeignSite, artifacts: Path
) -> None:
    tab.goto(foreign_site.widget_page)
    tab.get_by_role("button", name=LAUNCHER).click()
    refusal = tab.get_by_role("alert")
    expect(refusal).to_contain_text("not available on this site")
    expect(refusal).to_contain_text(f"{foreign_site.url} is not on its list of allowed sites")
    expect(tab.locator("#partner-assistant-widget iframe")).to_have_count(0)
    tab.screenshot(path=str(artifacts / "widget-refused.png"))

    # The page's own calls to the assistant's API: the browser gets no CORS permission.
    for method, path in [("GET", "/v1/widget/config"), ("POST", "/v1/chat/session")]:
        outcome = tab.evaluate(
            """([url, method]) => fetch(url, {method}).then(
                   (r) => `read ${r.status}`, (e) => `refused: ${e.name}`)""",
            [f"{stack.app_url}{path}", method],
        )
        assert outcome == "refused: TypeError", (path, outcome)

    # Framing the chat directly while claiming to be the portal: the browser blocks it
    # (frame-ancestors names the portal). "load" waits for the frame too.
    tab.goto(foreign_site.framing_page, wait_until="load")
    (framed,) = tab.main_frame.child_frames
    assert not framed.url.startswith(stack.app_url), framed.url
    expect(tab.frame_locator("iframe").locator("#log")).to_have_count(0)


def test_the_api_answers_the_portal_with_cors_and_others_without(
    stack: Stack, foreign_site: ForeignSite
) -> None:
    allowed = httpx.get(f"{stack.app_url}/v1/widget/config", headers={"Origin": stack.portal_url})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == stack.portal_url
    for origin in (foreign_site.url, stack.portal_url.replace("127.0.0.1", "localhost")):
        refused = httpx.get(f"{stack.app_url}/v1/widget/config", headers={"Origin": origin})
        assert refused.status_code == 403
        assert "access-control-allow-origin" not in refused.headers
        embed = httpx.get(f"{stack.app_url}/embed", params={"origin": origin})
        assert embed.status_code == 403
    framed = httpx.get(f"{stack.app_url}/embed", params={"origin": stack.portal_url})
    assert framed.status_code == 200
    policy = framed.headers["content-security-policy"]
    assert f"frame-ancestors {stack.portal_url}" in policy
    home = httpx.get(f"{stack.app_url}/")
    assert "frame-ancestors 'none'" in home.headers["content-security-policy"]
