"""What the Slack channel writes: markdown links only where they are safe.

The outage text's copies are kept equal by tests/test_trouble_text.py.
"""

from __future__ import annotations

import pytest

from rasa_addons.channels.slack_channel import to_mrkdwn

# Each would take the reader to another host, or run script, under our label.
TRICKS = [
    "/\\evil.example",
    "/\\/evil.example",
    "//evil.example",
    "///evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox",
    "https:/\\evil.example",
    "https:evil.example",
    "http:\\\\evil.example",
    "/account|evil",
    "evil.example/path",
]
SAFE = {
    "https://www.example.com/program": "https://www.example.com/program",
    "http://example.com": "http://example.com",
    "mailto:partners@example.com": "mailto:partners@example.com",
    "/account": "https://partners.example.com/account",
    "/link?code=abc": "https://partners.example.com/link?code=abc",
}


def test_markdown_links_go_only_to_web_pages_mail_and_our_own_site(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PA_PUBLIC_URL", "https://partners.example.com")
    rendered = {target: to_mrkdwn(f"see [the page]({target}) now") for target in [*TRICKS, *SAFE]}
    for trick in TRICKS:
        assert "<" not in rendered[trick], (trick, rendered[trick])
        assert "the page" in rendered[trick]
    for target, absolute in SAFE.items():
        assert f"<{absolute}|the page>" in rendered[target], (target, rendered[target])
