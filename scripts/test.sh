#!/usr/bin/env bash
# Set up and run the whole test suite: the project in .venv, Debian's chromium
# for the browser tests, then pytest (ruff runs as one of the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install-browser.sh
exec .venv/bin/python -m pytest "$@"
