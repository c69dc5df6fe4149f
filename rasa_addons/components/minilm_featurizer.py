"""Dense all-MiniLM-L6-v2 features for Rasa's NLU pipeline, computed with ONNX Runtime.

The knowledge build (``python -m knowledge.build``) exports the MiniLM sentence encoder
to ``var/onnx/model-int8.onnx`` with its ``tokenizer.json``. This component copies both
files into the trained Rasa model, so a model always runs with the encoder it was
trained with and the Rasa server needs nothing from ``var/`` at run time.

Features per message (``text`` attribute only):

- sentence: the sentence-transformers embedding (mean of the word pieces, L2-normalised),
  the feature that makes MiniLM a good intent encoder;
- sequence: only when the ONNX file outputs the last hidden state rather than the pooled
  embedding (the knowledge build exports the pooled one): one vector per Rasa token,
  the mean of the word pieces it spans, aligned with the other token features.

Parse data: a message Rasa parses (not a training example) also keeps its sentence
embedding in the parse data (``text_embedding``, packed by
``knowledge.minilm_onnx.pack_vector``, 2 KB), so the knowledge action searches with
it instead of embedding the same text again. It is the export's own output for the
text encoded alone and untruncated, which is what the app's query embedder
(``knowledge.embedder``) computes; it is left out when the text is longer than
``max_length`` word pieces (the app truncates later), for a button's payload, and
when the export is not pooled.

ONNX Runtime runs on one thread: the Rasa server parses one message at a time and
shares the machine with the app process. The session and the tokenizer are opened by
``knowledge.minilm_onnx``, the loader the app's query embedder uses too.
"""

from __future__ import annotations

import logging
import shutil
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge.minilm_onnx import (
    EMBEDDING_PROPERTY,
    files_sha256,
    open_session,
    open_tokenizer,
    pack_vector,
    vectors_id,
)

logger = logging.getLogger(__name__)

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
BUILD_HINT = "run `.venv/bin/python -m knowledge.build` first: it exports the model to var/onnx/"


class Encoded(NamedTuple):
    """One text's MiniLM vectors.

    Attributes:
        sentence: The unit-length sentence vector ``[dim]`` (the feature).
        pieces: The word-piece vectors ``[pieces, dim]``; None for a pooled export.
        encoding: The tokenizer's encoding (word pieces, character offsets).
        exported: A pooled export's own output ``[dim]``, untouched; None otherwise.

    """

    sentence: np.ndarray
    pieces: np.ndarray | None
    encoding: Any
    exported: np.ndarray | None


class MiniLMEncoder:
    """MiniLM sentence (and, when exported, word-piece) embeddings from an ONNX file.

    The knowledge build exports the whole sentence encoder (output
    ``sentence_embedding``, ``[batch, 384]``, pooled and normalised). An export whose
    output is the last hidden state (``[batch, pieces, 384]``) also works: it is
    pooled here the same way and additionally yields per-word-piece vectors.

    Attributes:
        vectors_id: Names the model and runtime of the vectors (``vectors_id``).

    """

    def __init__(self, model_path: Path, tokenizer_path: Path, max_length: int) -> None:
        """Load the ONNX session (one thread) and the fast tokenizer.

        Args:
            model_path: ONNX file with a 2-d sentence or 3-d hidden-state output.
            tokenizer_path: the model's ``tokenizer.json``.
            max_length: word pieces kept per message, special tokens included.

        """
        self.session = open_session(model_path, threads=1)
        self.vectors_id = vectors_id(files_sha256(model_path))
        self.input_names = {i.name for i in self.session.get_inputs()}
        output = self.session.get_outputs()[0]
        self.output_name = output.name
        self.has_pieces = len(output.shape) == 3
        self.tokenizer = open_tokenizer(tokenizer_path, max_length)

    def encode(self, texts: list[str]) -> list[Encoded]:
        """Embed a batch of texts.

        Args:
            texts: messages to embed.

        Returns:
            Per text, its vectors and the tokenizer's encoding.

        """
        encodings = self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (output,) = self.session.run(
            [self.output_name], {k: v for k, v in feeds.items() if k in self.input_names}
        )
        results: list[Encoded] = []
        for row, enc in enumerate(encodings):
            pieces = exported = None
            if self.has_pieces:
                pieces = output[row, : len(enc.ids)].astype(np.float32)
                sentence = pieces.mean(axis=0)
            else:
                sentence = exported = output[row].astype(np.float32)
            sentence = sentence / max(float(np.linalg.norm(sentence)), 1e-12)
            results.append(Encoded(sentence, pieces, enc, exported))
        return results


