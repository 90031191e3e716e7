#!/usr/bin/env bash
# Builds, signs and verifies the bundle of one commit and prepares its release; uploads nothing.
#
# Run from the root of a rules repository (a git work tree with full history and tags).
#
# Environment:
#   RULEFORGE_SECRET_KEY    required: the contents of the minisign secret key file. Read by
#                           `ruleforge bundle --secret-key-env`; it never touches the disk and is
#                           never printed.
#   RULEFORGE_KEY_PASSWORD  optional: the password of an encrypted secret key (read by ruleforge).
#   GITHUB_SHA              the commit to bundle (default: HEAD).
#   RULEFORGE_BIN           the ruleforge binary (default: ruleforge on PATH).
#   RULEFORGE_PUBLIC_KEY    the committed public key the bundle must verify with
#                           (default: keys/ruleforge.pub).
#   RULEFORGE_OUT_DIR       an empty or new directory for the release files
#                           (default: a new directory under $RUNNER_TEMP or /tmp).
#   RULEFORGE_TAG_PREFIX    release tag prefix (default: bundle-v); the tag is PREFIX<version>.
#   GITHUB_OUTPUT           if set, the outputs below are appended to it as name=value lines.
#
# Outputs (stdout and $GITHUB_OUTPUT): dir archive signature public_key sums notes name version
# tag sha256 commit previous_tag skip. skip=true means this commit's bundle version is already
# published under the same tag: nothing is left to do.
#
# Fails, and so publishes nothing, when: the key is missing, the bundle does not verify with the
# committed public key, the tag exists for another commit, or the version is not newer than the
# newest published one (a re-run of an old commit must not overtake a newer release).
set -euo pipefail
set +x # never trace: the environment holds the secret key

die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
log() { printf '%s\n' "$*" >&2; }

BIN="${RULEFORGE_BIN:-ruleforge}"
PUBLIC_KEY="${RULEFORGE_PUBLIC_KEY:-keys/ruleforge.pub}"
TAG_PREFIX="${RULEFORGE_TAG_PREFIX:-bundle-v}"
REV_INPUT="${GITHUB_SHA:-HEAD}"

command -v "$BIN" >/dev/null 2>&1 || die "ruleforge binary '$BIN' not found (set RULEFORGE_BIN)"
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || die "not inside a git work tree"
[ -n "${RULEFORGE_SECRET_KEY:-}" ] ||
  die "RULEFORGE_SECRET_KEY is empty: add the repository secret (see docs/ci.md)"
[ -f "$PUBLIC_KEY" ] || die "public key $PUBLIC_KEY not found: commit it (see docs/ci.md)"
case $REV_INPUT in -*) die "invalid revision '$REV_INPUT'" ;; esac
if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
  die "shallow clone: check out with fetch-depth: 0 so tags and history are available"
fi
REV=$(git rev-parse --verify --quiet "${REV_INPUT}^{commit}") || die "unknown revision '$REV_INPUT'"

if [ -n "${RULEFORGE_OUT_DIR:-}" ]; then
  OUT_DIR=$RULEFORGE_OUT_DIR
  mkdir -p "$OUT_DIR"
  [ -z "$(ls -A "$OUT_DIR")" ] || die "RULEFORGE_OUT_DIR $OUT_DIR is not empty"
else
  OUT_DIR=$(mktemp -d "${RUNNER_TEMP:-/tmp}/ruleforge-dist.XXXXXX")
fi
OUT_DIR=$(cd "$OUT_DIR" && pwd)

# 1. Build and sign the bundle of the commit. The key goes from the environment to ruleforge.
log "==> ruleforge bundle --rev $REV"
"$BIN" bundle --rev "$REV" --out "$OUT_DIR" --secret-key-env RULEFORGE_SECRET_KEY </dev/null >&2

