"""Benchmark: partners' chat while a flood of bad sign-ins hits the app.

``make bench`` runs this. It starts the real stack (scripts/launch.py: Rasa and the
app, with their own partner store under var/bench-signin) and drives it with asyncio
and httpx, in three phases of equal length:

1. baseline: signed-in partners chat through the app (``POST /v1/chat``), each
   sending a message every 1.5 s (faster than anyone types), nothing else;
2. the same chat while one address sends 50 bad sign-ins a second (the rate limits
   answer nearly all of them, 429);
3. the same chat while 50 bad sign-ins a second come from 250 addresses (127.0.1.x,
   loopback) with made-up partner ids: no rate limit stops them, so every one costs a
   passcode check, and the bounded checker (1 thread, 16 waiting) answers the rest 503.

The flood runs in a process of its own, as an attacker's would: sharing the chat
client's event loop, its 50 new connections a second delayed the measured chat answers
themselves (chat p50 +250 ms even for floods the app refused in microseconds).

It reports chat p50/p99 per phase and what the flood got (statuses, its own p99) into
docs/benchmarks.md between the signin-flood markers. It measures; it judges nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_docs import BENCHMARKS, write_section  # noqa: E402
from scripts.bench_stack import percentile  # noqa: E402

START, END = "<!-- signin-flood:start -->", "<!-- signin-flood:end -->"
APP_PORT, RASA_PORT = 8200, 5205
FLOOD_RATE = 50.0  # bad sign-ins per second
FLOOD_ADDRESSES = [f"127.0.1.{n}" for n in range(1, 251)]
SINGLE_ADDRESS = "127.0.0.2"
PARTNERS = [f"P-{n:04d}" for n in range(1, 7)]
MESSAGE_PERIOD = 1.5  # seconds between one partner's messages
MESSAGES = [
    "what does the security competency require?",
    "what's my tier?",
    "what do Gold partners get in Germany?",
    "what do we miss for Gold?",
]
MAX_FLOOD_IN_FLIGHT = 500


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    chat: list[float] = field(default_factory=list)
    chat_failures: Counter[str] = field(default_factory=Counter)
    flood: list[float] = field(default_factory=list)
    flood_statuses: Counter[str] = field(default_factory=Counter)


def start_stack(model: str, log: Path) -> subprocess.Popen[bytes]:
    """Start scripts/launch.py on the benchmark's ports; return once it is running."""
    env = dict(os.environ)
    env["PA_VAR_DIR"] = str(ROOT / "var" / "bench-signin")  # its own partner store
    env["PA_SEED_SAMPLE_DATA"] = "true"
    command = [
        sys.executable, str(ROOT / "scripts" / "launch.py"), "--model", model,
        "--app-port", str(APP_PORT), "--rasa-port", str(RASA_PORT),
    ]  # fmt: skip
    out = log.open("wb")
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 300
    while "is running" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_stack(process)
            raise RuntimeError(f"the stack did not start:\n{log.read_text()[-3000:]}")
        time.sleep(1)
    return process


def stop_stack(process: subprocess.Popen[bytes]) -> None:
    """Stop the launcher, which stops Rasa and the app."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


async def signed_in_chat(client: httpx.AsyncClient, partner: str) -> tuple[dict, str]:
    """Sign ``partner`` in and open a chat session; return the headers and the session."""
    token = await client.post(
        "/v1/auth/token", data={"username": partner, "password": "demo"}, timeout=30
    )
    token.raise_for_status()
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    session = await client.post("/v1/chat/session", headers=headers, timeout=30)
    session.raise_for_status()
    return headers, session.json()["session"]


async def chat_loop(
    client: httpx.AsyncClient,
    headers: dict,
    session: str,
    offset: float,
    until: float,
    phase: Phase,
) -> None:
    """Send a message every MESSAGE_PERIOD s until ``until``; record each answer's time."""
    await asyncio.sleep(offset)
    texts = itertools.cycle(MESSAGES)
    next_at = time.monotonic()
    while next_at < until:
        started = time.perf_counter()
        try:
            response = await client.post(
                "/v1/chat", json={"session": session, "message": next(texts)}, headers=headers
            )
            if response.status_code == 200:
                phase.chat.append(time.perf_counter() - started)
            else:
                phase.chat_failures[str(response.status_code)] += 1
        except httpx.HTTPError as exc:
            phase.chat_failures[type(exc).__name__] += 1
        next_at += MESSAGE_PERIOD
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def flood(addresses: list[str], until: float, phase: Phase) -> None:
    """Send FLOOD_RATE bad sign-ins a second, open loop, spread over ``addresses``."""
    clients = {
        address: httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{APP_PORT}",
            # Each address sends every 5 s, uvicorn's keep-alive: no reuse races.
            transport=httpx.AsyncHTTPTransport(local_address=address),
            limits=httpx.Limits(keepalive_expiry=1),
            timeout=30,
        )
        for address in addresses
    }
    in_flight: set[asyncio.Task[None]] = set()

    async def attempt(client: httpx.AsyncClient) -> None:
        form = {"username": f"P-{uuid.uuid4().hex[:6]}", "password": "guess"}
        started = time.perf_counter()
        try:
            response = await client.post("/v1/auth/token", data=form)
            phase.flood_statuses[str(response.status_code)] += 1
        except httpx.HTTPError as exc:
            phase.flood_statuses[type(exc).__name__] += 1
        phase.flood.append(time.perf_counter() - started)

    next_at = time.monotonic()
    for address in itertools.cycle(addresses):
        if next_at >= until:
            break
        if len(in_flight) < MAX_FLOOD_IN_FLIGHT:
            task = asyncio.create_task(attempt(clients[address]))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        else:
            phase.flood_statuses["not sent (500 in flight)"] += 1
        next_at += 1 / FLOOD_RATE
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    await asyncio.gather(*in_flight)
    await asyncio.gather(*(client.aclose() for client in clients.values()))


