"""Benchmark knowledge retrieval and write docs/benchmarks.md's "Knowledge retrieval".

Usage: ``.venv/bin/python scripts/bench_knowledge.py [--no-write] [--rounds N]``

Measures, single-threaded and warm, over tests/knowledge/retrieval_questions.yaml:

* query latency p50/p95 (embed + exact search over the catalogue) for the int8
  ONNX model (production), the fp32 ONNX model and plain sentence-transformers
  (PyTorch);
* recall@1, recall@3 and MRR of pure semantic search for each model, and of the
  production ranking (int8 cosine + lexical bonus + entity lift, knowledge.answers);
* the answer threshold: relevance of in-scope questions against the out-of-scope
  set (tests/knowledge/out_of_scope_questions.yaml).

Needs a current index (``python -m knowledge.build``). Not part of the tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge import answers  # noqa: E402
from knowledge.embedder import (  # noqa: E402
    SentenceTransformerEmbedder,
    Vectors,
    onnx_embedder,
)
from knowledge.entities import extract_entities  # noqa: E402
from knowledge.index import embedding_text  # noqa: E402
from knowledge.search import LEXICAL_WEIGHT, engine  # noqa: E402
from scripts.bench_docs import BENCHMARKS, write_section  # noqa: E402

QUESTIONS = ROOT / "tests" / "knowledge" / "retrieval_questions.yaml"
OUT_OF_SCOPE = ROOT / "tests" / "knowledge" / "out_of_scope_questions.yaml"
START, END = "<!-- knowledge-bench:start -->", "<!-- knowledge-bench:end -->"


@dataclass(frozen=True)
class ModelResult:
    """Latency and quality of one embedding model."""

    name: str
    p50_ms: float
    p95_ms: float
    recall1: float
    recall3: float
    mrr: float


def quality(rankings: Sequence[Sequence[str]], expected: Sequence[set[str]]) -> tuple[float, ...]:
    """Return recall@1, recall@3 and MRR (over the top 10) of ranked id lists."""
    ranks = [
        next((i for i, doc_id in enumerate(ranked[:10]) if doc_id in wanted), None)
        for ranked, wanted in zip(rankings, expected, strict=True)
    ]
    count = len(ranks)
    return (
        sum(rank == 0 for rank in ranks) / count,
        sum(rank is not None and rank < 3 for rank in ranks) / count,
        sum(1 / (rank + 1) for rank in ranks if rank is not None) / count,
    )


def bench_model(
    name: str,
    embed_docs: Callable[[list[str]], Vectors],
    embed_query: Callable[[str], Vectors],
    texts: list[str],
    ids: list[str],
    questions: list[dict],
    rounds: int,
) -> ModelResult:
    """Embed the catalogue with one model, then time and score its queries."""
    import faiss

    print(f"[bench] {name}: embedding {len(texts)} documents", flush=True)
    index = faiss.IndexFlatIP(384)
    index.add(np.ascontiguousarray(embed_docs(texts), dtype=np.float32))
    for entry in questions[:20]:  # warm up
        index.search(embed_query(entry["question"]), 10)
    timings: list[float] = []
    rankings: list[list[str]] = []
    for round_number in range(rounds):
        for entry in questions:
            started = time.perf_counter()
            _, rows = index.search(embed_query(entry["question"]), 10)
            timings.append(time.perf_counter() - started)
            if round_number == 0:
                rankings.append([ids[row] for row in rows[0]])
    recall1, recall3, mrr = quality(rankings, [set(e["expected"]) for e in questions])
    quantiles = statistics.quantiles(timings, n=20)
    median = statistics.median(timings) * 1000
    result = ModelResult(name, median, quantiles[18] * 1000, recall1, recall3, mrr)
    print(f"[bench] {result}", flush=True)
    return result


def production_quality(questions: list[dict], out_of_scope: list[str]) -> dict[str, float]:
    """Score the production ranking and the answer threshold."""
    rankings, in_scope = [], []
    for entry in questions:
        hits, relevance = answers.ranked_hits(
            entry["question"], extract_entities(entry["question"])
        )
        rankings.append([hit.doc_id for hit in hits])
        in_scope.append(relevance)
    outside = [answers.ranked_hits(q, extract_entities(q))[1] for q in out_of_scope]
    recall1, recall3, mrr = quality(rankings, [set(e["expected"]) for e in questions])
    threshold = answers.ANSWER_THRESHOLD
    timings = []
    for entry in questions:
        started = time.perf_counter()
        engine().search(entry["question"], k=5)
        timings.append(time.perf_counter() - started)
    return {
        "search_p50": statistics.median(timings) * 1000,
        "search_p95": statistics.quantiles(timings, n=20)[18] * 1000,
        "recall1": recall1,
        "recall3": recall3,
        "mrr": mrr,
        "in_min": min(in_scope),
        "in_p5": float(np.percentile(in_scope, 5)),
        "out_max": max(outside),
        "out_p95": float(np.percentile(outside, 95)),
        "kept": sum(score >= threshold for score in in_scope) / len(in_scope),
        "rejected": sum(score < threshold for score in outside) / len(outside),
        "rejected_count": sum(score < threshold for score in outside),
        "out_count": len(outside),
    }


def render(results: list[ModelResult], prod: dict[str, float], questions: int) -> str:
    """Return the markdown section (between the markers)."""
    rows = "\n".join(
        f"| {r.name} | {r.p50_ms:.1f} | {r.p95_ms:.1f} | {r.recall1:.3f} | {r.recall3:.3f} "
        f"| {r.mrr:.3f} |"
        for r in results
    )
    return f"""{START}
