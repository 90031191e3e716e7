#!/usr/bin/env bash
# Posts a markdown file as ONE pull request comment and updates that comment in place on every
# later run: the comment starts with a hidden marker, and the first bot comment that starts with
# it is edited (PATCH) instead of adding a new one (POST).
#
# Usage: scripts/pr-comment.sh BODY.md
# Environment:
#   GH_TOKEN            a token with pull-requests: write (the workflow's github.token)
#   GITHUB_REPOSITORY   owner/name
#   PR_NUMBER           the pull request number
#   RULEFORGE_COMMENT_MARKER  default: <!-- ruleforge-diff -->
#   RULEFORGE_COMMENT_STRICT  1: fail when GitHub refuses the write. Default: warn and exit 0,
#                       since a pull request from a fork gets a read-only token.
# Needs gh and jq (both are on GitHub's hosted runners).
set -euo pipefail

die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 BODY.md"
BODY_FILE=$1
[ -f "$BODY_FILE" ] || die "no such file: $BODY_FILE"
REPO="${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}"
PR="${PR_NUMBER:?PR_NUMBER is not set}"
MARKER="${RULEFORGE_COMMENT_MARKER:-<!-- ruleforge-diff -->}"
[[ $PR =~ ^[0-9]+$ ]] || die "PR_NUMBER must be a number"
[[ $REPO =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || die "GITHUB_REPOSITORY must be owner/name"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# GitHub refuses comment bodies over 65,536 characters: keep whole lines up to a safe size.
LIMIT=60000
{
  printf '%s\n' "$MARKER"
  awk -v limit="$LIMIT" '
    { size += length($0) + 1 }
    size > limit { cut = 1; exit }
    { print }
    END { if (cut) print "\n\n_The diff is too long for a comment and was cut here; the workflow run summary has all of it._" }
  ' "$BODY_FILE"
} >"$TMP/body.md"
jq -Rs '{body: .}' "$TMP/body.md" >"$TMP/payload.json"

# api_write METHOD PATH: sends the payload. A refused write (fork PR) warns and ends the script
# successfully, unless RULEFORGE_COMMENT_STRICT=1.
api_write() {
  local rc=0
  gh api --method "$1" "$2" --input "$TMP/payload.json" >"$TMP/response.json" 2>"$TMP/error.txt" || rc=$?
  if [ "$rc" -ne 0 ]; then
    cat "$TMP/error.txt" >&2
    if [ "${RULEFORGE_COMMENT_STRICT:-0}" != 1 ] &&
      grep -qE 'HTTP 403|Resource not accessible by integration' "$TMP/error.txt"; then
      echo "::warning::could not write the PR comment (read-only token, e.g. a pull request from a fork); the diff is in the run summary"
      exit 0
    fi
    return "$rc"
  fi
}

# The oldest comment by a bot that starts with the marker (a human quoting it is left alone).
gh api --paginate "repos/$REPO/issues/$PR/comments?per_page=100" >"$TMP/comments.json"
existing=$(jq -r --arg m "$MARKER" \
  '.[] | select(.user.type == "Bot" and ((.body // "") | startswith($m))) | .id' \
  "$TMP/comments.json" | sed -n 1p)

if [ -n "$existing" ]; then
  api_write PATCH "repos/$REPO/issues/comments/$existing"
  echo "updated comment $existing on #$PR"
else
  api_write POST "repos/$REPO/issues/$PR/comments"
  echo "posted a comment on #$PR"
fi
