//! YARA: one YARA rule per ruleforge rule, `yara/ruleforge.yar`, loaded by libyara 4.x
//! (`yara`) and YARA-X (`yr`, `yara_x`) alike.
//!
//! What it can express: a file scanner sees the bytes of one file, so the rule's view of it
//! is the event `{file.hash.md5, file.hash.sha1, file.hash.sha256}` of those bytes (see
//! [`super::hashes`]). A group of hash types becomes the AND of its types, each the OR of its
//! values (`hash.sha256(0, filesize) == "<lower-case hex>"`); an AND-term of groups is the AND
//! of them; the condition is the OR of its terms. That is exactly the reference matcher on
//! that event. A term that needs any other type is left out whole (dropping only the
//! unobservable part would widen the rule).
//!
//! | ruleforge type | YARA | faithful? |
//! |----------------|------|-----------|
//! | `md5`, `sha1`, `sha256` | `hash.<t>(0, filesize) == "<lower-case hex>"` | yes, except the empty file's digests, which libyara never matches (left out) |
//! | `file_name`, `file_path` | — | no: a name or path is not file content (YARA can only say "the file contains") |
//! | `process_name`, `command_line`, `registry_path`, `user_agent`, `url`, `url_path`, `domain`, `ip`, `email` | — | no: host and network observations, not file content |
//!
//! Identifiers are `rf_<rule id without hyphens>_<title>` (`[A-Za-z0-9_]`, at most 128
//! characters, unique because ids are). Meta: `id`, `title`, `author`, `created`,
//! `modified`, `status`, `severity`, `confidence`, `tlp`, `expires`, one `reference` per
//! reference, `tags` (space-separated) and `source` (the producer). Meta strings keep UTF-8
//! as is and escape `"`, `\` and control characters; both engines read them back unchanged.

use super::hashes::{self, HashValue};
use super::model::{ExportRule, Group};
use super::report::{Omitted, Reason, Skip};
use super::{sigma_skipped, terms_or_skip, ExportSet, Options, RuleOutcome, TargetOutput};
use crate::indicator::IndicatorType;

pub const FILE_NAME: &str = "ruleforge.yar";

/// The longest identifier libyara accepts.
pub const MAX_IDENTIFIER: usize = 128;

pub const NOT_CONTENT: Reason = Reason {
    code: "yara-not-content",
    sentence:
        "YARA sees the content of a file: this indicator type is not a property of the file's bytes",
};
pub const EMPTY_FILE: Reason = Reason {
    code: "yara-empty-file",
    sentence:
        "the digest of the empty file, which libyara never matches (it does not scan zero bytes)",
};
pub const NOT_A_DIGEST: Reason = Reason {
    code: "yara-not-a-digest",
    sentence: "the value is not a plain hex digest of its type",
};

pub const REASONS: [Reason; 3] = [NOT_CONTENT, EMPTY_FILE, NOT_A_DIGEST];

/// The YARA identifier of a rule: `rf_<id hex>_<title words>`, at most [`MAX_IDENTIFIER`].
pub fn identifier(rule: &ExportRule) -> String {
    let mut out = String::from("rf_");
    out.extend(rule.id.chars().filter(|c| c.is_ascii_alphanumeric()));
    let mut title = String::new();
    for c in rule.title.chars() {
        if c.is_ascii_alphanumeric() {
            title.push(c);
        } else if !title.ends_with('_') {
            title.push('_');
        }
    }
    let title = title.trim_matches('_');
    if !title.is_empty() {
        out.push('_');
        out.push_str(title);
    }
    out.truncate(MAX_IDENTIFIER);
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// A YARA text string: UTF-8 as is; `"`, `\` and control characters escaped.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn function(ty: IndicatorType) -> &'static str {
    match ty {
        IndicatorType::Md5 => "md5",
        IndicatorType::Sha1 => "sha1",
        _ => "sha256",
    }
}

/// One group as a YARA expression, or why it cannot be one. Values that cannot be expressed
/// go to `omitted`; a type left with no value makes the group impossible to express.
fn group_expr(
    name: &str,
    group: &Group,
    term: &[String],
    omitted: &mut Vec<Omitted>,
) -> Result<String, Skip> {
    if let Some(ty) = group.keys().find(|t| !hashes::is_hash(**t)) {
        return Err(Skip::with(
            NOT_CONTENT,
            format!("group `{name}` uses `{}`", ty.name()),
        ));
    }
    let mut types = Vec::with_capacity(group.len());
    for (ty, patterns) in group {
        let mut alternatives = Vec::with_capacity(patterns.len());
        let mut left_out = Vec::new();
        for p in patterns {
            let detail = || format!("`{}` value `{}`", ty.name(), p.rule_text());
            match hashes::classify(*ty, p) {
                HashValue::Digest(hex) => {
                    alternatives.push(format!("hash.{}(0, filesize) == \"{hex}\"", function(*ty)))
                }
                HashValue::EmptyFile => left_out.push(Skip::with(EMPTY_FILE, detail())),
                HashValue::NotADigest => left_out.push(Skip::with(NOT_A_DIGEST, detail())),
            }
        }
        if alternatives.is_empty() {
            // No value of this type is left: the group cannot be true on any file YARA sees.
            return Err(left_out
                .into_iter()
                .next()
                .unwrap_or_else(|| Skip::with(NOT_A_DIGEST, format!("`{}`", ty.name()))));
        }
        // Values of a type that still has others: the OR of the rest is exact elsewhere.
        omitted.extend(left_out.into_iter().map(|skip| Omitted {
            groups: term.to_vec(),
            skip,
        }));
        types.push(if alternatives.len() == 1 {
            alternatives.pop().expect("one")
        } else {
            format!("({})", alternatives.join(" or "))
        });
    }
    Ok(types.join(" and "))
}

