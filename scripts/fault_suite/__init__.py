"""The fault suite behind ``make faults`` and tests/e2e/test_faults.py, by concern.

scripts/faults.py is the command line and describes what the suite does. Here:

- ``plan``: how many users chat for how long, when each fault strikes, what is recorded;
- ``services``: PostgreSQL, Redis and RabbitMQ, struck and started again;
- ``cluster``: the app and two Rasa servers on the production endpoints;
- ``users``: the simulated users and how one turn is judged;
- ``strikes``: the faults, each at its time;
- ``checks``: each conversation's history and the RabbitMQ queue afterwards;
- ``suite``: one run, from a fresh cluster to the figures;
- ``report``: the figures for the terminal and for docs/benchmarks.md.
"""
