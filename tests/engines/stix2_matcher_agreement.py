#!/usr/bin/env python3
"""The OASIS STIX pattern matcher (`stix2-matcher`) as the judge of `ruleforge import stix`.

Imports a STIX bundle with ruleforge, then evaluates a set of observations two ways: every
indicator's pattern against each observation as STIX 2.1 observed-data (stix2-matcher), and
the imported rules against the same observation as an ECS event (`ruleforge match`). Every
(indicator, observation) pair must agree, except where the observation holds a value the
import report says it dropped (known-benign values: a deliberate difference).

Usage: stix2_matcher_agreement.py RULEFORGE_BIN BUNDLE WORKDIR
Prints "N passed, M failed" and exits 1 on any disagreement.
"""

import json
import subprocess
import sys
from pathlib import Path

from stix2matcher.matcher import match

SHA256_A = "b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0"
SHA1_A = "6c2b1f0c2bd8c2e3f6a1d1c1f9b1a5a7c3d2e1f0"
MD5_A = "4f3a1a2b9c8d7e6f5a4b3c2d1e0f9a8b"
RUN_KEY = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\rf-fixture-updater"
UA = "Mozilla/4.0 (compatible; MSIE 7.0; rf-fixture)"

# Observations: each a list of SCOs (without ids); a network-traffic's `dst_ref` is the index
# of another SCO of the same observation.
OBSERVATIONS = [
    [{"type": "domain-name", "value": "rf-fixture-c2.com"}],
    [{"type": "domain-name", "value": "rf-fixture-cdn.net"}],
    [{"type": "domain-name", "value": "rf-fixture-c2.com.evil.net"}],
    [{"type": "domain-name", "value": "www.rf-fixture-c2.com"}],
    [{"type": "domain-name", "value": "rf-fixture-mixed.net"}],
    [{"type": "domain-name", "value": "login.microsoftonline.com"}],
    [{"type": "ipv4-addr", "value": "10.1.2.3"}],
    [{"type": "file", "name": "updater.dll", "hashes": {"SHA-256": SHA256_A}}],
    [{"type": "file", "name": "updater.dll"}],
    [{"type": "file", "name": "other.dll", "hashes": {"SHA-256": SHA256_A}}],
    [{"type": "file", "name": "shell.aspx", "hashes": {"SHA-1": SHA1_A}}],
    [{"type": "file", "name": "shell.aspx.bak", "hashes": {"SHA-1": SHA1_A}}],
    [{"type": "file", "name": "x.aspx", "hashes": {"SHA-1": "0" * 40}}],
    [{"type": "file", "hashes": {"MD5": MD5_A}}],
    [{"type": "file", "hashes": {"MD5": "1" * 32}}],
    [{"type": "ipv4-addr", "value": "146.0.77.200"}],
    [{"type": "ipv4-addr", "value": "146.0.78.1"}],
    [{"type": "ipv6-addr", "value": "2a03:b0c0:3:d0::2e1:1"}],
    [{"type": "ipv6-addr", "value": "2a03:b0c0:3:d0::2e1:2"}],
    [{"type": "url", "value": "http://rf-fixture-c2.com/gate.php?id=7"}],
    [{"type": "url", "value": "http://rf-fixture-c2.com/gate.php?id="}],
    [{"type": "url", "value": "http://rf-fixture-c2.com/gate.php"}],
    [{"type": "url", "value": "http://rf-fixture-c2.com/gate.phpXid=7"}],
    [{"type": "email-addr", "value": "billing@rf-fixture-mail.com"}],
    [{"type": "email-addr", "value": "invoice@rf-fixture-mail.com"}],
    [{"type": "email-addr", "value": "support@rf-fixture-mail.com"}],
    [{"type": "process", "command_line": "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\t\\x.dmp full"}],
    [{"type": "process", "command_line": "rundll32.exe comsvcs.dll,#24 624"}],
    [{"type": "windows-registry-key", "key": RUN_KEY}],
    [{"type": "windows-registry-key", "key": RUN_KEY + "2"}],
    [
        {"type": "ipv4-addr", "value": "91.215.85.1"},
        {"type": "network-traffic", "dst_ref": 0, "protocols": ["tcp", "http"],
         "extensions": {"http-request-ext": {"request_method": "get", "request_value": "/",
                                             "request_header": {"User-Agent": UA}}}},
    ],
    [
        {"type": "ipv4-addr", "value": "91.215.85.1"},
        {"type": "network-traffic", "dst_ref": 0, "protocols": ["tcp", "http"],
         "extensions": {"http-request-ext": {"request_method": "get", "request_value": "/",
                                             "request_header": {"User-Agent": UA + " x"}}}},
    ],
]