/// The rule's YARA text, or the outcome that says why there is none.
fn export_rule(rule: &ExportRule, opts: &Options) -> (RuleOutcome, Option<String>) {
    let terms = match terms_or_skip(rule) {
        Ok(t) => t,
        Err(outcome) => return (outcome, None),
    };
    let mut omitted = Vec::new();
    let mut exprs = Vec::new();
    for term in &terms {
        let mut parts = Vec::with_capacity(term.len());
        let mut term_omitted = Vec::new();
        let mut failed = None;
        for name in term {
            match group_expr(name, &rule.groups[name], term, &mut term_omitted) {
                Ok(e) => parts.push(e),
                Err(skip) => {
                    failed = Some(skip);
                    break;
                }
            }
        }
        match failed {
            Some(skip) => omitted.push(Omitted {
                groups: term.clone(),
                skip,
            }),
            None => {
                omitted.extend(term_omitted);
                exprs.push(parts.join(" and "));
            }
        }
    }
    if exprs.is_empty() {
        let skip = match omitted.first() {
            Some(o) if omitted.iter().all(|x| x.skip.code == o.skip.code) => o.skip.clone(),
            _ => Skip::new(super::report::common::NOTHING_EXPRESSIBLE),
        };
        return (RuleOutcome::skipped(&rule.id, &rule.path, skip), None);
    }
    let text = render(rule, opts, &exprs);
    (
        RuleOutcome::with_omitted(&rule.id, &rule.path, omitted),
        Some(text),
    )
}

fn render(rule: &ExportRule, opts: &Options, exprs: &[String]) -> String {
    let mut meta: Vec<(&str, String)> =
        vec![("id", rule.id.clone()), ("title", rule.title.clone())];
    let optional = [
        ("author", &rule.author),
        ("created", &rule.created),
        ("modified", &rule.modified),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            meta.push((key, v.clone()));
        }
    }
    meta.push(("status", rule.status.clone()));
    meta.push(("severity", rule.severity.clone()));
    for (key, value) in [
        ("confidence", &rule.confidence),
        ("tlp", &rule.tlp),
        ("expires", &rule.expires),
    ] {
        if let Some(v) = value {
            meta.push((key, v.clone()));
        }
    }
    for r in &rule.references {
        meta.push(("reference", r.clone()));
    }
    if !rule.tags.is_empty() {
        meta.push(("tags", rule.tags.join(" ")));
    }
    if !opts.producer.is_empty() {
        meta.push(("source", opts.producer.clone()));
    }
    let mut out = format!("rule {} {{\n  meta:\n", identifier(rule));
    for (key, value) in meta {
        out.push_str(&format!("    {key} = {}\n", quote(&value)));
    }
    out.push_str("  condition:\n");
    if exprs.len() == 1 {
        out.push_str(&format!("    {}\n", exprs[0]));
    } else {
        let lines: Vec<String> = exprs.iter().map(|e| format!("    ({e})")).collect();
        out.push_str(&lines.join(" or\n"));
        out.push('\n');
    }
    out.push_str("}\n");
    out
}

/// Writes `ruleforge.yar`: `import "hash"`, then one rule per exported rule in id order.
pub fn export(set: &ExportSet, opts: &Options) -> TargetOutput {
    let mut text = String::from(
        "// Written by `ruleforge export yara`: one rule per ruleforge rule (meta `id`).\n\
         // Loads in libyara 4.x and YARA-X.\n\nimport \"hash\"\n",
    );
    let mut rules = Vec::with_capacity(set.native.len() + set.sigma.len());
    use rayon::prelude::*;
    // Built on every core, taken in rule order: the output stays the same.
    let built: Vec<_> = set
        .native
        .par_iter()
        .map(|rule| export_rule(rule, opts))
        .collect();
    for (outcome, yara) in built {
        rules.push(outcome);
        if let Some(y) = yara {
            text.push('\n');
            text.push_str(&y);
        }
    }
    rules.extend(set.sigma.iter().map(sigma_skipped));
    TargetOutput {
        files: vec![(FILE_NAME.to_string(), text.into_bytes())],
        rules,
    }
}

