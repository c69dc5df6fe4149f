# Partner Assistant. The two commands a newcomer needs: `make run` and `make test`.
# Every step below is incremental: with nothing changed, `make run` installs nothing,
# rebuilds nothing and retrains nothing.

SHELL := /bin/bash
APP_PY := .venv/bin/python
RASA := .venv-rasa/bin/rasa
RASA_PY := .venv-rasa/bin/python

# The Rasa model is named after a hash of everything training reads, so it is
# retrained exactly when data/, domain.yml, config.yml, our graph components
# (rasa_addons/components/: NLU components and policies) or the recipe of the MiniLM
# export they copy into the model (knowledge/onnx_export.py) change. Channels, stores
# and the server entry point in rasa_addons/ are not part of the model.
# The model carries the catalogue's entity vocabulary: what makes it is an input too.
TRAIN_INPUTS := $(sort domain.yml config.yml knowledge/minilm_onnx.py knowledge/onnx_export.py rasa_addons/__init__.py knowledge/entity_tagger.py knowledge/entities.py knowledge/catalogue.py knowledge/models.py $(wildcard knowledge/data/*.yaml) $(shell find data rasa_addons/components -type f \( -name '*.yml' -o -name '*.py' \) 2>/dev/null))
TRAIN_HASH := $(shell cat $(TRAIN_INPUTS) | sha256sum | cut -c1-12)
MODEL := models/partner-assistant-$(TRAIN_HASH).tar.gz

.PHONY: run test setup index train lint typecheck unit validate core-test rasa-test bench faults clean lock browser manifests

run: setup index $(MODEL)  ## set up what is missing, then start everything
	@$(APP_PY) scripts/launch.py --model $(MODEL)

test: setup index $(MODEL) lint typecheck validate manifests core-test rasa-test browser  ## the whole test suite
	PA_TEST_MODEL=$(MODEL) PA_TEST_RASA_ENV=required $(APP_PY) -m pytest
	@echo "all checks passed"

setup: .venv/.installed .venv-rasa/.installed

browser:  ## Chromium for the browser tests (apt-get, only when /usr/bin/chromium is missing)
	scripts/setup-browser.sh

.venv/.installed: requirements/app.lock.txt scripts/setup-env.sh pyproject.toml
	scripts/setup-env.sh app

.venv-rasa/.installed: requirements/rasa.lock.txt requirements/rasa-test.lock.txt scripts/setup-env.sh
	scripts/setup-env.sh rasa

index: .venv/.installed  ## embed the catalogue (a no-op when the sources are unchanged)
	$(APP_PY) -m knowledge.build

train: $(MODEL)

$(MODEL): | .venv-rasa/.installed index
	@echo "==> training the Rasa model (inputs changed: $(TRAIN_HASH))"
	$(RASA) train --fixed-model-name partner-assistant-$(TRAIN_HASH) --out models
	@find models -name 'partner-assistant-*.tar.gz' ! -name 'partner-assistant-$(TRAIN_HASH).tar.gz' -delete

lint: .venv/.installed
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports --no-cache  # the layers and rules: pyproject.toml [tool.importlinter]

typecheck: .venv/.installed .venv-rasa/.installed
	.venv/bin/mypy bot actions knowledge partners scripts settings
	@# The Rasa side, in the Rasa environment against Rasa's own annotations (which it ships
	@# without py.typed), with pyproject's settings as flags: its pydantic plugin is the app's.
	$(RASA_PY) -m mypy --config-file "" --python-version 3.10 --disallow-untyped-defs \
	  --warn-unused-ignores --warn-redundant-casts --ignore-missing-imports \
	  --follow-untyped-imports rasa_addons tests/rasa_addons tests/rasa_side

rasa-test: .venv-rasa/.installed $(MODEL)  ## the Rasa side's tests (tests/rasa_addons), in the Rasa environment
	PA_TEST_MODEL=$(MODEL) $(RASA_PY) -m pytest tests/rasa_addons

validate: .venv-rasa/.installed
	$(RASA) data validate --fail-on-warnings

manifests: .venv/.installed  ## render deploy/k8s offline (kubectl kustomize) and validate it against the Kubernetes schemas
	$(APP_PY) scripts/check_manifests.py

core-test: $(MODEL)  ## the test stories and the training stories, failing on any prediction error
	$(RASA) test core --model $(MODEL) --stories tests/test_stories.yml --fail-on-prediction-errors --out results
	$(RASA) test core --model $(MODEL) --stories data/stories --fail-on-prediction-errors --out results/training-stories

bench: setup index $(MODEL)  ## benchmarks (not part of the tests); figures go to docs/benchmarks.md
	$(APP_PY) scripts/bench_knowledge.py
	$(RASA_PY) scripts/bench_nlu.py
	$(APP_PY) scripts/bench_stack.py --model $(MODEL)
	$(APP_PY) scripts/bench_signin_flood.py --model $(MODEL)
	$(APP_PY) scripts/bench_conversation.py --model $(MODEL)
	$(APP_PY) scripts/bench_limits.py
	$(APP_PY) scripts/bench_import.py
	$(APP_PY) -m scripts.bench_analytics

lock:  ## re-resolve the pinned versions from requirements/*.in
	.venv/bin/pip install -r requirements/app.in && .venv/bin/pip freeze --exclude-editable | sed 's/+cpu//' > requirements/app.lock.txt
	.venv-rasa/bin/pip install -r requirements/rasa.in && .venv-rasa/bin/pip freeze > requirements/rasa.lock.txt

faults: setup index $(MODEL)  ## the full fault suite (not part of the tests); figures go to docs/benchmarks.md
	scripts/services.sh start
	$(APP_PY) scripts/faults.py --model $(MODEL)

clean:
	rm -rf var models results .mypy_cache .ruff_cache .pytest_cache
