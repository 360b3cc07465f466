#!/usr/bin/env bash
# A real multi-service Temporal cluster on this machine, on PostgreSQL: what a deployment beyond
# the single-process dev server runs, on loopback. Called as `./temporal-dev.sh cluster ...`.
#
# Usage: scripts/temporal-cluster.sh [install|up [--temporal-only]|down|status]
#
#   install [--optional]
#           build the server, its sql tool and the Web UI into .tools/bin when missing (what
#           `up` does first; `npm test`'s pretest runs it so the cluster test runs in the suite);
#           --optional: without Go, build nothing and say so (the cluster test is then left out)
#   up      install the server and its sql tool (go install, pinned), start PostgreSQL (npm),
#           create and migrate the temporal and visibility databases, start frontend, matching,
#           worker and two history services as separate processes, register the namespace and
#           Gatehouse's search attributes, start the Temporal Web UI (ui-server, go install,
#           pinned) pointed at the frontend; then Gatehouse on it: two workers, two decision
#           services behind the round-robin proxy, and what `temporal-dev.sh up` starts for them
#           (mail inbox, PostgreSQL targets and email outbox, ticket and payments APIs, Slack
#           fake; scripts/gatehouse-stack.sh), each waited for until ready; idempotent (a
#           process that died is started again). --temporal-only: the Temporal cluster alone
#           (the bench runs its own workers)
#   down    stop every process `up` started (data is kept; delete the state dir to start over)
#   status  exit 0 when every process runs and the frontend answers, 3 otherwise
#
# Environment:
#   TEMPORAL_CLUSTER_PORT           frontend gRPC port (default 7433); the other services use
#                                   fixed offsets from it (see PORTS below)
#   TEMPORAL_CLUSTER_POSTGRES_PORT  PostgreSQL port (default 55433)
#   TEMPORAL_CLUSTER_UI_PORT        Web UI port (default: frontend port + 1000, so 8433)
#   GATEHOUSE_DEV_DIR               the dev keys (dev.env) Gatehouse's processes read, shared with
#                                   `temporal-dev.sh up` (default .gatehouse)
#   TEMPORAL_CLUSTER_DIR            state: config, logs, pids, PostgreSQL data (default .temporal/cluster)
#
# Gatehouse's ports follow the frontend's (GATEHOUSE_PORTS below), so a second cluster on another
# TEMPORAL_CLUSTER_PORT (the cluster test, the bench) runs beside the first.
set -euo pipefail

# Same server version as the CLI temporal-dev.sh installs (CLI 1.5.1 embeds server 1.29.1).
TEMPORAL_SERVER_VERSION="v1.29.1"
# The Web UI server the CLI 1.5.1 embeds (`temporal --version`: UI 2.42.1).
TEMPORAL_UI_VERSION="v2.42.1"
# Fixed when the databases are first set up; two history hosts share them.
HISTORY_SHARDS=8

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_BIN="$REPO_ROOT/.tools/bin"
SERVER_BIN="$TOOLS_BIN/temporal-server"
SQL_BIN="$TOOLS_BIN/temporal-sql-tool"
CLI_BIN="$TOOLS_BIN/temporal"
UI_BIN="$TOOLS_BIN/temporal-ui-server"

STATE_DIR="${TEMPORAL_CLUSTER_DIR:-$REPO_ROOT/.temporal/cluster}"
CONFIG_DIR="$STATE_DIR/config"
LOG_DIR="$STATE_DIR/logs"
PID_DIR="$STATE_DIR/pids"
PG_DIR="$STATE_DIR/postgres"

HOST="127.0.0.1"
PORT="${TEMPORAL_CLUSTER_PORT:-7433}"
PG_PORT="${TEMPORAL_CLUSTER_POSTGRES_PORT:-55433}"
ADDRESS="$HOST:$PORT"
NAMESPACE="default"

