"""Rasa 3.6's command line with ``rasa_addons.speedups`` and ``action_failures`` applied.

``python -m rasa_addons.server run ...`` takes exactly the arguments of ``rasa``; the
launcher (scripts/launch.py) starts every Rasa server this way. Plain ``rasa run``
still works, with the same replies, only slower under load, and silent instead of
apologising when the app cannot run an action.
"""

from __future__ import annotations

import sys

from rasa_addons import action_failures, speedups


def main() -> None:
    """Run Rasa's command line with the fixes applied."""
    speedups.apply()
    action_failures.apply()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
