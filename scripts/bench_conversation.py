"""Benchmark: what one long conversation costs per turn, ours against a stock bot.

``make bench`` runs this. A Slack user's conversation never ends, so turn 300 must cost
what turn 1 costs. In one run it starts our stack (scripts/launch.py: the app, Rasa and
the demo portal) and a stock ``rasa init`` bot (trained once into the var folder if it
has no model yet), then sends 300 turns of one conversation to each, alternating turn by
turn so that both meet the same minute of this shared machine, each turn after a short
pause in which what the previous one left running settles:

- ours, through the app as a signed-in partner (``POST /v1/chat``, the web widget's
  path): greetings, knowledge questions and follow-ups on them, tier status and
  recommendations, thanks;
- the stock bot, through Rasa's REST channel: its own intents (greet, mood, affirm,
  deny, bot challenge, goodbye).

It reports the median latency over turns 1-24 and 277-300 and their ratio for each,
with the medians of every 50 turns, into docs/benchmarks.md between the
conversation-bench markers. It measures; it judges nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_docs import write_section  # noqa: E402
from scripts.bench_signin_flood import stop_stack  # noqa: E402
from scripts.bench_stack import stop  # noqa: E402
from scripts.launch import (  # noqa: E402
    THREAD_LIMITS,
    child_environment,
    rasa_command,
    wait_for_answer,
)

START, END = "<!-- conversation-bench:start -->", "<!-- conversation-bench:end -->"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
TURNS = 300
# Two rounds of our cycle of 12 kinds of turn (OUR_TURNS), TURNS a multiple of 12: the
# first and the last window hold the same kinds of turn (windows of 20 compared two
# "just close the gap", the dearest turn, at the end with one at the start).
LAST_TURNS = 24
BLOCK = 50
SETTLE_SECONDS = 0.05
RATE_LIMITS = ("CHAT_PER_ADDRESS", "CHAT_PER_ACCOUNT", "API_PER_ADDRESS", "API_PER_ACCOUNT")
# One partner's conversation: every kind of turn the widget sees, in an order whose
# follow-ups follow what they refer to. Forms are entered and left within the cycle.
OUR_TURNS = (
    "hi there",
    "what does the Security competency require?",
    "which courses are in it?",
    "how long does it take?",
    "what are the prerequisites?",
    "what's my tier?",
    "what do Gold partners get in Germany?",
    "recommend courses",
    "just close the gap",
    "how many credits is it worth?",
    "thanks, that helped",
    "what is the partner program?",
)
STOCK_TURNS = (
    "hello",
    "I am feeling great",
    "are you a bot?",
    "I am sad",
    "yes",
    "no",
    "good evening",
    "goodbye",
)


def load_average() -> str:
    """Return the 1- and 5-minute load averages, for the record of a shared machine."""
    one, five, _ = os.getloadavg()
    return f"{one:.2f} / {five:.2f}"


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Wait until ``url`` answers 200 (scripts/launch.py); fail with the log's tail."""
    try:
        wait_for_answer(url, url, [process], timeout, progress=False)
    except RuntimeError as error:
        raise RuntimeError(f"{error}:\n{log.read_text()[-3000:]}") from None


