"""Rasa's events into the analytics tables, each event counted once.

``Ingestor.ingest`` takes a batch of events as Rasa's event broker publishes them (in
the order of each conversation) and updates the tables in the caller's transaction:

- a user message starts a turn (conversation, message id, time, text, intent,
  confidence, channel) and, for a conversation's first turn, the conversation, with
  the partner bound to it and that partner's tier at that moment;
- the assistant's messages and actions that follow belong to that turn: its texts,
  its latency (last message minus the user message) and its outcome
  (``partners.analytics.outcomes``), until Rasa listens again (``action_listen``);
- a closed turn that went unanswered joins a cluster of questions of the same meaning.

Every event counted leaves its key (conversation, kind, time, name or id) in
``analytics_event_keys`` in the same transaction: an event delivered again, by
RabbitMQ after a consumer failed before its acknowledgement, or read again from the
SQLite table, is recognised and skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, tuple_
from sqlalchemy.orm import Session

from partners import conversations
from partners.analytics import outcomes
from partners.analytics.clusters import Clusterer
from partners.analytics.models import AnalyticsConversation, AnalyticsEventKey, AnalyticsTurn
from partners.clock import aware

logger = logging.getLogger(__name__)

Event = Mapping[str, Any]
TierFunction = Callable[[Session, str], str | None]
COUNTED = frozenset({"user", "bot", "action"})
TIER_CACHE_SECONDS = 300.0
TEXT_LIMIT = 4000


def event_key(event: Event) -> str:
    """Return the identity of an event: the same for every delivery of it."""
    kind = event.get("event")
    detail = event.get("message_id") or event.get("name") or event.get("text") or ""
    raw = f"{event.get('sender_id')}\x1f{kind}\x1f{event.get('timestamp')!r}\x1f{detail}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def moment(timestamp: Any) -> dt.datetime:
    """Return a Rasa event timestamp (seconds since the epoch) as an aware UTC time."""
    return dt.datetime.fromtimestamp(float(timestamp), dt.timezone.utc)


def partner_of(session: Session, sender_id: str, channel: str, user_event: Event) -> str | None:
    """Return the partner a conversation belongs to, if any (web binding or Slack link)."""
    from partners.conversations import binding_of
    from partners.linking import linked_partner_id

    if channel == "slack":
        metadata = user_event.get("metadata") or {}
        user = metadata.get("slack_user_id") if isinstance(metadata, Mapping) else None
        return linked_partner_id(session, "slack", user) if isinstance(user, str) else None
    binding = binding_of(session, sender_id)
    return binding.partner_id if binding else None


def status_tier(session: Session, partner_id: str) -> str | None:
    """Return the partner's tier as the tier engine computes it today."""
    from partners.catalogue import program_catalogue
    from partners.models import Partner
    from partners.status import partner_status

    try:
        status = partner_status(session, program_catalogue(), partner_id, dt.date.today())
    except Exception:  # a catalogue or record problem: fall back to the recorded tier
        logger.warning("analytics: no tier computed for %s", partner_id, exc_info=True)
        status = None
    if status is not None:
        return status.tier
    partner = session.get(Partner, partner_id)
    return partner.tier if partner else None


@dataclass
class IngestResult:
    """What one batch did."""

    events: int = 0
    duplicates: int = 0
    turns: int = 0