@cache
def _cached_encoder(model_path: Path, tokenizer_path: Path, max_length: int) -> MiniLMEncoder:
    # One session per file per process: training and the predict graph share it.
    return MiniLMEncoder(model_path, tokenizer_path, max_length)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds all-MiniLM-L6-v2 sentence and token features to each message's text."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Components that must come before this one: a tokenizer."""
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the component's default config."""
        return {
            **DenseFeaturizer.get_default_config(),
            # The knowledge build's export, relative to the directory Rasa runs in.
            "model_path": "var/onnx/model-int8.onnx",
            "tokenizer_path": "var/onnx/tokenizer.json",
            # Word pieces per message; partner questions are far shorter.
            "max_length": 128,
            # Messages per ONNX call while featurizing training data.
            "batch_size": 32,
        }

    @staticmethod
    def required_packages() -> list[str]:
        """Python packages the component imports."""
        return ["onnxruntime", "tokenizers"]

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Check the numeric settings."""
        if int(config["max_length"]) < 8 or int(config["batch_size"]) < 1:
            raise InvalidConfigException("MiniLMFeaturizer: max_length >= 8, batch_size >= 1")

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrain when the exported model changes, not only when the config does."""
        model, tokenizer = cls._source_files(config)
        if not (model.is_file() and tokenizer.is_file()):
            return None
        return files_sha256(model, tokenizer)

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
        encoder: MiniLMEncoder | None = None,
    ) -> None:
        """Create the component; the encoder is loaded on first use when not given."""
        super().__init__(name, {**self.get_default_config(), **config})
        self._model_storage = model_storage
        self._resource = resource
        self._loaded_encoder = encoder

    @classmethod
    def _source_files(cls, config: dict[str, Any]) -> tuple[Path, Path]:
        merged = {**cls.get_default_config(), **config}
        return Path(merged["model_path"]).resolve(), Path(merged["tokenizer_path"]).resolve()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MiniLMFeaturizer:
        """Create an untrained component that reads the exported files on ``train``."""
        # Rasa names every graph node; ExecutionContext types the name Optional.
        return cls(config, execution_context.node_name, model_storage, resource)  # type: ignore[arg-type]

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> MiniLMFeaturizer:
        """Load the encoder stored inside the trained model."""
        with model_storage.read_from(resource) as directory:
            encoder = _cached_encoder(
                directory / MODEL_FILE,
                directory / TOKENIZER_FILE,
                int({**cls.get_default_config(), **config}["max_length"]),
            )
        # Rasa names every graph node; ExecutionContext types the name Optional.
        return cls(config, execution_context.node_name, model_storage, resource, encoder)  # type: ignore[arg-type]

    def train(self, training_data: TrainingData) -> Resource:
        """Copy the exported model and tokenizer into the trained model."""
        model, tokenizer = self._source_files(self._config)
        for path in (model, tokenizer):
            if not path.is_file():
                raise InvalidConfigException(f"MiniLM file {path} is missing: {BUILD_HINT}")
        with self._model_storage.write_to(self._resource) as directory:
            shutil.copyfile(model, directory / MODEL_FILE)
            shutil.copyfile(tokenizer, directory / TOKENIZER_FILE)
        logger.info("MiniLM featurizer stored %s (%d bytes)", model, model.stat().st_size)
        return self._resource

    @property
    def _encoder(self) -> MiniLMEncoder:
        if self._loaded_encoder is None:
            model, tokenizer = self._source_files(self._config)
            self._loaded_encoder = _cached_encoder(
                model, tokenizer, int(self._config["max_length"])
            )
        return self._loaded_encoder

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurize every training example that has text."""
        self._featurize(training_data.training_examples, keep_embedding=False)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Add MiniLM features to each message's text; keep its embedding in the parse data."""
        self._featurize(messages, keep_embedding=True)
        return messages

    def _featurize(self, messages: list[Message], keep_embedding: bool) -> None:
        """Add MiniLM features to each message's text, in batches of similar length."""
        # Every message with text gets a sentence vector, so a classifier never meets
        # a message without MiniLM features.
        todo = [m for m in messages if m.get(TEXT)]
        # Similar lengths in one batch keep padding, and so wasted compute, small.
        todo.sort(key=lambda m: len(m.get(TEXT)))
        size = int(self._config["batch_size"])
        for start in range(0, len(todo), size):
            batch = todo[start : start + size]
            encoded = self._encoder.encode([m.get(TEXT) for m in batch])
            for message, vectors in zip(batch, encoded, strict=True):
                sequence = None
                tokens: list[Token] = message.get(TOKENS_NAMES[TEXT]) or []
                enc = vectors.encoding
                if vectors.pieces is not None and tokens:
                    sequence = _token_vectors(
                        tokens, vectors.pieces, enc.offsets, enc.special_tokens_mask
                    )
                sentence = vectors.sentence[np.newaxis, :]
                # Rasa's method skips a None sequence, though its type does not say so.
                self.add_features_to_message(sequence, sentence, TEXT, message)  # type: ignore[arg-type]
                # Only a text encoded alone (batched with others, int8 activations are
                # scaled over the batch) and whole is what the app would compute; a
                # button's payload ("/intent{...}") is never searched for.
                alone_and_whole = len(batch) == 1 and not enc.overflowing
                payload = str(message.get(TEXT)).startswith(INTENT_MESSAGE_PREFIX)
                if (
                    keep_embedding
                    and alone_and_whole
                    and not payload
                    and vectors.exported is not None
                ):
                    packed = pack_vector(vectors.exported, self._encoder.vectors_id)
                    message.set(EMBEDDING_PROPERTY, packed, add_to_output=True)


def _token_vectors(
    tokens: list[Token],
    pieces: np.ndarray,
    offsets: list[tuple[int, int]],
    special: list[int],
) -> np.ndarray:
    """Average the word pieces that overlap each Rasa token (zeros if truncated away)."""
    vectors = np.zeros((len(tokens), pieces.shape[1]), dtype=np.float32)
    spans = [
        (i, s, e) for i, ((s, e), sp) in enumerate(zip(offsets, special, strict=True)) if not sp
    ]
    for row, token in enumerate(tokens):
        hits = [i for i, s, e in spans if s < token.end and e > token.start]
        if hits:
            vectors[row] = pieces[hits].mean(axis=0)
    return vectors
