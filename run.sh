#!/usr/bin/env bash
# pileon's quick start: sets up .venv (once, and again when pyproject.toml changes), then
#   ./run.sh buffy [pileon run options]   runs the #Buffy scenario into runs/buffy/
#   ./run.sh test  [pytest options]       checks the code with ruff (lint and format), then runs the tests
#   ./run.sh bench [pileon bench options] runs the benchmark (NDlib comes with the test extras)
#   ./run.sh app [--port P]               serves the interactive view on http://127.0.0.1:P/
#   ./run.sh pileon ARGS...               any pileon command inside the environment
set -euo pipefail
cd "$(dirname "$0")"

find_python() {
  local c v
  for c in ${PILEON_PYTHON:-} python3.13 python3.12 \
           "$(pyenv root 2>/dev/null)"/versions/3.1[2-9]*/bin/python3 python3; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 || continue
    v=$("$c" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
    if "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  return 1
}

setup() {  # $1: extras, e.g. "test" or "test,bench"
  local extras=$1 stamp=.venv/.pileon-stamp want
  want="$(sha1sum pyproject.toml | cut -c1-12) $extras"
  if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  local py
  if ! py=$(find_python); then
    echo "run.sh: pileon needs Python >= 3.12 (mesa 3.5 requires it) and none was found." >&2
    echo "  Looked for: \$PILEON_PYTHON, python3.13, python3.12, pyenv's 3.12+ versions, python3 ($(python3 --version 2>&1 || echo none))." >&2
    echo "  Install one (e.g. 'pyenv install 3.12') or point PILEON_PYTHON at it." >&2
    exit 1
  fi
  [ -x .venv/bin/python ] && .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
    || { rm -rf .venv; echo "run.sh: creating .venv with $py ($("$py" --version))"; "$py" -m venv .venv; }
  echo "run.sh: installing pileon[$extras] into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]" 2>&1 \
    | grep -v "^WARNING: Location" || true
  .venv/bin/python -c 'import pileon.experiments.cli' || { echo "run.sh: install failed" >&2; exit 1; }
  echo "$want" > "$stamp"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  buffy)  setup test  # the case as it happened: she went private at 13:00, the counter-hashtag from noon
          exec .venv/bin/pileon run --scenario buffy --out runs/buffy --overwrite \
            --intervene protect:start=4 --intervene counter_speech:start=3,duration=6,posts=1400,mocking=0.5 "$@" ;;
  test)   setup test
          .venv/bin/ruff check . || { echo "run.sh: ruff check failed (ruff check --fix . fixes some)" >&2; exit 1; }
          .venv/bin/ruff format --check . || { echo "run.sh: not formatted (run: .venv/bin/ruff format .)" >&2; exit 1; }
          exec .venv/bin/python -m pytest "$@" ;;
  bench)  setup test; exec .venv/bin/pileon bench "$@" ;;
  app)    setup test; exec .venv/bin/pileon app "$@" ;;
  pileon) setup test; exec .venv/bin/pileon "$@" ;;
  *) echo "usage: ./run.sh buffy|test|bench|app|pileon [ARGS...]" >&2; exit 2 ;;
esac
