//! The form of `attack.` tags, one rule for both kinds of rule file: RF112 (native) and
//! RF656 (Sigma) ask [`problem`] and differ only in how they word and rate the finding.
//!
//! Accepted after `attack.`: a technique `tNNNN` or sub-technique `tNNNN.NNN`, a group
//! `gNNNN`, software `sNNNN`, a mitigation `mNNNN`, a data source `dsNNNN`, or an Enterprise
//! tactic in lower case with hyphens ([`TACTICS`]). Whether an id exists depends on the
//! ATT&CK release and is not checked.

/// ATT&CK Enterprise tactics as tag names: the fourteen of ATT&CK v17, and `stealth` and
/// `defense-impairment`, which replace `defense-evasion` from v18 on (still accepted: rules
/// written against older releases use it).
pub const TACTICS: [&str; 16] = [
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "stealth",
    "defense-impairment",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
];

/// What is wrong with the part of a tag after `attack.`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// More than an id and a sub-technique number (`t1059.001.002`).
    TooManyParts,
    /// Neither an id of a known form nor a tactic.
    Malformed,
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// The problem with `name`, the part of a tag after `attack.`, if any.
pub fn problem(name: &str) -> Option<Problem> {
    if TACTICS.contains(&name) {
        return None;
    }
    let mut parts = name.split('.');
    let id = parts.next().unwrap_or_default();
    let sub = parts.next();
    if parts.next().is_some() {
        return Some(Problem::TooManyParts);
    }
    let number_at = id.find(|c: char| c.is_ascii_digit()).unwrap_or(id.len());
    let (prefix, number) = id.split_at(number_at);
    let ok = digits(number, 4)
        && match prefix {
            "t" => sub.is_none_or(|s| digits(s, 3)),
            "g" | "s" | "m" | "ds" => sub.is_none(),
            _ => false,
        };
    (!ok).then_some(Problem::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        for good in [
            "t1059",
            "t1059.001",
            "g0016",
            "s0154",
            "m1042",
            "ds0009",
            "persistence",
            "defense-evasion",
            "stealth",
            "defense-impairment",
            "command-and-control",
        ] {
            assert_eq!(problem(good), None, "{good}");
        }
        for bad in [
            "t15050.3",
            "t10333",
            "t1059.01",
            "g0016.001",
            "ds0009.001",
            "x0001",
            "ds009",
            "Persistence",
            "defense_evasion",
            "",
            "t",
        ] {
            assert_eq!(problem(bad), Some(Problem::Malformed), "{bad}");
        }
        assert_eq!(problem("t1059.001.002"), Some(Problem::TooManyParts));
    }
}