# name → "gRPC-port membership-port": membership (ringpop) runs beside each service's gRPC port.
declare -A PORTS=(
  [frontend]="$PORT $((PORT + 100))"
  [history-1]="$((PORT + 1)) $((PORT + 101))"
  [history-2]="$((PORT + 11)) $((PORT + 111))"
  [matching]="$((PORT + 2)) $((PORT + 102))"
  [worker]="$((PORT + 6)) $((PORT + 106))"
)
FRONTEND_HTTP_PORT=$((PORT + 10))
UI_PORT="${TEMPORAL_CLUSTER_UI_PORT:-$((PORT + 1000))}"
UI_URL="http://$HOST:$UI_PORT"
# Start order: history owns the shards the others route to; the system worker needs a frontend.
SERVICES=(history-1 history-2 matching frontend worker)

START_TIMEOUT_SECS=120
STOP_TIMEOUT_SECS=20

# Gatehouse on the cluster: the round-robin is the decision service's public address.
declare -A GATEHOUSE_PORTS=(
  [round-robin]=$((PORT + 20))
  [http-1]=$((PORT + 21))
  [http-2]=$((PORT + 22))
  [inbox-web]=$((PORT + 23))
  [inbox-smtp]=$((PORT + 24))
  [tickets]=$((PORT + 25))
  [payments]=$((PORT + 26))
  [slack]=$((PORT + 27))
  [worker-1]=$((PORT + 28))
  [worker-2]=$((PORT + 30))
)
GATEHOUSE_URL="http://$HOST:${GATEHOUSE_PORTS[round-robin]}"
WORKERS=(worker-1 worker-2)
DECISION_SERVICES=(http-1 http-2)
# Stop order: the proxy first, then what serves it, the services everything uses last.
GATEHOUSE_PROCESSES=(round-robin "${DECISION_SERVICES[@]}" "${WORKERS[@]}" slack inbox targets postgres)

# What scripts/gatehouse-stack.sh reads.
DEV_DIR="${GATEHOUSE_DEV_DIR:-$REPO_ROOT/.gatehouse}"
DEV_ENV="$DEV_DIR/dev.env"
# Apart from the cluster's own (its PostgreSQL is `postgres` too).
STACK_LOG_DIR="$LOG_DIR/gatehouse"
STACK_PID_DIR="$PID_DIR/gatehouse"
INBOX_SMTP_PORT="${GATEHOUSE_PORTS[inbox-smtp]}"
INBOX_WEB_PORT="${GATEHOUSE_PORTS[inbox-web]}"
POSTGRES_PORT=$((PG_PORT + 1))
TICKETS_PORT="${GATEHOUSE_PORTS[tickets]}"
PAYMENTS_PORT="${GATEHOUSE_PORTS[payments]}"
SLACK_PORT="${GATEHOUSE_PORTS[slack]}"

