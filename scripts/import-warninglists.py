#!/usr/bin/env python3
"""Convert MISP warninglists (CC0 1.0) into ruleforge's known-benign data files.

Usage: scripts/import-warninglists.py MISP_LISTS_DIR data/benign

Each output file is plain text: `#` header lines naming the source list, its version and
licence, then one value per line (lower-cased, sorted, de-duplicated). The crate embeds
these files (src/benign.rs). Lists that repackage third-party rankings (cisco_top*,
alexa, tranco, majestic) are deliberately not imported: their terms are not CC0.
"""
import json
import pathlib
import sys

LISTS = {
    # output name: (misp list folder, what it holds)
    "rfc1918": ("rfc1918", "cidr"),
    "rfc5735": ("rfc5735", "cidr"),
    "rfc6598": ("rfc6598", "cidr"),
    "rfc3849": ("rfc3849", "cidr"),
    "ipv6-linklocal": ("ipv6-linklocal", "cidr"),
    "multicast": ("multicast", "cidr"),
    "public-dns-v4": ("public-dns-v4", "cidr"),
    "public-dns-v6": ("public-dns-v6", "cidr"),
    "empty-hashes": ("empty-hashes", "hash"),
    "microsoft": ("microsoft", "domain"),
    "microsoft-office365": ("microsoft-office365", "domain"),
    "google": ("google", "domain"),
    "rfc6761": ("rfc6761", "domain"),
}


def main() -> None:
    src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for name, (folder, kind) in LISTS.items():
        data = json.loads((src / folder / "list.json").read_text())
        values = set()
        for v in data["list"]:
            v = v.strip().lower()
            if kind == "hash" and not all(c in "0123456789abcdef" for c in v):
                continue  # ssdeep and other non-hex forms
            if kind == "domain" and ("/" in v or " " in v):
                continue  # URLs and ports are not domains
            if v:
                values.add(v)
        header = [
            f"# {data['name']}",
            f"# source: MISP warninglists, lists/{folder}/list.json, version {data.get('version')}",
            "# licence: CC0 1.0 Universal (MISP warninglists README, section License)",
            f"# kind: {kind}",
        ]
        (out / f"{name}.txt").write_text("\n".join(header + sorted(values)) + "\n")


if __name__ == "__main__":
    main()
