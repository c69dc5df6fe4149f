"""``partner-assistant operators ...``: operator accounts of the program office.

``operators add EMAIL --name N --role R`` creates an account. The passcode comes from
the environment variable ``PA_NEW_OPERATOR_PASSCODE`` or, without it, an interactive
prompt (typed twice, not echoed); never from the command line, where ``ps`` and the
shell history would keep it. ``operators list`` shows the accounts, ``operators
disable EMAIL`` / ``enable EMAIL`` stop or restore one (its tokens stop working at
once). The store is the one of ``PA_DATABASE_URL``, migrated first.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from partners.models import OPERATOR_ROLES, Operator
from partners.operators import MIN_PASSCODE_LENGTH, OperatorError, add_operator, find_operator
from settings import get_settings

PASSCODE_VARIABLE = "PA_NEW_OPERATOR_PASSCODE"


class PasscodeUnavailableError(RuntimeError):
    """Neither the environment nor a terminal gave a passcode."""


def register(subparsers: Any) -> None:
    """Add the ``operators`` command to the console script's subcommands."""
    operators = subparsers.add_parser(
        "operators", help="operator accounts of the program office (add, list, disable)"
    )
    commands = operators.add_subparsers(dest="operators_command", required=True)
    add = commands.add_parser(
        "add",
        help="create an operator account",
        description=f"The passcode is read from ${PASSCODE_VARIABLE} or asked for "
        f"(at least {MIN_PASSCODE_LENGTH} characters).",
    )
    add.add_argument("email", help="the operator's e-mail address, used to sign in")
    add.add_argument("--name", required=True, help="the operator's name")
    add.add_argument("--role", required=True, choices=OPERATOR_ROLES)
    add.set_defaults(handler=add_operator_command)
    listing = commands.add_parser("list", help="list the operator accounts")
    listing.set_defaults(handler=list_operators_command)
    for verb in ("disable", "enable"):
        toggle = commands.add_parser(verb, help=f"{verb} an operator account")
        toggle.add_argument("email")
        toggle.set_defaults(handler=set_disabled_command, disabled=verb == "disable")


def _engine() -> Engine:
    from partners.db import engine_for
    from partners.migrate import upgrade

    engine = engine_for(get_settings().effective_database_url)
    upgrade(engine)
    return engine


def read_new_passcode() -> str:
    """Return the new account's passcode from the environment or a prompt.

    Raises:
        PasscodeUnavailableError: No variable and no terminal to ask on, or the two
            typed passcodes differ.

    """
    passcode = os.environ.get(PASSCODE_VARIABLE)
    if passcode:
        return passcode
    if not sys.stdin.isatty():
        raise PasscodeUnavailableError(
            f"set {PASSCODE_VARIABLE} or run the command in a terminal to type the passcode"
        )
    first = getpass.getpass("Passcode for the new account: ")
    if getpass.getpass("The same passcode again: ") != first:
        raise PasscodeUnavailableError("the two passcodes differ; nothing was created")
    return first


def add_operator_command(args: argparse.Namespace) -> int:
    """Create the account ``args`` describe; return the exit status (1 on a problem)."""
    try:
        passcode = read_new_passcode()
        with Session(_engine(), expire_on_commit=False) as session:
            operator = add_operator(session, args.email, args.name, args.role, passcode)
            session.commit()
    except (OperatorError, PasscodeUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"operator account {operator.email} ({operator.role}) created")
    return 0


def list_operators_command(args: argparse.Namespace) -> int:
    """Print every operator account, one a line."""
    with Session(_engine()) as session:
        for operator in session.scalars(select(Operator).order_by(Operator.email)):
            state = "disabled" if operator.disabled else "active"
            print(f"{operator.email}\t{operator.role}\t{state}\t{operator.name}")
    return 0


def set_disabled_command(args: argparse.Namespace) -> int:
    """Disable or enable the account ``args.email``; 1 when there is no such account."""
    with Session(_engine()) as session:
        operator = find_operator(session, args.email)
        if operator is None:
            print(f"error: no operator account {args.email}", file=sys.stderr)
            return 1
        operator.disabled = bool(args.disabled)
        session.commit()
        print(f"operator account {operator.email} {'disabled' if args.disabled else 'enabled'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the ``operators`` command on its own (``python -m bot.cli_operators add ...``)."""
    parser = argparse.ArgumentParser(prog="partner-assistant")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    status: int = args.handler(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
