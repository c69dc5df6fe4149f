"""Tests of rasa_addons.server."""
