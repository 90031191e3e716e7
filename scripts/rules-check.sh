#!/usr/bin/env bash
# The checks of a rules repository, one step per call (rules-pr.yml, rules-publish.yml).
#
# Usage: scripts/rules-check.sh STEP
#   lint-changed  lint the rules changed since the base branch, as GitHub annotations
#   lint    lint every rule, as GitHub annotations
#   policy  policy checks of the change against the base branch (ruleforge lint --base)
#   sarif   lint everything into SARIF_OUT (exit 0 with findings: upload decides)
#   test    ruleforge test
#   fmt     ruleforge fmt --check
#   diff    semantic diff base..HEAD as markdown into DIFF_OUT and the run summary
#   coverage  ATT&CK coverage of the rules as markdown into COVERAGE_OUT and the run summary
#
# Environment:
#   BASE_REF              the base branch name, for lint-changed, policy and diff
#                         (github.base_ref, passed through env:)
#   RULEFORGE_BIN         default: ruleforge
#   RULEFORGE_LINT_FLAGS  extra lint flags, split on spaces (e.g. "--deny-warnings")
#   RULEFORGE_POLICY_SELECT  optional --select for the policy step
#   SARIF_OUT             default: ruleforge.sarif
#   DIFF_OUT              default: ruleforge-diff.md
#   COVERAGE_OUT          default: ruleforge-coverage.md
set -euo pipefail

die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 lint-changed|lint|policy|sarif|test|fmt|diff|coverage"
STEP=$1
BIN="${RULEFORGE_BIN:-ruleforge}"
read -r -a LINT_FLAGS <<<"${RULEFORGE_LINT_FLAGS:-}"

# The merge base of the PR with its base branch: for the merge commit a pull_request run checks
# out, that is the base branch's tip; for any other checkout it is where the branch forked.
base_rev() {
  local ref="${BASE_REF:-}"
  [ -n "$ref" ] || die "BASE_REF is not set: pass the pull request base branch (github.base_ref)"
  [[ $ref =~ ^[A-Za-z0-9._/-]+$ && $ref != -* ]] || die "invalid BASE_REF '$ref'"
  git rev-parse --verify --quiet "refs/remotes/origin/$ref^{commit}" >/dev/null ||
    die "origin/$ref is not fetched: check out with fetch-depth: 0"
  git merge-base "refs/remotes/origin/$ref" HEAD ||
    die "no merge base between origin/$ref and HEAD (shallow clone? use fetch-depth: 0)"
}

# append_summary FILE: adds FILE to the run summary, cut below GitHub's 1 MiB per-step limit.
append_summary() {
  [ -n "${GITHUB_STEP_SUMMARY:-}" ] || return 0
  awk -v limit=900000 '
    { size += length($0) + 1 }
    size > limit { print "\n_Cut: too long for the run summary._"; exit }
    { print }
  ' "$1" >>"$GITHUB_STEP_SUMMARY"
}

case $STEP in
  lint-changed)
    base=$(base_rev)
    "$BIN" lint --changed-since "$base" --output-format github "${LINT_FLAGS[@]}"
    ;;
  lint)
    "$BIN" lint --output-format github "${LINT_FLAGS[@]}"
    ;;
  policy)
    base=$(base_rev)
    select=()
    if [ -n "${RULEFORGE_POLICY_SELECT:-}" ]; then select=(--select "$RULEFORGE_POLICY_SELECT"); fi
    "$BIN" lint --base "$base" --output-format github "${select[@]}" "${LINT_FLAGS[@]}"
    ;;
  sarif)
    out="${SARIF_OUT:-ruleforge.sarif}"
    rc=0
    "$BIN" lint --output-format sarif "${LINT_FLAGS[@]}" >"$out" || rc=$?
    # 0 clean, 1 findings: both are a report to upload. 2 is an error.
    [ "$rc" -le 1 ] || die "ruleforge lint failed (exit $rc)"
    jq -e '.version == "2.1.0" and (.runs | length > 0)' "$out" >/dev/null ||
      die "$out is not a SARIF 2.1.0 log"
    echo "SARIF: $(jq '[.runs[].results | length] | add' "$out") results in $out"
    ;;
  test)
    "$BIN" test
    ;;
  fmt)
    "$BIN" fmt --check || die "rules are not formatted: run 'ruleforge fmt' and commit"
    ;;
  diff)
    base=$(base_rev)
    out="${DIFF_OUT:-ruleforge-diff.md}"
    "$BIN" diff "$base" HEAD --format markdown >"$out"
    append_summary "$out"
    echo "diff: $(wc -l <"$out") lines in $out"
    ;;
  coverage)
    out="${COVERAGE_OUT:-ruleforge-coverage.md}"
    "$BIN" coverage --format markdown >"$out"
    append_summary "$out"
    echo "coverage: $(wc -l <"$out") lines in $out"
    ;;
  *)
    die "unknown step '$STEP'"
    ;;
esac
