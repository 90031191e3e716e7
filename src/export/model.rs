//! What every export target reads: the selected rules of a working tree or a revision, each
//! value in its canonical form and classified by how it matches, each condition parsed.
//!
//! Built in the same parallel pass as the lint gate ([`from_parsed`] is the hook), so every
//! file is parsed once. The classification follows `docs/matching.md`: a target that turns a
//! value into its own syntax must keep exactly the reference matcher's meaning.

use crate::bundle::compile::{self, Selection};
use crate::bundle::sigma::{self as bsigma, SigmaEntry};
use crate::condition::Expr;
use crate::indicator::{IndicatorType, Syntax, REGEX_PREFIX};
use crate::kind::ParsedRef;
use crate::rule::RuleFile;
use std::collections::BTreeMap;

/// How one canonical rule value matches (see `docs/matching.md`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pattern {
    /// An exact comparison with the canonical value (hashes are lower-case hex; IPs are a
    /// network in canonical form, a single address is written without a prefix length).
    Exact(String),
    /// A glob over the whole (normalized) event value: `*` any run, `?` one character
    /// (for `url`, `?` is a literal character and only `*` is special).
    Glob(String),
    /// `*.base` for domains: any proper subdomain of `base` (never `base` itself).
    Subdomains(String),
    /// `regex:` values: an unanchored search over the event value as written.
    Regex(String),
}

impl Pattern {
    /// Classifies a canonical value of type `ty`.
    pub fn of(ty: IndicatorType, canonical: &str) -> Pattern {
        if let Some(re) = canonical.strip_prefix(REGEX_PREFIX) {
            return Pattern::Regex(re.to_string());
        }
        match ty.syntax() {
            Syntax::Glob { .. } if canonical.contains(['*', '?']) => {
                Pattern::Glob(canonical.to_string())
            }
            Syntax::Url if canonical.contains('*') => Pattern::Glob(canonical.to_string()),
            Syntax::Domain => match canonical.strip_prefix("*.") {
                Some(base) => Pattern::Subdomains(base.to_string()),
                None => Pattern::Exact(canonical.to_string()),
            },
            _ => Pattern::Exact(canonical.to_string()),
        }
    }

    /// The value as written in the rule (canonical form).
    pub fn rule_text(&self) -> String {
        match self {
            Pattern::Exact(s) | Pattern::Glob(s) => s.clone(),
            Pattern::Subdomains(base) => format!("*.{base}"),
            Pattern::Regex(r) => format!("{REGEX_PREFIX}{r}"),
        }
    }
}

/// Whether the reference matcher compares values of `ty` case-insensitively (both sides
/// lower-cased). Hashes are compared lower-cased too; domains, URLs (scheme and host) and
/// e-mail addresses are normalized by their own rules.
pub fn case_insensitive(ty: IndicatorType) -> bool {
    matches!(
        ty.syntax(),
        Syntax::Glob {
            case_insensitive: true
        }
    )
}

/// A group: every type must match (AND); within a type any value (OR).
pub type Group = BTreeMap<IndicatorType, Vec<Pattern>>;

/// One native rule, ready for export.
#[derive(Debug, Clone)]
pub struct ExportRule {
    pub id: String,
    /// Path relative to the ruleforge root.
    pub path: String,
    pub title: String,
    pub status: String,
    pub severity: String,
    pub confidence: Option<String>,
    pub tlp: Option<String>,
    pub author: Option<String>,
    /// `YYYY-MM-DD`.
    pub created: Option<String>,
    /// `YYYY-MM-DD`.
    pub modified: Option<String>,
    /// `YYYY-MM-DD`.
    pub expires: Option<String>,
    pub description: Option<String>,
    /// Sorted, without duplicates.
    pub tags: Vec<String>,
    pub references: Vec<String>,
    /// The condition in its normalized text form.
    pub condition_text: String,
    pub condition: Expr,
    /// Group name → its types and values (values sorted, duplicates removed).
    pub groups: BTreeMap<String, Group>,
}

impl ExportRule {
    /// The condition as an OR of AND-ed group sets (see [`dnf`]).
    pub fn dnf(&self) -> Result<Vec<Vec<String>>, DnfError> {
        let names: Vec<&str> = self.groups.keys().map(String::as_str).collect();
        dnf(&self.condition, &names)
    }