#[cfg(test)]
mod tests {
    use super::super::hashes::test_rules::rule;
    use super::*;

    #[test]
    fn identifiers_are_yara_identifiers_and_bounded() {
        let mut rule = rule("0b1c2d3e-0000-4000-8000-00000000000f", "1 of them", &[]);
        rule.title = "Über: ProxyLogon — webshell (\"x\")!".into();
        assert_eq!(
            identifier(&rule),
            "rf_0b1c2d3e00004000800000000000000f_ber_ProxyLogon_webshell_x"
        );
        rule.title = "x".repeat(500);
        let id = identifier(&rule);
        assert_eq!(id.len(), MAX_IDENTIFIER);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    }

    #[test]
    fn quote_escapes_what_yara_needs() {
        assert_eq!(quote("a\"b\\c\nd\u{1}ü"), "\"a\\\"b\\\\c\\nd\\x01ü\"");
    }

    const A: &str = "5d41402abc4b2a76b9719d911017c592";
    const B: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    fn one(r: ExportRule) -> (RuleOutcome, Option<String>) {
        export_rule(&r, &Options::default())
    }

    fn skip_code(o: &RuleOutcome) -> &'static str {
        match &o.status {
            super::super::Status::Skipped { skip } => skip.code,
            other => panic!("not skipped: {other:?}"),
        }
    }

    fn omitted_codes(o: &RuleOutcome) -> Vec<&'static str> {
        match &o.status {
            super::super::Status::Partial { omitted } => {
                omitted.iter().map(|x| x.skip.code).collect()
            }
            other => panic!("not partial: {other:?}"),
        }
    }

    #[test]
    fn a_group_of_hash_types_is_an_and_and_terms_are_ored() {
        use IndicatorType::*;
        let (o, text) = one(rule(
            "r1",
            "both or other",
            &[
                ("both", &[(Md5, &[A]), (Sha256, &[B])]),
                ("other", &[(Sha256, &[B, "aa".repeat(32).as_str()])]),
            ],
        ));
        assert_eq!(o.status, super::super::Status::Exported);
        let text = text.unwrap();
        assert!(text.contains(&format!(
            "(hash.md5(0, filesize) == \"{A}\" and hash.sha256(0, filesize) == \"{B}\") or\n"
        )));
        assert!(text.contains(&format!(
            "((hash.sha256(0, filesize) == \"{B}\" or hash.sha256(0, filesize) == \"{}\"))",
            "aa".repeat(32)
        )));
    }

    #[test]
    fn yara_not_content_skips_or_drops_the_whole_term() {
        use IndicatorType::*;
        let (o, text) = one(rule(
            "r2",
            "1 of them",
            &[("names", &[(FileName, &["x.aspx"])])],
        ));
        assert_eq!(skip_code(&o), NOT_CONTENT.code);
        assert!(text.is_none());
        // A hash AND a name: dropping only the name would widen, so the term goes.
        let (o, text) = one(rule(
            "r3",
            "(h and n) or h2",
            &[
                ("h", &[(Sha256, &[B])]),
                ("n", &[(FileName, &["x.aspx"])]),
                ("h2", &[(Md5, &[A])]),
            ],
        ));
        assert_eq!(omitted_codes(&o), vec![NOT_CONTENT.code]);
        let text = text.unwrap();
        assert!(!text.contains(B), "{text}");
        assert!(text.contains(A));
    }

    #[test]
    fn yara_empty_file_drops_the_value_or_the_group() {
        use IndicatorType::*;
        let empty_md5 = hashes::EMPTY_FILE[0].1;
        let (o, text) = one(rule("r4", "1 of them", &[("h", &[(Md5, &[A, empty_md5])])]));
        assert_eq!(omitted_codes(&o), vec![EMPTY_FILE.code]);
        assert!(!text.unwrap().contains(empty_md5));
        let (o, _) = one(rule("r5", "1 of them", &[("h", &[(Md5, &[empty_md5])])]));
        assert_eq!(skip_code(&o), EMPTY_FILE.code);
    }

    #[test]
    fn yara_not_a_digest_is_left_out() {
        use IndicatorType::*;
        let (o, _) = one(rule("r6", "1 of them", &[("h", &[(Md5, &["abc"])])]));
        assert_eq!(skip_code(&o), NOT_A_DIGEST.code);
    }

    #[test]
    fn negation_and_mixed_reasons_use_the_common_codes() {
        use IndicatorType::*;
        let (o, _) = one(rule(
            "r7",
            "h and not n",
            &[("h", &[(Md5, &[A])]), ("n", &[(Md5, &[A])])],
        ));
        assert_eq!(skip_code(&o), "negation");
        let (o, _) = one(rule(
            "r8",
            "1 of them",
            &[
                ("e", &[(Md5, &[hashes::EMPTY_FILE[0].1])]),
                ("n", &[(Domain, &["a.example"])]),
            ],
        ));
        assert_eq!(skip_code(&o), "nothing-expressible");
    }
}
