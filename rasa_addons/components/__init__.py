"""Graph components that config.yml names: NLU components and dialogue policies.

They are part of the trained model (the Makefile's model hash covers this folder).
"""