async def flood_in_its_own_process(spread: bool, seconds: float, phase: Phase) -> None:
    """Run ``flood`` in a child process (``--flood``) and add what it got to ``phase``."""
    command = [__file__, "--flood", "spread" if spread else "single", "--seconds", str(seconds)]
    child = await asyncio.create_subprocess_exec(
        sys.executable, *command, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"the flood process failed ({child.returncode})")
    result = json.loads(out)
    phase.flood_statuses.update(result["statuses"])
    phase.flood.extend(result["latencies"])


def flood_main(spread: bool, seconds: float) -> None:
    """Flood (in the flood process), then print what it got as JSON."""
    phase = Phase("flood")
    addresses = FLOOD_ADDRESSES if spread else [SINGLE_ADDRESS]
    asyncio.run(flood(addresses, time.monotonic() + seconds, phase))
    print(json.dumps({"statuses": phase.flood_statuses, "latencies": phase.flood}))


async def run_phases(seconds: float) -> list[Phase]:
    """Run the three phases one after the other on the running stack."""
    phases = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{APP_PORT}", timeout=60) as client:
        chats = [await signed_in_chat(client, partner) for partner in PARTNERS]
        # Warm up: the first answers load what each kind of question needs.
        for text in MESSAGES:
            await client.post(
                "/v1/chat", json={"session": chats[0][1], "message": text}, headers=chats[0][0]
            )
        for name, spread in (
            ("no flood", None),
            (f"{FLOOD_RATE:.0f} bad sign-ins/s from one address", False),
            (f"{FLOOD_RATE:.0f} bad sign-ins/s from 250 addresses", True),
        ):
            print(f"==> phase: {name} ({seconds:.0f} s)", flush=True)
            phase = Phase(name)
            until = time.monotonic() + seconds
            loops = [
                chat_loop(client, headers, session, n * MESSAGE_PERIOD / len(chats), until, phase)
                for n, (headers, session) in enumerate(chats)
            ]
            if spread is not None:
                loops.append(flood_in_its_own_process(spread, seconds, phase))
            await asyncio.gather(*loops)
            phases.append(phase)
            print(render_rows([phase]), flush=True)
            await asyncio.sleep(5)  # the last answers of the phase settle
    return phases


def _ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:.0f} ms" if values else "-"


def render_rows(phases: list[Phase]) -> str:
    """Render the Markdown table rows, one per phase."""
    rows = []
    for phase in phases:
        statuses = ", ".join(f"{key}: {n}" for key, n in sorted(phase.flood_statuses.items()))
        failures = ", ".join(f"{key}: {n}" for key, n in sorted(phase.chat_failures.items()))
        rows.append(
            f"| {phase.name} | {len(phase.chat)} | {failures or 0} | {_ms(phase.chat, 50)} "
            f"| {_ms(phase.chat, 99)} | {statuses or '-'} | {_ms(phase.flood, 99)} |"
        )
    return "\n".join(rows)


def render_section(phases: list[Phase], seconds: float) -> str:
    """Render the docs/benchmarks.md section between the markers."""
    today = time.strftime("%Y-%m-%d")
    return f"""{START}
## Chat during a sign-in flood (`make bench`, scripts/bench_signin_flood.py)

Measured {today} on {platform.machine()} with {os.cpu_count()} CPUs: the stack of
`make run` (one Rasa server, one app, default settings), {len(PARTNERS)} signed-in
partners chatting through `POST /v1/chat`, each a message every {MESSAGE_PERIOD} s,
{seconds:.0f} s per phase. The flood, from a process of its own, is open loop
({FLOOD_RATE:.0f} requests/s whatever the answers) with made-up partner ids and a wrong
passcode; from 250 addresses no rate limit stops it, so every request asks for a
passcode check. Both load generators run on the same machine as the stack.

| phase | chat answers | chat failures | chat p50 | chat p99 | flood answers | flood p99 |
| --- | --- | --- | --- | --- | --- | --- |
{render_rows(phases)}
{END}"""


def write_report(phases: list[Phase], seconds: float) -> None:
    """Replace the signin-flood section of docs/benchmarks.md (or append it)."""
    write_section(render_section(phases, seconds), START, END)


def main(argv: list[str] | None = None) -> int:
    """Start the stack, run the phases, write the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", help="trained Rasa model (.tar.gz)")
    parser.add_argument("--seconds", type=float, default=60, help="length of each phase")
    parser.add_argument("--flood", choices=["single", "spread"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.flood:  # the flood's own process (flood_in_its_own_process)
        flood_main(args.flood == "spread", args.seconds)
        return 0
    if not args.model:
        parser.error("--model is required")
    log = ROOT / "var" / "bench-signin.log"
    log.parent.mkdir(exist_ok=True)
    print(f"==> starting the stack on {APP_PORT}/{RASA_PORT} (log: {log})", flush=True)
    process = start_stack(args.model, log)
    try:
        phases = asyncio.run(run_phases(args.seconds))
    finally:
        stop_stack(process)
    write_report(phases, args.seconds)
    print(f"==> figures written to {BENCHMARKS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
