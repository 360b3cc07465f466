#!/usr/bin/env bash
# A real multi-service Temporal cluster on this machine, on PostgreSQL: what a deployment beyond
# the single-process dev server runs, on loopback. Called as `./temporal-dev.sh cluster ...`.
#
# Usage: scripts/temporal-cluster.sh [up|down|status]
#
#   up      install the server and its sql tool (go install, pinned), start PostgreSQL (npm),
#           create and migrate the temporal and visibility databases, start frontend, matching,
#           worker and two history services as separate processes, register the namespace and
#           Gatehouse's search attributes, start the Temporal Web UI (ui-server, go install,
#           pinned) pointed at the frontend; idempotent
#   down    stop every process `up` started (data is kept; delete the state dir to start over)
#   status  exit 0 when every process runs and the frontend answers, 3 otherwise
#
# Environment:
#   TEMPORAL_CLUSTER_PORT           frontend gRPC port (default 7433); the other services use
#                                   fixed offsets from it (see PORTS below)
#   TEMPORAL_CLUSTER_POSTGRES_PORT  PostgreSQL port (default 55433)
#   TEMPORAL_CLUSTER_UI_PORT        Web UI port (default: frontend port + 1000, so 8433)
#   GATEHOUSE_HTTP_PORT             the decision service's port, whose /codec the Web UI asks to
#                                   show encrypted payloads (default 8080, as temporal-dev.sh)
#   TEMPORAL_CLUSTER_DIR            state: config, logs, pids, PostgreSQL data (default .temporal/cluster)
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

log() { echo "temporal-cluster: $*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

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
  endpoint: "http://127.0.0.1:${GATEHOUSE_HTTP_PORT:-8080}/codec"
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
  local started=$SECONDS
  mkdir -p "$LOG_DIR" "$PID_DIR"
  if all_running && "$CLI_BIN" operator cluster health --address "$ADDRESS" >/dev/null 2>&1; then
    register_namespace_and_search_attributes
    print_where
    return 0
  fi
  install_binaries
  ensure_cli
  start_postgres
  migrate_database temporal temporal
  migrate_database temporal_visibility visibility
  render_config
  start_services
  register_namespace_and_search_attributes
  start_ui
  log "up in $((SECONDS - started))s"
  print_where
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

cmd_status() {
  if all_running && [[ -x "$CLI_BIN" ]] && "$CLI_BIN" operator cluster health --address "$ADDRESS" >/dev/null 2>&1; then
    print_where
    return 0
  fi
  local name
  echo "Temporal cluster not (fully) running:"
  for name in postgres "${SERVICES[@]}" ui; do
    printf '  %-10s %s\n' "$name" "$(pid_of "$name" >/dev/null && echo running || echo stopped)"
  done
  return 3
}

main() {
  case "${1:-status}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *)
      echo "Usage: $(basename "$0") up|down|status" >&2
      exit 2
      ;;
  esac
}

main "$@"
