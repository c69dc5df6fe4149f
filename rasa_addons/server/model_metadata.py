"""A model's metadata read for serving: its training graph's classes are not imported.

Rasa reads a model archive's ``metadata.json`` into ``ModelMetadata``, which turns both
graphs, training and prediction, into classes (``GraphSchema.from_dict`` imports each
node's module). The server runs the prediction graph only; importing the training
graph's classes costs it TensorFlow, which the default recipe's validator imports
(``default_recipe_validator.py`` lines 18-24: DIET, ResponseSelector, TED). Here the
training graph stays as it was stored until something reads its nodes, and then it
is imported exactly as Rasa would (``TrainingGraphAsStored``).
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import rasa.shared.utils.io
from rasa.engine.graph import GraphSchema, SchemaNode
from rasa.engine.storage.local_model_storage import MODEL_ARCHIVE_METADATA_FILE
from rasa.engine.storage.storage import ModelMetadata


class TrainingGraphAsStored(GraphSchema):
    """A graph schema kept as stored; its classes are imported when ``nodes`` is read."""

    def __init__(self, serialized: dict[str, Any]) -> None:  # noqa: D107
        # Not the dataclass's __init__: `nodes` is computed on first read.
        self._serialized = copy.deepcopy(serialized)

    @functools.cached_property
    def nodes(self) -> dict[str, SchemaNode]:  # type: ignore[override]
        """The nodes with their classes, imported now (``GraphSchema.from_dict``)."""
        # from_dict writes the classes into the dict it is given: give it a copy.
        return GraphSchema.from_dict(copy.deepcopy(self._serialized)).nodes

    def as_dict(self) -> dict[str, Any]:
        """Return the graph as stored, without importing anything."""
        return copy.deepcopy(self._serialized)


def load_metadata(directory: Path) -> ModelMetadata:
    """Replace ``LocalModelStorage._load_metadata``: the training graph is not imported.

    Rasa 3.6.21, rasa/engine/storage/local_model_storage.py lines 148-154 (a static method).
    """
    serialized: dict[str, Any] = rasa.shared.utils.io.read_json_file(
        directory / MODEL_ARCHIVE_METADATA_FILE
    )
    metadata = ModelMetadata.from_dict({**serialized, "train_schema": {"nodes": {}}})
    metadata.train_schema = TrainingGraphAsStored(serialized["train_schema"])
    return metadata