## Knowledge retrieval

Measured by `scripts/bench_knowledge.py` on {platform.machine()} with {os.cpu_count()} cores
(load average {os.getloadavg()[0]:.1f} when measured: latencies are single-threaded
and warm, and rise when other work shares the cores), over the
{questions} questions of `tests/knowledge/retrieval_questions.yaml` (a hit is any of
an entry's expected documents).

Semantic search alone (embed the question, exact cosine over every catalogue
document; each model searches documents embedded by itself):

| model | p50 ms | p95 ms | recall@1 | recall@3 | MRR |
| --- | --- | --- | --- | --- | --- |
{rows}

The int8 model (the MatMul weights quantized to unsigned 8 bits per channel) serves
the query path: it is the fastest, and ranks about as well as fp32 (table). Its question
embeddings have a cosine of {prod["cos_mean"]:.3f} on average (minimum {prod["cos_min"]:.3f})
with those of the unquantized sentence-transformers model. (Reference figures on an
idle core, from issue 3: int8 ONNX 2.7 ms p50, plain PyTorch 12.6 ms.)

Production ranking (what `action_answer_question` uses): int8 cosine plus
{LEXICAL_WEIGHT} x lexical coverage of the question's rare words (`knowledge.lexical`),
plus {answers.ENTITY_BOOST} for documents the question names (competency, course,
country): recall@1 **{prod["recall1"]:.3f}**, recall@3 **{prod["recall3"]:.3f}**,
MRR **{prod["mrr"]:.3f}**; `knowledge.search.search()` end to end (embed, cosine, lexical,
rank) p50 {prod["search_p50"]:.1f} ms, p95 {prod["search_p95"]:.1f} ms.

Answer threshold (`knowledge.answers.ANSWER_THRESHOLD = {answers.ANSWER_THRESHOLD}`): the best
unlifted relevance of in-scope questions is at least {prod["in_min"]:.3f} (5th percentile
{prod["in_p5"]:.3f}); over the {prod["out_count"]:.0f} out-of-scope questions of
`tests/knowledge/out_of_scope_questions.yaml` it is at most {prod["out_max"]:.3f}
(95th percentile {prod["out_p95"]:.3f}). At the threshold {prod["kept"]:.1%} of in-scope
questions are answered and {prod["rejected_count"]:.0f} of {prod["out_count"]:.0f}
out-of-scope ones get "I don't know that one". The threshold sits between the
in-scope minimum and the bulk of out-of-scope questions; those that pass it name a
country ("who is the president of France?"), which makes a country's rules look
relevant; the NLU's out_of_scope intent is the first line against them.
{END}"""


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; write the docs section unless ``--no-write``."""
    parser = argparse.ArgumentParser(description="Benchmark knowledge retrieval.")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the questions")
    args = parser.parse_args(argv)
    import faiss
    import torch

    faiss.omp_set_num_threads(1)
    questions = yaml.safe_load(QUESTIONS.read_text())
    out_of_scope = yaml.safe_load(OUT_OF_SCOPE.read_text())
    documents = engine().documents  # also checks the index is current
    texts = [embedding_text(document) for document in documents]
    ids = [document.id for document in documents]
    results = []
    for quantized, label in ((True, "int8 ONNX (onnxruntime)"), (False, "fp32 ONNX (onnxruntime)")):
        batch = onnx_embedder(quantized=quantized, threads=os.cpu_count() or 1)
        single = onnx_embedder(quantized=quantized, threads=1)
        result = bench_model(
            label, batch.embed, single.embed_one, texts, ids, questions, args.rounds
        )
        results.append(result)
    reference = SentenceTransformerEmbedder(threads=os.cpu_count() or 1)

    def embed_one_single_thread(text: str) -> Vectors:
        return reference.embed_one(text)

    docs_vectors = reference.embed(texts)
    torch.set_num_threads(1)
    name = "fp32 PyTorch (sentence-transformers)"
    results.append(
        bench_model(name, lambda _: docs_vectors, embed_one_single_thread, texts, ids, questions, 1)
    )
    prod = production_quality(questions, out_of_scope)
    question_texts = [entry["question"] for entry in questions]
    cosines = (onnx_embedder().embed(question_texts) * reference.embed(question_texts)).sum(axis=1)
    prod |= {"cos_min": float(cosines.min()), "cos_mean": float(cosines.mean())}
    print(f"[bench] production ranking {prod}")
    section = render(results, prod, len(questions))
    if args.no_write:
        print(section)
    else:
        write_section(section, START, END)
        print(f"[bench] wrote {BENCHMARKS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
