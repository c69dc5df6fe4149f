"""The entity recognizer's spaCy comes without torch, which the app never uses.

thinc (spaCy's machine-learning library) imports torch whenever it is installed,
about 180 MB of every app process (docs/benchmarks.md); ``knowledge.entities`` keeps
it out while spaCy is first imported. Checked in a fresh process
(tests/knowledge/spacy_imports.py): this test process may hold torch already.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.rasa_env import ROOT


def test_recognising_entities_loads_no_torch_and_torch_still_imports_later() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.knowledge.spacy_imports"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "C-SECURITY" in report["found"]  # the recognizer works without it
    assert report["torch_with_spacy"] is False
    assert report["torch_later"] is True
