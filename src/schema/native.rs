//! The native rule schema (`schemas/rule.schema.json`) as typed code: [`is_valid`] answers
//! what the compiled JSON Schema validator answers for a rule document, without walking the
//! schema's keyword tree (most rules are valid, and for them this is the whole check).
//!
//! It reads the YAML tree with the JSON meaning `yaml_json` gives it (scalars resolved with
//! the YAML 1.2 core schema, a non-finite float is its text, a mapping key is its text).
//! Only the yes/no answer is written here: an invalid document is handed to the validator,
//! which reports its errors. The tests in `schema.rs` hold this equal to the validator on
//! every rule of the repository, the test vectors and fixtures, and generated rules that
//! break each keyword of the schema.
//!
//! A change of `schemas/rule.schema.json` needs the same change here, and a case in the
//! tests for each keyword it adds or limit it moves. The one error that matters is a "valid"
//! for a document the schema rejects: its findings would be lost. A wrong "invalid" only
//! costs the validator's walk.

use crate::yaml::{Entry, Node, NodeKind, Resolved};

/// True exactly when `root` is valid under the native rule schema.
pub fn is_valid(root: &Node) -> bool {
    let Some(entries) = map(root) else {
        return false;
    };
    let mut seen = 0u16;
    for e in entries {
        let Some(k) = key(e) else {
            return false;
        };
        let v = &e.value;
        let (bit, ok) = match k {
            "id" => (0, string(v).is_some_and(is_uuid)),
            "title" => (1, string(v).is_some_and(|s| between(s, 1, 200))),
            "status" => (
                2,
                one_of(v, &["experimental", "test", "stable", "deprecated"]),
            ),
            "severity" => (3, one_of(v, &["info", "low", "medium", "high", "critical"])),
            "author" => (4, non_empty_string(v)),
            "created" => (5, string(v).is_some_and(is_date)),
            "modified" => (6, string(v).is_some_and(is_date)),
            "description" => (7, non_empty_string(v)),
            "indicators" => (8, indicators(v)),
            "confidence" => (9, one_of(v, &["low", "medium", "high"])),
            "tlp" => (
                9,
                one_of(v, &["clear", "green", "amber", "amber+strict", "red"]),
            ),
            "expires" => (9, string(v).is_some_and(is_date)),
            "references" | "falsepositives" => (9, list(v, non_empty_string)),
            "tags" => (9, list(v, |t| string(t).is_some_and(is_tag))),
            "related" => (9, list(v, related)),
            "condition" => (9, non_empty_string(v)),
            "tests" => (9, list(v, test)),
            _ => return false,
        };
        if !ok {
            return false;
        }
        seen |= 1 << bit;
    }
    // Every required key (bits 0..=8) present.
    seen & 0x1ff == 0x1ff
}

/// The members of a mapping.
fn map(node: &Node) -> Option<&[Entry]> {
    match &node.kind {
        NodeKind::Map(entries) => Some(entries),
        _ => None,
    }
}

/// A mapping key's text, for scalar keys (a complex key's JSON text is never a name the
/// schema allows or a match of its name patterns).
fn key(e: &Entry) -> Option<&str> {
    match &e.key.kind {
        NodeKind::Scalar(s) => Some(&s.value),
        _ => None,
    }
}

/// The node as a JSON string, if it is one.
fn string(node: &Node) -> Option<&str> {
    match &node.kind {
        NodeKind::Scalar(s) => match s.resolve() {
            Resolved::Str(v) => Some(v),
            // The JSON conversion keeps a non-finite float as its text.
            Resolved::Float(f) if !f.is_finite() => Some(&s.value),
            _ => None,
        },
        _ => None,
    }
}

/// `minLength`/`maxLength`: counted in characters (code points).
fn between(s: &str, min: usize, max: usize) -> bool {
    if s.len() < min {
        return false;
    }
    if s.len() <= max {
        // At most one character per byte.
        return true;
    }
    let n = s.chars().count();
    n >= min && n <= max
}

fn non_empty_string(node: &Node) -> bool {
    string(node).is_some_and(|s| !s.is_empty())
}

