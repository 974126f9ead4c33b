#!/usr/bin/env bash
# Set up, get the sources (the local mirror ../shared/corpus when there is no
# internet), index them, and open the chat at http://127.0.0.1:7860
# (ASSISTANT_HOST / ASSISTANT_PORT). With arguments, answer that question in the
# terminal instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
assistant fetch
assistant ingest
if [ "$#" -gt 0 ]; then
  exec assistant ask "$@"
fi
exec assistant serve
