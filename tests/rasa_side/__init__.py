"""The Rasa halves of the app's tests that need both environments.

Each module runs in the Rasa environment as ``python -m tests.rasa_side.NAME ARG...``
(``tests.rasa_env.run_rasa_module``, from a test in the app environment) and reports
its result as JSON (``tests.rasa_env.report``). They are ordinary modules: ruff lints
them, and ``make typecheck`` checks them with mypy in the Rasa environment, against
Rasa's code.
"""
