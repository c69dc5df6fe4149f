"""End-to-end benchmark of the running stack against a stock ``rasa init`` bot.

``make bench`` runs this after the knowledge and NLU benchmarks. In one run it measures,
for our stack and for the stock bot on the same machine:

- cold start: from starting the processes to the first answered message;
- REST turn latency p50/p99 for a knowledge question, a tier question and a
  recommendation, with 1 conversation and with 16 concurrent conversations, each turn
  a new conversation, after ``WARMUP_TURNS`` of each kind that are not counted (a
  running service's figures, not those of its first requests);
- throughput over 60 s with 16 conversations sending back to back, in slices that
  alternate between the two stacks (both up at once; the one not measured is idle);
- training time, and peak resident memory per process.

The figures and a plot go to docs/benchmarks.md (between the stack-bench markers) and
docs/img/bench.svg. Nothing here is a test: it measures, it does not judge.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_report import WARMUP_TURNS, write_report  # noqa: E402
from scripts.launch import THREAD_LIMITS, child_environment, rasa_command  # noqa: E402

BENCH_DIR = ROOT / "var" / "bench"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
OUR_APP_PORT, OUR_RASA_PORT, STOCK_PORT = 8000, 5005, 5015
CONCURRENCY = 16
# Conversation ids are new in every run: conversations persist in var/rasa-trackers.db,
# and a later run must not continue (and pay for) an earlier run's long conversations.
RUN_ID = uuid.uuid4().hex[:8]

Turn = Callable[[httpx.AsyncClient, str], Awaitable[float]]


@dataclass
class MemoryProbe:
    """Samples the resident memory of a process tree until stopped."""

    root_pid: int
    peaks: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                root = psutil.Process(self.root_pid)
                for process in [root, *root.children(recursive=True)]:
                    name = _process_label(process)
                    rss = process.memory_info().rss
                    self.peaks[name] = max(self.peaks.get(name, 0), rss)
            except psutil.Error:
                pass
            self._stop.wait(0.5)

    def start(self) -> MemoryProbe:
        """Start sampling in a daemon thread."""
        threading.Thread(target=self._sample, daemon=True).start()
        return self

    def stop(self) -> dict[str, int]:
        """Stop sampling and return peak RSS in bytes per process label."""
        self._stop.set()
        return dict(self.peaks)


def _process_label(process: psutil.Process) -> str:
    cmdline = " ".join(process.cmdline())
    if "uvicorn" in cmdline:
        return "app (uvicorn)"
    if "rasa" in cmdline and " run" in cmdline:
        return "Rasa server"
    if "launch.py" in cmdline:
        return "launcher"
    if "demo_portal" in cmdline:
        return "demo portal (sample mode)"
    return process.name()


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0-100) of ``values`` by nearest rank."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def _post(client: httpx.AsyncClient, url: str, sender: str, text: str, meta: dict) -> float:
    body: dict = {"sender": sender, "message": text}
    if meta:
        body["metadata"] = meta
    started = time.perf_counter()
    response = await client.post(url, json=body, timeout=60)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    if not response.json():
        raise RuntimeError(f"no reply to {text!r}")
    return elapsed


def make_turn(rasa_url: str, texts: Sequence[str], metadata: dict | None = None) -> Turn:
    """Return a turn that sends ``texts`` in order and times the last message."""
    url = f"{rasa_url}/webhooks/rest/webhook"

    async def turn(client: httpx.AsyncClient, sender: str) -> float:
        for text in texts[:-1]:
            await _post(client, url, sender, text, metadata or {})
        return await _post(client, url, sender, texts[-1], metadata or {})

    return turn


async def latencies(turn: Turn, conversations: int, turns_each: int, tag: str) -> list[float]:
    """Run ``conversations`` concurrent conversations of ``turns_each`` timed turns."""
    async with httpx.AsyncClient() as client:

        async def conversation(n: int) -> list[float]:
            return [await turn(client, f"bench-{tag}-{n}-{i}") for i in range(turns_each)]

        results = await asyncio.gather(*(conversation(n) for n in range(conversations)))
    return [value for values in results for value in values]


async def throughput_slice(turn: Turn, seconds: float, tag: str) -> tuple[list[float], float]:
    """Run CONCURRENCY conversations back to back for ``seconds``.

    Returns every turn's latency and the slice's wall time (in-flight turns included).
    The same ``tag`` continues the same conversations (5 per concurrent sender).
    """
    deadline = time.monotonic() + seconds
    timings: list[float] = []
    async with httpx.AsyncClient() as client:

        async def conversation(n: int) -> None:
            i = 0
            while time.monotonic() < deadline:
                timings.append(await turn(client, f"tp-{tag}-{n}-{i % 5}"))
                i += 1

        started = time.monotonic()
        await asyncio.gather(*(conversation(n) for n in range(CONCURRENCY)))
        elapsed = time.monotonic() - started
    return timings, elapsed


def wait_first_answer(turn: Turn, started: float, process: subprocess.Popen[bytes]) -> float:
    """Poll until ``turn`` gets an answer; return seconds since ``started``."""
    while True:
        if process.poll() is not None:
            raise RuntimeError("the server exited before answering")
        try:
            asyncio.run(latencies(turn, 1, 1, f"cold-{time.monotonic()}"))
            return time.monotonic() - started
        except (httpx.HTTPError, RuntimeError):
            time.sleep(0.25)


def timed(command: Sequence[str], cwd: Path) -> float:
    """Run ``command`` and return its wall time in seconds."""
    print("   $", " ".join(map(str, command)), flush=True)
    started = time.monotonic()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate ``process`` and its children."""
    for child in psutil.Process(process.pid).children(recursive=True):
        child.terminate()
    process.terminate()
    process.wait(timeout=60)


