#!/usr/bin/env bash
# Installs ruleforge into RULEFORGE_ROOT (default ~/.ruleforge) and puts its bin/ on the PATH of
# later workflow steps. Skips the build when the cached install already matches the source.
# Called by the ruleforge Action (action.yml); runs as well on its own.
#
# Where ruleforge comes from, first match wins:
#   1. the current folder, when it is ruleforge's own repository (Cargo.toml names the package);
#   2. RULEFORGE_GIT (a git URL) at RULEFORGE_REF (a tag or, better, a full commit SHA);
#   3. crates.io, version RULEFORGE_ACTION_VERSION (the Action's `version` input) or
#      RULEFORGE_VERSION;
#   4. the ruleforge source next to this script (the Action's own checkout, pinned by the
#      commit SHA of `uses:`).
#
# Usage: install-ruleforge.sh              install (or reuse the cached install)
#        install-ruleforge.sh --cache-key  print `key=<id>`: a cache key naming the source
set -euo pipefail

die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT_DIR="${RULEFORGE_ROOT:-$HOME/.ruleforge}"
STAMP="$ROOT_DIR/.source"
VERSION="${RULEFORGE_ACTION_VERSION:-${RULEFORGE_VERSION:-}}"

is_ruleforge_source() { [ -f "$1/Cargo.toml" ] && grep -qE '^name = "ruleforge"' "$1/Cargo.toml"; }

# The content of what a build from a source folder reads.
source_hash() {
  local parts=() p
  for p in Cargo.toml Cargo.lock build.rs src schemas data; do
    if [ -e "$1/$p" ]; then parts+=("$p"); fi
  done
  (cd "$1" && find "${parts[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum |
    sha256sum | awk '{print $1}')
}

if is_ruleforge_source .; then
  source_id="path:$(source_hash .)"
  install=(cargo install --locked --path . --root "$ROOT_DIR" --force)
elif [ -n "${RULEFORGE_GIT:-}" ]; then
  ref="${RULEFORGE_REF:?set RULEFORGE_REF to a tag or commit of $RULEFORGE_GIT}"
  case $ref in -*) die "invalid RULEFORGE_REF" ;; esac
  source_id="git:$RULEFORGE_GIT@$ref"
  if [[ $ref =~ ^[0-9a-f]{40}$ ]]; then
    install=(cargo install --locked --git "$RULEFORGE_GIT" --rev "$ref" --root "$ROOT_DIR" --force ruleforge)
  else
    install=(cargo install --locked --git "$RULEFORGE_GIT" --tag "$ref" --root "$ROOT_DIR" --force ruleforge)
  fi
elif [ -n "$VERSION" ]; then
  [[ $VERSION =~ ^[0-9A-Za-z.+-]+$ ]] || die "invalid ruleforge version '$VERSION'"
  source_id="crates.io:$VERSION"
  install=(cargo install --locked --version "=$VERSION" --root "$ROOT_DIR" --force ruleforge)
elif is_ruleforge_source "$HERE"; then
  source_id="path:$(source_hash "$HERE")"
  install=(cargo install --locked --path "$HERE" --root "$ROOT_DIR" --force)
else
  die "set a ruleforge version (the Action's 'version' input or RULEFORGE_VERSION), or RULEFORGE_GIT and RULEFORGE_REF"
fi

if [ "${1:-}" = "--cache-key" ]; then
  printf 'key=%s\n' "$(printf '%s' "$source_id" | sha256sum | awk '{print $1}')"
  exit 0
fi

if [ -x "$ROOT_DIR/bin/ruleforge" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$source_id" ]; then
  echo "ruleforge: cached ($source_id)"
else
  echo "ruleforge: building ($source_id)"
  mkdir -p "$ROOT_DIR"
  "${install[@]}"
  printf '%s\n' "$source_id" >"$STAMP"
fi

if [ -n "${GITHUB_PATH:-}" ]; then printf '%s\n' "$ROOT_DIR/bin" >>"$GITHUB_PATH"; fi
"$ROOT_DIR/bin/ruleforge" --version
