"""Imports of the program office's exports: catalogue files and partner records.

``tabular`` reads CSV and JSON Lines files into rows numbered as a spreadsheet shows
them; ``report`` collects what an import found and changed; ``catalogue_import``
validates and applies course, competency, rule and fact files. Nothing here runs at
import time; every import is a function call with an open database session.
"""