    /// ATT&CK technique ids from the tags (`attack.t1190` → `T1190`, `attack.t1574.002` →
    /// `T1574.002`), in tag order.
    pub fn attack_techniques(&self) -> Vec<String> {
        self.tags
            .iter()
            .filter_map(|t| t.strip_prefix("attack.t"))
            .filter(|rest| {
                let (main, sub) = rest.split_once('.').unwrap_or((rest, ""));
                main.len() == 4
                    && main.bytes().all(|b| b.is_ascii_digit())
                    && (sub.is_empty()
                        || (sub.len() == 3 && sub.bytes().all(|b| b.is_ascii_digit())))
            })
            .map(|rest| format!("T{}", rest.to_ascii_uppercase()))
            .collect()
    }
}

/// One Sigma document, ready for export.
#[derive(Debug, Clone)]
pub struct ExportSigma {
    pub entry: SigmaEntry,
    /// Path relative to the ruleforge root.
    pub path: String,
    /// How many documents the file holds (a one-document file can be copied as written).
    pub documents_in_file: usize,
    /// The file's text.
    pub text: std::sync::Arc<str>,
}

/// What one rule file gives the exporter.
// One value per file, moved once into the set: boxing the rule would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ExportFile {
    Native(Result<Box<ExportRule>, String>),
    Sigma(Vec<Result<ExportSigma, String>>),
}

/// The rules an export reads, sorted by id within each kind.
#[derive(Debug, Clone, Default)]
pub struct ExportSet {
    pub native: Vec<ExportRule>,
    pub sigma: Vec<ExportSigma>,
    /// Native rules left out by status or expiry, Sigma documents by status.
    pub excluded: compile::Excluded,
}

/// The lint pass's per-file hook: the export model of one parsed file.
pub fn from_parsed(file: ParsedRef<'_>) -> ExportFile {
    match file {
        ParsedRef::Native(f) => ExportFile::Native(from_rule_file(f).map(Box::new)),
        ParsedRef::Sigma(f) => {
            let entries = bsigma::compile_file(f);
            let n = entries.len();
            let text: std::sync::Arc<str> = f.source.text.as_str().into();
            ExportFile::Sigma(
                entries
                    .into_iter()
                    .map(|e| {
                        e.map(|entry| ExportSigma {
                            entry,
                            path: f.source.path.clone(),
                            documents_in_file: n,
                            text: text.clone(),
                        })
                    })
                    .collect(),
            )
        }
    }
}

/// The export model of one native rule file (errors as the bundle compiler words them).
pub fn from_rule_file(file: &RuleFile) -> Result<ExportRule, String> {
    let compiled = compile::compile_rule(file)?;
    let rule = file
        .rule()
        .expect("compile_rule succeeded on a parsed rule");
    let condition = crate::condition::parse(&compiled.condition)
        .map_err(|e| format!("{}: condition: {e}", file.source.path))?;
    let text = |f: &Option<crate::rule::Spanned<String>>| f.as_ref().map(|s| s.value.clone());
    let groups = compiled
        .groups
        .into_iter()
        .map(|(name, types)| {
            let group: Group = types
                .into_iter()
                .filter_map(|(ty, values)| {
                    let ty = IndicatorType::from_name(&ty)?;
                    let mut patterns: Vec<Pattern> =
                        values.iter().map(|v| Pattern::of(ty, v)).collect();
                    patterns.sort();
                    patterns.dedup();
                    Some((ty, patterns))
                })
                .collect();
            (name, group)
        })
        .collect();
    Ok(ExportRule {
        id: compiled.id,
        path: file.source.path.clone(),
        title: compiled.title,
        status: compiled.status,
        severity: compiled.severity,
        confidence: compiled.confidence,
        tlp: compiled.tlp,
        author: text(&rule.author),
        created: text(&rule.created),
        modified: text(&rule.modified),
        expires: compiled.expires,
        description: text(&rule.description),
        tags: compiled.tags,
        references: compiled.references,
        condition_text: compiled.condition,
        condition,
        groups,
    })
}