def start(command: Sequence[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start ``command`` in its own process group, its output into ``log``."""
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stock_model(folder: Path) -> Path:
    """Return the stock ``rasa init`` bot's model in ``folder``, trained there if missing."""
    models = sorted((folder / "models").glob("*.tar.gz"))
    if not models:
        print("==> training the stock `rasa init` bot", flush=True)
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [str(RASA), "init", "--no-prompt", "--init-dir", str(folder)],
            cwd=folder,
            check=True,
            stdout=(folder / "init.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        models = sorted((folder / "models").glob("*.tar.gz"))
    return models[-1]


class OurConversation:
    """One signed-in partner's conversation through the app's ``POST /v1/chat``."""

    def __init__(self, client: httpx.Client) -> None:
        """Sign partner P-0001 in and open a chat session."""
        token = client.post("/v1/auth/token", data={"username": "P-0001", "password": "demo"})
        token.raise_for_status()
        self.client = client
        self.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        session = client.post("/v1/chat/session", headers=self.headers)
        session.raise_for_status()
        self.session = session.json()["session"]

    def send(self, text: str) -> float:
        """Send ``text``; return the seconds to its answer."""
        started = time.perf_counter()
        reply = self.client.post(
            "/v1/chat", json={"session": self.session, "message": text}, headers=self.headers
        )
        elapsed = time.perf_counter() - started
        reply.raise_for_status()
        if not reply.json()["messages"]:
            raise RuntimeError(f"no answer to {text!r}")
        return elapsed


class StockConversation:
    """One conversation with the stock bot through Rasa's REST channel."""

    def __init__(self, client: httpx.Client) -> None:
        """Pick a new sender id (the stock bot keeps conversations in memory)."""
        self.client = client
        self.sender = f"bench-conversation-{uuid.uuid4().hex[:8]}"

    def send(self, text: str) -> float:
        """Send ``text``; return the seconds to its answer."""
        started = time.perf_counter()
        reply = self.client.post(
            "/webhooks/rest/webhook", json={"sender": self.sender, "message": text}
        )
        elapsed = time.perf_counter() - started
        # An empty list is an answer too: where its TED model predicts listening (it
        # does after some "no"s, depending on its training), the stock bot says nothing.
        reply.raise_for_status()
        return elapsed


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """Return the CPU time (user and system) that ``processes`` have used so far."""
    return sum(sum(process.cpu_times()[:2]) for process in processes)


def converse(
    ours: Callable[[], OurConversation],
    stock: Callable[[], StockConversation],
    processes: dict[str, list[psutil.Process]],
    turns: int,
) -> dict[str, list]:
    """Send ``turns`` turns to a conversation with each stack, one to each in turn.

    During the last ``LAST_TURNS`` turns a second, new conversation with each stack
    gets its first ones, interleaved (each first every other round): this machine's
    speed drifts between minutes, and these show what a first turn costs in the same
    minute as the last ones.
    Returns the latencies in order: "ours" and "stock", and "ours fresh" and "stock
    fresh" for the new conversations; and with " cpu" after each name, the CPU time
    each turn cost the stack's processes (less sensitive to the other load).
    """
    long: dict[str, OurConversation | StockConversation] = {"ours": ours(), "stock": stock()}
    texts = {"ours": itertools.cycle(OUR_TURNS), "stock": itertools.cycle(STOCK_TURNS)}
    timings: dict[str, list[float]] = {}

    def send(name: str, conversation: OurConversation | StockConversation, text: str) -> None:
        # What the previous turn left running (the stock bot's, 300 ms at the end, or a
        # stack's own writes after its answer) settles before this one is timed.
        time.sleep(SETTLE_SECONDS)
        cpu = cpu_seconds(processes[name.split()[0]])
        latency = conversation.send(text)
        timings.setdefault(name, []).append(latency)
        timings.setdefault(f"{name} cpu", []).append(cpu_seconds(processes[name.split()[0]]) - cpu)

    for turn in range(1, turns + 1):
        if turn == turns - LAST_TURNS + 1:
            fresh: dict[str, OurConversation | StockConversation] = {
                "ours": ours(),
                "stock": stock(),
            }
            fresh_texts = {
                "ours": itertools.cycle(OUR_TURNS),
                "stock": itertools.cycle(STOCK_TURNS),
            }
        for name, conversation in long.items():
            sends = [(name, conversation, next(texts[name]))]
            if turn > turns - LAST_TURNS:
                sends.append((f"{name} fresh", fresh[name], next(fresh_texts[name])))
                # Each goes first every other round. Always second, right after its
                # twin of the same kind, the new conversation came out 1.4x faster in
                # wall time but only 1.1x in CPU time than the long one, which always
                # came right after the other stack's turns. And the stock bot's order
                # turns every second round: turning with ours, its long conversation's
                # turn (300 ms at the end) always came right before our long one's,
                # and its new one's right before our new one's.
                if (turn if name == "ours" else turn // 2) % 2:
                    sends.reverse()
            for sent in sends:
                send(*sent)
        if turn % 50 == 0:
            print(f"   turn {turn}: load {load_average()}", flush=True)
    return timings


def summary(timings: dict[str, list[float]], name: str) -> dict[str, float | list[float]]:
    """Medians of the first, the last and the new conversation's first LAST_TURNS; ratios."""
    latencies = timings[name]
    first = statistics.median(latencies[:LAST_TURNS])
    last = statistics.median(latencies[-LAST_TURNS:])
    fresh = statistics.median(timings[f"{name} fresh"])
    blocks = [
        statistics.median(latencies[start : start + BLOCK])
        for start in range(0, len(latencies), BLOCK)
    ]
    cpu, fresh_cpu = timings[f"{name} cpu"], timings[f"{name} fresh cpu"]
    # Means, not medians: the kernel counts CPU time in ticks of 10 ms, so one turn's
    # figure is coarse, and only a sum over turns is accurate.
    cpu_first = statistics.fmean(cpu[:LAST_TURNS])
    cpu_last = statistics.fmean(cpu[-LAST_TURNS:])
    return {
        "first": first,
        "last": last,
        "fresh": fresh,
        "ratio": last / first,
        "ratio_fresh": last / fresh,
        "blocks": blocks,
        "cpu_first": cpu_first,
        "cpu_last": cpu_last,
        "cpu_fresh": statistics.fmean(fresh_cpu),
        "cpu_ratio": cpu_last / cpu_first,
    }


def render_section(figures: dict[str, dict], loads: tuple[str, str], turns: int) -> str:
    """Return the markdown of the conversation benchmark's section."""
    blocks = [f"{n * BLOCK + 1}-{min(turns, (n + 1) * BLOCK)}" for n in range(-(-turns // BLOCK))]
    rows, cpu_rows = [], []
    for name, label in (("ours", "ours (`POST /v1/chat`)"), ("stock", "stock (REST channel)")):
        f = figures[name]
        rows.append(
            f"| {label} | {f['first'] * 1000:.1f} ms | {f['last'] * 1000:.1f} ms "
            f"| **{f['ratio']:.2f}x** | {f['fresh'] * 1000:.1f} ms | **{f['ratio_fresh']:.2f}x** | "
            + " | ".join(f"{value * 1000:.1f}" for value in f["blocks"])
            + " |"
        )
        cpu_rows.append(
            f"| {label} | {f['cpu_first'] * 1000:.1f} ms | {f['cpu_last'] * 1000:.1f} ms "
            f"| **{f['cpu_ratio']:.2f}x** | {f['cpu_fresh'] * 1000:.1f} ms |"
        )
    return "\n".join(
        [
            START,
            "## One long conversation (`make bench`, scripts/bench_conversation.py)",
            "",
            f"Measured {dt.date.today().isoformat()} on {platform.machine()} with "
            f"{os.cpu_count()} CPUs: {turns} turns of one conversation to our stack (a "
            "signed-in partner through the app: greetings, knowledge questions and "
            "follow-ups, tier status, recommendations, thanks) and to a stock `rasa init` "
            "bot (its own intents, REST channel), one turn to each in turn, each timed "
            f"after a pause of {SETTLE_SECONDS * 1000:.0f} ms (a person's turns are seconds "
            "apart; back to back, whatever the stock bot's 300 ms turns left running slowed "
            "the turn after them). During the "
            f"last {LAST_TURNS} turns a new conversation with each gets its first "
            f"{LAST_TURNS} turns, interleaved (each first every other round): this shared "
            "machine's speed drifts between minutes, and the new conversation shows what a "
            "first turn costs in the same minute. "
            f"Load average (1 / 5 min) {loads[0]} before, {loads[1]} after. "
            "Target: turn 300 costs <= 1.1x turn 1.",
            "",
            f"| stack | median, turns 1-{LAST_TURNS} | median, turns "
            f"{turns - LAST_TURNS + 1}-{turns} | ratio | new conversation alongside, turns "
            f"1-{LAST_TURNS} | ratio to it | "
            + " | ".join(f"median (ms), turns {block}" for block in blocks)
            + " |",
            "| --- | --- | --- | --- | --- | --- | " + " | ".join("---" for _ in blocks) + " |",
            *rows,
            "",
            "The CPU time each turn cost the stack's processes (means; ours: the app, "
            "Rasa and the demo portal), which other load on the machine sways less:",
            "",
            f"| stack | CPU, turns 1-{LAST_TURNS} | CPU, turns {turns - LAST_TURNS + 1}-{turns} "
            f"| ratio | CPU, new conversation alongside |",
            "| --- | --- | --- | --- | --- |",
            *cpu_rows,
            END,
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the long conversation against both stacks; write docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="our trained model (.tar.gz)")
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var" / "bench-conversation")
    parser.add_argument("--app-port", type=int, default=28700)
    parser.add_argument("--rasa-port", type=int, default=28705)
    parser.add_argument("--portal-port", type=int, default=28701)
    parser.add_argument("--stock-port", type=int, default=28715)
    parser.add_argument("--turns", type=int, default=TURNS)
    parser.add_argument("--no-report", action="store_true", help="print, write no docs")
    args = parser.parse_args(argv)
    var_dir: Path = args.var_dir.resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    stock_dir = var_dir / "stockbot"
    model = stock_model(stock_dir)

    env = child_environment() | {"PA_VAR_DIR": str(var_dir), "PA_SEED_SAMPLE_DATA": "true"}
    # One partner sending turn after turn is over the chat limits (60 a minute): the
    # limits are checked as ever, only high enough not to refuse the benchmark.
    env |= {f"PA_RATE_LIMIT_{name}": "100000/minute" for name in RATE_LIMITS}
    launcher = [
        sys.executable, str(ROOT / "scripts" / "launch.py"), "--model", args.model,
        "--app-port", str(args.app_port), "--rasa-port", str(args.rasa_port),
        "--portal-port", str(args.portal_port),
    ]  # fmt: skip
    stock_cmd = rasa_command(str(model), args.stock_port, "endpoints.yml", with_fixes=False)
    stock_cmd = [part for part in stock_cmd if part not in ("--credentials", "credentials.yml")]
    # The stock bot runs as plain `rasa run` would: without our one-thread settings.
    stock_env = {k: v for k, v in env.items() if k not in THREAD_LIMITS or k in os.environ}

    print("==> starting our stack and the stock bot", flush=True)
    ours_log, stock_log = var_dir / "bench-conversation-ours.log", var_dir / "stock.log"
    ours_process = start(launcher, ROOT, env, ours_log)
    stock_process = start(stock_cmd, stock_dir, stock_env, stock_log)
    app_url = f"http://127.0.0.1:{args.app_port}"
    stock_url = f"http://127.0.0.1:{args.stock_port}"
    try:
        wait_for(f"{app_url}/health", ours_process, ours_log, 300)
        wait_for(f"http://127.0.0.1:{args.rasa_port}/", ours_process, ours_log, 300)
        wait_for(f"{stock_url}/", stock_process, stock_log, 300)
        with (
            httpx.Client(base_url=app_url, timeout=60) as ours_client,
            httpx.Client(base_url=stock_url, timeout=60) as stock_client,
        ):
            # One turn each before measuring: the first call of a process pays imports.
            OurConversation(ours_client).send("hello")
            StockConversation(stock_client).send("hello")
            load_before = load_average()
            print(f"==> {args.turns} turns each (load {load_before})", flush=True)
            processes = {
                "ours": psutil.Process(ours_process.pid).children(recursive=True),
                "stock": [psutil.Process(stock_process.pid)],
            }
            timings = converse(
                lambda: OurConversation(ours_client),
                lambda: StockConversation(stock_client),
                processes,
                args.turns,
            )
            load_after = load_average()
    finally:
        stop_stack(ours_process)
        stop(stock_process)
    (var_dir / "bench-conversation.json").write_text(json.dumps(timings))
    figures = {name: summary(timings, name) for name in ("ours", "stock")}
    section = render_section(figures, (load_before, load_after), args.turns)
    print(section)
    if not args.no_report:
        write_section(section, START, END)
        print("==> wrote docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
