"""The figures of a run: lines for the terminal, and the section of docs/benchmarks.md."""

from __future__ import annotations

import datetime as dt

# BENCHMARKS is re-exported: scripts/faults.py says where the figures went.
from scripts.bench_docs import BENCHMARKS as BENCHMARKS
from scripts.bench_docs import write_section
from scripts.fault_suite.plan import Figures

START, END = "<!-- faults:start -->", "<!-- faults:end -->"


def summary(figures: Figures) -> str:
    """Return the figures as lines for the terminal."""
    lines = [
        f"fault suite ({figures.plan}): {figures.users} users, {figures.seconds:.0f} s, "
        f"{figures.conversations} conversations",
        f"turns sent {figures.sent}, answered {figures.answered}, told to retry "
        f"{figures.retry}, lost {figures.lost}",
        f"answered p50 {figures.answered_p50_ms:.0f} ms, p99 {figures.answered_p99_ms:.0f} ms; "
        f"told to retry p50 {figures.retry_p50_ms:.0f} ms",
        f"told to retry, by the second sent: {retry_bursts(figures.retry_at)}",
        f"histories broken {figures.history_broken}; answered turns missing from RabbitMQ "
        f"{figures.broker_missing}",
        "faults:",
        *(f"  {line}" for line in figures.fault_log),
    ]
    if figures.rasa_ready_after_kill_s is not None:
        while_down = (
            " (while RabbitMQ was still down)" if figures.rasa_ready_while_rabbitmq_down else ""
        )
        lines.append(
            f"killed Rasa answered again after {figures.rasa_ready_after_kill_s:.0f} s{while_down}"
        )
    lines += [f"lost: {line}" for line in figures.lost_examples]
    lines += [f"history: {line}" for line in figures.history_examples]
    return "\n".join(lines)


def retry_bursts(times: list[float], gap: float = 2.0) -> str:
    """Describe when turns were told to retry: "35.2-37.9 s: 46, 19.9 s: 1"."""
    bursts: list[list[float]] = []
    for moment in sorted(times):
        if bursts and moment - bursts[-1][-1] <= gap:
            bursts[-1].append(moment)
        else:
            bursts.append([moment])
    return ", ".join(
        f"{b[0]:.1f}{f'-{b[-1]:.1f}' if len(b) > 1 else ''} s: {len(b)}" for b in bursts
    )


def render_section(figures: Figures) -> str:
    """Return the markdown of the fault-suite section of docs/benchmarks.md."""
    lines = [
        START,
        "## Faults (`make faults`)",
        "",
        f"Measured {dt.date.today().isoformat()} by `scripts/faults.py` on the production "
        f"profile (two Rasa servers, PostgreSQL, Redis, RabbitMQ; 2 shared CPUs): "
        f"{figures.users} simulated users, half signed in, half anonymous, chat through "
        f"the app for {figures.seconds:.0f} s, 1-3 s between messages, while the suite "
        "strikes (times from the start):",
        "",
        *(f"- {line.strip()}" for line in figures.fault_log),
        "",
        "| turns sent | answered | told to retry | lost | answered p50 | answered p99 "
        "| retry p50 | histories broken | answered turns missing from RabbitMQ |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        f"| {figures.sent} | {figures.answered} | {figures.retry} | **{figures.lost}** "
        f"| {figures.answered_p50_ms:.0f} ms | {figures.answered_p99_ms:.0f} ms "
        f"| {figures.retry_p50_ms:.0f} ms | {figures.history_broken} | {figures.broker_missing} |",
        "",
        f"Turns told to retry, by the second they were sent: {retry_bursts(figures.retry_at)}"
        " (compare with the faults' times above). The killed Rasa server answered again "
        f"{figures.rasa_ready_after_kill_s or 0:.0f} s after the kill"
        + (", while RabbitMQ was still down." if figures.rasa_ready_while_rabbitmq_down else ".")
        + ' "Histories broken": conversations whose history (`GET /v1/chat/history`)'
        " misses an answered turn, has them out of order or with another answer.",
        "",
        "Told to retry: `503` with `Retry-After` and \"I'm having trouble right now, please "
        "try again in a minute.\", or that sentence as the bot's message. Lost: anything "
        'else (an empty answer, another error, no answer within 75 s, "please rephrase").',
        END,
    ]
    return "\n".join(lines) + "\n"


def write_docs(figures: Figures) -> None:
    """Replace (or append) the fault-suite section of docs/benchmarks.md."""
    write_section(render_section(figures), START, END)
