"""The fault suite: simulated users chat through the app while its services fail.

The production profile runs on loopback: one app (port 18100) and two Rasa servers
(15105, 15106) on deploy/endpoints.production.yml, with conversations in a private
PostgreSQL database, conversation locks and rate limits in Redis (database 3), events
to a RabbitMQ queue of the suite's own, the partner store in a second private
PostgreSQL database. Simulated users, signed in (sample partners P-0001 ...) and
anonymous, chat through the app's public API (``POST /v1/chat/session``, then
``POST /v1/chat``), a few seconds between messages, while the suite

- terminates every PostgreSQL connection of both databases (``pg_terminate_backend``),
- restarts Redis (it keeps nothing on disk; started as scripts/services.sh starts it),
- stops RabbitMQ (``rabbitmqctl stop_app``) and starts it again,
- kills one Rasa server (SIGKILL) and starts it again, while RabbitMQ is down.

Every turn must get its answer or the explicit retry message: ``503`` with
``Retry-After`` and the trouble text, or the trouble text among the bot's messages. A
turn is lost when it gets anything else: an empty answer, another error, no answer
before the deadline, or "please rephrase". Afterwards each conversation's history
(``GET /v1/chat/history``) must hold every answered turn, in order, and the RabbitMQ
queue every answered turn's user message.

``make faults`` runs the full suite (32 users, 120 s) and writes its figures into
docs/benchmarks.md; tests/e2e/test_faults.py runs the short one (8 users, 35 s) in
``make test``. Every service the suite stops is started again in a ``finally``.

This is the command line; the suite itself is the package scripts/fault_suite/, one
module per concern.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.fault_suite.plan import FULL, SHORT  # noqa: E402
from scripts.fault_suite.report import BENCHMARKS, summary, write_docs  # noqa: E402
from scripts.fault_suite.suite import run  # noqa: E402
from scripts.launch import ROOT  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Run the suite; exit 1 if a turn was lost or a history is broken."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="trained Rasa model (.tar.gz)")
    parser.add_argument("--short", action="store_true", help="the short version of make test")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args(argv)
    plan = SHORT if args.short else FULL
    folder = Path(tempfile.mkdtemp(prefix="pa-faults-"))
    print(f"==> fault suite ({plan.name}); logs in {folder}", flush=True)
    try:
        figures = run(plan, args.model, folder)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(summary(figures))
    if not args.no_docs and not args.short:
        write_docs(figures)
        print(f"==> figures written to {BENCHMARKS.relative_to(ROOT)}")
    return 0 if figures.ok else 1


if __name__ == "__main__":
    sys.exit(main())