log() { echo "temporal-cluster: $*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# shellcheck source=scripts/gatehouse-stack.sh
. "$REPO_ROOT/scripts/gatehouse-stack.sh"

pid_of() { # pid_of NAME -> the pid from NAME's pid file, when that process is alive
  local file="$PID_DIR/$1.pid" pid
  [[ -f "$file" ]] || return 1
  pid="$(tr -dc '0-9' <"$file")"
  [[ -n "$pid" ]] && alive "$pid" || return 1
  echo "$pid"
}

# A killed service whose parent (this script) has exited may stay a zombie until something reaps
# it; kill -0 still finds a zombie, ps tells it apart.
alive() { # alive PID
  local state
  state="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z* ]]
}

# ---------------------------------------------------------------------------
# install
# ---------------------------------------------------------------------------

# go install names the binaries after their packages (server, sql); they are kept under
# unambiguous names beside the CLI.
install_binaries() {
  install_ui
  [[ -x "$SERVER_BIN" && -x "$SQL_BIN" ]] && return 0
  command -v go >/dev/null 2>&1 || die "Go is needed to install the Temporal server (https://go.dev/dl/)"
  local gobin="$STATE_DIR/gobin"
  mkdir -p "$gobin" "$TOOLS_BIN"
  log "installing Temporal server and sql tool $TEMPORAL_SERVER_VERSION with go install (a few minutes the first time)"
  GOBIN="$gobin" go install \
    "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" \
    "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION" >&2
  mv "$gobin/server" "$SERVER_BIN"
  mv "$gobin/sql" "$SQL_BIN"
  rmdir "$gobin" 2>/dev/null || true
}

# The ui-server module's binary is also called `server`: its own GOBIN keeps it from replacing
# the Temporal server's.
install_ui() {
  [[ -x "$UI_BIN" ]] && return 0
  command -v go >/dev/null 2>&1 || die "Go is needed to install the Temporal Web UI (https://go.dev/dl/)"
  local gobin="$STATE_DIR/gobin-ui"
  mkdir -p "$gobin" "$TOOLS_BIN"
  log "installing the Temporal Web UI $TEMPORAL_UI_VERSION with go install"
  GOBIN="$gobin" go install "github.com/temporalio/ui-server/v2/cmd/server@$TEMPORAL_UI_VERSION" >&2
  mv "$gobin/server" "$UI_BIN"
  rmdir "$gobin" 2>/dev/null || true
}

schema_dir() { # the PostgreSQL schemas that ship in the server's module
  local dir
  dir="$(go env GOMODCACHE)/go.temporal.io/server@$TEMPORAL_SERVER_VERSION/schema/postgresql/v12"
  [[ -d "$dir" ]] || go mod download "go.temporal.io/server@$TEMPORAL_SERVER_VERSION" >/dev/null 2>&1 || true
  [[ -d "$dir" ]] || die "no PostgreSQL schema at $dir"
  echo "$dir"
}

ensure_cli() {
  [[ -x "$CLI_BIN" ]] || "$REPO_ROOT/temporal-dev.sh" install >/dev/null
  [[ -x "$CLI_BIN" ]] || die "no Temporal CLI at $CLI_BIN"
}

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

start_postgres() {
  if pid_of postgres >/dev/null; then return 0; fi
  port_open "$PG_PORT" && die "port $PG_PORT is taken by another process (set TEMPORAL_CLUSTER_POSTGRES_PORT)"
  local logfile="$LOG_DIR/postgres-main.log"
  : >"$logfile"
  nohup "$REPO_ROOT/node_modules/.bin/tsx" "$REPO_ROOT/src/dev/cluster-postgres-main.ts" \
    --dir "$PG_DIR" --port "$PG_PORT" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$PID_DIR/postgres.pid"
  local i
  for ((i = 0; i < 120; i++)); do
    grep -q "cluster postgres ready" "$logfile" 2>/dev/null && return 0
    pid_of postgres >/dev/null || die "PostgreSQL did not start: $(tail -n 5 "$logfile")"
    sleep 0.5
  done
  die "PostgreSQL did not start within 60s (see $logfile)"
}

sql_tool() { # sql_tool DATABASE ARGS...
  local db="$1"
  shift
  "$SQL_BIN" --plugin postgres12 --endpoint "$HOST" --port "$PG_PORT" --user postgres --password "" \
    --database "$db" "$@"
}

# Creating a database fails when it exists: then its schema is already set up, and update-schema
# brings it to the version this server needs (a no-op when current).
migrate_database() { # migrate_database DATABASE SCHEMA-NAME
  local db="$1" schema="$2" dir out
  dir="$(schema_dir)/$schema"
  if out="$(sql_tool "$db" create-database 2>&1)"; then
    log "created database $db"
    sql_tool "$db" setup-schema -v 0.0 >>"$LOG_DIR/sql-tool.log" 2>&1 || die "setup-schema $db failed (see $LOG_DIR/sql-tool.log)"
  elif ! grep -q "already exists" <<<"$out"; then
    die "could not create database $db: $out"
  fi
  sql_tool "$db" update-schema -d "$dir/versioned" >>"$LOG_DIR/sql-tool.log" 2>&1 ||
    die "update-schema $db failed (see $LOG_DIR/sql-tool.log)"
}

# ---------------------------------------------------------------------------
# server config
# ---------------------------------------------------------------------------

rpc_block() { # rpc_block NAME -> the services.<service>.rpc section for NAME's ports
  local ports=(${PORTS[$1]})
  cat <<EOF
    rpc:
      grpcPort: ${ports[0]}
      membershipPort: ${ports[1]}
      bindOnIP: "$HOST"
EOF
}

datastore() { # datastore DATABASE CONNECTIONS
  cat <<EOF
      sql:
        pluginName: "postgres12"
        databaseName: "$1"
        connectAddr: "$HOST:$PG_PORT"
        connectProtocol: "tcp"
        user: "postgres"
        password: ""
        maxConns: $2
        maxIdleConns: $2
        maxConnLifetime: "1h"
EOF
}

# base.yaml serves every process (history-1's ports included); history-2.yaml overrides only the
# history section, so the second history host differs from the first in its ports alone.
render_config() {
  mkdir -p "$CONFIG_DIR"
  {
    echo "# Rendered by scripts/temporal-cluster.sh; edits are overwritten by the next 'cluster up'."
    cat <<EOF
log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: $HISTORY_SHARDS
  datastores:
    postgres-default:
$(datastore temporal 20)
    postgres-visibility:
$(datastore temporal_visibility 10)
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "$HOST"
services:
  frontend:
$(rpc_block frontend)
      httpPort: $FRONTEND_HTTP_PORT
  history:
$(rpc_block history-1)
  matching:
$(rpc_block matching)
  worker:
$(rpc_block worker)
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "$ADDRESS"
      httpAddress: "$HOST:$FRONTEND_HTTP_PORT"
dcRedirectionPolicy:
  policy: "noop"
dynamicConfigClient:
  filepath: "$CONFIG_DIR/dynamic-config.yaml"
  pollInterval: "10s"
EOF
  } >"$CONFIG_DIR/base.yaml"
  {
    echo "services:"
    echo "  history:"
    rpc_block history-2
  } >"$CONFIG_DIR/history-2.yaml"

  # The dev server's dynamic config (scripts/dev-server.dynamic-config), in the server's format.
  {
    echo "# Rendered from scripts/dev-server.dynamic-config by scripts/temporal-cluster.sh."
    local setting
    while IFS= read -r setting || [[ -n "$setting" ]]; do
      setting="${setting%%#*}"
      setting="${setting//[[:space:]]/}"
      [[ -n "$setting" ]] && printf '%s:\n  - value: %s\n' "${setting%%=*}" "${setting#*=}"
    done <"$REPO_ROOT/scripts/dev-server.dynamic-config"
    # Search attributes registered by `up` are usable at once, not after the cache's next refresh.
    printf '%s:\n  - value: %s\n' system.forceSearchAttributesCacheRefreshOnRead true
  } >"$CONFIG_DIR/dynamic-config.yaml"

  # The Web UI reads <config>/<env>.yaml. Payloads are encrypted, as in the dev stack: the UI shows
  # them through the decision service's /codec endpoint.
  mkdir -p "$CONFIG_DIR/ui"
  cat >"$CONFIG_DIR/ui/cluster.yaml" <<EOF
# Rendered by scripts/temporal-cluster.sh; edits are overwritten by the next 'cluster up'.
temporalGrpcAddress: "$ADDRESS"
host: "$HOST"
port: $UI_PORT
enableUi: true
defaultNamespace: "$NAMESPACE"
notifyOnNewVersion: false
codec:
  endpoint: "$GATEHOUSE_URL/codec"
EOF
}

# ---------------------------------------------------------------------------
# services
# ---------------------------------------------------------------------------

start_service() { # start_service NAME
  local name="$1" service="${1%-[0-9]}" env="cluster"
  pid_of "$name" >/dev/null && return 0
  local ports=(${PORTS[$name]}) p
  for p in "${ports[@]}"; do
    port_open "$p" && die "port $p ($name) is taken by another process (set TEMPORAL_CLUSTER_PORT)"
  done
  [[ "$name" == history-2 ]] && env="history-2"
  echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) $name" >>"$LOG_DIR/$name.log"
  nohup "$SERVER_BIN" --root "$STATE_DIR" --config config --env "$env" --allow-no-auth \
    start --service "$service" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$PID_DIR/$name.pid"
}

