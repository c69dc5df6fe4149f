"""Knowledge actions: grounded answers, follow-ups and course lists.

Thin glue between Rasa and ``knowledge.answers``/``knowledge.followups``: read the
user's text, Rasa's entities (as hints) and the slots, get an ``Answer``, send its
text with suggestion buttons, and remember what it was about in ``last_doc_id``,
``last_doc_kind`` and ``competency``/``course``.

The message is embedded and tagged once per turn: Rasa's NLU keeps its MiniLM
embedding and the catalogue names it tagged in the parse data
(``rasa_addons/components/minilm_featurizer.py``, ``catalogue_entity_extractor.py``),
and the answer uses them when the text answered is the message itself (not a button
payload made a question).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import OffLoopAction
from knowledge.answers import Answer, AnswerContext, answer_question
from knowledge.entity_tagger import payload_values, tagged_message
from knowledge.followups import answer_followup, list_courses
from knowledge.minilm_onnx import EMBEDDING_PROPERTY
from partners import messages

ASK_SOMETHING = (
    'What would you like to know? For example: "what does the Security competency require?"'
)


def latest_entities(tracker: Tracker, label: str) -> str | None:
    """Return the first value Rasa's NLU extracted for an entity label, if any."""
    entities: list[dict[str, Any]] = tracker.latest_message.get("entities") or []
    values = [entity.get("value") for entity in entities if entity.get("entity") == label]
    return next((str(value) for value in values if value), None)


def question_text(tracker: Tracker) -> str:
    """Return the user's question; a button payload (``/intent{...}``) becomes a question."""
    text = str(tracker.latest_message.get("text") or "").strip()
    if not text.startswith("/"):
        return text
    competency = latest_entities(tracker, "competency")
    course = latest_entities(tracker, "course")
    if course:
        return f"Tell me about the course {course}"
    if competency:
        return f"What does the {competency} competency require?"
    return ""


def nlu_embedding(tracker: Tracker, text: str) -> Mapping[str, Any] | None:
    """Return the embedding Rasa's NLU packed for ``text``, if ``text`` is the message.

    None for any other text: a button payload turned into a question is embedded
    by the search itself.
    """
    message = tracker.latest_message
    packed = message.get(EMBEDDING_PROPERTY)
    if not text or text != message.get("text") or not isinstance(packed, Mapping):
        return None
    return packed


def context_of(tracker: Tracker, text: str = "") -> AnswerContext:
    """Collect what the conversation knows: the message's entities first, then the slots.

    Args:
        tracker: The conversation.
        text: The text to be answered; its NLU embedding comes along when it is the
            message's own text (``nlu_embedding``).

    """
    entities: list[dict[str, Any]] = tracker.latest_message.get("entities") or []
    hints = tuple(payload_values(entities, ("competency", "course")))
    return AnswerContext(
        last_doc_id=tracker.get_slot("last_doc_id"),
        competency=latest_entities(tracker, "competency") or tracker.get_slot("competency"),
        course=latest_entities(tracker, "course") or tracker.get_slot("course"),
        hints=hints,
        text_embedding=nlu_embedding(tracker, text),
        tagged=tagged_message(tracker.latest_message),
    )


def suggestion_payload(doc_id: str, title: str) -> str:
    """Return the message a suggestion button sends: a question about that document."""
    if doc_id.startswith("C-"):
        return f"What does the {title} competency require?"
    if doc_id.startswith("U-"):
        return f"Tell me about the course {doc_id} {title}"
    return f"Tell me about {title}"


def send(dispatcher: CollectingDispatcher, answer: Answer) -> list[EventType]:
    """Send an answer (buttons for suggestions) and return the slot events it implies."""
    buttons = [
        {"title": title, "payload": suggestion_payload(doc_id, title)}
        for doc_id, title in answer.suggestions
    ]
    # The outcome travels in the BotUttered event's metadata to analytics.
    outcome = "answered_citation" if answer.known else "dont_know"
    dispatcher.utter_message(text=answer.text, buttons=buttons or None, outcome=outcome)
    if answer.doc is None:
        return []
    events: list[EventType] = [
        SlotSet("last_doc_id", answer.doc.id),
        SlotSet("last_doc_kind", answer.doc.kind),
    ]
    if answer.doc.kind in ("competency", "course"):
        events.append(SlotSet(answer.doc.kind, answer.doc.id))
    return events


class KnowledgeAction(OffLoopAction[Answer | None]):
    """Answer from the knowledge base; apologise when the index or catalogue fails.

    Search and entity matching take milliseconds but are CPU work, so they run off
    the event loop (``OffLoopAction``). No answer (None): nothing was asked.
    """

    apology = messages.KNOWLEDGE_UNAVAILABLE

    @abstractmethod
    def answer(self, text: str, context: AnswerContext) -> Answer:
        """Compute the answer (runs in a worker thread)."""

    def work(self, tracker: Tracker) -> Answer | None:
        """Answer the latest user message; None when it asks nothing."""
        text = question_text(tracker)
        context = context_of(tracker, text)
        if not text and not (context.last_doc_id or context.competency or context.course):
            return None
        return self.answer(text, context)

    def send(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, reply: Answer | None
    ) -> list[EventType]:
        """Send the answer, or ask what the user would like to know."""
        if reply is None:
            dispatcher.utter_message(text=ASK_SOMETHING, outcome="fallback")
            return []
        if reply.unknown and tracker.get_slot(reply.unknown) is not None:
            # A name the catalogue lacks ("the Quantum Baking competency"): the slot
            # holds no guess the NLU made from part of it ("Baking" as Banking).
            return [*send(dispatcher, reply), SlotSet(reply.unknown, None)]
        return send(dispatcher, reply)


class ActionAnswerQuestion(KnowledgeAction):
    """``action_answer_question``: a grounded answer from the best matching document."""

    action_name = "action_answer_question"

    def answer(self, text: str, context: AnswerContext) -> Answer:
        """Answer a program question."""
        return answer_question(text, context)


class ActionAnswerFollowup(KnowledgeAction):
    """``action_answer_followup``: duration, prerequisites, credits... of the last item."""

    action_name = "action_answer_followup"

    def answer(self, text: str, context: AnswerContext) -> Answer:
        """Answer a follow-up on the last competency or course."""
        return answer_followup(text, context)


class ActionListCourses(KnowledgeAction):
    """``action_list_courses``: the courses that count toward a competency, with hours."""

    action_name = "action_list_courses"

    def answer(self, text: str, context: AnswerContext) -> Answer:
        """List the courses counting toward the competency meant."""
        return list_courses(text, context)