/// Whether `id` can name a file on its own (`<id>.yml`): letters, digits, `-`, `_` and `.`,
/// at most 200 bytes, not starting with `.`.
fn is_file_stem(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Applies the bundle's selection (statuses, expiry as of `sel.as_of`), checks ids are
/// unique across both kinds and sorts each kind by id. Errors: every problem, one line each.
pub fn select(files: Vec<ExportFile>, sel: &Selection) -> Result<ExportSet, Vec<String>> {
    let mut errors = Vec::new();
    let mut set = ExportSet::default();
    for f in files {
        match f {
            ExportFile::Native(Ok(r)) => match sel.judge(&r.id, &r.status, r.expires.as_deref()) {
                Ok(None) => set.native.push(*r),
                Ok(Some(why)) => set.excluded.add(why),
                Err(e) => errors.push(e),
            },
            ExportFile::Native(Err(e)) => errors.push(e),
            ExportFile::Sigma(docs) => {
                for d in docs {
                    match d {
                        Ok(s) if sel.keeps_sigma(s.entry.status.as_deref()) => set.sigma.push(s),
                        Ok(_) => set.excluded.sigma_by_status += 1,
                        Err(e) => errors.push(e),
                    }
                }
            }
        }
    }
    set.native.sort_by(|a, b| a.id.cmp(&b.id));
    set.sigma.sort_by(|a, b| a.entry.id.cmp(&b.entry.id));
    // sigma/ and misp/ name a file after each id: it must be one plain file name. (Lint
    // refuses such ids first; this keeps a library caller's output inside its folder too.)
    let ids = set.native.iter().map(|r| (r.id.as_str(), r.title.as_str()));
    let ids = ids.chain(
        set.sigma
            .iter()
            .map(|s| (s.entry.id.as_str(), s.entry.title.as_str())),
    );
    for (id, title) in ids {
        if !is_file_stem(id) {
            errors.push(format!(
                "rule {id:?} ({title}): its id cannot name an export file (letters, digits, \
                 `-`, `_` and `.` only, not first)"
            ));
        }
    }
    errors.extend(compile::duplicate_ids(
        set.native
            .iter()
            .map(|r| (r.id.as_str(), "rule", r.title.as_str()))
            .chain(set.sigma.iter().map(|s| {
                (
                    s.entry.id.as_str(),
                    "Sigma document",
                    s.entry.title.as_str(),
                )
            }))
            .collect(),
    ));
    errors.sort();
    errors.dedup();
    if errors.is_empty() {
        Ok(set)
    } else {
        Err(errors)
    }
}

/// Whether a Rust regex (a `regex:` value) uses syntax that PCRE / Python `re` — what STIX
/// `MATCHES` and Sigma `|re` read — treat differently or reject; `Some(what)` names it.
pub fn rust_only_regex(re: &str) -> Option<&'static str> {
    let chars: Vec<char> = re.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\\' => {
                match next {
                    Some('p' | 'P') => return Some("a Unicode class `\\p{…}`"),
                    Some('x') if chars.get(i + 2) == Some(&'{') => {
                        return Some("an escape `\\x{…}`")
                    }
                    Some('z') => return Some("`\\z`"),
                    _ => {}
                }
                i += 2;
                continue;
            }
            '[' if in_class => {
                return Some(if next == Some(':') {
                    "an ASCII class `[[:name:]]`"
                } else {
                    "a nested character class"
                })
            }
            '[' => {
                in_class = true;
                i += 1;
                // A `]` first in the class (after an optional `^`) is a literal.
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    i += 1;
                }
                continue;
            }
            ']' if in_class => in_class = false,
            '&' | '-' | '~' if in_class && next == Some(c) => {
                return Some("a character class set operation (`&&`, `--`, `~~`)")
            }
            '(' if !in_class && next == Some('?') => {
                let rest = &chars[i + 2..];
                if rest.first() == Some(&'<') && !matches!(rest.get(1), Some('=' | '!')) {
                    return Some("a named group `(?<name>…)`");
                }
                let flags = rest.iter().take_while(|f| "imsuxU-".contains(**f)).count();
                if rest[..flags].iter().any(|f| matches!(f, 'u' | 'U')) {
                    return Some("the `u` or `U` flag");
                }
                if flags > 0 && rest.get(flags) == Some(&')') && i > 0 {
                    return Some("inline flags after the start");
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Why a condition has no positive OR-of-ANDs form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnfError {
    /// The condition uses `not`: it can be true when a group does NOT match, which a target
    /// without negation cannot say.
    Negation,
    /// More than [`MAX_TERMS`] AND-terms.
    TooLarge(usize),
}

/// The most AND-terms [`dnf`] produces before it gives up.
pub const MAX_TERMS: usize = 1024;

/// The condition as an OR of AND-ed group sets (each set sorted, duplicate and subsumed
/// sets removed: `a or (a and b)` is `[[a]]`). `1 of p*`/`all of p*` expand over the groups
/// named `p…`; with no such group they are false (the empty OR). An empty result means the
/// rule can never match. Group names not in `groups` are false too.
pub fn dnf(expr: &Expr, groups: &[&str]) -> Result<Vec<Vec<String>>, DnfError> {
    let terms = dnf_of(expr, groups)?;
    Ok(minimize(terms))
}

fn dnf_of(expr: &Expr, groups: &[&str]) -> Result<Vec<Vec<String>>, DnfError> {
    Ok(match expr {
        Expr::Group(g) if groups.contains(&g.as_str()) => vec![vec![g.clone()]],
        Expr::Group(_) => vec![],
        Expr::Of { all, prefix } => {
            let p = prefix.as_deref().unwrap_or("");
            let sel: Vec<String> = groups
                .iter()
                .filter(|g| g.starts_with(p))
                .map(|g| g.to_string())
                .collect();
            if sel.is_empty() {
                vec![]
            } else if *all {
                vec![sel]
            } else {
                sel.into_iter().map(|g| vec![g]).collect()
            }
        }
        Expr::Not(_) => return Err(DnfError::Negation),
        Expr::Or(a, b) => {
            let mut t = dnf_of(a, groups)?;
            t.extend(dnf_of(b, groups)?);
            if t.len() > MAX_TERMS {
                return Err(DnfError::TooLarge(t.len()));
            }
            t
        }
        Expr::And(a, b) => {
            let (a, b) = (dnf_of(a, groups)?, dnf_of(b, groups)?);
            if a.len().saturating_mul(b.len()) > MAX_TERMS {
                return Err(DnfError::TooLarge(a.len().saturating_mul(b.len())));
            }
            let mut out = Vec::with_capacity(a.len() * b.len());
            for x in &a {
                for y in &b {
                    let mut t = x.clone();
                    t.extend(y.iter().cloned());
                    out.push(t);
                }
            }
            out
        }
    })
}

fn minimize(mut terms: Vec<Vec<String>>) -> Vec<Vec<String>> {
    for t in &mut terms {
        t.sort_unstable();
        t.dedup();
    }
    terms.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    terms.dedup();
    let mut kept: Vec<Vec<String>> = Vec::with_capacity(terms.len());
    for t in terms {
        // A superset of a kept term adds nothing to the OR.
        if !kept
            .iter()
            .any(|k| k.iter().all(|g| t.binary_search(g).is_ok()))
        {
            kept.push(t);
        }
    }
    kept.sort();
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(cond: &str, groups: &[&str]) -> Result<Vec<Vec<String>>, DnfError> {
        dnf(&crate::condition::parse(cond).unwrap(), groups)
    }

    fn terms(t: &[&[&str]]) -> Vec<Vec<String>> {
        t.iter()
            .map(|x| x.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    /// A Sigma id that is not one plain file name (found by fuzzing `export`: `sigma/` names
    /// a file after each id; native ids are UUIDs already) is refused by the selection, so no
    /// output path leaves its folder.
    #[test]
    fn ids_that_cannot_name_a_file_are_refused() {
        let sel = Selection {
            statuses: vec!["experimental".into(), "test".into(), "stable".into()],
            include_expired: true,
            as_of: time::macros::date!(2026 - 01 - 01),
        };
        let with_id = |id: &str| {
            let text = format!(
                "title: Whoami\nid: {id:?}\nstatus: test\nlogsource:\n    category: \
                 process_creation\ndetection:\n    sel:\n        Image|endswith: 'whoami.exe'\n\
                 \x20   condition: sel\n"
            );
            let parsed = crate::kind::parse_source(
                crate::source::SourceFile::new("rules/r.yml", text),
                &crate::kind::KindPatterns::default(),
            );
            let crate::kind::Parsed::Sigma(f) = &parsed else {
                panic!("a Sigma rule")
            };
            select(vec![from_parsed(crate::kind::ParsedRef::Sigma(f))], &sel)
        };
        match with_id("1c0f5a57-5c7e-4d63-9f1e-2b8f3a6e0d11") {
            Ok(set) => assert_eq!(set.sigma.len(), 1),
            Err(e) => panic!("a UUID is kept: {e:?}"),
        }
        for bad in ["a/b", "../x", ".hidden", "a\\b", "x y"] {
            let errors = with_id(bad).err().unwrap_or_default();
            assert!(
                errors
                    .iter()
                    .any(|e| e.contains("cannot name an export file")),
                "{bad:?}: {errors:?}"
            );
        }
    }

    #[test]
    fn dnf_distributes_and_over_or() {
        assert_eq!(
            d("(a or b) and c", &["a", "b", "c"]).unwrap(),
            terms(&[&["a", "c"], &["b", "c"]])
        );
        assert_eq!(d("a or (a and b)", &["a", "b"]).unwrap(), terms(&[&["a"]]));
    }

    #[test]
    fn dnf_expands_quantifiers_and_drops_unknown_groups() {
        let g = ["hash_a", "hash_b", "net"];
        assert_eq!(
            d("1 of hash_*", &g).unwrap(),
            terms(&[&["hash_a"], &["hash_b"]])
        );
        assert_eq!(
            d("all of hash_* and net", &g).unwrap(),
            terms(&[&["hash_a", "hash_b", "net"]])
        );
        assert_eq!(d("1 of x_*", &g).unwrap(), Vec::<Vec<String>>::new());
        assert_eq!(d("all of x_* or net", &g).unwrap(), terms(&[&["net"]]));
        assert_eq!(d("missing or net", &g).unwrap(), terms(&[&["net"]]));
    }

    #[test]
    fn dnf_refuses_negation_and_blow_up() {
        assert_eq!(d("a and not b", &["a", "b"]), Err(DnfError::Negation));
        let names: Vec<String> = (0..12).map(|i| format!("g{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let cond = (0..12)
            .step_by(2)
            .map(|i| format!("(g{i} or g{})", i + 1))
            .collect::<Vec<_>>()
            .join(" and ");
        // 2^6 = 64 terms: fine; 2^11 would not be.
        assert_eq!(d(&cond, &refs).unwrap().len(), 64);
        let big = (0..11)
            .map(|i| format!("(g{i} or g11)"))
            .collect::<Vec<_>>()
            .join(" and ")
            .replace("g11)", "x)");
        let mut with_x = refs.clone();
        with_x.push("x");
        assert!(matches!(d(&big, &with_x), Err(DnfError::TooLarge(_))));
    }

    #[test]
    fn rust_only_regex_syntax_is_found() {
        assert!(rust_only_regex(r"\p{Greek}+").is_some());
        assert!(rust_only_regex(r"a(?i)b").is_some());
        assert!(rust_only_regex(r"[[:alpha:]]").is_some());
        assert!(rust_only_regex(r"(?i)-e(nc|ncodedcommand)? [A-Za-z0-9+/=]{16,}").is_none());
        assert!(rust_only_regex(r"^python-requests/2\.[0-9]+").is_none());
        assert!(rust_only_regex(r"(?i:abc)x").is_none());
        // Escaped backslashes and literal dashes are not Rust-only syntax.
        assert!(rust_only_regex(r"(?i):\\ProgramData\\[\w]{1,6}\.(zip|7z|rar)$").is_none());
        assert!(rust_only_regex(r"powershell.* --enc").is_none());
        assert!(rust_only_regex(r"[a-z--b]").is_some());
        assert!(rust_only_regex(r"[]a]x").is_none());
        assert!(rust_only_regex(r"(?<n>x)").is_some());
        assert!(rust_only_regex(r"(?<=x)").is_none());
    }

    #[test]
    fn patterns_follow_the_matching_rules() {
        use IndicatorType::*;
        assert_eq!(
            Pattern::of(Domain, "*.a.example"),
            Pattern::Subdomains("a.example".into())
        );
        assert_eq!(
            Pattern::of(Domain, "a.example"),
            Pattern::Exact("a.example".into())
        );
        assert_eq!(
            Pattern::of(FileName, "*.aspx"),
            Pattern::Glob("*.aspx".into())
        );
        assert_eq!(
            Pattern::of(FileName, "x?.dll"),
            Pattern::Glob("x?.dll".into())
        );
        assert_eq!(
            Pattern::of(Url, "http://a.example/x?id=1"),
            Pattern::Exact("http://a.example/x?id=1".into())
        );
        assert_eq!(
            Pattern::of(CommandLine, "regex:(?i)-enc"),
            Pattern::Regex("(?i)-enc".into())
        );
        assert_eq!(
            Pattern::Subdomains("a.example".into()).rule_text(),
            "*.a.example"
        );
    }
}
