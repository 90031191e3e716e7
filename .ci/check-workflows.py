"""Project rules for .github/workflows, beyond actionlint. Run by .ci/run (actionlint step).

- Every third-party action is pinned to a full 40-hex commit SHA with the version in a trailing
  comment: `uses: owner/repo@<sha> # v1.2.3`.
- No `${{ ... }}` inside `run:` scripts at all: values reach scripts through `env:`.
- No `pull_request_target` or `workflow_run` triggers (they run with write tokens and secrets).
- Top-level `permissions:` is present and grants no write access; jobs ask for their own.
- actions/checkout does not persist the token in .git/config (`persist-credentials: false`).
- An action's metadata (action.yml, a composite action): its steps follow the same rules for
  pinning and `run:`; it has no triggers or permissions of its own.

Usage: python check-workflows.py WORKFLOW.yml|action.yml...   (needs ruamel.yaml, which check-jsonschema
installs). Prints one line per problem; exit 1 if any.
"""

import re
import sys

from ruamel.yaml import YAML

USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)\s*(#.*)?$")
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^#\s*v\d+(\.\d+)*\b")
FORBIDDEN_EVENTS = {"pull_request_target", "workflow_run"}


def check(path):
    problems = []
    text = open(path, encoding="utf-8").read()
    for number, line in enumerate(text.splitlines(), 1):
        m = USES_LINE.match(line)
        if not m:
            continue
        ref, comment = m.group(1).strip("'\""), (m.group(2) or "").strip()
        if ref.startswith("./") or ref.startswith("docker://"):
            continue
        if not PINNED.match(ref):
            problems.append(f"{path}:{number}: '{ref}' is not pinned to a full commit SHA")
        elif not VERSION_COMMENT.match(comment):
            problems.append(f"{path}:{number}: '{ref}' has no '# vX.Y.Z' version comment")

    doc = YAML(typ="safe").load(text)
    if "runs" in doc:
        for index, step in enumerate((doc["runs"] or {}).get("steps") or []):
            where = f"{path}: step {step.get('name') or step.get('uses') or index}"
            if "${{" in str(step.get("run", "")):
                problems.append(f"{where}: expression inside run:, pass it through env:")
        return problems
    events = doc.get("on", doc.get(True))  # YAML 1.1 loaders may read `on` as true
    names = set(events) if isinstance(events, (dict, list)) else {events}
    for event in sorted(FORBIDDEN_EVENTS & names):
        problems.append(f"{path}: trigger '{event}' is not allowed")

    top = doc.get("permissions")
    if top is None:
        problems.append(f"{path}: no top-level permissions (use `permissions: {{}}` or read-only)")
    elif isinstance(top, str) and top != "read-all":
        problems.append(f"{path}: top-level permissions '{top}' grants write access")
    elif isinstance(top, dict):
        for scope, level in top.items():
            if level == "write":
                problems.append(f"{path}: top-level permission {scope}: write (grant it per job)")

    for job_id, job in (doc.get("jobs") or {}).items():
        for index, step in enumerate(job.get("steps") or []):
            where = f"{path}: job {job_id} step {step.get('name') or step.get('uses') or index}"
            if "${{" in str(step.get("run", "")):
                problems.append(f"{where}: expression inside run:, pass it through env:")
            uses = str(step.get("uses", ""))
            if uses.startswith("actions/checkout@"):
                if (step.get("with") or {}).get("persist-credentials") is not False:
                    problems.append(f"{where}: actions/checkout without persist-credentials: false")
    return problems


def main(paths):
    problems = [p for path in paths for p in check(path)]
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