def stix_bundle(n, scos):
    ids = [f"{s['type']}--00000000-0000-4000-8000-{n:06d}{i:06d}" for i, s in enumerate(scos)]
    objects = []
    for i, s in enumerate(scos):
        o = dict(s, id=ids[i], spec_version="2.1")
        if "dst_ref" in o:
            o["dst_ref"] = ids[o["dst_ref"]]
        objects.append(o)
    od = {
        "type": "observed-data",
        "spec_version": "2.1",
        "id": f"observed-data--00000000-0000-4000-8000-{n:012d}",
        "created": "2021-03-02T10:00:00.000Z",
        "modified": "2021-03-02T10:00:00.000Z",
        "first_observed": "2021-03-02T10:00:00Z",
        "last_observed": "2021-03-02T10:00:00Z",
        "number_observed": 1,
        "object_refs": ids,
    }
    return {"type": "bundle", "id": f"bundle--00000000-0000-4000-8000-{n:012d}", "objects": [od] + objects}


def ecs_event(n, scos):
    e = {"event.id": str(n)}
    for s in scos:
        t = s["type"]
        if t == "domain-name":
            e["dns.question.name"] = s["value"]
        elif t in ("ipv4-addr", "ipv6-addr"):
            e["destination.ip"] = s["value"]
        elif t == "url":
            e["url.full"] = s["value"]
        elif t == "email-addr":
            e["email.from.address"] = s["value"]
        elif t == "file":
            if "name" in s:
                e["file.name"] = s["name"]
            for alg, field in (("MD5", "md5"), ("SHA-1", "sha1"), ("SHA-256", "sha256")):
                if alg in s.get("hashes", {}):
                    e[f"file.hash.{field}"] = s["hashes"][alg]
        elif t == "process":
            e["process.command_line"] = s["command_line"]
        elif t == "windows-registry-key":
            e["registry.key"] = s["key"]
        elif t == "network-traffic":
            ua = s["extensions"]["http-request-ext"]["request_header"].get("User-Agent")
            if ua:
                e["user_agent.original"] = ua
        else:
            raise ValueError(t)
    return e


def values_in(scos):
    out = set()
    for s in scos:
        for k in ("value", "name", "command_line", "key"):
            if k in s:
                out.add(s[k].lower())
        out.update(v.lower() for v in s.get("hashes", {}).values())
    return out


def main():
    binary, bundle_path, work = str(Path(sys.argv[1]).resolve()), Path(sys.argv[2]).resolve(), Path(sys.argv[3])
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    r = subprocess.run(
        [binary, "import", "stix", str(bundle_path), "--out", "rules/stix", "--report", "report.json", "-q"],
        cwd=work, capture_output=True, text=True,
    )
    if r.returncode not in (0, 1):
        print(r.stderr)
        sys.exit(2)
    report = json.loads((work / "report.json").read_text())
    bundle = json.loads(bundle_path.read_text())
    patterns = {o["id"]: o["pattern"] for o in bundle["objects"] if o.get("type") == "indicator"}
    imported = {o["rule"]["id"]: o for o in report["objects"] if o["action"] in ("create", "update", "unchanged")}
    with open(work / "events.ndjson", "w") as f:
        for n, scos in enumerate(OBSERVATIONS):
            f.write(json.dumps(ecs_event(n, scos)) + "\n")
    m = subprocess.run(
        [binary, "match", "rules", "--event", "events.ndjson"], cwd=work, capture_output=True, text=True, check=True
    )
    ours = {(json.loads(l)["event"], json.loads(l)["id"]) for l in m.stdout.splitlines()}
    passed = failed = skipped = 0
    for rule_id, obj in sorted(imported.items()):
        pattern = patterns[obj["source_id"]]
        dropped = {d["value"].lower() for d in obj["dropped"]}
        for n, scos in enumerate(OBSERVATIONS):
            if values_in(scos) & dropped:
                skipped += 1
                continue
            stix = bool(match(pattern, [stix_bundle(n, scos)], stix_version="2.1"))
            rf = (n, rule_id) in ours
            if stix == rf:
                passed += 1
            else:
                failed += 1
                print(f"DISAGREE: {obj['name']!r} on observation {n} {scos}: stix2-matcher {stix}, ruleforge {rf}")
    matched = sum(1 for _ in ours)
    print(f"{len(imported)} imported indicators x {len(OBSERVATIONS)} observations, {matched} matches, {skipped} pairs with dropped values skipped")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
