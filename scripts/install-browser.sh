#!/usr/bin/env bash
# Debian's chromium and chromium-driver for the browser tests (Playwright's own
# browser download does not work offline). Does nothing when already installed.
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi
