#!/usr/bin/env bash
# Usage: scripts/alongside.sh BACKGROUND FOREGROUND
#
# Runs the shell command BACKGROUND while the shell command FOREGROUND runs, waits for both and
# fails when either failed. `npm test`'s pretest builds the Temporal cluster's binaries (Go, which
# keeps both cores busy while it compiles) beside the Chromium download and the typecheck, lint
# and build (Node, mostly one core), so a fresh clone's install step is not their sum.
set -uo pipefail
(($# == 2)) || {
  echo "usage: $(basename "$0") BACKGROUND FOREGROUND" >&2
  exit 2
}
bash -c "$1" &
background=$!
bash -c "$2"
foreground=$?
wait "$background"
background_status=$?
((foreground == 0)) || exit "$foreground"
exit "$background_status"
