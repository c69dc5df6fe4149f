"""Graph components that config.yml names: NLU components and dialogue policies.

They are part of the trained model (the Makefile's model hash covers this folder).
"""

# Registers the policies' featurizer under the name a trained model stores: Rasa imports
# this package with the first of these components a model names, before any policy loads.
from rasa_addons.components import recent_states_featurizer  # noqa: F401
