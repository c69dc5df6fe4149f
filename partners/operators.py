"""Operator accounts of the program office: named, with a role, signed in by e-mail.

``operator`` reads any partner and the handoff queue; ``program_manager`` may also
import data and run the sync (``bot/routers/admin.py``). Accounts are created with
``partner-assistant operators add`` (``bot/cli_operators.py``); in the sample mode
one sample account, ``ops@example.com`` with passcode ``demo``, is seeded once.
Passcodes are stored as scrypt hashes (``partners.auth.hash_passcode``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Literal, cast

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from partners.auth import hash_passcode
from partners.models import OPERATOR_ROLES, Operator

logger = logging.getLogger(__name__)

OperatorRole = Literal["operator", "program_manager"]
SAMPLE_OPERATOR_EMAIL = "ops@example.com"
SAMPLE_OPERATOR_NAME = "Sample Operator (sample data)"
SAMPLE_OPERATOR_PASSCODE = "demo"
# Passcodes an operator may choose: long enough that guessing needs more than the
# sign-in rate limits allow (the sample account's "demo" is seeded, never chosen).
MIN_PASSCODE_LENGTH = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class OperatorError(ValueError):
    """An account that cannot be created as asked; the message says why."""


def normalise_email(email: str) -> str:
    """Return ``email`` as accounts store it: trimmed, lower case."""
    return email.strip().lower()


def looks_like_email(username: str) -> bool:
    """Whether a sign-in name is an e-mail address (an operator) rather than a partner id."""
    return "@" in username


def find_operator(session: Session, email: str) -> Operator | None:
    """Return the account with this e-mail address (any case), or None."""
    return session.scalar(select(Operator).where(Operator.email == normalise_email(email)))


def active_role(session: Session, email: str) -> OperatorRole | None:
    """Return the account's current role, or None for an unknown or disabled account."""
    row = session.execute(
        select(Operator.role, Operator.disabled).where(Operator.email == normalise_email(email))
    ).first()
    if row is None or row.disabled:
        return None
    return cast(OperatorRole, row.role)


def add_operator(
    session: Session,
    email: str,
    name: str,
    role: str,
    passcode: str,
    *,
    min_passcode_length: int = MIN_PASSCODE_LENGTH,
) -> Operator:
    """Create an operator account (the caller commits).

    Raises:
        OperatorError: A malformed e-mail, an empty name, an unknown role, a short
            passcode, or an address that already has an account.

    """
    email = normalise_email(email)
    name = name.strip()
    if not _EMAIL.match(email) or len(email) > 254:
        raise OperatorError(f"{email!r} is not an e-mail address")
    if not name or len(name) > 200:
        raise OperatorError("the name must be 1 to 200 characters")
    if role not in OPERATOR_ROLES:
        raise OperatorError(f"the role must be one of {', '.join(OPERATOR_ROLES)}, not {role!r}")
    if len(passcode) < min_passcode_length:
        raise OperatorError(f"the passcode must have at least {min_passcode_length} characters")
    if find_operator(session, email) is not None:
        raise OperatorError(f"{email} already has an operator account")
    operator = Operator(
        email=email,
        name=name,
        role=role,
        passcode_hash=hash_passcode(passcode),
        created_at=dt.datetime.now(dt.timezone.utc),
        disabled=False,
    )
    session.add(operator)
    session.flush()
    return operator


def seed_sample_operator(engine: Engine) -> bool:
    """Create the sample program manager once, in a store that has no operator yet.

    Several processes starting on one store at the same moment may race here; the
    unique e-mail lets one win. Returns whether this call created the account.
    """
    with Session(engine) as session:
        if session.scalar(select(func.count()).select_from(Operator)):
            return False
        add_operator(
            session,
            SAMPLE_OPERATOR_EMAIL,
            SAMPLE_OPERATOR_NAME,
            "program_manager",
            SAMPLE_OPERATOR_PASSCODE,
            min_passcode_length=0,
        )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
    logger.info("sample operator %s seeded", SAMPLE_OPERATOR_EMAIL)
    return True
