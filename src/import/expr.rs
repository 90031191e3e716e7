//! What an imported rule matches, before it becomes groups and a condition: a monotone boolean
//! expression (no `not`) over terms, each term "this type has one of these values".
//!
//! Every format maps its source onto this expression; hygiene removes values from terms; then
//! [`render`] turns it into the rule's groups and condition. Removing a value can only make
//! the rule match less: a term left without values never matches, so [`Expr::simplify`]
//! drops it from an `any` and drops a whole `all` that holds it.

use crate::indicator::IndicatorType;
use std::collections::BTreeMap;

/// A monotone boolean expression over terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Term(Term),
    /// Every part matches the same event.
    All(Vec<Expr>),
    /// At least one part matches.
    Any(Vec<Expr>),
}

/// A type that matches when any of its values matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub ty: IndicatorType,
    pub values: Vec<String>,
}

impl Term {
    pub fn new(ty: IndicatorType, values: Vec<String>) -> Self {
        Term { ty, values }
    }
}

impl Expr {
    pub fn term(ty: IndicatorType, value: impl Into<String>) -> Expr {
        Expr::Term(Term::new(ty, vec![value.into()]))
    }

    /// Every term, mutably (for value hygiene).
    pub fn terms_mut(&mut self) -> Vec<&mut Term> {
        let mut out = Vec::new();
        fn walk<'a>(e: &'a mut Expr, out: &mut Vec<&'a mut Term>) {
            match e {
                Expr::Term(t) => out.push(t),
                Expr::All(v) | Expr::Any(v) => v.iter_mut().for_each(|c| walk(c, out)),
            }
        }
        walk(self, &mut out);
        out
    }

    /// Every term.
    pub fn terms(&self) -> Vec<&Term> {
        let mut out = Vec::new();
        fn walk<'a>(e: &'a Expr, out: &mut Vec<&'a Term>) {
            match e {
                Expr::Term(t) => out.push(t),
                Expr::All(v) | Expr::Any(v) => v.iter().for_each(|c| walk(c, out)),
            }
        }
        walk(self, &mut out);
        out
    }

    /// Removes `value` of type `ty` from every term.
    pub fn remove_value(&mut self, ty: IndicatorType, value: &str) {
        for t in self.terms_mut() {
            if t.ty == ty {
                t.values.retain(|v| v != value);
            }
        }
    }

    /// The same expression without empty terms, with nested `all`/`any` flattened and the
    /// terms of one type under an `any` merged. `None` when nothing can match any more.
    pub fn simplify(self) -> Option<Expr> {
        match self {
            Expr::Term(mut t) => {
                let mut seen = std::collections::HashSet::new();
                t.values.retain(|v| seen.insert(v.clone()));
                (!t.values.is_empty()).then_some(Expr::Term(t))
            }
            Expr::All(parts) => {
                let mut out = Vec::new();
                for p in parts {
                    match p.simplify()? {
                        Expr::All(inner) => out.extend(inner),
                        e => out.push(e),
                    }
                }
                dedup(&mut out);
                match out.len() {
                    0 => None,
                    1 => out.pop(),
                    _ => Some(Expr::All(out)),
                }
            }
            Expr::Any(parts) => {
                let mut out: Vec<Expr> = Vec::new();
                for p in parts {
                    match p.simplify() {
                        Some(Expr::Any(inner)) => out.extend(inner),
                        Some(e) => out.push(e),
                        None => {}
                    }
                }
                // Terms of one type under an `any` are one term with all the values.
                let mut merged: Vec<Expr> = Vec::new();
                for e in out {
                    match e {
                        Expr::Term(t) => match merged
                            .iter_mut()
                            .find(|m| matches!(m, Expr::Term(m) if m.ty == t.ty))
                        {
                            Some(Expr::Term(m)) => {
                                for v in t.values {
                                    if !m.values.contains(&v) {
                                        m.values.push(v);
                                    }
                                }
                            }
                            _ => merged.push(Expr::Term(t)),
                        },
                        e => merged.push(e),
                    }
                }
                dedup(&mut merged);
                match merged.len() {
                    0 => None,
                    1 => merged.pop(),
                    _ => Some(Expr::Any(merged)),
                }
            }
        }
    }
}

fn dedup(v: &mut Vec<Expr>) {
    let mut i = 0;
    while i < v.len() {
        if v[..i].contains(&v[i]) {
            v.remove(i);
        } else {
            i += 1;
        }
    }
}

/// The types of one group, each with its values.
pub type GroupTypes = Vec<(IndicatorType, Vec<String>)>;

/// The groups and condition of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// (group name, [(type, values)]) in order.
    pub groups: Vec<(String, GroupTypes)>,
    /// `None` when the condition is `1 of them` (the default).
    pub condition: Option<String>,
}

