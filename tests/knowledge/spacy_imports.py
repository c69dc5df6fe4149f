"""Build the catalogue's entity recognizer in a fresh process; report what it imported.

``python -m tests.knowledge.spacy_imports`` prints one JSON line: whether torch was
imported, and whether ``import torch`` still works afterwards. Run by
tests/knowledge/test_entities_memory.py, in a process of its own because the test
process may have imported torch already.
"""

from __future__ import annotations

import importlib
import json
import sys

from knowledge.entities import extract_entities

if __name__ == "__main__":
    found = [match.id for match in extract_entities("what does the security competency require?")]
    loaded_with_spacy = "torch" in sys.modules and sys.modules["torch"] is not None
    torch_later = importlib.import_module("torch").__name__ == "torch"
    report = {"found": found, "torch_with_spacy": loaded_with_spacy, "torch_later": torch_later}
    print(json.dumps(report))
