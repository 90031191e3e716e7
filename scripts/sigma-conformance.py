#!/usr/bin/env python3
"""Conformance of `ruleforge lint` with `sigma check` (pySigma) on a Sigma rule corpus.

Runs both tools on the same folders and compares, per file and per check (through the
mapping below, the same one docs/sigma.md documents):

  A. files `sigma check` accepts (no error, no issue, after the configuration's exclusions)
     must get no error-level finding from ruleforge;
  B. every error-level problem `sigma check` finds (rule errors, condition errors and
     HIGH-severity issues) in a check both tools implement must be found by ruleforge on
     the same file, with a mapped code.

With --mutate N it also copies N rules of the corpus into a temporary folder, injects one
known fault into each (an undefined selection, an unknown modifier, `contains|re`, the pipe
aggregation, a bad id, an empty selection, ...), and runs the same comparison there, so the
error direction (B) is exercised on real problems, not only on a clean corpus.

Usage (see docs/sigma.md for setting up `sigma` without a network):

  scripts/sigma-conformance.py --corpus ../shared/reference/sigmahq-rules \
      --config ../shared/reference/sigmahq-rules/sigma_cli_conf.yml \
      --ruleforge target/release/ruleforge --sigma sigma \
      [--folders rules rules-emerging-threats ...] [--mutate 400] [--json out.json]

Exit status: 0 when both properties hold, 1 otherwise, 2 on usage errors.
"""

import argparse
import collections
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

# pySigma issue class -> ruleforge codes that report the same problem.
ISSUES = {
    "DanglingDetectionIssue": ["RF604"],
    "DanglingConditionIssue": ["RF603"],
    "ThemConditionWithSingleDetectionIssue": ["RF606"],
    "AllOfThemConditionIssue": ["RF605"],
    "SpecificInsteadOfGenericLogsourceIssue": ["RF636"],
    "FieldnameLogsourceIssue": ["RF635"],
    "IdentifierExistenceIssue": ["RF641"],
    "IdentifierCollisionIssue": ["RF690"],
    "DuplicateTitleIssue": ["RF691"],
    "DuplicateReferencesIssue": ["RF661"],
    "DuplicateFilenameIssue": ["RF692"],
    "FilenameLengthIssue": ["RF665"],
    "CustomAttributesIssue": ["RF650"],
    "AllWithoutContainsModifierIssue": ["RF612"],
    "Base64OffsetWithoutContainsModifierIssue": ["RF614"],
    "WindowsDashCombinedWithAllModifierIssue": ["RF615"],
    "ModifierAppliedMultipleIssue": ["RF616"],
    "InvalidTagFormatIssue": ["RF600"],
    "InvalidATTACKTagIssue": ["RF656"],
    "InvalidTLPTagIssue": ["RF658"],
    "DuplicateTagIssue": ["RF659"],
    "InvalidNamespaceTagIssue": ["RF655"],
    "InvalidPatternTagIssue": ["RF657"],
    "DoubleWildcardIssue": ["RF626"],
    "NumberAsStringIssue": ["RF627"],
    "ControlCharacterIssue": ["RF628"],
    "WildcardsInsteadOfContainsModifierIssue": ["RF629"],
    "WildcardInsteadOfStartswithIssue": ["RF629"],
    "WildcardInsteadOfEndswithIssue": ["RF629"],
    "EscapedWildcardIssue": ["RF624"],
    "SigmahqAuthorExistenceIssue": ["RF642"],
    "SigmahqDateExistenceIssue": ["RF642"],
    "SigmahqDescriptionExistenceIssue": ["RF642"],
    "SigmahqLevelExistenceIssue": ["RF642"],
    "SigmahqStatusExistenceIssue": ["RF642"],
    "SigmahqModifiedDateOrderIssue": ["RF643"],
    "SigmahqModifiedWithoutDateIssue": ["RF644"],
    "SigmahqRedundantModifiedIssue": ["RF645"],
    "SigmahqStatusIssue": ["RF647"],
    "SigmahqTitleLengthIssue": ["RF648"],
    "SigmahqTitleStartIssue": ["RF648"],
    "SigmahqTitleEndIssue": ["RF648"],
    "SigmahqDescriptionLengthIssue": ["RF649"],
    "SigmahqLinkInDescriptionIssue": ["RF649"],
    "SigmahqFieldsExistenceIssue": ["RF651"],
    "SigmahqSpaceFieldNameIssue": ["RF631"],
    "SigmahqFieldDuplicateValueIssue": ["RF630"],
    "SigmahqInvalidAllModifierIssue": ["RF613"],
    "SigmahqInvalidHashKvIssue": ["RF632"],
    "SigmahqUnsupportedRegexGroupConstructIssue": ["RF619"],
    "SigmahqTagsUniqueDetectionIssue": ["RF660"],
    "SigmahqTagsUniqueTlpIssue": ["RF660"],
    "SigmahqFilenameConventionIssue": ["RF666"],
    "SigmahqCorrelationFilenamePrefixIssue": ["RF666"],
    "SigmahqCorrelationRulesMinimumIssue": ["RF667"],
    "SigmahqCorrelationGroupByExistenceIssue": ["RF667"],
}

