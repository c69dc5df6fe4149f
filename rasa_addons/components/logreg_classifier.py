"""Rasa's logistic-regression intent classifier with its regularisation exposed.

Rasa's ``LogisticRegressionClassifier`` fixes ``C=1``. On unit-length MiniLM sentence
embeddings that is too strong a penalty: with scikit-learn on the frozen int8 MiniLM
embeddings, BANKING77 accuracy is 91.1% at ``C=1``, 92.8% at ``C=10`` and 92.9% at
``C=100`` (10 is as good and fits twice as fast).

The feature matrix is built dense: Rasa builds a scipy sparse matrix per message
(``hstack`` then ``vstack``), which for one message cost more than the prediction
itself (profiled, docs/benchmarks.md). It is read straight from the message's sentence
features: Rasa's ``Message.get_sparse_features``/``get_dense_features`` deep-copy every
feature, the per-token ones included, to combine them. The values are the same, so is
the model. A fitted multinomial model's probabilities are computed as scikit-learn
computes them, without its checks of the input (``DenseLogisticRegression``): per
message these cost as much as the arithmetic.

The fitted weights are stored as plain arrays (``<resource>.npz``, read without
pickle). Rasa's class stores the estimator with skops, whose ``skops.io`` took 8.6 s
to import in a server that has loaded TensorFlow (it walks every loaded module for
each of 765 scikit-learn types): most of the server's cold start (docs/benchmarks.md).
A logistic regression predicts from its coefficients, intercepts and classes alone.
Everything else is Rasa's own class.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import spmatrix
from sklearn.linear_model import LogisticRegression
from sklearn.utils.extmath import softmax

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TunedLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Logistic regression over the message's sentence features, with a tunable ``C``."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the default config: Rasa's, plus ``C`` and more iterations."""
        return {**LogisticRegressionClassifier.get_default_config(), "C": 10.0, "max_iter": 1000}

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        """Build Rasa's classifier, then apply ``C``."""
        super().__init__(config, name, model_storage, resource)
        self.clf = DenseLogisticRegression(
            **{**self.clf.get_params(), "C": float(self.config["C"])}
        )

    # Rasa's type says csr_matrix; this returns a dense array, which both of its callers
    # (scikit-learn's fit and predict_proba) take alike.
    def _create_X(self, messages: list[Message]) -> np.ndarray:  # type: ignore[override]  # noqa: N802 (Rasa's name)
        """One row per message: its sparse then dense sentence features, as in Rasa."""
        return np.vstack([_sentence_row(message) for message in messages])

    def persist(self) -> None:
        """Store the fitted coefficients, intercepts and classes as plain arrays."""
        with self._model_storage.write_to(self._resource) as model_dir:
            np.savez(
                model_dir / f"{self._resource.name}.npz",
                coef=self.clf.coef_,
                intercept=self.clf.intercept_,
                classes=np.asarray(self.clf.classes_, dtype=str),
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TunedLogisticRegressionClassifier:
        """Load the stored weights into the classifier; untrained where there are none."""
        name = cast(str, execution_context.node_name)  # as Rasa passes it
        component = cls(config, name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / f"{resource.name}.npz"
                with np.load(path, allow_pickle=False) as weights:
                    component.clf.coef_ = weights["coef"]
                    component.clf.intercept_ = weights["intercept"]
                    component.clf.classes_ = weights["classes"]
        except (ValueError, FileNotFoundError):
            # As Rasa's class: no stored resource (not trained yet) is an untrained one.
            logger.debug("No trained %s in resource '%s'.", cls.__name__, resource.name)
            return component
        component.clf.n_features_in_ = component.clf.coef_.shape[1]
        return component


def _sentence_row(message: Message) -> np.ndarray:
    """Return the text's sentence features, sparse ones first, each kind in the order added.

    What Rasa's ``LogisticRegressionClassifier._create_X`` stacks, from the combined
    features of ``get_sparse_features`` and ``get_dense_features``, without their copies.
    """
    sentence = [
        f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE
    ]
    sparse = [cast(spmatrix, f.features).toarray() for f in sentence if f.is_sparse()]
    dense = [f.features for f in sentence if f.is_dense()]
    parts = sparse + dense
    return np.hstack(parts) if parts else np.zeros((1, 0))


class DenseLogisticRegression(LogisticRegression):
    """scikit-learn's logistic regression, predicting without re-checking its input.

    The input is always the classifier's own finite float rows of the fitted width.
    """

    def predict_proba(self, X: np.ndarray) -> np.ndarray:  # noqa: N803 (scikit-learn's name)
        """Return the class probabilities, as ``LogisticRegression.predict_proba`` computes them.

        A multinomial model (more than two classes, the lbfgs solver of Rasa's config):
        the softmax of ``X @ coef_.T + intercept_``. Any other model: scikit-learn's own.
        """
        # scikit-learn 1.1's choice between one-vs-rest and multinomial, for three or more classes
        multinomial = self.classes_.size > 2 and (
            self.multi_class == "multinomial"
            or (self.multi_class == "auto" and self.solver != "liblinear")
        )
        if not multinomial or X.shape[1] != self.coef_.shape[1]:
            return super().predict_proba(X)
        return softmax(X @ self.coef_.T + self.intercept_, copy=False)
