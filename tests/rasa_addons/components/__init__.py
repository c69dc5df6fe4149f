"""Tests of rasa_addons.components."""
