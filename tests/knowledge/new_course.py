"""A course the shipped catalogue lacks, and releases that add it (live-update tests)."""

from __future__ import annotations

import copy
from typing import Any

from knowledge.build import embed_documents, stored_vectors
from knowledge.catalogue import catalogue_content, catalogue_from_content, documents, load_catalogue
from knowledge.embedder import query_embedder
from knowledge.index import default_index_dir
from knowledge.live import Release, build_release

NEW_COURSE: dict[str, Any] = {
    "id": "U-PQC-101",
    "title": "Post-Quantum Cryptography Readiness",
    "summary": "Inventory the cryptography in a client's estate and plan the move to "
    "quantum-safe algorithms before stored secrets can be decrypted.",
    "level": "intermediate",
    "duration_hours": 6,
    "delivery": "virtual classroom",
    "prerequisites": [],
    "competencies": ["C-SECURITY"],
    "credits": 8,
    "voucher_eligible": True,
}
# What a partner asks about it, and the citation the answer must carry.
QUESTION = "what does the Post-Quantum Cryptography Readiness course cover?"
CITATION = "Source: U-PQC-101 Post-Quantum Cryptography Readiness"


def shipped_content() -> dict[str, Any]:
    """The shipped files' content (a copy the caller may change)."""
    return catalogue_content(load_catalogue())


def with_course(content: dict[str, Any], course: dict[str, Any] = NEW_COURSE) -> dict[str, Any]:
    """A copy of ``content`` with ``course`` added at the end of the course list."""
    changed = copy.deepcopy(content)
    changed["courses"].append(copy.deepcopy(course))
    return changed


def release_of(content: dict[str, Any], version: int) -> Release:
    """Build a release the way an app process does, embedding what the index lacks."""
    catalogue = catalogue_from_content(content)
    embedder = query_embedder()
    cache = stored_vectors(default_index_dir(), embedder.model_sha256)
    embedded = embed_documents(documents(catalogue), embedder, cache, log=lambda _: None)
    return build_release(version, catalogue, embedded.vectors, embedded.text_hashes)