/// `enum` of strings.
fn one_of(node: &Node, options: &[&str]) -> bool {
    string(node).is_some_and(|s| options.contains(&s))
}

/// `type: array` with `items`.
fn list(node: &Node, item: impl Fn(&Node) -> bool) -> bool {
    match &node.kind {
        NodeKind::Seq(items) => items.iter().all(item),
        _ => false,
    }
}

/// `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`
fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
}

/// `pattern: ^[0-9]{4}-[0-9]{2}-[0-9]{2}$` and `format: date` (RFC 3339 full-date: the
/// month 01-12, the day within the month, 29 February in leap years only).
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !b
            .iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        return false;
    }
    let num =
        |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |n, &c| n * 10 + u32::from(c - b'0'));
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// `^[a-z0-9][a-z0-9._+-]*$`
fn is_tag(s: &str) -> bool {
    let b = s.as_bytes();
    let head = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && head(b[0])
        && b[1..]
            .iter()
            .all(|&c| head(c) || matches!(c, b'.' | b'_' | b'+' | b'-'))
}

/// `^[a-z][a-z0-9_]*$` (group names).
fn is_group_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_lowercase()
        && b[1..]
            .iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

/// `^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*$` (event field names).
fn is_field_name(s: &str) -> bool {
    let word = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_';
    let mut parts = s.split('.');
    let first = parts.next().unwrap_or_default().as_bytes();
    !first.is_empty()
        && !first[0].is_ascii_digit()
        && first.iter().all(|&c| word(c))
        && parts.all(|p| !p.is_empty() && p.bytes().all(word))
}

/// The indicator types a group may hold (`$defs/group`'s properties).
const TYPES: [&str; 14] = [
    "md5",
    "sha1",
    "sha256",
    "file_name",
    "file_path",
    "process_name",
    "command_line",
    "registry_path",
    "user_agent",
    "url_path",
    "url",
    "domain",
    "ip",
    "email",
];

/// `indicators`: a non-empty mapping of well-named groups.
fn indicators(node: &Node) -> bool {
    map(node).is_some_and(|groups| {
        !groups.is_empty()
            && groups
                .iter()
                .all(|g| key(g).is_some_and(is_group_name) && group(&g.value))
    })
}

/// `$defs/group`: a non-empty mapping of indicator types to `$defs/values`.
fn group(node: &Node) -> bool {
    map(node).is_some_and(|types| {
        !types.is_empty()
            && types
                .iter()
                .all(|t| key(t).is_some_and(|k| TYPES.contains(&k)) && values(&t.value))
    })
}

/// `$defs/values`: a non-empty list of non-empty strings.
fn values(node: &Node) -> bool {
    matches!(&node.kind, NodeKind::Seq(items) if !items.is_empty() && items.iter().all(non_empty_string))
}

/// An item of `related`.
fn related(node: &Node) -> bool {
    let Some(entries) = map(node) else {
        return false;
    };
    let mut seen = 0u8;
    for e in entries {
        match key(e) {
            Some("id") if string(&e.value).is_some_and(is_uuid) => seen |= 1,
            Some("type")
                if one_of(
                    &e.value,
                    &["supersedes", "derived", "obsoletes", "similar", "merged"],
                ) =>
            {
                seen |= 2
            }
            _ => return false,
        }
    }
    seen == 3
}

/// `$defs/test`.
fn test(node: &Node) -> bool {
    let Some(entries) = map(node) else {
        return false;
    };
    let mut seen = 0u8;
    for e in entries {
        match key(e) {
            Some("name") if non_empty_string(&e.value) => seen |= 1,
            Some("expect") if one_of(&e.value, &["match", "no_match"]) => seen |= 2,
            Some("event") if event(&e.value) => seen |= 4,
            _ => return false,
        }
    }
    seen == 7
}

/// A test's `event`: a non-empty mapping of field names to a string or a list of strings.
fn event(node: &Node) -> bool {
    map(node).is_some_and(|fields| {
        !fields.is_empty()
            && fields.iter().all(|f| {
                key(f).is_some_and(is_field_name)
                    && (string(&f.value).is_some() || list(&f.value, |i| string(i).is_some()))
            })
    })
}
