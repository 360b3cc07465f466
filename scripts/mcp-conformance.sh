#!/usr/bin/env bash
# The official MCP conformance suite for servers (@modelcontextprotocol/conformance), which the
# gateway's conformance test (test/mcp/conformance.test.ts) runs against `gatehouse mcp-gateway`.
#
# Usage: scripts/mcp-conformance.sh install   (temporal-dev.sh install runs it too)
#
#   install  ensure .tools/mcp-conformance/<lock hash>/ holds the suite and the Node 22 it needs;
#            prints the directory as the last stdout line. Instant when the pinned set is there.
#
# Why a Node of its own: the suite needs Node 22 and the project runs on Node 20. Node 22 comes
# from the npm registry (the node-linux-<arch> package ships the binary), so the install needs
# nothing but npm. Versions and every transitive dependency are pinned by
# scripts/mcp-conformance/package-lock.json; `npm ci` installs exactly that set, kept apart from
# the project's node_modules so it cannot disturb the Node 20 toolchain.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPEC="$REPO_ROOT/scripts/mcp-conformance"
TOOLS="$REPO_ROOT/.tools/mcp-conformance"

log() { echo "mcp-conformance: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# A new lock (another version of the suite or of Node) is a new directory: a stale install is
# never mistaken for the pinned one.
lock_hash() { sha256sum "$SPEC/package-lock.json" | cut -c1-16; }

node_arch() { # the node-linux-<arch> package for this machine
  [[ "$(uname -s)" == Linux ]] || die "the pinned Node 22 is a Linux build; on $(uname -s) install the suite by hand"
  case "$(uname -m)" in
    x86_64) echo x64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) die "no pinned Node 22 for $(uname -m)" ;;
  esac
}

installed() { # installed DIR
  [[ -f "$1/.complete" && -x "$1/node_modules/node-linux-$(node_arch)/bin/node" ]]
}

cmd_install() {
  local dest
  dest="$TOOLS/$(lock_hash)"
  if installed "$dest"; then
    echo "$dest"
    return 0
  fi
  command -v npm >/dev/null 2>&1 || die "npm not found"
  mkdir -p "$TOOLS"
  # Installed beside its final place and moved in at once: an interrupted install leaves no half
  # directory that looks complete.
  local staging
  staging="$(mktemp -d "$TOOLS/.staging.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  cp "$SPEC/package.json" "$SPEC/package-lock.json" "$staging/"
  log "installing the MCP conformance suite and Node 22 from the npm registry..."
  (cd "$staging" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2) \
    || die "npm ci failed in $staging (is the npm registry reachable?)"
  local node="$staging/node_modules/node-linux-$(node_arch)/bin/node"
  [[ -x "$node" ]] || die "npm installed no Node 22 binary at $node"
  "$node" --version >/dev/null || die "$node does not run on this machine"
  [[ -f "$staging/node_modules/@modelcontextprotocol/conformance/dist/index.js" ]] || die "npm installed no conformance suite"
  touch "$staging/.complete"
  chmod 755 "$staging"
  rm -rf "$dest"
  mv "$staging" "$dest"
  trap - EXIT
  # Older pinned sets are no longer used by anything.
  find "$TOOLS" -mindepth 1 -maxdepth 1 -type d -name '????????????????' ! -path "$dest" -exec rm -rf {} +
  node="$dest/node_modules/node-linux-$(node_arch)/bin/node"
  log "installed conformance $("$node" "$dest/node_modules/@modelcontextprotocol/conformance/dist/index.js" --version) with Node $("$node" --version) into $dest"
  echo "$dest"
}

case "${1:-}" in
  install) cmd_install ;;
  *)
    echo "Usage: $(basename "$0") install" >&2
    exit 2
    ;;
esac
