#!/usr/bin/env bash
# Creates the GitHub release of a bundle that scripts/publish.sh built and verified.
# The last step of the publish workflow: when it runs, every check has passed.
#
# Environment:
#   RULEFORGE_DIST     the directory publish.sh filled (archive, .minisig, public key,
#                      SHA256SUMS, release-notes.md), e.g. as downloaded from the build job
#   RULEFORGE_TAG      the release tag (publish.sh output `tag`)
#   RULEFORGE_COMMIT   the commit the tag points at (publish.sh output `commit`)
#   RULEFORGE_SHA256   optional: the archive's SHA-256 as the build job printed it; checked again
#   GH_TOKEN, GH_REPO  for the GitHub CLI (a token with contents: write; owner/name)
set -euo pipefail

die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

DIST="${RULEFORGE_DIST:?RULEFORGE_DIST is not set}"
TAG="${RULEFORGE_TAG:?RULEFORGE_TAG is not set}"
COMMIT="${RULEFORGE_COMMIT:?RULEFORGE_COMMIT is not set}"
[[ $COMMIT =~ ^[0-9a-f]{40}$ ]] || die "RULEFORGE_COMMIT must be a full commit SHA"
[[ $TAG =~ ^[0-9A-Za-z][0-9A-Za-z._+-]*$ ]] || die "invalid tag '$TAG'"
DIST=$(cd "$DIST" && pwd)

shopt -s nullglob
archives=("$DIST"/*.tar.gz)
keys=("$DIST"/*.pub)
shopt -u nullglob
[ ${#archives[@]} -eq 1 ] || die "expected one $DIST/*.tar.gz, found ${#archives[@]}"
[ ${#keys[@]} -eq 1 ] || die "expected one $DIST/*.pub, found ${#keys[@]}"
ARCHIVE=${archives[0]}
SIGNATURE="$ARCHIVE.minisig"
PUBLIC_KEY=${keys[0]}
NOTES="$DIST/release-notes.md"
SUMS="$DIST/SHA256SUMS"
for f in "$SIGNATURE" "$NOTES" "$SUMS"; do [ -f "$f" ] || die "missing $f"; done

# The files are the ones the build job verified.
(cd "$DIST" && sha256sum -c --quiet SHA256SUMS) || die "SHA256SUMS does not match the files"
if [ -n "${RULEFORGE_SHA256:-}" ]; then
  actual=$(sha256sum "$ARCHIVE" | awk '{print $1}')
  [ "$actual" = "$RULEFORGE_SHA256" ] || die "archive SHA-256 $actual differs from the build's $RULEFORGE_SHA256"
fi

if gh release view "$TAG" >/dev/null 2>&1; then
  die "release $TAG already exists"
fi

name=$(basename "$ARCHIVE" .tar.gz)
gh release create "$TAG" "$ARCHIVE" "$SIGNATURE" "$PUBLIC_KEY" "$SUMS" \
  --target "$COMMIT" --title "$name" --notes-file "$NOTES"
printf 'released %s at %s: %s\n' "$TAG" "$COMMIT" "$(basename "$ARCHIVE")"
