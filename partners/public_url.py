"""The web page's public base URL, for links sent to chat users: one default.

``PA_PUBLIC_URL`` when set, else the app on this machine (``http://127.0.0.1:<PA_PORT>``,
as docs/slack.md says). The app's actions (``actions/linking.py``) and the Rasa server's
Slack channel (``rasa_addons/channels/slack_channel.py``, another Python environment) both build
links with it, so this module imports nothing but the standard library.
"""

from __future__ import annotations

import os

DEFAULT_PORT = 8000


def public_base_url(configured: str = "", port: int | str = DEFAULT_PORT) -> str:
    """Return the configured public URL (no trailing slash), else the local app's."""
    return (configured or f"http://127.0.0.1:{port}").rstrip("/")


def public_base_url_from_env() -> str:
    """Return ``public_base_url`` of ``PA_PUBLIC_URL`` and ``PA_PORT`` in the environment."""
    return public_base_url(
        os.environ.get("PA_PUBLIC_URL", ""), os.environ.get("PA_PORT", DEFAULT_PORT)
    )
