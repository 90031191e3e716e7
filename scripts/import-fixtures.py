#!/usr/bin/env python3
"""Writes the `ruleforge import` test fixtures with the real producers.

STIX bundles are made with the OASIS `stix2` library (which also validates every STIX pattern
with `stix2-patterns`), MISP events and a MISP feed with `pymisp`. Every id and timestamp is
fixed, so the output is byte for byte the same on every run; `.ci/run import-fixtures` runs this
script again and compares its output with the committed files.

Usage: python3 scripts/import-fixtures.py [OUT_DIR]   (default: tests/fixtures/import)
Needs: pip install stix2==3.0.2 pymisp==2.5.34.4
"""

import json
import sys
import uuid
from pathlib import Path

import stix2
from pymisp import MISPEvent, MISPObject, MISPOrganisation

NS = uuid.UUID("5bc659b5-f399-4c17-a9f9-22138a26aa19")


def sid(kind, name):
    """A fixed STIX id."""
    return f"{kind}--{uuid.uuid5(NS, kind + ':' + name)}"


def fixed_uuid(name):
    return str(uuid.uuid5(NS, "misp:" + name))


CREATED = "2021-03-02T10:00:00.000Z"
MODIFIED = "2021-03-05T12:00:00.000Z"

SHA256_A = "b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0"
SHA1_A = "6c2b1f0c2bd8c2e3f6a1d1c1f9b1a5a7c3d2e1f0"
MD5_A = "4f3a1a2b9c8d7e6f5a4b3c2d1e0f9a8b"
MD5_B = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def stix_objects(obj):
    return json.loads(obj.serialize())


def indicator(key, name, pattern, **kw):
    args = dict(
        id=sid("indicator", key),
        created=CREATED,
        modified=kw.pop("modified", MODIFIED),
        name=name,
        pattern=pattern,
        pattern_type=kw.pop("pattern_type", "stix"),
        valid_from=CREATED,
    )
    args.update(kw)
    return stix2.v21.Indicator(**args)


