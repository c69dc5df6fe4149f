"""The demo portal's one page and its style sheet (scripts/demo_portal.py serves them).

The page is what a real partner portal would be around the widget: its own sign-in,
its own content, and exactly one tag for the assistant. Its Content-Security-Policy
shows what a portal has to allow for the widget: the assistant's origin as a script
source, a frame source and a connect source; no inline script or style.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scripts.demo_portal import PortalUser

PORTAL_CSS = """
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: #1d232b; background: #f5f3ef; line-height: 1.5; }
header { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center;
         gap: 0.5rem 1rem; padding: 0.8rem 1.4rem; background: #2d3a2e; color: #fff; }
header h1 { margin: 0; font-size: 1.2rem; }
header form { display: inline; }
main { max-width: 46rem; margin: 0 auto; padding: 1rem 1.4rem 8rem; }
.card { background: #fff; border: 1px solid #ddd6cb; border-radius: 10px; padding: 1rem 1.3rem;
        margin: 1rem 0; }
.sample { background: #fff7e0; border: 1px solid #efd48a; border-radius: 8px;
          padding: 0.5rem 0.8rem; }
label { display: block; font-weight: 600; margin-bottom: 0.3rem; }
select, button { font: inherit; padding: 0.45rem 0.7rem; border-radius: 6px; }
button { border: 1px solid #2d3a2e; background: #2d3a2e; color: #fff; cursor: pointer; }
header button { background: none; border-color: #fff; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f0ede8; padding: 0.6rem;
      border-radius: 6px; }
"""


def widget_tag(assistant_url: str) -> str:
    """Return the one tag a portal adds to embed the assistant."""
    return (
        f'<script src="{escape(assistant_url)}/widget.js" '
        'data-portal-token-url="/portal/assistant-token"></script>'
    )


def content_security_policy(assistant_url: str) -> str:
    """Return what the portal allows: itself, plus the assistant's script, frame and API."""
    assistant = escape(assistant_url)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {assistant}",
            f"frame-src {assistant}",
            f"connect-src 'self' {assistant}",
            "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _account(user: PortalUser | None, users: list[PortalUser]) -> tuple[str, str]:
    """Return the header's account part and the sign-in card (empty when signed in)."""
    if user is not None:
        header = (
            f'<span id="portal-user">Signed in as {escape(user.name)} '
            f"({escape(user.company)}, {escape(user.partner_id)})</span> "
            '<form method="post" action="/portal/sign-out">'
            '<button type="submit">Sign out of the portal</button></form>'
        )
        return header, ""
    if not users:
        card = (
            '<section class="card"><h2>Sign in</h2><p>The sample people are not there '
            "yet: the assistant is still creating its sample store. Reload in a moment.</p>"
            "</section>"
        )
        return "<span>Not signed in</span>", card
    options = "".join(
        f'<option value="{escape(u.user_id)}">{escape(u.name)}: {escape(u.company)} '
        f"({escape(u.partner_id)})</option>"
        for u in users
    )
    card = (
        '<section class="card" aria-labelledby="signin-title"><h2 id="signin-title">Sign in</h2>'
        '<p class="sample"><strong>Sample portal:</strong> sign in as one of the sample '
        "partners' people. No password: this demo stands in for your portal's own sign-in.</p>"
        '<form method="post" action="/portal/sign-in">'
        f'<label for="user-id">Sample person</label><select id="user-id" name="user_id">{options}'
        '</select> <button type="submit">Sign in to the portal</button></form></section>'
    )
    return "<span>Not signed in</span>", card


def portal_page(
    assistant_url: str, user: PortalUser | None, users: list[PortalUser]
) -> tuple[str, str]:
    """Render the page; return its HTML and its Content-Security-Policy."""
    header, signin = _account(user, users)
    tag = widget_tag(assistant_url)
    html = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Example Partner Portal (sample)</title>
  <link rel="stylesheet" href="/portal.css">
</head>
<body>
  <header><h1>Example Partner Portal</h1><div>{header}</div></header>
  <main>
    <p class="sample"><strong>Sample data:</strong> a demo portal for the sample installation
      of the Partner Assistant. Its people and companies are fictitious.</p>
    {signin}
    <section class="card">
      <h2>The Partner Assistant on this page</h2>
      <p>The button at the bottom right opens the assistant. The portal embeds it with one tag,
        and hands over its own sign-in: signed in here, ask <em>"what's my tier?"</em>;
        signed out, ask about the program.</p>
      <pre><code>{escape(tag)}</code></pre>
    </section>
  </main>
  {tag}
</body>
</html>
"""
    return html, content_security_policy(assistant_url)
