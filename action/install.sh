#!/usr/bin/env bash
# Install orsync from the action's own checkout into a virtual environment of its own, so that
# the packages of the job's Python are left alone.
set -euo pipefail

: "${ORSYNC_VENV:?where to make the virtual environment}"
: "${GITHUB_ACTION_PATH:?the checkout of the action}"
"${PYTHON:-python3}" -m venv "$ORSYNC_VENV"
"$ORSYNC_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH"
"$ORSYNC_VENV/bin/orsync" --version
