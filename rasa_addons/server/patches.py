"""Every attribute of Rasa that the server replaces at run time, in one list.

Each of rasa_addons' other changes to Rasa goes through an extension point that Rasa 3.6
offers: graph components named in config.yml (rasa_addons/components/, the handoff
policy and RulePolicy's featurizer among them), channels in credentials.yml, stores and
the event broker in endpoints.yml. What is left has no such point, so the server
replaces it when it starts: ``PATCHES`` below names each target, its replacement, why,
and the Rasa 3.6.21 code it replaces (read that code again before moving
``PINNED_RASA``, rasa_addons/server/__init__.py, which refuses any other Rasa before
``apply()`` runs). ``FailSafeTrackerStore``'s ``retrieve``, ``retrieve_full_tracker``,
``save`` and ``init_tracker`` are replaced too, by
``rasa_addons.stores.store_failures.apply()``, which names them and the Rasa code they
replace.

Plain ``rasa run`` installs none of it and gives the same replies: slower under load,
silent instead of apologising when an action fails, and starting a conversation
afresh when the tracker store cannot be read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import rasa.core.processor
import rasa.core.run
from rasa.core.actions.action import RemoteAction
from rasa.core.actions.forms import FormAction
from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.utils.endpoints import EndpointConfig

from rasa_addons.server import action_calls, action_failures, model_metadata, speedups
from rasa_addons.server.graph_runner import DirectGraphRunner
from rasa_addons.stores import store_failures


@dataclass(frozen=True)
class Patch:
    """One attribute of Rasa replaced: where, by what, why, and what it replaces."""

    owner: ModuleType | type
    attribute: str
    replacement: Any
    why: str
    replaces: str  # the Rasa 3.6.21 code, as file and lines

    @property
    def target(self) -> str:
        """The replaced attribute's dotted name, e.g. ``rasa.core.run.load_agent_on_start``."""
        owner = self.owner
        if isinstance(owner, ModuleType):
            return f"{owner.__name__}.{self.attribute}"
        return f"{owner.__module__}.{owner.__qualname__}.{self.attribute}"

    def install(self) -> None:
        """Replace the attribute (again: idempotent), as a static method where Rasa's is one.

        Raises:
            RuntimeError: Rasa has no such attribute (its code moved: read it again).

        """
        if self.attribute not in vars(self.owner):
            raise RuntimeError(f"{self.target} is not in this Rasa: read {self.replaces}")
        static = isinstance(vars(self.owner)[self.attribute], staticmethod)
        value = staticmethod(self.replacement) if static else self.replacement
        setattr(self.owner, self.attribute, value)


PATCHES: tuple[Patch, ...] = (
    Patch(
        RemoteAction,
        "_validate_action_result",
        speedups.validate_action_result,
        "the action-reply schema was checked against the meta-schema on every call",
        "rasa/core/actions/action.py lines 699-713",
    ),
    Patch(
        Event,
        "resolve_by_type",
        speedups.resolve_by_type,
        "each stored event's class was found by walking every subclass of Event",
        "rasa/shared/core/events.py lines 374-387",
    ),
    Patch(
        EndpointConfig,
        "session",
        speedups.endpoint_session,
        "each action call opened a connection and sent the tracker encoded by json, not orjson",
        "rasa/utils/endpoints.py lines 105-119",
    ),
    Patch(
        Policy,
        "format_tracker_states",
        speedups.format_tracker_states,
        "RulePolicy formatted the whole dialogue for a debug line that is not written",
        "rasa/core/policies/policy.py lines 437-485",
    ),
    Patch(
        RulePolicy,
        "_get_possible_keys",
        speedups.possible_rule_keys,
        "RulePolicy matched rules against every past state, long after the longest rule ended",
        "rasa/core/policies/rule_policy.py lines 913-924",
    ),
    Patch(
        rasa.core.processor,
        "copy",
        speedups.DebugLineCopies,
        "the processor deep-copied events, slots and entities for debug lines not written",
        "rasa/core/processor.py lines 1-1 (used at lines 207, 658, 731, 733, 1040 and 1050)",
    ),
    Patch(
        FormAction,
        "_temporary_tracker",
        speedups.temporary_form_tracker,
        "each step of a form replayed the whole session into a new tracker",
        "rasa/core/actions/forms.py lines 283-297",
    ),
    Patch(
        Domain,
        "is_empty",
        speedups.domain_is_empty,
        "each message's check against the domain built an empty domain to compare with",
        "rasa/shared/core/domain.py lines 1793-1795",
    ),
    Patch(
        rasa.core.processor,
        "DaskGraphRunner",
        DirectGraphRunner,
        "the runner class a processor loads its model with: no dask scheduling per turn",
        "rasa/core/processor.py lines 123-150 (MessageProcessor._load_model)",
    ),
    Patch(
        LocalModelStorage,
        "_load_metadata",
        model_metadata.load_metadata,
        "loading a model imported its training graph's classes, and with them TensorFlow",
        "rasa/engine/storage/local_model_storage.py lines 148-154",
    ),
    Patch(
        rasa.core.run,
        "load_agent_on_start",
        speedups.load_agent_then_freeze,
        "once the model is loaded, gc.freeze() spares it the full collections' pauses",
        "rasa/core/run.py lines 278-297",
    ),
    Patch(
        rasa.core.run,
        "close_resources",
        speedups.close_resources_and_connections,
        "the connections action calls keep (endpoint_session) are closed when the server stops",
        "rasa/core/run.py lines 300-314",
    ),
    Patch(
        RemoteAction,
        "_action_call_format",
        action_calls.action_call_format,
        "each action call carried every event of the conversation: its cost grew each turn",
        "rasa/core/actions/action.py lines 651-674",
    ),
    Patch(
        RemoteAction,
        "run",
        action_failures.run_or_apologise,
        "a failed or slow action call gets the partner an apology, not silence",
        "rasa/core/actions/action.py lines 748-838",
    ),
)


def install(*sources: ModuleType) -> None:
    """Install the patches whose replacements are defined in ``sources`` (for tests)."""
    names = {source.__name__ for source in sources}
    for patch in PATCHES:
        if patch.replacement.__module__ in names:
            patch.install()


def apply(environ: dict[str, str] | os._Environ[str] = os.environ) -> None:
    """Install every replacement into the running Rasa (idempotent).

    Raises:
        action_failures.ActionTimeoutError: ``PA_ACTION_TIMEOUT`` is invalid; nothing
            is installed then.

    """
    action_failures.set_timeout(environ)
    for patch in PATCHES:
        patch.install()
    store_failures.apply()
