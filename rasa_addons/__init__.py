"""The Rasa side of the assistant, run in the Rasa server's Python 3.10 environment.

Split by what Rasa loads:

- ``components/``: graph components named in config.yml (NLU components, policies);
- ``channels/``: input channels named in credentials.yml;
- ``stores/``: tracker store, lock store and event brokers named in endpoints.yml;
- ``server/``: the entry point (``python -m rasa_addons.server``) and the few
  replacements of Rasa code that no extension point allows, version-guarded.
"""
