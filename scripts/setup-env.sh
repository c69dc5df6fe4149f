#!/usr/bin/env bash
# Create or update one of the project's two virtual environments from its lock file.
#   scripts/setup-env.sh app    Python 3.11: actions, knowledge, FastAPI app, tests
#   scripts/setup-env.sh rasa   Python 3.10: the Rasa server (Rasa 3.6 needs 3.10)
# Make calls this only when the lock file is newer than the environment's stamp.
set -euo pipefail
cd "$(dirname "$0")/.."

which_env=${1:?usage: setup-env.sh app|rasa}
case "$which_env" in
  app)  version=3.11; venv=.venv;      lock=requirements/app.lock.txt ;;
  rasa) version=3.10; venv=.venv-rasa; lock=requirements/rasa.lock.txt
        # and its test tools (pytest, mypy), resolved together with Rasa's pins
        tools=requirements/rasa-test.lock.txt ;;
  *) echo "usage: setup-env.sh app|rasa" >&2; exit 2 ;;
esac

find_python() {
  local candidate
  for candidate in "python$version" "$HOME"/.pyenv/versions/"$version".*/bin/python /usr/bin/python"$version"; do
    if command -v "$candidate" >/dev/null 2>&1 \
      && "$candidate" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$version'.split('.'))))" 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

if ! python=$(find_python); then
  echo "error: the $which_env environment needs Python $version, and none was found." >&2
  echo "       Install it (for example 'pyenv install $version' or 'apt-get install python$version')" >&2
  echo "       and make python$version available on PATH, then run this again." >&2
  exit 1
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "==> creating $venv with $python"
  "$python" -m venv "$venv"
fi
echo "==> installing $lock ${tools:-} into $venv (pip shows progress; a no-op when up to date)"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --progress-bar on -r "$lock" ${tools:+-r "$tools"} 2>&1 \
  | grep -v -e "^Requirement already satisfied" -e "is ignored: it is neither a file nor a directory" || true
if [ "$which_env" = app ]; then
  # The project itself, editable, for the `partner-assistant` console script (pyproject.toml).
  # Without build isolation (no download per install) this needs setuptools >= 70.1 (editable
  # wheels without the `wheel` package) in the environment: Python 3.12+ venvs have none,
  # 3.11's has 65.
  if ! "$venv/bin/python" -c "import setuptools as s, sys; sys.exit(tuple(map(int, s.__version__.split('.')[:2])) < (70, 1))" 2>/dev/null; then
    "$venv/bin/python" -m pip install --quiet "setuptools>=70.1"
  fi
  "$venv/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e .
fi
"$venv/bin/python" -m pip check >/dev/null || { "$venv/bin/python" -m pip check; exit 1; }
touch "$venv/.installed"
echo "==> $venv ready"