last_messages() { # last_messages NAME: the last log messages of a service, without stack traces
  tail -n 20 "$LOG_DIR/$1.log" | grep -o '"msg":"[^"]*"\|"error":"[^"]*"\|^Unable[^.]*' | tail -n 4 | cut -c1-300 || true
}

wait_for() { # wait_for NAME CHECK...: until CHECK succeeds; stops the cluster if NAME dies or time runs out
  local name="$1" waited=0 other
  shift
  until "$@" >/dev/null 2>&1; do
    for other in "${SERVICES[@]}"; do
      if [[ -f "$PID_DIR/$other.pid" ]] && ! pid_of "$other" >/dev/null; then
        log "$other exited during start-up (log: $LOG_DIR/$other.log):"
        last_messages "$other" >&2
        cmd_down >/dev/null
        exit 1
      fi
    done
    if ((waited >= START_TIMEOUT_SECS)); then
      log "$name did not come up within ${START_TIMEOUT_SECS}s (logs: $LOG_DIR); stopping"
      cmd_down >/dev/null
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

start_services() {
  # The first history host writes the cluster's metadata record; hosts starting beside it would
  # race it for that row and exit, so the others start once it listens.
  start_service history-1
  local ports=(${PORTS[history-1]}) name
  wait_for history-1 port_open "${ports[0]}"
  for name in "${SERVICES[@]:1}"; do start_service "$name"; done
  wait_for frontend "$CLI_BIN" operator cluster health --address "$ADDRESS"
}

start_ui() {
  pid_of ui >/dev/null && return 0
  port_open "$UI_PORT" && die "port $UI_PORT (Web UI) is taken by another process (set TEMPORAL_CLUSTER_UI_PORT)"
  echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) ui" >>"$LOG_DIR/ui.log"
  nohup "$UI_BIN" --root "$STATE_DIR" --config config/ui --env cluster start >>"$LOG_DIR/ui.log" 2>&1 </dev/null &
  echo $! >"$PID_DIR/ui.pid"
  local i
  for ((i = 0; i < 60; i++)); do
    port_open "$UI_PORT" && return 0
    pid_of ui >/dev/null || die "the Web UI exited during start-up (log: $LOG_DIR/ui.log): $(tail -n 3 "$LOG_DIR/ui.log")"
    sleep 0.5
  done
  die "the Web UI did not listen on $UI_PORT within 30s (log: $LOG_DIR/ui.log)"
}