# Validator identifiers of the configuration's exclusions -> ruleforge codes they silence.
VALIDATORS = {
    "escaped_wildcard": ["RF624"],
    "number_as_string": ["RF627"],
    "specific_instead_of_generic_logsource": ["RF636"],
    "sigmahq_invalid_hash_kv": ["RF632"],
    "sigmahq_redundant_field": [],
    "sigmahq_category_windows_provider_name": [],
    "attacktag": ["RF656"],
    "duplicate_title": ["RF691"],
}

# pySigma rule and condition errors (by message) -> ruleforge codes.
ERRORS = [
    (r"Unknown modifier", ["RF610"]),
    (r"incompatible to value type|only applicable to unmodified values", ["RF611"]),
    (r"Invalid CIDR expression", ["RF620"]),
    (r"pipe syntax", ["RF602"]),
    (r"identifier must be an UUID", ["RF640"]),
    (r"related identifier must be an UUID|related type|related must", ["RF600"]),
    (r"use yyyy-mm-dd", ["RF646", "RF600"]),
    (r"Detection is empty|No detections defined|Null value must be bound to a field", ["RF607"]),
    (r"log source can't be empty", ["RF637"]),
    (r"must have a title|title must be|title length", ["RF600"]),
    (r"must have a log source|logsource must be|log source .* must be string", ["RF600"]),
    (r"must have a detection|detection must be|at least one condition", ["RF600"]),
    (r"not a valid Sigma rule (level|status)|level must be|status cannot", ["RF600"]),
    (r"tags fields must be a list|list of strings", ["RF600"]),
    (r"[Rr]egular expression", ["RF618"]),
    (r"[Dd]uplicate key", ["RF002"]),
]

ERROR_LINE = re.compile(r"^(?P<msg>.*) in (?P<path>/\S+?\.ya?ml)(?::\d+(?::\d+)?)?$")
COND_LINE = re.compile(r"^Condition error in (?P<path>/\S+?\.ya?ml)(?::\d+(?::\d+)?)?:(?P<msg>.*)$")
ISSUE_LINE = re.compile(r"^issue=(?P<cls>\w+) severity=(?P<sev>\w+) description=.*? rule=(?P<rules>/\S+?\.ya?ml(?:, /\S+?\.ya?ml)*)(?: |$)")


def run_sigma(sigma, config, root, folders, workdir):
    """Runs `sigma check`; returns {relpath: [(kind, name, severity, message)]}."""
    # An empty validator_json/ makes the SigmaHQ validators use their bundled data.
    os.makedirs(os.path.join(workdir, "validator_json"), exist_ok=True)
    cmd = [sigma, "check", "--validation-config", config] + [os.path.join(root, f) for f in folders]
    p = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    if "Traceback" in p.stderr:
        sys.exit(f"sigma check crashed:\n{p.stderr[-2000:]}")
    found = collections.defaultdict(list)
    root_abs = os.path.realpath(root)

    def rel(path):
        return os.path.relpath(os.path.realpath(path), root_abs).replace(os.sep, "/")

    for line in p.stdout.splitlines():
        m = ISSUE_LINE.match(line)
        if m:
            for path in m.group("rules").split(", "):
                found[rel(path)].append(("issue", m.group("cls"), m.group("sev"), line))
            continue
        m = COND_LINE.match(line)
        if m:
            found[rel(m.group("path"))].append(("condition", "SigmaConditionError", "error", m.group("msg")))
            continue
        m = ERROR_LINE.match(line)
        if m and not line.startswith("issue="):
            found[rel(m.group("path"))].append(("error", "SigmaError", "error", m.group("msg")))
    return found, p


def run_ruleforge(ruleforge, root, folders):
    cmd = [ruleforge, "lint", "--select", "ALL", "--output-format", "json"] + folders
    p = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        sys.exit(f"ruleforge failed ({p.returncode}): {p.stderr}")
    found = collections.defaultdict(list)
    for d in json.loads(p.stdout):
        found[d["path"]].append(d)
    return found


