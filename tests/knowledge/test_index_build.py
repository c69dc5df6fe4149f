"""Index build and loading on a small catalogue made here: incremental, checked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from knowledge import build
from knowledge.catalogue import DATA_DIR
from knowledge.embedder import OnnxEmbedder
from knowledge.index import IndexMismatchError, load_index, read_index
from knowledge.models import Document
from knowledge.search import SearchEngine

DOCS = [
    Document(id="C-SECURITY", kind="competency", title="Security Operations", area="Security",
             text="Security Operations: detecting and responding to threats, SIEM and SOC work."),
    Document(id="C-STORAGE", kind="competency", title="Storage Solutions", area="Systems",
             text="Storage Solutions: flash, object and software-defined storage for clients."),
    Document(id="U-SEC-101", kind="course", title="Security Fundamentals", area="Security",
             level="beginner", text="Security Fundamentals: a beginner course on threats."),
    Document(id="U-SEC-301", kind="course", title="Threat Hunting", area="Security",
             level="advanced", text="Threat Hunting: an advanced course on hunting attackers."),
    Document(id="F-TRANSITION", kind="fact", title="Transition window",
             text="Partners have 11 months to build the new competencies."),
]  # fmt: skip


def _build(embedder: OnnxEmbedder, index_dir: Path, docs: list[Document], sources: str = "s1"):
    lines: list[str] = []
    result = build.build_index(docs, embedder, index_dir, sources, log=lines.append)
    return result, lines


def test_build_writes_index_docs_and_manifest(int8_embedder: OnnxEmbedder, tmp_path: Path) -> None:
    result, _ = _build(int8_embedder, tmp_path, DOCS)

    assert (result.count, result.embedded, result.up_to_date) == (5, 5, False)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["model_name"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert manifest["model_sha256"] == int8_embedder.model_sha256
    assert (manifest["dimension"], manifest["count"], manifest["source_sha256"]) == (384, 5, "s1")
    docs = json.loads((tmp_path / "docs.json").read_text())
    assert [entry["document"]["id"] for entry in docs] == [d.id for d in DOCS]
    assert (tmp_path / "index.faiss").stat().st_size > 5 * 384 * 4


def test_second_build_is_a_no_op(int8_embedder: OnnxEmbedder, tmp_path: Path) -> None:
    _build(int8_embedder, tmp_path, DOCS)
    result, lines = _build(int8_embedder, tmp_path, DOCS)
    assert result.up_to_date and result.embedded == 0
    assert any("index up to date" in line for line in lines)


def test_changed_sources_re_embed_only_changed_documents(
    int8_embedder: OnnxEmbedder, tmp_path: Path
) -> None:
    _build(int8_embedder, tmp_path, DOCS)
    before = read_index(tmp_path).vectors()
    changed = [*DOCS[:4], DOCS[4].model_copy(update={"text": "Partners have 12 months now."})]
    added = Document(
        id="F-TIERS", kind="fact", title="Four tiers", text="Four tiers replace three."
    )

    result, _ = _build(int8_embedder, tmp_path, [*changed, added], sources="s2")

    assert (result.embedded, result.reused, result.count) == (2, 4, 6)
    after = read_index(tmp_path)
    assert after.manifest.source_sha256 == "s2"
    vectors = after.vectors()
    assert (vectors[:4] == before[:4]).all()  # reused exactly, not re-embedded
    assert not (vectors[4] == before[4]).all()


def test_loading_refuses_an_index_from_other_sources_or_model(
    int8_embedder: OnnxEmbedder, tmp_path: Path
) -> None:
    _build(int8_embedder, tmp_path, DOCS)
    assert load_index(tmp_path, int8_embedder.model_sha256, "s1").manifest.count == 5
    with pytest.raises(
        IndexMismatchError, match="built from other sources; run python -m knowledge.build"
    ):
        load_index(tmp_path, int8_embedder.model_sha256, "other")
    with pytest.raises(IndexMismatchError, match="another model"):
        load_index(tmp_path, "0" * 64, "s1")


def test_missing_or_damaged_index_is_refused(int8_embedder: OnnxEmbedder, tmp_path: Path) -> None:
    with pytest.raises(IndexMismatchError, match="no index"):
        read_index(tmp_path / "nothing")
    _build(int8_embedder, tmp_path, DOCS)
    (tmp_path / "docs.json").write_text("[]")
    with pytest.raises(IndexMismatchError, match="disagree"):
        read_index(tmp_path)


def test_duplicate_ids_are_rejected(int8_embedder: OnnxEmbedder, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="duplicate document ids: C-SECURITY"):
        _build(int8_embedder, tmp_path, [DOCS[0], DOCS[0]])


def test_search_ranks_and_filters(int8_embedder: OnnxEmbedder, tmp_path: Path) -> None:
    _build(int8_embedder, tmp_path, DOCS)
    engine = SearchEngine(int8_embedder, read_index(tmp_path))

    hits = engine.search("how many months do we have to move to competencies?", k=3)
    assert hits[0].doc_id == "F-TRANSITION"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len(hits) == 3

    assert {h.doc_id for h in engine.search("security", k=10, kind="course")} == {
        "U-SEC-101",
        "U-SEC-301",
    }
    assert [h.doc_id for h in engine.search("security", k=10, level="advanced")] == ["U-SEC-301"]
    assert {h.doc_id for h in engine.search("storage", k=10, area="security")} == {
        "C-SECURITY",
        "U-SEC-101",
        "U-SEC-301",
    }
    assert engine.search("storage", k=10, kind="rule") == []
    assert engine.search("   ", k=5) == []
    boosted = engine.search("threat detection", k=2, boosts={"C-STORAGE": 1.0})
    assert boosted[0].doc_id == "C-STORAGE"


def test_cli_check_reports_a_stale_index(int8_embedder: OnnxEmbedder, tmp_path: Path) -> None:
    assert build.main(["--check", "--index-dir", str(tmp_path / "none")]) == 1


@pytest.mark.usefixtures("real_index")
def test_cli_says_up_to_date_for_the_real_index(capsys: pytest.CaptureFixture[str]) -> None:
    assert build.main(["--check"]) == 0
    capsys.readouterr()
    assert build.main([]) == 0
    assert "index up to date" in capsys.readouterr().out


def test_cli_rejects_bad_data_with_the_catalogue_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    courses = data / "courses.yaml"
    courses.write_text(courses.read_text().replace("duration_hours: ", "duration_hours: -", 1))

    code = build.main(["--data-dir", str(data), "--index-dir", str(tmp_path / "index")])

    assert code == 2
    error = capsys.readouterr().err
    assert "courses.yaml" in error and "duration_hours" in error
    assert not (tmp_path / "index").exists()