retry() { # retry SECONDS CMD...: a new namespace reaches every service's cache within seconds
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >>"$LOG_DIR/setup.log" 2>&1; do
    ((SECONDS >= deadline)) && return 1
    sleep 1
  done
}

register_namespace_and_search_attributes() {
  local cli=("$CLI_BIN" --address "$ADDRESS")
  if ! "${cli[@]}" operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
    retry 60 "${cli[@]}" operator namespace create --namespace "$NAMESPACE" --retention 72h ||
      die "could not register namespace $NAMESPACE (see $LOG_DIR/setup.log)"
    log "registered namespace $NAMESPACE"
  fi
  # The list in temporal-dev.sh (a test keeps it equal to src/domain/search-attributes.ts).
  local existing sa name type
  retry 60 "${cli[@]}" operator search-attribute list --namespace "$NAMESPACE" ||
    die "the namespace $NAMESPACE did not become usable (see $LOG_DIR/setup.log)"
  existing="$("${cli[@]}" operator search-attribute list --namespace "$NAMESPACE" 2>/dev/null)"
  while IFS= read -r sa; do
    name="${sa%%=*}"
    type="${sa#*=}"
    grep -qw "$name" <<<"$existing" && continue
    retry 60 "${cli[@]}" operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type" ||
      die "could not register search attribute $name (see $LOG_DIR/setup.log)"
  done < <(search_attributes)
}