def rule_ids(root, folders):
    """relpath -> rule id (first `id:` line), for the configuration's exclusions."""
    ids = {}
    for f in folders:
        for dirpath, _, files in os.walk(os.path.join(root, f)):
            for name in files:
                if not name.endswith((".yml", ".yaml")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                with open(path, encoding="utf-8", errors="replace") as fh:
                    for line in fh:
                        if line.startswith("id:"):
                            ids[rel] = line[3:].strip().strip("'\"")
                            break
    return ids


def exclusions(config):
    """rule id -> set of ruleforge codes silenced by the configuration's exclusions."""
    out = collections.defaultdict(set)
    in_excl = False
    with open(config, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("exclusions:"):
                in_excl = True
                continue
            if in_excl:
                m = re.match(r"^\s+([0-9a-f-]{36}):\s*(\S+)", line)
                if m:
                    out[m.group(1)].update(VALIDATORS.get(m.group(2), []))
                elif line and not line.startswith((" ", "#")):
                    in_excl = False
    return out


def error_codes(entry):
    kind, cls, sev, msg = entry
    if kind == "issue":
        return ISSUES.get(cls) if sev == "high" else None
    for pat, codes in ERRORS:
        if re.search(pat, msg):
            return codes
    if kind == "condition":
        return ["RF601", "RF603"]
    return None


def compare(sig, rf, ids, excl, files):
    report = {"files": len(files), "accepted": 0, "accepted_with_rf_errors": [], "sigma_errors": 0,
              "sigma_errors_mapped": 0, "found": 0, "missed": [], "unmapped": collections.Counter(),
              "per_check": {}}
    per_check = collections.defaultdict(lambda: collections.Counter())
    for f in sorted(files):
        silenced = excl.get(ids.get(f, ""), set())
        rf_diags = [d for d in rf.get(f, []) if d["code"] not in silenced]
        rf_codes = {d["code"] for d in rf_diags}
        s = sig.get(f, [])
        if not s:
            report["accepted"] += 1
            errs = [d for d in rf_diags if d["severity"] == "error"]
            if errs:
                report["accepted_with_rf_errors"].append(
                    {"file": f, "findings": [f'{d["code"]} {d["line"]}:{d["column"]} {d["message"]}' for d in errs]})
        for e in s:
            name = e[1] if e[0] == "issue" else e[3][:60]
            codes = ISSUES.get(e[1]) if e[0] == "issue" else error_codes(e)
            if codes:
                hit = bool(rf_codes.intersection(codes))
                per_check[e[1] if e[0] == "issue" else "/".join(codes)]["both" if hit else "sigma only"] += 1
            error_level = e[0] != "issue" or e[2] == "high"
            if not error_level:
                continue
            report["sigma_errors"] += 1
            codes = error_codes(e)
            if not codes:
                report["unmapped"][name] += 1
                continue
            report["sigma_errors_mapped"] += 1
            if rf_codes.intersection(codes):
                report["found"] += 1
            else:
                report["missed"].append({"file": f, "sigma": f"{e[1]}: {e[3][:160]}", "expected": codes,
                                         "ruleforge": sorted(rf_codes)})
        # ruleforge-only findings per mapped check
        sig_classes = {e[1] for e in s}
        for cls, codes in ISSUES.items():
            if cls not in sig_classes and rf_codes.intersection(codes):
                per_check[cls]["ruleforge only"] += 1
    report["per_check"] = {k: dict(v) for k, v in sorted(per_check.items())}
    report["unmapped"] = dict(report["unmapped"])
    return report


# Each mutation: (name, codes ruleforge must report, function(text) -> text or None).
def _sub(pattern, repl, count=1, flags=re.M):
    def f(t):
        n = re.sub(pattern, repl, t, count=count, flags=flags)
        return n if n != t else None
    return f


MUTATIONS = [
    ("undefined selection in condition", ["RF603"], _sub(r"^(\s+condition: )(.*)$", r"\1\2 and not filter_ghost")),
    ("unknown modifier", ["RF610"], _sub(r"^(\s+\w+)\|(contains|endswith|startswith)(:|\|)", r"\1|contians\3")),
    ("contains|re", ["RF611"], _sub(r"^(\s+\w+)\|(contains|endswith|startswith):", r"\1|\2|re:")),
    ("pipe aggregation", ["RF602"], _sub(r"^(\s+condition: )(\w+)\s*$", r"\1\2 | count() by Computer > 5")),
    ("id not a UUID", ["RF640"], _sub(r"^id: ([0-9a-f]{8}).*$", r"id: not-a-uuid-\1")),
    ("empty selection", ["RF607"], _sub(r"^(    )(selection\w*):\s*$", r"\1\2_empty: []\n\1\2:")),
    ("condition syntax", ["RF601"], _sub(r"^(\s+condition: )(.*)$", r"\1(\2")),
    ("all without contains", ["RF612"], _sub(r"^(\s+\w+)\|contains\|all:", r"\1|all:")),
    ("unused selection", ["RF604"], _sub(r"^(    )(selection\w*):\s*$", r"\1unused_sel:\n\1    Foo: bar\n\1\2:")),
    # Quoted: PyYAML turns an unquoted 2023-02-30 into a crash of the whole `sigma check` run.
    ("invalid date", ["RF646", "RF600"], _sub(r"^date: .*$", "date: '2023-02-30'")),
    ("empty logsource", ["RF637", "RF600"], _sub(r"^logsource:\n(\s+\w+: .*\n)+", "logsource:\n    definition: nothing\n")),
    ("space in field name", ["RF631"], _sub(r"^(\s+)CommandLine\|", r"\1Command Line|")),
]


def mutate(root, folders, n, seed, dest):
    files = []
    for f in folders:
        for dirpath, _, names in os.walk(os.path.join(root, f)):
            files.extend(os.path.join(dirpath, x) for x in names if x.endswith(".yml"))
    files.sort()
    rng = random.Random(seed)
    rng.shuffle(files)
    made = []
    i = 0
    for path in files:
        if len(made) >= n:
            break
        name, codes, fn = MUTATIONS[i % len(MUTATIONS)]
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        new = fn(text)
        if new is None:
            continue
        i += 1
        rel = os.path.relpath(path, root)
        out = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(new)
        made.append((rel.replace(os.sep, "/"), name, codes))
    return made


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--config", required=True, help="sigma check validation configuration")
    ap.add_argument("--ruleforge", default="target/release/ruleforge")
    ap.add_argument("--sigma", default="sigma")
    ap.add_argument("--folders", nargs="+", default=["rules", "rules-compliance", "rules-emerging-threats",
                                                      "rules-placeholder", "rules-threat-hunting"])
    ap.add_argument("--mutate", type=int, default=0, help="also check N mutated rules")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="write the full report here")
    a = ap.parse_args()
    ruleforge = os.path.abspath(a.ruleforge)
    config = os.path.abspath(a.config)
    root = os.path.abspath(a.corpus)
    folders = [f for f in a.folders if os.path.isdir(os.path.join(root, f))]
    excl = exclusions(config)
    full = {}
    ok = True
    with tempfile.TemporaryDirectory() as work:
        runs = [("corpus", root, folders, None)]
        if a.mutate:
            mroot = os.path.join(work, "mutated")
            made = mutate(root, folders, a.mutate, a.seed, mroot)
            runs.append(("mutated", mroot, [f for f in folders if os.path.isdir(os.path.join(mroot, f))], made))
        for label, r, fs, made in runs:
            sig, proc = run_sigma(a.sigma, config, r, fs, work)
            rf = run_ruleforge(ruleforge, r, fs)
            ids = rule_ids(r, fs)
            rep = compare(sig, rf, ids, excl, ids.keys())
            if made is not None:
                hits = collections.Counter()
                tries = collections.Counter()
                misses = []
                for rel, name, codes in made:
                    tries[name] += 1
                    got = {d["code"] for d in rf.get(rel, [])}
                    if got.intersection(codes):
                        hits[name] += 1
                    else:
                        misses.append({"file": rel, "mutation": name, "ruleforge": sorted(got)})
                rep["mutations"] = {k: f"{hits[k]}/{tries[k]}" for k in tries}
                rep["mutations_missed"] = misses
                sig_flagged = sum(1 for rel, _, _ in made if sig.get(rel))
                rep["mutated_files_sigma_flags"] = f"{sig_flagged}/{len(made)}"
            full[label] = rep
            good = not rep["accepted_with_rf_errors"] and not rep["missed"]
            ok = ok and good
            print(f"== {label}: {rep['files']} files")
            print(f"  A. accepted by sigma check: {rep['accepted']}; of those with ruleforge errors: "
                  f"{len(rep['accepted_with_rf_errors'])}")
            for x in rep["accepted_with_rf_errors"][:10]:
                print(f"     {x['file']}: {x['findings'][0]}")
            print(f"  B. sigma check error-level problems: {rep['sigma_errors']} "
                  f"(mapped to a ruleforge check: {rep['sigma_errors_mapped']}); found by ruleforge: {rep['found']}; "
                  f"missed: {len(rep['missed'])}")
            for x in rep["missed"][:10]:
                print(f"     {x['file']}: {x['sigma']} -> expected {x['expected']}, got {x['ruleforge']}")
            if rep["unmapped"]:
                print(f"     not implemented by ruleforge: {rep['unmapped']}")
            print("  per check (file-level counts):")
            for k, v in rep["per_check"].items():
                print(f"     {k}: {v}")
            if "mutations" in rep:
                print(f"  mutations detected by ruleforge: {rep['mutations']}")
                print(f"  mutated files sigma check flags: {rep['mutated_files_sigma_flags']}")
                for x in rep["mutations_missed"][:10]:
                    print(f"     missed {x['mutation']} in {x['file']}: {x['ruleforge']}")
            print(f"  result: {'PASS' if good else 'FAIL'}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(full, fh, indent=2, default=list)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
