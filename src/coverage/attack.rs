//! The ATT&CK Enterprise table embedded in the binary: tactics in matrix order, techniques with
//! their names and tactics. Generated from MITRE's STIX data by `scripts/attack-data.py` into
//! `data/attack/enterprise-attack.tsv`, whose header carries the version, MITRE's copyright
//! designation and licence (`data/attack/LICENSE.txt`).

use std::collections::HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../../data/attack/enterprise-attack.tsv");

/// MITRE's copyright designation, which every copy of the data must carry.
pub const NOTICE: &str = "© 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of The MITRE Corporation.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tactic {
    /// `TA0001`.
    pub id: String,
    /// `initial-access`: the form tags use (`attack.initial-access`).
    pub shortname: String,
    /// `Initial Access`.
    pub name: String,
}

/// Whether ATT&CK still lists a technique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    Current,
    Deprecated,
    /// Revoked, and replaced by the technique with this id when MITRE names one.
    Revoked(Option<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Technique {
    /// `T1059` or `T1059.001`.
    pub id: String,
    pub name: String,
    /// Indexes into [`Attack::tactics`].
    pub tactics: Vec<usize>,
    pub standing: Standing,
}

impl Technique {
    /// The parent's id of a sub-technique (`T1059` for `T1059.001`); `None` for a technique.
    pub fn parent(&self) -> Option<&str> {
        self.id.split_once('.').map(|(p, _)| p)
    }
}

/// The ATT&CK Enterprise matrix.
#[derive(Debug)]
pub struct Attack {
    /// The ATT&CK version of the data (`18.1`).
    pub version: String,
    pub tactics: Vec<Tactic>,
    /// Sorted by id (sub-techniques after their parent).
    pub techniques: Vec<Technique>,
    by_id: HashMap<String, usize>,
}

impl Attack {
    /// The embedded table.
    pub fn enterprise() -> &'static Attack {
        static DATA: OnceLock<Attack> = OnceLock::new();
        DATA.get_or_init(|| Attack::parse(TABLE).expect("the embedded ATT&CK table parses"))
    }

    /// Parses a table in the format `scripts/attack-data.py` writes.
    pub fn parse(text: &str) -> Result<Attack, String> {
        let mut version = None;
        let mut tactics: Vec<Tactic> = Vec::new();
        let mut techniques = Vec::new();
        for (number, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let bad = || format!("line {}: malformed `{line}`", number + 1);
            match fields.as_slice() {
                ["version", v] => version = Some(v.to_string()),
                ["tactic", id, short, name] => tactics.push(Tactic {
                    id: id.to_string(),
                    shortname: short.to_string(),
                    name: name.to_string(),
                }),
                ["technique", id, name, phases, status, replaced] => {
                    let mut indexes = Vec::new();
                    for phase in phases.split(',').filter(|p| !p.is_empty()) {
                        let i = tactics
                            .iter()
                            .position(|t| t.shortname == *phase)
                            .ok_or_else(|| {
                                format!("line {}: unknown tactic `{phase}`", number + 1)
                            })?;
                        indexes.push(i);
                    }
                    let standing = match *status {
                        "" => Standing::Current,
                        "deprecated" => Standing::Deprecated,
                        "revoked" => {
                            Standing::Revoked((!replaced.is_empty()).then(|| replaced.to_string()))
                        }
                        _ => return Err(bad()),
                    };
                    techniques.push(Technique {
                        id: id.to_string(),
                        name: name.to_string(),
                        tactics: indexes,
                        standing,
                    });
                }
                _ => return Err(bad()),
            }
        }
        let by_id = techniques
            .iter()
            .enumerate()
            .map(|(i, t): (usize, &Technique)| (t.id.clone(), i))
            .collect();
        Ok(Attack {
            version: version.ok_or("no version line")?,
            tactics,
            techniques,
            by_id,
        })
    }

    /// The current (neither revoked nor deprecated) techniques of the tactic at `tactic`,
    /// sub-techniques left out, in id order: a column of the ATT&CK matrix.
    pub fn column(&self, tactic: usize) -> impl Iterator<Item = &Technique> {
        self.techniques.iter().filter(move |t| {
            t.parent().is_none() && t.standing == Standing::Current && t.tactics.contains(&tactic)
        })
    }

    /// The technique with this id (`T1059.001`, upper case).
    pub fn technique(&self, id: &str) -> Option<&Technique> {
        self.by_id.get(id).map(|&i| &self.techniques[i])
    }

    /// The index of the tactic with this shortname (`initial-access`; `initial_access` as
    /// older Sigma rules write it is accepted) or id (`ta0001`).
    pub fn tactic_index(&self, name: &str) -> Option<usize> {
        let name = name.replace('_', "-");
        self.tactics
            .iter()
            .position(|t| t.shortname == name || t.id.eq_ignore_ascii_case(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table() {
        let a = Attack::enterprise();
        assert_eq!(a.tactics.len(), 14);
        assert_eq!(a.tactics[0].shortname, "reconnaissance");
        let t = a.technique("T1059.001").unwrap();
        assert_eq!(t.name, "PowerShell");
        assert_eq!(t.parent(), Some("T1059"));
        assert_eq!(a.tactics[t.tactics[0]].shortname, "execution");
        assert_eq!(
            a.technique("T1086").unwrap().standing,
            Standing::Revoked(Some("T1059.001".into()))
        );
        assert_eq!(a.tactic_index("initial_access"), a.tactic_index("TA0001"));
        assert!(
            TABLE.contains(NOTICE),
            "the table must carry MITRE's notice"
        );
        assert!(TABLE.len() < 2 * 1024 * 1024);
    }

    #[test]
    fn malformed_tables_are_rejected() {
        assert!(Attack::parse("version\t1\ntechnique\tT1\tx\tnowhere\t\t\n").is_err());
        assert!(Attack::parse("tactic\tTA1\tx\tX\n").is_err());
        assert!(Attack::parse("version\t1\nbogus\n").is_err());
    }
}
