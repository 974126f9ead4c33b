#!/usr/bin/env bash
# Set up, get the sources (the local mirror ../shared/corpus when there is no
# internet), index them, and start the assistant. With arguments, ask that question.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
assistant fetch
assistant ingest
if [ "$#" -gt 0 ]; then
  exec assistant ask "$@"
fi
exec assistant repl
