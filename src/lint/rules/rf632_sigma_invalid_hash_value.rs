//! RF632 `sigma-invalid-hash-value`: A `Hashes` value is not `ALGORITHM=hex digest` with a known algorithm and the right length.
//!
//! pySigma counterpart: SigmahqInvalidHashKvIssue (sigmahq_invalid_hash_kv).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF632",
    name: "sigma-invalid-hash-value",
    severity: Severity::Error,
    category: Category::Detection,
    summary: "A `Hashes` value is not `ALGORITHM=hex digest` with a known algorithm and the right length",
    explanation: "Sysmon writes hashes as `SHA256=<64 hex>,MD5=<32 hex>,IMPHASH=<32 hex>`. A value of `Hashes`/`Hash` must be one `ALGORITHM=digest` pair with `MD5`, `SHA1`, `SHA256` or `IMPHASH` in upper case and a digest of the right length, or it never matches.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, item) in sc::items(cx) {
        if !matches!(item.field.as_deref(), Some("Hashes" | "Hash")) {
            continue;
        }
        for v in &item.values {
            if v.nested {
                continue;
            }
            let bad = if v.ty != VType::Str {
                Some(format!("`{}` is not a string", v.raw))
            } else {
                crate::sigma::string_parts(&v.raw)
                    .into_iter()
                    .filter_map(Result::ok)
                    .find_map(|s| problem(&s))
            };
            if let Some(msg) = bad {
                out.push(sc::diag(
                    cx,
                    &RULE,
                    v.span,
                    format!("{msg} in {}", item.label()),
                ));
            }
        }
    }
}

fn problem(s: &str) -> Option<String> {
    let mut it = s.split('=');
    let (Some(alg), Some(digest), None) = (it.next(), it.next(), it.next()) else {
        return Some(format!("`{s}` is not one `ALGORITHM=digest` pair"));
    };
    let len = match alg {
        "MD5" | "IMPHASH" => 32,
        "SHA1" => 40,
        "SHA256" => 64,
        _ => return Some(format!("`{alg}` is not MD5, SHA1, SHA256 or IMPHASH")),
    };
    if digest.len() != len || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(format!(
            "`{digest}` is not a {alg} digest ({len} hex digits)"
        ));
    }
    None
}
