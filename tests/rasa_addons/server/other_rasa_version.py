"""Start ``rasa_addons.server`` as if another Rasa version were installed.

``python -m tests.rasa_addons.server.other_rasa_version VERSION ARG...`` sets Rasa's version
string to ``VERSION`` and runs the server's ``main()`` with ``ARG...``; then it reports
on stdout whether any fix was installed before the server gave up: any attribute that
rasa_addons/server/patches.py replaces, or ``FailSafeTrackerStore.save``.
"""

from __future__ import annotations

import sys

import rasa.version
from rasa.core.tracker_store import FailSafeTrackerStore

from rasa_addons.server.patches import PATCHES


def _as_now() -> list[object]:
    return [vars(p.owner)[p.attribute] for p in PATCHES] + [FailSafeTrackerStore.save]


if __name__ == "__main__":
    rasa.version.__version__ = sys.argv[1]
    as_installed = _as_now()
    from rasa_addons import server

    sys.argv = ["rasa_addons.server", *sys.argv[2:]]
    try:
        server.main()
    finally:
        untouched = all(a is b for a, b in zip(_as_now(), as_installed, strict=True))
        print("fixes installed: no" if untouched else "fixes installed: yes")