search_attributes() { # NAME=Type lines from temporal-dev.sh's SEARCH_ATTRIBUTES
  sed -n '/^SEARCH_ATTRIBUTES=(/,/^)/p' "$REPO_ROOT/temporal-dev.sh" | grep -o '"[A-Za-z]*=[A-Za-z]*"' | tr -d '"'
}

# ---------------------------------------------------------------------------
# Gatehouse on the cluster
# ---------------------------------------------------------------------------

# Two of each, as a deployment beyond one machine runs them: the workers on one task queue, each
# with its own audit file (one hash chain per process), the decision services behind the proxy.
start_gatehouse() {
  ensure_built
  ensure_dev_env
  load_stack_env "$GATEHOUSE_URL"
  # The proxy passes the reviewer's address on; the codec answers the cluster's Web UI.
  export GATEHOUSE_TRUST_PROXY="${GATEHOUSE_TRUST_PROXY:-loopback}" GATEHOUSE_CODEC_CORS_ORIGIN="$UI_URL"
  # PostgreSQL's data goes under the state dir (postgres-main keeps it in ./.gatehouse/postgres).
  start_dev_services "$STATE_DIR"
  local name started=()
  for name in "${WORKERS[@]}"; do
    GATEHOUSE_AUDIT_LOG="$STATE_DIR/gatehouse/audit-$name.jsonl" \
      GATEHOUSE_METRICS_ADDRESS="$HOST:${GATEHOUSE_PORTS[$name]}" \
      GATEHOUSE_WORKER_HEALTH_ADDRESS="$HOST:$((GATEHOUSE_PORTS[$name] + 1))" \
      start_process "$name" worker/main.js && started+=("$name")
  done
  for name in "${DECISION_SERVICES[@]}"; do
    GATEHOUSE_HTTP_PORT="${GATEHOUSE_PORTS[$name]}" start_process "$name" http/main.js || true
  done
  local upstreams=()
  for name in "${DECISION_SERVICES[@]}"; do upstreams+=(--upstream "http://$HOST:${GATEHOUSE_PORTS[$name]}"); done
  start_process round-robin dev/round-robin-main.js --port "${GATEHOUSE_PORTS[round-robin]}" "${upstreams[@]}" || true
  for name in "${DECISION_SERVICES[@]}"; do
    wait_for_http "http://$HOST:${GATEHOUSE_PORTS[$name]}/readyz" "decision service $name"
  done
  wait_for_http "$GATEHOUSE_URL/readyz" "round-robin"
  for name in "${WORKERS[@]}"; do
    wait_for_http "http://$HOST:$((GATEHOUSE_PORTS[$name] + 1))/readyz" "$name"
  done
  # /readyz says the worker runs; the server listing its pid as a poller says the cluster sees it.
  for name in "${started[@]}"; do
    wait_for_worker "$(stack_pid "$name")" "$CLI_BIN" "$STACK_LOG_DIR/$name.log"
  done
}

gatehouse_running() {
  local name
  for name in "${GATEHOUSE_PROCESSES[@]}"; do
    [[ "$name" == slack && -z "$(slack_fake_wanted)" ]] && continue
    stack_pid "$name" >/dev/null || return 1
  done
}

# The Slack fake runs unless the dev keys point at a real workspace.
slack_fake_wanted() { [[ -s "$DEV_ENV" ]] && grep -q '^GATEHOUSE_SLACK_BOT_TOKEN=.' "$DEV_ENV" || echo yes; }

