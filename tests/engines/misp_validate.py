#!/usr/bin/env python3
"""Loads every event `ruleforge export misp` wrote with PyMISP, strictly.

Usage: misp_validate.py DIR
For each DIR/<rule id>.json: `MISPEvent(strict_validation=True).load`, the event uuid is the
file name, every attribute re-read by a strict `MISPAttribute` (type and category must be a
valid MISP combination), every object by a strict `MISPObject` of its template (known
template uuid and version, known relations, required ones present) and `to_dict(strict=True)`;
loose attributes are `to_ids` true, object attributes false. Prints one JSON line per event
(uuid, attribute (type, value, to_ids) list, object names, tags) for the caller to check,
then "N passed, M failed"; exits 1 on any failure.
"""

import copy
import json
import sys
from pathlib import Path

from pymisp import MISPAttribute, MISPEvent, MISPObject


def check(path):
    raw = json.loads(path.read_text())
    event = MISPEvent(strict_validation=True)
    event.load(copy.deepcopy(raw))
    assert str(event.uuid) == path.stem, f"uuid {event.uuid} is not the file name"
    body = raw["Event"]
    for a in body.get("Attribute", []):
        MISPAttribute(strict=True).from_dict(**copy.deepcopy(a))
        assert a["to_ids"] is True, f"loose attribute {a['value']} is not to_ids"
    objects = []
    for o in body.get("Object", []):
        o = copy.deepcopy(o)
        obj = MISPObject(o.pop("name"), strict=True)
        obj.from_dict(**o)
        obj.to_dict(strict=True)
        for a in o["Attribute"]:
            assert a["to_ids"] is False, f"object attribute {a['value']} is to_ids"
            MISPAttribute(strict=True).from_dict(**copy.deepcopy(a))
        objects.append({"name": obj.name, "relations": sorted((a.object_relation, a.value) for a in obj.attributes)})
    return {
        "uuid": str(event.uuid),
        "attributes": sorted([a.type, a.value, a.to_ids] for a in event.attributes),
        "objects": objects,
        "tags": sorted(t.name for t in event.tags),
    }


def main():
    passed = failed = 0
    for path in sorted(Path(sys.argv[1]).glob("*.json")):
        try:
            print(json.dumps(check(path)))
            passed += 1
        except Exception as e:  # noqa: BLE001 - every failure is reported with its file
            print(f"FAIL {path.name}: {type(e).__name__}: {e}", file=sys.stderr)
            failed += 1
    print(f"{passed} passed, {failed} failed", file=sys.stderr)
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
