"""The simulated users, and how one turn of theirs is judged."""

from __future__ import annotations

import asyncio
import random
import re
import time
from contextlib import suppress

import httpx

from partners.messages import TROUBLE
from scripts.fault_suite.plan import Conversation, Outcome, Plan, Turn

REPHRASE = re.compile(r"rephrase", re.IGNORECASE)

# What a user says, one conversation after another. Signed-in partners ask about
# their own company too; visitors only about the program.
PARTNER_SCRIPT = (
    "hello",
    "what's my tier?",
    "what does the security competency require?",
    "how long is it?",
    "recommend courses",
    "what do we miss for gold?",
    "thanks",
)
VISITOR_SCRIPT = (
    "hi",
    "what is a competency?",
    "what does the security competency require?",
    "how long is it?",
    "what do gold partners get in germany?",
    "thanks",
)


def classify(response: httpx.Response) -> tuple[Outcome, str, list[str | None]]:
    """Judge one reply of ``POST /v1/chat``: answered, told to retry, or lost (and why)."""
    if response.status_code == 503:
        told = TROUBLE in response.text and response.headers.get("retry-after")
        return ("retry", "503", []) if told else ("lost", f"503 without {TROUBLE!r}", [])
    if response.status_code != 200:
        return "lost", f"HTTP {response.status_code}: {response.text[:120]}", []
    messages = response.json().get("messages") or []
    texts: list[str | None] = [message.get("text") for message in messages]
    if any(text and TROUBLE in text for text in texts):
        return "retry", "trouble text", texts
    if not any(
        text or message.get("custom") or message.get("buttons")
        for text, message in zip(texts, messages, strict=True)
    ):
        return "lost", "empty answer", texts
    if any(text and REPHRASE.search(text) for text in texts):
        return "lost", "asked to rephrase", texts
    return "answered", "", texts


class User:
    """A simulated user: signs in (or not), then chats conversation after conversation."""

    def __init__(self, number: int, plan: Plan, client: httpx.AsyncClient, started: float) -> None:
        """User ``number`` (even numbers sign in as P-00NN, odd ones stay anonymous)."""
        self.run_started = started
        self.stop_at = started + plan.seconds
        self.partner = f"P-{number + 1:04d}" if number % 2 == 0 else None
        self.script = PARTNER_SCRIPT if self.partner else VISITOR_SCRIPT
        self.plan = plan
        self.client = client
        self.random = random.Random(number)
        self.conversations: list[Conversation] = []
        self.setup_failures: list[str] = []

    async def run(self) -> None:
        """Chat until the plan's time is up."""
        token = await self._sign_in() if self.partner else None
        while time.monotonic() < self.stop_at:
            conversation = await self._new_conversation(token)
            if conversation is None:
                continue
            self.conversations.append(conversation)
            for text in self.script:
                if time.monotonic() >= self.stop_at:
                    return
                conversation.turns.append(await self._turn(conversation, text))
                await self._think()

    async def _think(self) -> None:
        await asyncio.sleep(self.random.uniform(*self.plan.think_s))

    def _headers(self, token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def _sign_in(self) -> str | None:
        for _ in range(10):
            with suppress(httpx.HTTPError):
                response = await self.client.post(
                    "/v1/auth/token", data={"username": self.partner, "password": "demo"}
                )
                if response.status_code == 200:
                    token: str = response.json()["access_token"]
                    return token
                self.setup_failures.append(f"sign-in {response.status_code}")
            await self._think()
        raise RuntimeError(f"{self.partner} could not sign in: {self.setup_failures[-3:]}")

    async def _new_conversation(self, token: str | None) -> Conversation | None:
        try:
            response = await self.client.post("/v1/chat/session", headers=self._headers(token))
        except httpx.HTTPError as error:
            self.setup_failures.append(f"session {type(error).__name__}")
            await self._think()
            return None
        if response.status_code != 201:
            self.setup_failures.append(f"session {response.status_code}")
            await self._think()
            return None
        return Conversation(response.json()["session"], token)

    async def _turn(self, conversation: Conversation, text: str) -> Turn:
        started = time.monotonic()
        outcome, why, texts = await self._send(conversation, text)
        seconds, at = time.monotonic() - started, started - self.run_started
        return Turn(conversation.sender_id, text, outcome, seconds, at, why, texts)

    async def _send(
        self, conversation: Conversation, text: str
    ) -> tuple[Outcome, str, list[str | None]]:
        try:
            response = await self.client.post(
                "/v1/chat",
                json={"session": conversation.handle, "message": text},
                headers=self._headers(conversation.token),
                timeout=self.plan.turn_deadline_s,
            )
        except httpx.TimeoutException:
            return "lost", "no answer before the deadline", []
        except httpx.HTTPError as error:
            return "lost", repr(error), []
        return classify(response)
