"""``python -m rasa_addons.server``: Rasa's command line with the fixes applied."""

from rasa_addons.server import main

main()