print_gatehouse() {
  local name
  echo "Gatehouse on the cluster:"
  printf '  %-14s %s   pid %s   (the decision services behind it; /healthz, /readyz)\n' round-robin "$GATEHOUSE_URL" "$(stack_pid round-robin || echo -)"
  for name in "${DECISION_SERVICES[@]}"; do
    printf '  %-14s %s   pid %s\n' "$name" "http://$HOST:${GATEHOUSE_PORTS[$name]}" "$(stack_pid "$name" || echo -)"
  done
  for name in "${WORKERS[@]}"; do
    printf '  %-14s %s   pid %s   (metrics; probes on %s)\n' "$name" "http://$HOST:${GATEHOUSE_PORTS[$name]}/metrics" \
      "$(stack_pid "$name" || echo -)" "$((GATEHOUSE_PORTS[$name] + 1))"
  done
  printf '  %-14s %s   pid %s   (SMTP %s)\n' "mail inbox" "http://$HOST:$INBOX_WEB_PORT" "$(stack_pid inbox || echo -)" "$HOST:$INBOX_SMTP_PORT"
  if [[ -n "$(slack_fake_wanted)" ]]; then
    printf '  %-14s %s   pid %s\n' "Slack cards" "http://$HOST:$SLACK_PORT" "$(stack_pid slack || echo -)"
  fi
  printf '  %-14s %s   pid %s   (databases: accounts, gatehouse)\n' "PostgreSQL" "postgres://postgres@$HOST:$POSTGRES_PORT" "$(stack_pid postgres || echo -)"
  printf '  %-14s %s   pid %s   (one process with the payments API)\n' "ticket API" "http://$HOST:$TICKETS_PORT" "$(stack_pid targets || echo -)"
  printf '  %-14s %s\n' "payments API" "http://$HOST:$PAYMENTS_PORT"
  echo "  keys, logs     $DEV_ENV, $STACK_LOG_DIR"
  echo "  CLI            set -a; . $DEV_ENV; set +a; TEMPORAL_ADDRESS=$ADDRESS GATEHOUSE_PUBLIC_URL=$GATEHOUSE_URL node dist/src/cli/main.js --help"
}

stop_gatehouse() {
  [[ -d "$STACK_PID_DIR" ]] || return 0
  # Workers first among the Gatehouse processes would leave decisions without anyone to apply
  # them: the proxy stops taking requests, the services finish theirs, then the workers drain.
  PID_DIR="$STACK_PID_DIR" stop_pids round-robin
  PID_DIR="$STACK_PID_DIR" stop_pids "${DECISION_SERVICES[@]}"
  PID_DIR="$STACK_PID_DIR" stop_pids "${WORKERS[@]}"
  PID_DIR="$STACK_PID_DIR" stop_pids slack inbox targets postgres
}

# ---------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------

all_running() {
  local name
  for name in postgres "${SERVICES[@]}" ui; do pid_of "$name" >/dev/null || return 1; done
}

print_where() {
  local name
  echo "Temporal cluster ($TEMPORAL_SERVER_VERSION) on PostgreSQL:"
  echo "  frontend gRPC  $ADDRESS   (TEMPORAL_ADDRESS=$ADDRESS TEMPORAL_NAMESPACE=$NAMESPACE)"
  echo "  frontend HTTP  http://$HOST:$FRONTEND_HTTP_PORT"
  echo "  Web UI         $UI_URL   pid $(pid_of ui || echo -)"
  for name in "${SERVICES[@]}"; do
    local ports=(${PORTS[$name]})
    printf '  %-14s %s:%s   pid %s\n' "$name" "$HOST" "${ports[0]}" "$(pid_of "$name" || echo -)"
  done
  echo "  PostgreSQL     postgres://postgres@$HOST:$PG_PORT/temporal   (and temporal_visibility)"
  echo "  state, logs    $STATE_DIR"
}