@dataclass
class Stack:
    """One stack under test: how to start it, its turns, and the figures measured."""

    name: str
    command: Sequence[str]
    cwd: Path
    env: dict[str, str]
    turns: dict[str, Turn]
    figures: dict = field(default_factory=lambda: {"latency": {}, "timings": [], "elapsed": 0.0})
    process: subprocess.Popen[bytes] | None = None
    probe: MemoryProbe | None = None

    @property
    def main_turn(self) -> Turn:
        """The turn used for cold start and throughput (the first one)."""
        return next(iter(self.turns.values()))

    def start(self) -> None:
        """Start the stack and measure the time to its first answer."""
        print(f"==> {self.name}: cold start", flush=True)
        log = (BENCH_DIR / f"{self.name}.log").open("wb")
        started = time.monotonic()
        self.process = subprocess.Popen(
            self.command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.probe = MemoryProbe(self.process.pid).start()
        self.figures["cold_start_s"] = wait_first_answer(self.main_turn, started, self.process)

    def measure_latency(self, samples: int) -> None:
        """p50/p99 of each turn with 1 conversation and with CONCURRENCY conversations."""
        for label, turn in self.turns.items():
            print(f"==> {self.name}: {label} latency", flush=True)
            tag = f"{self.name}-{RUN_ID}-{label}"
            asyncio.run(latencies(turn, 1, WARMUP_TURNS, f"{tag}-warm-up"))
            single = asyncio.run(latencies(turn, 1, samples, f"{tag}-1"))
            per_conv = max(2, samples // CONCURRENCY)
            many = asyncio.run(latencies(turn, CONCURRENCY, per_conv, f"{tag}-16"))
            self.figures["latency"][label] = {
                "p50_1": percentile(single, 50),
                "p99_1": percentile(single, 99),
                "p50_16": percentile(many, 50),
                "p99_16": percentile(many, 99),
            }

    def measure_throughput_slice(self, seconds: float) -> None:
        """Add one throughput slice to the stack's figures."""
        timings, elapsed = asyncio.run(
            throughput_slice(self.main_turn, seconds, f"{self.name}-{RUN_ID}")
        )
        self.figures["timings"] += timings
        self.figures["elapsed"] += elapsed

    def stop(self) -> dict:
        """Stop the stack; return its figures, peak memory and throughput included."""
        if self.probe:
            self.figures["memory"] = self.probe.stop()
        if self.process:
            stop(self.process)
        timings, elapsed = self.figures.pop("timings"), self.figures.pop("elapsed")
        if timings:
            self.figures["throughput"] = len(timings) / elapsed
            self.figures["throughput_p99"] = percentile(timings, 99)
        return self.figures


def measure(stacks: list[Stack], seconds: float, slices: int, samples: int) -> list[dict]:
    """Start every stack, measure each, stop them; return their figures in order.

    Throughput is measured in ``slices`` alternating slices per stack (ours, stock, ours,
    ...), ``seconds`` in all for each: the host's speed drifts from minute to minute, and
    alternating gives both stacks the same conditions. A stack waiting for its slice is
    idle (no load, no background work).
    """
    try:
        for stack in stacks:
            stack.start()
        for stack in stacks:
            stack.measure_latency(samples)
        for n in range(slices):
            for stack in stacks:
                print(f"==> {stack.name}: throughput, slice {n + 1} of {slices}", flush=True)
                stack.measure_throughput_slice(seconds / slices)
    finally:
        figures = [stack.stop() for stack in stacks]
    return figures


def main(argv: list[str] | None = None) -> int:
    """Benchmark our stack and the stock bot; write docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--samples", type=int, default=200, help="timed turns of each kind")
    parser.add_argument("--slices", type=int, default=6, help="throughput slices per stack")
    args = parser.parse_args(argv)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    env = child_environment()

    print("==> training time: ours (forced retrain into var/bench)", flush=True)
    ours_train = timed(
        [str(RASA), "train", "--force", "--out", str(BENCH_DIR / "models")], cwd=ROOT
    )
    stock_dir = BENCH_DIR / "stockbot"
    shutil.rmtree(stock_dir, ignore_errors=True)
    stock_dir.mkdir(parents=True)
    print("==> training time: stock `rasa init` bot", flush=True)
    stock_train = timed(
        [str(RASA), "init", "--no-prompt", "--init-dir", str(stock_dir)], cwd=BENCH_DIR
    )

    launcher = [
        str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "scripts" / "launch.py"),
        "--model", args.model,
    ]  # fmt: skip
    ours = Stack("ours", launcher, ROOT, env, _our_turns(f"http://127.0.0.1:{OUR_RASA_PORT}"))

    stock_url = f"http://127.0.0.1:{STOCK_PORT}"
    stock_model = sorted((stock_dir / "models").glob("*.tar.gz"))[-1]
    stock_cmd = rasa_command(str(stock_model), STOCK_PORT, "endpoints.yml", with_fixes=False)
    stock_cmd = [part for part in stock_cmd if part not in ("--credentials", "credentials.yml")]
    # The stock bot runs as plain `rasa run` would: without our one-thread settings.
    stock_env = {k: v for k, v in env.items() if k not in THREAD_LIMITS or k in os.environ}
    stock = Stack(
        "stock",
        stock_cmd,
        stock_dir,
        stock_env,
        {"greeting (stock bot)": make_turn(stock_url, ["hello"])},
    )

    ours_figures, stock_figures = measure([ours, stock], args.seconds, args.slices, args.samples)
    write_report(
        ours_figures | {"train_s": ours_train},
        stock_figures | {"train_s": stock_train},
        os.cpu_count() or 0,
        args.slices,
        args.seconds,
    )
    print("==> wrote docs/benchmarks.md and docs/img/bench.svg")
    return 0


def _our_turns(rasa_url: str) -> dict[str, Turn]:
    """Our three kinds of turn; the tier and recommendation turns sign in first."""
    metadata: dict = {}

    def signed_in(texts: Sequence[str]) -> Turn:
        async def turn(client: httpx.AsyncClient, sender: str) -> float:
            if not metadata:
                response = await client.post(
                    f"http://127.0.0.1:{OUR_APP_PORT}/v1/auth/token",
                    data={"username": "P-0001", "password": "demo"},
                )
                response.raise_for_status()
                metadata["token"] = response.json()["access_token"]
            return await make_turn(rasa_url, texts, metadata)(client, sender)

        return turn

    return {
        "knowledge question": make_turn(rasa_url, ["what does the Security competency require?"]),
        "tier question": signed_in(["what's my tier?"]),
        "recommendation": signed_in(["recommend courses", "just close the gap"]),
    }


if __name__ == "__main__":
    sys.exit(main())
