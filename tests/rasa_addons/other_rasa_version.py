"""Start ``rasa_addons.server`` as if another Rasa version were installed.

``python -m tests.rasa_addons.other_rasa_version VERSION ARG...`` sets Rasa's version
string to ``VERSION`` and runs the server's ``main()`` with ``ARG...``; then it reports
on stdout whether any fix was installed before the server gave up.
"""

from __future__ import annotations

import sys

import rasa.version
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.trackers import DialogueStateTracker

if __name__ == "__main__":
    rasa.version.__version__ = sys.argv[1]
    as_installed = (RemoteAction.run, DialogueStateTracker.copy)
    from rasa_addons import server

    sys.argv = ["rasa_addons.server", *sys.argv[2:]]
    try:
        server.main()
    finally:
        untouched = (RemoteAction.run, DialogueStateTracker.copy) == as_installed
        print("fixes installed: no" if untouched else "fixes installed: yes")
