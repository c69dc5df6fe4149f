"""Tests of rasa_addons.channels."""