cmd_up() {
  local started=$SECONDS gatehouse=1
  case "${1:-}" in
    "") ;;
    --temporal-only) gatehouse=0 ;;
    *) die "unknown option for up: $1 (usage: up [--temporal-only])" ;;
  esac
  mkdir -p "$LOG_DIR" "$PID_DIR"
  if all_running && "$CLI_BIN" operator cluster health --address "$ADDRESS" >/dev/null 2>&1; then
    register_namespace_and_search_attributes
  else
    install_binaries
    ensure_cli
    start_postgres
    migrate_database temporal temporal
    migrate_database temporal_visibility visibility
    render_config
    start_services
    register_namespace_and_search_attributes
    start_ui
  fi
  if ((gatehouse)); then start_gatehouse; fi
  log "up in $((SECONDS - started))s"
  print_where
  if ((gatehouse)); then print_gatehouse; fi
}

stop_pids() { # stop_pids NAME...: SIGTERM to all at once, SIGKILL to those alive after STOP_TIMEOUT_SECS
  local name pid deadline=$((SECONDS + STOP_TIMEOUT_SECS)) alive
  declare -A pids=()
  for name in "$@"; do
    if pid="$(pid_of "$name")"; then
      pids[$name]="$pid"
      kill -TERM "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_DIR/$name.pid"
  done
  for name in "${!pids[@]}"; do
    pid="${pids[$name]}"
    while alive "$pid"; do
      if ((SECONDS >= deadline)); then
        log "$name (pid $pid) still alive after ${STOP_TIMEOUT_SECS}s; SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
    echo "stopped $name (pid $pid)"
  done
}

cmd_down() {
  stop_gatehouse
  stop_pids ui "${SERVICES[@]}"
  stop_pids postgres
  # A supervisor killed hard leaves its server behind: stop that one by the pid PostgreSQL wrote.
  local pm="$PG_DIR/data/postmaster.pid" pid
  if [[ -f "$pm" ]]; then
    pid="$(head -n1 "$pm" | tr -dc '0-9')"
    if [[ -n "$pid" ]] && alive "$pid"; then
      kill -INT "$pid" 2>/dev/null || true
      echo "stopped PostgreSQL (pid $pid)"
    fi
  fi
  echo "Temporal cluster stopped (data kept in $STATE_DIR)"
}

# Gatehouse is part of the status once `up` started it (`up --temporal-only` never does). Every
# address and pid is printed either way ("-" for a process that is not running).
cmd_status() {
  local with_gatehouse=0 name
  compgen -G "$STACK_PID_DIR/*.pid" >/dev/null && with_gatehouse=1
  print_where
  if ((with_gatehouse)); then print_gatehouse; fi
  if all_running && [[ -x "$CLI_BIN" ]] && "$CLI_BIN" operator cluster health --address "$ADDRESS" >/dev/null 2>&1 &&
    { ((with_gatehouse == 0)) || gatehouse_running; }; then
    return 0
  fi
  echo "Not (fully) running:"
  for name in postgres "${SERVICES[@]}" ui; do
    pid_of "$name" >/dev/null || printf '  %-22s stopped\n' "$name"
  done
  if ((with_gatehouse)); then
    for name in "${GATEHOUSE_PROCESSES[@]}"; do
      [[ "$name" == slack && -z "$(slack_fake_wanted)" ]] && continue
      stack_pid "$name" >/dev/null || printf '  %-22s stopped\n' "gatehouse $name"
    done
  fi
  return 3
}

cmd_install() { # cmd_install [--optional]: --optional: without Go, say so and build nothing
  # `up` reads the PostgreSQL schema from Go's module cache too, so without Go there is no cluster.
  if [[ "${1:-}" == --optional ]] && ! command -v go >/dev/null 2>&1; then
    log "Go not found: no Temporal cluster on this machine, and the cluster test is left out"
    return 0
  fi
  local started=$SECONDS
  install_binaries
  schema_dir >/dev/null
  log "cluster binaries ready in .tools/bin ($((SECONDS - started))s)"
}

main() {
  case "${1:-status}" in
    install)
      shift
      cmd_install "$@"
      ;;
    up)
      shift
      cmd_up "$@"
      ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *)
      echo "Usage: $(basename "$0") install|up [--temporal-only]|down|status" >&2
      exit 2
      ;;
  esac
}

main "$@"