shopt -s nullglob
archives=("$OUT_DIR"/*.tar.gz)
shopt -u nullglob
[ ${#archives[@]} -eq 1 ] || die "expected one $OUT_DIR/*.tar.gz, found ${#archives[@]}"
ARCHIVE=${archives[0]}
SIGNATURE="$ARCHIVE.minisig"
[ -f "$SIGNATURE" ] || die "signature $SIGNATURE not written"

# 2. Verify with the committed public key: the secret and the published key must match.
log "==> ruleforge verify --public-key $PUBLIC_KEY"
"$BIN" verify "$ARCHIVE" --public-key "$PUBLIC_KEY" >&2
if command -v minisign >/dev/null 2>&1; then
  log "==> minisign -V (stock tool)"
  minisign -Vm "$ARCHIVE" -x "$SIGNATURE" -p "$PUBLIC_KEY" -q
fi

# 3. Name, version and tag from the file name <name>-<version>.tar.gz.
BASE=$(basename "$ARCHIVE" .tar.gz)
NAME=${BASE%-*}
VERSION=${BASE##*-}
if [ -z "$NAME" ] || [ "$NAME" = "$BASE" ] || ! [[ $VERSION =~ ^[0-9A-Za-z][0-9A-Za-z.+_]*$ ]]; then
  die "cannot read name and version from $(basename "$ARCHIVE")"
fi
TAG="${TAG_PREFIX}${VERSION}"

# 4. Order: the newest published tag (by version) must be older than this one.
version_of_tag() { printf '%s\n' "${1#"$TAG_PREFIX"}"; }
newer_than() { # newer_than A B: A sorts strictly after B
  [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n 1)" = "$1" ]
}
PREVIOUS_TAG=$(git tag --list "${TAG_PREFIX}*" --sort=-version:refname | sed -n 1p)
SKIP=false
if git rev-parse --verify --quiet "refs/tags/$TAG" >/dev/null; then
  tagged=$(git rev-parse "refs/tags/$TAG^{commit}")
  [ "$tagged" = "$REV" ] ||
    die "tag $TAG already exists for commit $tagged, not $REV: refusing to publish"
  log "==> $TAG is already published for $REV: nothing to do"
  SKIP=true
elif [ -n "$PREVIOUS_TAG" ] && ! newer_than "$VERSION" "$(version_of_tag "$PREVIOUS_TAG")"; then
  die "version $VERSION is not newer than the published $PREVIOUS_TAG: refusing to publish out of order"
fi

# 5. Release notes: what changed since the last published bundle (or since the first commit).
if [ "$SKIP" = false ] && [ -n "$PREVIOUS_TAG" ]; then
  CHANGES_BASE=$PREVIOUS_TAG
else
  CHANGES_BASE=$(git rev-list --max-parents=0 "$REV" | tail -n 1)
fi
SHA256=$(sha256sum "$ARCHIVE" | awk '{print $1}')
PUBLIC_KEY_OUT="$OUT_DIR/$(basename "$PUBLIC_KEY")"
case $PUBLIC_KEY_OUT in *.pub) ;; *) die "the public key file name must end in .pub: $PUBLIC_KEY" ;; esac
cp "$PUBLIC_KEY" "$PUBLIC_KEY_OUT"
(cd "$OUT_DIR" && sha256sum "$(basename "$ARCHIVE")" "$(basename "$SIGNATURE")" \
  "$(basename "$PUBLIC_KEY_OUT")" >SHA256SUMS)
NOTES="$OUT_DIR/release-notes.md"
log "==> ruleforge changelog $CHANGES_BASE $REV"
# shellcheck disable=SC2016 # the backticks are markdown
{
  printf '## %s %s\n\n' "$NAME" "$VERSION"
  printf -- '- Source commit: `%s`\n' "$REV"
  printf -- '- SHA-256 of `%s`: `%s`\n' "$(basename "$ARCHIVE")" "$SHA256"
  printf -- '- Verify: `minisign -Vm %s -p %s`\n\n' "$(basename "$ARCHIVE")" "$(basename "$PUBLIC_KEY")"
  if [ "$CHANGES_BASE" = "$REV" ]; then
    printf 'First bundle of this repository.\n'
  else
    printf '### Changes since %s\n\n' "$CHANGES_BASE"
    "$BIN" changelog "$CHANGES_BASE" "$REV" </dev/null
  fi
} >"$NOTES"

# 6. Outputs.
emit() {
  printf '%s=%s\n' "$1" "$2"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; fi
}
emit dir "$OUT_DIR"
emit archive "$ARCHIVE"
emit signature "$SIGNATURE"
emit public_key "$PUBLIC_KEY_OUT"
emit sums "$OUT_DIR/SHA256SUMS"
emit notes "$NOTES"
emit name "$NAME"
emit version "$VERSION"
emit tag "$TAG"
emit sha256 "$SHA256"
emit commit "$REV"
emit previous_tag "$PREVIOUS_TAG"
emit skip "$SKIP"