class Ingestor:
    """Applies batches of events to the analytics tables (one per consumer process)."""

    def __init__(self, clusterer: Clusterer | None, tier_of: TierFunction = status_tier) -> None:
        """Cluster unanswered questions with ``clusterer`` (None: never); tiers by ``tier_of``."""
        self.clusterer = clusterer
        self.tier_of = tier_of
        self._tiers: dict[str, tuple[float, str | None]] = {}

    def _tier(self, session: Session, partner_id: str | None) -> str | None:
        if partner_id is None:
            return None
        cached = self._tiers.get(partner_id)
        if cached and time.monotonic() - cached[0] < TIER_CACHE_SECONDS:
            return cached[1]
        tier = self.tier_of(session, partner_id)
        self._tiers[partner_id] = (time.monotonic(), tier)
        return tier

    def ingest(self, session: Session, events: Iterable[Event]) -> IngestResult:
        """Apply ``events`` in the caller's transaction (flushes; the caller commits)."""
        result = IngestResult()
        fresh = _new_events(session, events, result)
        if not fresh:
            return result
        senders = {str(event["sender_id"]) for event in fresh}
        batch = _Batch.load(session, senders, fresh)
        for event in fresh:
            self._apply(session, batch, event, result)
        session.flush()
        self._cluster(session, batch.touched.values())
        session.flush()
        return result

    def _apply(self, session: Session, batch: _Batch, event: Event, result: IngestResult) -> None:
        sender = str(event["sender_id"])
        kind = event["event"]
        if kind == "user":
            self._start_turn(session, batch, event, result)
            return
        turn = batch.current.get(sender)
        if turn is None or turn.closed:
            return  # before any user message, or after the turn ended (not the assistant's)
        trace = json.loads(turn.trace or "{}")
        if kind == "action":
            name = str(event.get("name") or "")
            if name == "action_listen":
                turn.closed = True
            elif name and name not in outcomes.QUIET_ACTIONS:
                trace.setdefault("actions", []).append(name)
        else:  # bot
            text = event.get("text")
            if text:
                texts = json.loads(turn.bot_texts or "[]")
                texts.append(str(text)[:TEXT_LIMIT])
                turn.bot_texts = json.dumps(texts)
            mark = outcomes.mark_of(event)
            if mark:
                trace.setdefault("marks", []).append(mark)
            elapsed = moment(event["timestamp"]) - aware(turn.at)
            turn.latency_ms = max(0, round(elapsed.total_seconds() * 1000))
        turn.trace = json.dumps(trace)
        turn.outcome = outcomes.resolve(
            turn.intent, trace.get("actions", ()), trace.get("marks", ())
        )
        batch.touched[turn.sender_id, turn.message_id] = turn

    def _start_turn(
        self, session: Session, batch: _Batch, event: Event, result: IngestResult
    ) -> None:
        sender = str(event["sender_id"])
        message_id = str(event.get("message_id") or event_key(event))[:100]
        existing = batch.turns.get((sender, message_id))
        if existing is not None:  # the same message under another key: count it once
            batch.current[sender] = existing
            return
        at = moment(event["timestamp"])
        channel = conversations.channel_of(sender, event.get("input_channel"))
        conversation = batch.conversations.get(sender)
        if conversation is None:
            partner_id = partner_of(session, sender, channel, event)
            conversation = AnalyticsConversation(
                sender_id=sender,
                channel=channel,
                partner_id=partner_id,
                tier=self._tier(session, partner_id),
                started_at=at,
                started_day=at.date(),
                last_at=at,
                turns=0,
            )
            session.add(conversation)
            batch.conversations[sender] = conversation
        conversation.turns = (conversation.turns or 0) + 1
        conversation.last_at = max(aware(conversation.last_at), at)
        intent, confidence = outcomes.intent_of(event)
        text = event.get("text")
        turn = AnalyticsTurn(
            sender_id=sender,
            message_id=message_id,
            at=at,
            day=at.date(),
            channel=conversation.channel,
            tier=conversation.tier,
            user_text=str(text)[:TEXT_LIMIT] if text is not None else None,
            intent=intent,
            confidence=confidence,
            outcome=outcomes.resolve(intent, (), ()),
            bot_texts="[]",
            trace="{}",
            closed=False,
        )
        session.add(turn)
        batch.turns[sender, message_id] = turn
        batch.current[sender] = turn
        batch.touched[sender, message_id] = turn
        result.turns += 1

    def _cluster(self, session: Session, turns: Iterable[AnalyticsTurn]) -> None:
        waiting: list[AnalyticsTurn] = []
        for turn in turns:
            if not outcomes.is_unanswered(turn.outcome):
                turn.cluster_id = None
            elif (
                turn.closed
                and turn.cluster_id is None
                and outcomes.is_question_text(turn.user_text)
            ):
                waiting.append(turn)
        if not waiting or self.clusterer is None:
            return
        texts = [str(turn.user_text) for turn in waiting]
        now = dt.datetime.now(dt.timezone.utc)
        for turn, cluster_id in zip(
            waiting, self.clusterer.assign(session, texts, now), strict=True
        ):
            turn.cluster_id = cluster_id


def _new_events(session: Session, events: Iterable[Event], result: IngestResult) -> list[Event]:
    """Return the events not counted before, recording their keys."""
    candidates: dict[str, Event] = {}
    for event in events:
        result.events += 1
        if event.get("event") not in COUNTED or not event.get("sender_id"):
            continue
        if event.get("timestamp") is None:
            continue
        key = event_key(event)
        if key in candidates:
            result.duplicates += 1
            continue
        candidates[key] = event
    if not candidates:
        return []
    seen: set[str] = set()
    keys = list(candidates)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        seen.update(
            session.scalars(select(AnalyticsEventKey.key).where(AnalyticsEventKey.key.in_(chunk)))
        )
    result.duplicates += len(seen)
    now = dt.datetime.now(dt.timezone.utc)
    fresh = {key: event for key, event in candidates.items() if key not in seen}
    if fresh:
        session.execute(insert(AnalyticsEventKey), [{"key": key, "seen_at": now} for key in fresh])
    return list(fresh.values())


@dataclass
class _Batch:
    """The rows one batch works on, loaded once."""

    conversations: dict[str, AnalyticsConversation]
    turns: dict[tuple[str, str], AnalyticsTurn]
    current: dict[str, AnalyticsTurn]
    touched: dict[tuple[str, str], AnalyticsTurn]

    @classmethod
    def load(cls, session: Session, senders: set[str], events: Sequence[Event]) -> _Batch:
        """Load the batch's conversations, their latest turns and its messages' turns."""
        names = sorted(senders)
        conversations: dict[str, AnalyticsConversation] = {}
        latest_ids: list[int] = []
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            for row in session.scalars(
                select(AnalyticsConversation).where(AnalyticsConversation.sender_id.in_(chunk))
            ):
                conversations[row.sender_id] = row
            latest_ids.extend(
                session.scalars(
                    select(func.max(AnalyticsTurn.id))
                    .where(AnalyticsTurn.sender_id.in_(chunk))
                    .group_by(AnalyticsTurn.sender_id)
                )
            )
        pairs = [
            (str(e["sender_id"]), str(e.get("message_id"))[:100])
            for e in events
            if e["event"] == "user" and e.get("message_id")
        ]
        turns: dict[tuple[str, str], AnalyticsTurn] = {}
        for start in range(0, len(pairs), 300):
            chunk_pairs = pairs[start : start + 300]
            for turn in session.scalars(
                select(AnalyticsTurn).where(
                    tuple_(AnalyticsTurn.sender_id, AnalyticsTurn.message_id).in_(chunk_pairs)
                )
            ):
                turns[turn.sender_id, turn.message_id] = turn
        current: dict[str, AnalyticsTurn] = {}
        for start in range(0, len(latest_ids), 500):
            for turn in session.scalars(
                select(AnalyticsTurn).where(AnalyticsTurn.id.in_(latest_ids[start : start + 500]))
            ):
                current[turn.sender_id] = turn
                turns[turn.sender_id, turn.message_id] = turn
        return cls(conversations, turns, current, {})
