"""rasa_addons.components.logreg_classifier: stored as plain arrays, predicting as trained.

The classifier stores its fitted weights as an ``.npz`` of arrays (no pickle, no skops,
whose import was most of the server's cold start) and loads them back into Rasa's
estimator: the loaded component must give exactly the probabilities of the trained one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource

from rasa_addons.components.logreg_classifier import TunedLogisticRegressionClassifier


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
