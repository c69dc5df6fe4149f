"""Keep what only training needs (TensorFlow above all) out of the serving Rasa server.

With no TensorFlow component in config.yml, a served model never runs TensorFlow, yet
Rasa 3.6 imports it on the way to serving: about 4.5 s of the cold start and 400 MB of
the server's 740 MB (docs/benchmarks.md). Four paths lead there, each closed here or
beside it:

- ``rasa.utils.train_utils`` imports TensorFlow's training callbacks at its top, and
  every policy imports it (``policy`` -> ``tracker_featurizers`` ->
  ``single_state_featurizer`` -> ``nlu.extractors.extractor``). It is registered
  here as a ``DeferredModule``: its code runs at the first read of one of its names.
  Serving reads none.
- Loading a model reads its *training* graph too, and imports each of its classes;
  the recipe validator's module imports DIET and TED. The server reads that graph
  without importing them (``rasa_addons.server.model_metadata``, in the patch list).
- spaCy's thinc imports TensorFlow whenever it is installed; the catalogue entity
  tagger imports spaCy with TensorFlow kept out (``knowledge.entity_tagger``).
- TensorFlow itself, if something still loads it, imports jax for a converter Rasa
  never runs: jax is kept out (``sys.modules["jax"] = None``).

Any other use still works: the first read of a deferred module's name runs its code
then, TensorFlow included. ``tests/rasa_addons/server/test_training_imports.py`` starts
the server on the trained model and checks that TensorFlow is not loaded.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any

# Modules whose import loads TensorFlow and which serving imports but does not use.
TRAINING_ONLY_MODULES = ("rasa.utils.train_utils",)


class DeferredModule(types.ModuleType):
    """A module registered under its name whose code runs at the first read of a name."""

    def __getattr__(self, name: str) -> Any:
        """Run the module's code, then answer from it (called only for missing names)."""
        # The import system and introspection read dunder names (__path__, __wrapped__);
        # they need not load the module.
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        spec = self.__spec__
        assert spec is not None and spec.loader is not None  # set by defer()
        # From now on an ordinary module (module classes may be swapped like this).
        self.__class__ = types.ModuleType  # type: ignore[assignment]
        spec.loader.exec_module(self)
        return getattr(self, name)


def defer(name: str) -> None:
    """Register module ``name`` as deferred, unless it is imported already.

    Its parent package is imported (cheaply: Rasa's ``rasa.utils`` is empty) and given
    the attribute, as an import would.
    """
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    module = DeferredModule(name)
    module.__spec__ = spec
    module.__loader__ = spec.loader
    module.__file__ = spec.origin
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(importlib.import_module(parent), child, module)


def keep_training_imports_out() -> None:
    """Defer the training-only modules and keep jax out; call before Rasa's modules load."""
    for name in TRAINING_ONLY_MODULES:
        defer(name)
    # TensorFlow 2.12 imports jax, when installed, for TFLite's converter of jax models
    # (tensorflow/lite/python/util.py, in a `try` that accepts an ImportError).
    if "jax" not in sys.modules:
        sys.modules["jax"] = None  # type: ignore[assignment]  # import jax -> ImportError
