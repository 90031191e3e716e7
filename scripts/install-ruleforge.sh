#!/usr/bin/env bash
# Installs ruleforge into RULEFORGE_ROOT (default ~/.ruleforge) and puts its bin/ on the PATH of
# later workflow steps. Skips the build when the cached install already matches the source.
#
# Where ruleforge comes from, first match wins:
#   1. this repository, when it is ruleforge's own repository (Cargo.toml names the package);
#   2. RULEFORGE_GIT (a git URL) at RULEFORGE_REF (a tag or, better, a full commit SHA);
#   3. crates.io, version RULEFORGE_VERSION (required then).
# Cache RULEFORGE_ROOT with actions/cache keyed on the same inputs (see the workflows).
set -euo pipefail

die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

ROOT_DIR="${RULEFORGE_ROOT:-$HOME/.ruleforge}"
mkdir -p "$ROOT_DIR"
STAMP="$ROOT_DIR/.source"

if [ -f Cargo.toml ] && grep -qE '^name = "ruleforge"' Cargo.toml; then
  # Identify the source by the content of what the build reads.
  source_id="path:$(git ls-files -s -- Cargo.toml Cargo.lock src build.rs schemas | sha256sum | awk '{print $1}')"
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
else
  version="${RULEFORGE_VERSION:?set RULEFORGE_VERSION (crates.io) or RULEFORGE_GIT and RULEFORGE_REF}"
  [[ $version =~ ^[0-9A-Za-z.+-]+$ ]] || die "invalid RULEFORGE_VERSION"
  source_id="crates.io:$version"
  install=(cargo install --locked --version "=$version" --root "$ROOT_DIR" --force ruleforge)
fi

if [ -x "$ROOT_DIR/bin/ruleforge" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$source_id" ]; then
  echo "ruleforge: cached ($source_id)"
else
  echo "ruleforge: building ($source_id)"
  "${install[@]}"
  printf '%s\n' "$source_id" >"$STAMP"
fi

if [ -n "${GITHUB_PATH:-}" ]; then printf '%s\n' "$ROOT_DIR/bin" >>"$GITHUB_PATH"; fi
"$ROOT_DIR/bin/ruleforge" --version
