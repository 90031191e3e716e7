#!/usr/bin/env bash
# End to end: Neovim (headless, 0.7+) starts `ruleforge lsp` for a rule with a known finding,
# reads the published diagnostics with vim.diagnostic.get(), formats the buffer through
# textDocument/formatting and compares it with `ruleforge fmt`, then shuts the server down.
#
# Usage: RULEFORGE_BIN=path/to/ruleforge bash tests/nvim/run.sh   (.ci/run nvim sets it)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${RULEFORGE_BIN:?RULEFORGE_BIN is not set: it names the ruleforge binary to test (.ci/run nvim sets it)}"
[ -x "$RULEFORGE_BIN" ] || { echo "ERROR: $RULEFORGE_BIN is not an executable" >&2; exit 1; }
command -v nvim >/dev/null 2>&1 || { echo "ERROR: nvim is not installed (.ci/run nvim installs it)" >&2; exit 1; }
RULEFORGE_BIN="$(cd "$(dirname "$RULEFORGE_BIN")" && pwd)/$(basename "$RULEFORGE_BIN")"

WS="$(mktemp -d "${TMPDIR:-/tmp}/ruleforge-nvim.XXXXXX")"
trap 'rm -rf "$WS"' EXIT
mkdir -p "$WS/root/rules" "$WS/expected" "$WS/home"
: >"$WS/root/ruleforge.toml"
# Line 17 holds a value that is not a SHA-256 (RF201); the tag on line 13 is indented
# four spaces where `ruleforge fmt` writes two, so formatting has something to do.
cat >"$WS/root/rules/webshell.yml" <<'YAML'
id: 0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c
title: A made-up web shell
status: test
severity: high
author: ruleforge tests
created: 2021-03-02
modified: 2021-03-10
description: |
  Fixture rule for the Neovim test; its hash is not a SHA-256.
references:
  - https://example.org/report
tags:
    - attack.t1505.003
indicators:
  webshell:
    sha256:
      - not-a-sha256
condition: webshell
YAML

# What `ruleforge fmt` writes for that file, from a copy.
cp "$WS/root/rules/webshell.yml" "$WS/expected/webshell.yml"
(cd "$WS/expected" && "$RULEFORGE_BIN" fmt webshell.yml) >"$WS/fmt.log" 2>&1 || { cat "$WS/fmt.log" >&2; exit 1; }
if cmp -s "$WS/root/rules/webshell.yml" "$WS/expected/webshell.yml"; then
  echo "ERROR: ruleforge fmt left the fixture unchanged; the formatting check would prove nothing" >&2
  exit 1
fi

echo "$(nvim --version | head -n 1); server: $("$RULEFORGE_BIN" --version)"
# A clean editor: no user config, no shada, no swap files, no state under the real HOME.
rc=0
(
  cd "$WS/root"
  HOME="$WS/home" XDG_CONFIG_HOME="$WS/home/.config" XDG_DATA_HOME="$WS/home/.local/share" \
    XDG_STATE_HOME="$WS/home/.local/state" XDG_CACHE_HOME="$WS/home/.cache" \
    RULEFORGE_BIN="$RULEFORGE_BIN" RULEFORGE_NVIM_ROOT="$WS/root" \
    RULEFORGE_NVIM_FILE="$WS/root/rules/webshell.yml" RULEFORGE_NVIM_CODE=RF201 \
    RULEFORGE_NVIM_LINE=17 RULEFORGE_NVIM_EXPECTED="$WS/expected/webshell.yml" \
    timeout 120 nvim --headless -u NONE -i NONE -n \
    -c "luafile $HERE/diagnostics.lua" </dev/null
) || rc=$?
case $rc in
  0) echo "ok: Neovim saw RF201 on line 17, formatting equals ruleforge fmt, server exited 0" ;;
  124) echo "FAILED: nvim did not finish within 120 s" >&2 ;;
  *) echo "FAILED: nvim exited $rc" >&2 ;;
esac
exit "$rc"
