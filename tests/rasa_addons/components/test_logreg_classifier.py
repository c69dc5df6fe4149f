"""rasa_addons.components.logreg_classifier: stored as plain arrays, predicting as trained.

The classifier stores its fitted weights as an ``.npz`` of arrays (no pickle, no skops,
whose import was most of the server's cold start) and loads them back into Rasa's
estimator: the loaded component must give exactly the probabilities of the trained one.
It reads the sentence features and predicts without scikit-learn's input checks: its
feature rows and probabilities must be exactly Rasa's and scikit-learn's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import coo_matrix
from sklearn.linear_model import LogisticRegression

from rasa_addons.components.logreg_classifier import (
    DenseLogisticRegression,
    TunedLogisticRegressionClassifier,
)


def _trained(storage: LocalModelStorage, resource: Resource) -> TunedLogisticRegressionClassifier:
    config = TunedLogisticRegressionClassifier.get_default_config()
    component = TunedLogisticRegressionClassifier(config, "intents", storage, resource)
    rng = np.random.default_rng(7)
    features = rng.normal(size=(60, 16))
    labels = np.array(["greet", "ask_program", "ask_tier_status"] * 20)
    features[labels == "greet", 0] += 3  # something to learn
    component.clf.fit(features, labels)
    return component


def test_a_stored_classifier_loads_back_with_the_same_probabilities(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intents")
    trained = _trained(storage, resource)
    trained.persist()
    stored = sorted(path.name for path in (tmp_path / "intents").iterdir())
    assert stored == ["intents.npz"]

    context = ExecutionContext(GraphSchema({}), node_name="intents")
    config = TunedLogisticRegressionClassifier.get_default_config()
    loaded = TunedLogisticRegressionClassifier.load(config, storage, resource, context)
    probe = np.random.default_rng(8).normal(size=(5, 16))
    assert list(loaded.clf.classes_) == list(trained.clf.classes_)
    assert np.array_equal(loaded.clf.predict_proba(probe), trained.clf.predict_proba(probe))
    assert loaded.clf.C == 10.0


def test_a_classifier_never_trained_loads_untrained(tmp_path: Path) -> None:
    context = ExecutionContext(GraphSchema({}), node_name="intents")
    config = TunedLogisticRegressionClassifier.get_default_config()
    storage = LocalModelStorage(tmp_path)
    loaded = TunedLogisticRegressionClassifier.load(config, storage, Resource("none"), context)
    assert not hasattr(loaded.clf, "coef_")


def _message(rng: np.random.Generator, text: str) -> Message:
    """A message with the features of two sparse and two dense featurizers."""
    message = Message(data={TEXT: text})
    tokens = len(text.split())
    for origin, width in (("regex", 5), ("lookup", 3)):
        for kind, rows in ((FEATURE_TYPE_SEQUENCE, tokens), (FEATURE_TYPE_SENTENCE, 1)):
            values = coo_matrix((rng.random((rows, width)) > 0.5).astype(float))
            message.add_features(Features(values, kind, TEXT, origin))
    for origin, width in (("minilm", 6), ("other", 2)):
        for kind, rows in ((FEATURE_TYPE_SEQUENCE, tokens), (FEATURE_TYPE_SENTENCE, 1)):
            message.add_features(Features(rng.normal(size=(rows, width)), kind, TEXT, origin))
    return message


def test_the_feature_rows_are_rasas(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    messages = [
        _message(rng, text) for text in ("what is gold", "hi", "which courses for security")
    ]
    config = TunedLogisticRegressionClassifier.get_default_config()
    ours = TunedLogisticRegressionClassifier(
        config, "intents", LocalModelStorage(tmp_path), Resource("intents")
    )
    rasas = LogisticRegressionClassifier._create_X(ours, messages).toarray()
    assert rasas.shape == (3, 16)
    assert np.array_equal(ours._create_X(messages), rasas)


@pytest.mark.parametrize("classes", [["greet", "ask_program", "ask_tier_status"], ["yes", "no"]])
def test_probabilities_are_scikit_learns(classes: list[str]) -> None:
    rng = np.random.default_rng(11)
    features = rng.normal(size=(90, 8))
    labels = np.array(classes * (90 // len(classes)))
    features[labels == classes[0], 1] += 2
    ours = DenseLogisticRegression(C=10.0, max_iter=1000).fit(features, labels)
    sklearns = LogisticRegression(C=10.0, max_iter=1000).fit(features, labels)
    probe = rng.normal(size=(7, 8))
    assert np.array_equal(ours.predict_proba(probe), sklearns.predict_proba(probe))
    assert np.array_equal(ours.predict_proba(probe[:1]), sklearns.predict_proba(probe[:1]))
    with pytest.raises(ValueError):  # a row of the wrong width is still refused
        ours.predict_proba(probe[:, :5])