enum Cond {
    Group(usize),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

/// Turns a simplified expression into groups and a condition. Terms of distinct types under an
/// `all` share a group (the types of a group are AND-ed); an `any` of groups is the default
/// condition `1 of them`.
pub fn render(expr: &Expr) -> Rendered {
    let mut groups: Vec<GroupTypes> = Vec::new();
    fn go(e: &Expr, groups: &mut Vec<GroupTypes>) -> Cond {
        match e {
            Expr::Term(t) => {
                groups.push(vec![(t.ty, t.values.clone())]);
                Cond::Group(groups.len() - 1)
            }
            Expr::All(parts) => {
                // Pack the terms into as few groups as possible: one type per group.
                let mut packed: Vec<GroupTypes> = Vec::new();
                let mut others = Vec::new();
                for p in parts {
                    match p {
                        Expr::Term(t) => {
                            match packed
                                .iter_mut()
                                .find(|g| g.iter().all(|(ty, _)| *ty != t.ty))
                            {
                                Some(g) => g.push((t.ty, t.values.clone())),
                                None => packed.push(vec![(t.ty, t.values.clone())]),
                            }
                        }
                        other => others.push(other),
                    }
                }
                let mut conds = Vec::new();
                for g in packed {
                    groups.push(g);
                    conds.push(Cond::Group(groups.len() - 1));
                }
                for o in others {
                    conds.push(go(o, groups));
                }
                if conds.len() == 1 {
                    conds.pop().expect("one")
                } else {
                    Cond::And(conds)
                }
            }
            Expr::Any(parts) => Cond::Or(parts.iter().map(|p| go(p, groups)).collect()),
        }
    }
    let cond = go(expr, &mut groups);
    let names = group_names(&groups);
    let condition = match &cond {
        Cond::Group(_) => None,
        Cond::Or(parts) if parts.iter().all(|p| matches!(p, Cond::Group(_))) => None,
        Cond::And(parts) if parts.iter().all(|p| matches!(p, Cond::Group(_))) => {
            Some("all of them".to_string())
        }
        c => Some(text(c, &names, false)),
    };
    Rendered {
        groups: names.into_iter().zip(groups).collect(),
        condition,
    }
}

fn text(c: &Cond, names: &[String], nested: bool) -> String {
    match c {
        Cond::Group(i) => names[*i].clone(),
        Cond::And(parts) => parts
            .iter()
            .map(|p| text(p, names, true))
            .collect::<Vec<_>>()
            .join(" and "),
        Cond::Or(parts) => {
            let s = parts
                .iter()
                .map(|p| text(p, names, false))
                .collect::<Vec<_>>()
                .join(" or ");
            if nested {
                format!("({s})")
            } else {
                s
            }
        }
    }
}

/// Group names from the types they hold (`sha256`, `file_name_sha256`), numbered when two
/// groups would share a name.
fn group_names(groups: &[GroupTypes]) -> Vec<String> {
    let base: Vec<String> = groups
        .iter()
        .map(|g| {
            g.iter()
                .map(|(t, _)| t.name())
                .collect::<Vec<_>>()
                .join("_")
        })
        .collect();
    let mut total: BTreeMap<&str, usize> = BTreeMap::new();
    for b in &base {
        *total.entry(b).or_default() += 1;
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    base.iter()
        .map(|b| {
            if total[b.as_str()] == 1 {
                b.clone()
            } else {
                let n = seen.entry(b).or_default();
                *n += 1;
                format!("{b}_{n}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use IndicatorType::*;

    fn t(ty: IndicatorType, v: &[&str]) -> Expr {
        Expr::Term(Term::new(ty, v.iter().map(|s| s.to_string()).collect()))
    }

    #[test]
    fn any_of_terms_merges_types_and_needs_no_condition() {
        let e = Expr::Any(vec![
            t(Domain, &["a.com"]),
            t(Ip, &["1.2.3.4"]),
            t(Domain, &["b.com", "a.com"]),
        ])
        .simplify()
        .unwrap();
        let r = render(&e);
        assert_eq!(r.condition, None);
        assert_eq!(
            r.groups,
            vec![
                (
                    "domain".into(),
                    vec![(Domain, vec!["a.com".into(), "b.com".into()])]
                ),
                ("ip".into(), vec![(Ip, vec!["1.2.3.4".into()])]),
            ]
        );
    }

    #[test]
    fn all_of_distinct_types_is_one_group() {
        let e = Expr::All(vec![t(FileName, &["a.exe"]), t(Sha256, &["x"])])
            .simplify()
            .unwrap();
        let r = render(&e);
        assert_eq!(r.condition, None);
        assert_eq!(r.groups.len(), 1);
        assert_eq!(r.groups[0].0, "file_name_sha256");
    }

    #[test]
    fn same_type_under_all_needs_two_groups() {
        let e = Expr::All(vec![t(FileName, &["a*"]), t(FileName, &["*b"])])
            .simplify()
            .unwrap();
        let r = render(&e);
        assert_eq!(r.condition.as_deref(), Some("all of them"));
        assert_eq!(
            r.groups.iter().map(|g| g.0.as_str()).collect::<Vec<_>>(),
            ["file_name_1", "file_name_2"]
        );
    }

    #[test]
    fn nested_expressions_get_parentheses() {
        let e = Expr::Any(vec![
            Expr::All(vec![
                t(FileName, &["a.exe"]),
                Expr::Any(vec![
                    Expr::All(vec![t(Md5, &["m"]), t(Md5, &["n"])]),
                    t(Sha1, &["s"]),
                ]),
            ]),
            t(Domain, &["d.com"]),
        ])
        .simplify()
        .unwrap();
        let r = render(&e);
        assert_eq!(
            r.condition.as_deref(),
            Some("file_name and (md5_1 and md5_2 or sha1) or domain")
        );
        // The condition parses and names only groups that exist.
        let parsed = crate::condition::parse(r.condition.as_deref().unwrap()).unwrap();
        drop(parsed);
    }

    #[test]
    fn removing_values_narrows_and_empties() {
        let mut e = Expr::Any(vec![
            Expr::All(vec![t(FileName, &["a.exe"]), t(Md5, &["m"])]),
            t(Domain, &["d.com", "e.com"]),
        ]);
        e.remove_value(Md5, "m");
        e.remove_value(Domain, "d.com");
        let s = e.simplify().unwrap();
        assert_eq!(s, t(Domain, &["e.com"]));
        let mut e = Expr::All(vec![t(FileName, &["a.exe"]), t(Md5, &["m"])]);
        e.remove_value(Md5, "m");
        assert_eq!(e.simplify(), None);
    }
}
