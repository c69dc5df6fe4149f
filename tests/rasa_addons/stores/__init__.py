"""Tests of rasa_addons.stores."""
