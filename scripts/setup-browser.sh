#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/browser, Playwright) when it is
# missing. Playwright drives /usr/bin/chromium; it never downloads a browser of its own.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
echo "==> installing Chromium for the browser tests (apt-get)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
$SUDO apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
/usr/bin/chromium --version