def stix_fixtures(out):
    cert = stix2.v21.Identity(
        id=sid("identity", "cert"),
        created=CREATED,
        modified=CREATED,
        name="Example CERT",
        identity_class="organization",
    )
    malware = stix2.v21.Malware(
        id=sid("malware", "sunburst"),
        created=CREATED,
        modified=CREATED,
        name="SUNBURST",
        is_family=True,
    )
    actor = stix2.v21.IntrusionSet(
        id=sid("intrusion-set", "actor"), created=CREATED, modified=CREATED, name="Fixture Actor"
    )
    technique = stix2.v21.AttackPattern(
        id=sid("attack-pattern", "t1071"),
        created=CREATED,
        modified=CREATED,
        name="Web Protocols",
        external_references=[{"source_name": "mitre-attack", "external_id": "T1071.001"}],
    )
    common = dict(created_by_ref=cert.id, object_marking_refs=[stix2.v21.TLP_GREEN.id])

    def indicators(version):
        c2_domains = ["rf-fixture-c2.com", "rf-fixture-cdn.net"]
        if version == 2:
            c2_domains.append("rf-fixture-update.org")
        c2 = indicator(
            "c2-domains",
            "Fixture implant command-and-control domains",
            " OR ".join(f"[domain-name:value = '{d}']" for d in c2_domains),
            description="Domains the fixture implant contacts for commands.",
            confidence=85,
            valid_until="2035-01-01T00:00:00Z",
            kill_chain_phases=[{"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}],
            external_references=[
                {"source_name": "mitre-attack", "external_id": "T1071.001", "url": "https://attack.mitre.org/techniques/T1071/001/"},
                {"source_name": "cve", "external_id": "CVE-2021-26855"},
                {"source_name": "fixture report", "url": "https://reports.example.org/fixture-implant"},
            ],
            modified="2021-04-01T00:00:00.000Z" if version == 2 else MODIFIED,
            **common,
        )
        out = [
            c2,
            indicator(
                "dropper-file",
                "Fixture dropper DLL by name and hash",
                f"[file:name = 'updater.dll' AND file:hashes.'SHA-256' = '{SHA256_A}']",
                **common,
            ),
            indicator(
                "loader-md5",
                "Fixture loader hashes",
                f"[file:hashes.MD5 = '{MD5_A}' OR file:hashes.MD5 = '{MD5_B}']",
                object_marking_refs=[stix2.v21.TLP_AMBER.id],
            ),
            indicator(
                "c2-addresses",
                "Fixture command-and-control addresses",
                "[ipv4-addr:value ISSUBSET '146.0.77.0/24'] OR [ipv6-addr:value = '2a03:b0c0:3:d0::2e1:1']",
            ),
            indicator(
                "gate-url",
                "Fixture implant gate URL",
                "[url:value LIKE 'http://rf-fixture-c2.com/gate.php?id=%']",
            ),
            indicator(
                "phish-sender",
                "Fixture phishing sender addresses",
                "[email-addr:value IN ('billing@rf-fixture-mail.com', 'invoice@rf-fixture-mail.com')]",
            ),
            indicator(
                "lsass-dump",
                "LSASS memory dump through comsvcs.dll",
                "[process:command_line MATCHES '(?i)comsvcs\\\\.dll.{0,8}minidump']",
                kill_chain_phases=[{"kill_chain_name": "mitre-attack", "phase_name": "credential-access"}],
            ),
            indicator(
                "run-key",
                "Fixture persistence Run key",
                "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\SOFTWARE\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run\\\\rf-fixture-updater']",
            ),
            indicator(
                "user-agent",
                "Fixture implant HTTP user agent",
                "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'Mozilla/4.0 (compatible; MSIE 7.0; rf-fixture)']",
            ),
            indicator(
                "webshell",
                "Fixture web shell pages",
                f"[file:name LIKE '%.aspx' AND file:hashes.'SHA-1' = '{SHA1_A}']",
            ),
            indicator(
                "mixed-benign",
                "Fixture addresses mixed with benign ones",
                "[ipv4-addr:value = '10.1.2.3'] OR [domain-name:value = 'login.microsoftonline.com'] OR [domain-name:value = 'rf-fixture-mixed.net']",
            ),
        ]
        if version == 2:
            out.append(
                indicator(
                    "new-in-v2",
                    "Fixture staging server added later",
                    "[domain-name:value = 'rf-fixture-staging.net']",
                    modified="2021-04-01T00:00:00.000Z",
                )
            )
        return out

    def relationships(inds):
        by_key = {i.id: i for i in inds}
        rels = []
        for ind_key, target in [("c2-domains", malware), ("c2-domains", actor), ("c2-domains", technique), ("dropper-file", malware)]:
            iid = sid("indicator", ind_key)
            if iid in by_key:
                rels.append(
                    stix2.v21.Relationship(
                        id=sid("relationship", ind_key + ":" + target.id),
                        created=CREATED,
                        modified=CREATED,
                        relationship_type="indicates",
                        source_ref=iid,
                        target_ref=target.id,
                    )
                )
        return rels

    for version, name in [(1, "indicators.json"), (2, "indicators-v2.json")]:
        inds = indicators(version)
        bundle = stix2.v21.Bundle(
            id=sid("bundle", name),
            objects=[cert, stix2.v21.TLP_GREEN, stix2.v21.TLP_AMBER, malware, actor, technique] + inds + relationships(inds),
        )
        write_json(out / "stix" / name, stix_objects(bundle))

    refused = [
        ("several-observations", "[file:name = 'a.exe'] AND [domain-name:value = 'rf-fixture-x.net']", {}),
        ("followedby", "[file:name = 'a.exe'] FOLLOWEDBY [domain-name:value = 'rf-fixture-x.net']", {}),
        ("within", "[domain-name:value = 'rf-fixture-x.net'] WITHIN 300 SECONDS", {}),
        ("repeats", "[domain-name:value = 'rf-fixture-x.net'] REPEATS 5 TIMES", {}),
        ("start-stop", "[domain-name:value = 'rf-fixture-x.net'] START t'2021-01-01T00:00:00Z' STOP t'2021-02-01T00:00:00Z'", {}),
        ("negation", "[file:name NOT = 'a.exe']", {}),
        ("negation-neq", "[file:name != 'a.exe']", {}),
        ("ordering", "[file:size > 1000]", {}),
        ("exists", "[EXISTS file:name]", {}),
        ("issuperset", "[ipv4-addr:value ISSUPERSET '146.0.77.0/24']", {}),
        ("unsupported-path", "[mutex:name = 'Global\\\\rf-fixture']", {}),
        ("unsupported-operator", "[domain-name:value MATCHES '^rf-fixture-[a-z]+\\\\.net$']", {}),
        ("literal", "[file:name = 12]", {}),
        ("regex", "[process:command_line MATCHES '(?<=powershell )-enc']", {}),
        ("revoked", "[domain-name:value = 'rf-fixture-revoked.net']", {"revoked": True}),
        ("pattern-type", "title: fixture\nlogsource: {}\ndetection: {sel: {a: b}, condition: sel}", {"pattern_type": "sigma"}),
        ("expired", "[domain-name:value = 'rf-fixture-expired.net']", {"valid_until": "2021-03-03T00:00:00Z"}),
        ("no-values-left", "[ipv4-addr:value = '192.168.1.1'] OR [domain-name:value = 'www.google.com']", {}),
    ]
    objs = [
        indicator("refused-" + key, f"Fixture refused: {key}", pattern, **kw)
        for key, pattern, kw in refused
    ]
    bundle = stix2.v21.Bundle(id=sid("bundle", "refused"), objects=objs)
    write_json(out / "stix" / "refused.json", stix_objects(bundle))

    # A TAXII 2.1 envelope: the objects of a collection page.
    env_objects = [
        stix_objects(indicator("taxii-" + str(n), f"Fixture TAXII indicator {n}", f"[domain-name:value = 'rf-fixture-taxii-{n}.net']"))
        for n in (1, 2)
    ]
    write_json(out / "stix" / "envelope.json", {"more": False, "objects": env_objects})
    # A lone object.
    write_json(out / "stix" / "lone-indicator.json", stix_objects(indicator("lone", "Fixture lone indicator object", "[url:value = 'https://rf-fixture-lone.net/a/b']")))


def misp_event(key, info, date, timestamp):
    ev = MISPEvent()
    ev.uuid = fixed_uuid(key)
    ev.info = info
    ev.set_date(date)
    ev.timestamp = timestamp
    ev.threat_level_id = 1
    ev.analysis = 2
    ev.distribution = 3
    org = MISPOrganisation()
    org.name = "Example CERT"
    org.uuid = fixed_uuid("org")
    ev.Orgc = org
    return ev


def add(ev, n, type_, value, to_ids=True, **kw):
    ev.add_attribute(type_, value, to_ids=to_ids, uuid=fixed_uuid(f"{ev.uuid}:{n}"), timestamp=1614729600, **kw)


def misp_fixtures(out):
    ev = misp_event("event-1", "Fixture campaign: web shells and C2", "2021-03-02", 1614729600)
    ev.add_tag("tlp:amber")
    ev.add_tag('misp-galaxy:mitre-attack-pattern="Server Software Component: Web Shell - T1505.003"')
    ev.add_tag('misp-galaxy:threat-actor="Fixture Actor"')
    add(ev, 1, "domain", "rf-fixture-misp-c2.com")
    add(ev, 2, "hostname", "mail.rf-fixture-misp.net")
    add(ev, 3, "ip-dst", "146.0.77.20", to_ids=False)
    add(ev, 4, "ip-src", "91.215.85.142")
    add(ev, 5, "filename|sha256", "x.aspx|" + SHA256_A)
    add(ev, 6, "url", "http://rf-fixture-misp-c2.com/owa/auth/x.aspx")
    add(ev, 7, "uri", "/owa/auth/rf-fixture.aspx")
    add(ev, 8, "user-agent", "Mozilla/5.0 (rf-fixture-misp)")
    add(ev, 9, "regkey", "HKLM\\Software\\rf-fixture")
    add(ev, 10, "email-src", "ops@rf-fixture-misp.net")
    add(ev, 11, "md5", EMPTY_MD5)
    add(ev, 12, "ip-dst|port", "91.215.85.143|443")
    add(ev, 13, "text", "analyst note")
    add(ev, 14, "link", "https://reports.example.org/fixture-misp", to_ids=False)
    add(ev, 15, "domain", "rf-fixture-deleted.net", deleted=True)
    add(ev, 16, "domain|ip", "rf-fixture-pair.net|91.215.85.144")
    add(ev, 17, "sha1", "not-a-sha1")

    f = MISPObject("file", standalone=False)
    f.uuid = fixed_uuid("event-1:file")
    f.timestamp = 1614729600
    f.add_attribute("filename", value="updater.dll", to_ids=True, uuid=fixed_uuid("event-1:file:1"))
    f.add_attribute("sha256", value=SHA256_A.replace("b7", "c8"), to_ids=True, uuid=fixed_uuid("event-1:file:2"))
    f.add_attribute("size-in-bytes", value=20480, to_ids=False, uuid=fixed_uuid("event-1:file:3"))
    ev.add_object(f)

    d = MISPObject("domain-ip", standalone=False)
    d.uuid = fixed_uuid("event-1:domain-ip")
    d.timestamp = 1614729600
    d.add_attribute("domain", value="rf-fixture-misp-cdn.com", to_ids=True, uuid=fixed_uuid("event-1:domain-ip:1"))
    d.add_attribute("ip", value="91.215.85.150", to_ids=True, uuid=fixed_uuid("event-1:domain-ip:2"))
    d.add_attribute("ip", value="91.215.85.151", to_ids=True, uuid=fixed_uuid("event-1:domain-ip:3"))
    ev.add_object(d)
    write_json(out / "misp" / "event.json", json.loads(ev.to_json()))

    # A feed: manifest.json and one file per event, as MISP's feed export writes them.
    feed = out / "misp" / "feed"
    manifest = {}
    for n, (info, domain) in enumerate([("Fixture feed event one", "rf-fixture-feed-1.net"), ("Fixture feed event two", "rf-fixture-feed-2.net")], 1):
        fe = misp_event(f"feed-{n}", info, "2021-03-0%d" % n, 1614729600 + n * 86400)
        fe.publish_timestamp = 1614729600 + n * 86400
        fe.add_tag("tlp:green")
        add(fe, 1, "domain", domain)
        add(fe, 2, "ip-dst", f"91.215.86.{n}")
        manifest.update(fe.manifest)
        write_json(feed / f"{fe.uuid}.json", fe.to_feed(with_meta=False))
    write_json(feed / "manifest.json", manifest)


def text_fixtures(out):
    t = out / "text"
    t.mkdir(parents=True, exist_ok=True)
    (t / "report.txt").write_text(
        "Fixture incident report (defanged).\n"
        "\n"
        "The implant (version 10.2.1.4) beaconed to hxxp://rf-fixture-text[.]com/gate.php and to\n"
        "c2[.]rf-fixture-text[.]net over 91.215.87[.]10; a second stage came from\n"
        "hxxps[:]//cdn.rf-fixture-text[.]org/stage2.bin. Phishing mail came from billing[@]rf-fixture-text[.]net.\n"
        "It dropped C:\\ProgramData\\rf-fixture\\loader.dll (SHA-256 " + SHA256_A + "),\n"
        "then ran cmd.exe and update.zip; the operators also used 10.0.0.5 internally.\n"
        "Seen again: c2[.]rf-fixture-text[.]net.\n"
    )
    (t / "list.txt").write_text(
        "# one value a line\n"
        "rf-fixture-list-1.com\n"
        "rf-fixture-list-2[.]net\n"
        "91.215.87.20\n"
        "91.215.87.0/28\n"
        + MD5_A.upper() + "\n"
        "svchost-update.exe\n"
        "mimikatz\n"
        "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\rf fixture\n"
        "8.8.8.8\n"
    )


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/import")
    stix_fixtures(out)
    misp_fixtures(out)
    text_fixtures(out)


if __name__ == "__main__":
    main()
