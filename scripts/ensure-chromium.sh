#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser test (test/e2e). Idempotent: does
# nothing when /usr/bin/chromium exists; otherwise installs the `chromium` package with apt-get
# (needs root, as in the CI container). Exits non-zero with a clear message when it cannot.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  exit 0
fi

fail() {
  echo "ensure-chromium: $*" >&2
  echo "ensure-chromium: the browser test needs Debian's chromium at $CHROMIUM (apt-get install chromium)" >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "apt-get not found; install Chromium at $CHROMIUM by hand"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
  else
    fail "not root and no sudo; cannot install chromium"
  fi
else
  SUDO=
fi

echo "ensure-chromium: installing chromium with apt-get..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || fail "apt-get update failed"
$SUDO apt-get install -y -qq chromium >/dev/null || fail "apt-get install chromium failed"
[ -x "$CHROMIUM" ] || fail "chromium was installed but $CHROMIUM is missing"
echo "ensure-chromium: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed" >&2
