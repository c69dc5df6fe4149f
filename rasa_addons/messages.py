"""What the Rasa server itself says to a partner, in one place.

``TROUBLE`` is the outage text of the whole assistant: the app answers it too
(``partners.messages.TROUBLE``, the same words; a test keeps the two equal), so a
partner reads one sentence whichever part failed.
"""

from __future__ import annotations

TROUBLE = "I'm having trouble right now, please try again in a minute."
