//! Suricata 7: `suricata/ruleforge.rules`, plus one list per file-hash signature (`<sid>.md5`,
//! `<sid>.sha1`, `<sid>.sha256`, loaded by `filemd5`/`filesha1`/`filesha256`) and per domain
//! dataset (`<sid>.domains`), each read relative to the rules file.
//!
//! What it can express: what Suricata sees on the wire, one signature per AND-term of the
//! condition and per value (Suricata cannot OR two contents in one signature; address lists
//! and hash lists are the exception, so `ip` values and each hash type share one signature).
//! An AND-term is kept when all its types can be inspected in the same protocol transaction:
//! `ip` goes into the address part of any signature, `domain` is a DNS query, a TLS SNI or an
//! HTTP host (three signatures), `user_agent` and `url` are HTTP (then `domain` is the HTTP
//! host only). Other combinations are left out (`suricata-and`).
//!
//! | ruleforge type | Suricata | faithful? |
//! |----------------|----------|-----------|
//! | `domain` (exact) | `dns.query` / `tls.sni` / `http.host`: `content:"x"; nocase; startswith; endswith;` | yes (ASCII case-insensitive; rule domains are lower-case punycode) |
//! | `domain` (`*.base`) | the same buffers, `content:".base"; nocase; endswith;` | yes: every proper subdomain, never `base` itself (Suricata's `dotprefix` would also fire on `base`) |
//! | `domain` (exact, [`DATASET_MIN`] or more in a single-type term) | a `dataset` per buffer (`to_lowercase`, base64 list file `<sid>.domains`) | yes |
//! | `ip` | the address list of the signature, `any <> [list]` over `ip` | yes (either end of the packet, as the reference matcher reads `source.ip` and `destination.ip`) |
//! | `md5`, `sha1`, `sha256` | `filemd5` / `filesha1` / `filesha256` with a list file | yes (files Suricata extracts from a transfer) |
//! | `user_agent` (exact, or `*` globs without `?`) | `http.user_agent` contents anchored with `startswith`/`endswith`, case-sensitive | yes |
//! | `url` (exact, `http://`, no port, user or fragment) | `http.host.raw` (exact, `nocase`) and `http.uri.raw` (exact) | yes: a raw request that the URL standard would rewrite is missed, never the other way round |
//!
//! Not expressible: `regex:` values (Rust regex is not PCRE) and `?` globs (`suricata-pattern`),
//! `https://` or non-default-port URLs and URL globs (`suricata-url`), `url_path` (Suricata's
//! `http.uri` is percent-decoded and carries the query string; `suricata-uri`), and the
//! host-side types (`file_name`, `file_path`, `process_name`, `command_line`, `registry_path`)
//! and `email` (`suricata-not-observed`).
//!
//! Signature ids: `sid` = [`SID_BASE`] + (the first 8 bytes of SHA-256 over the rule id and
//! the signature's key, modulo [`SID_RANGE`]); the key is the AND-term, the protocol and the
//! value (or the type, for address and hash lists), so a sid stays the same across releases
//! as long as the rule keeps that value. Two keys landing on the same sid are resolved by
//! taking the next free one in (rule id, key) order. `rev` is the rule's `modified` date as
//! `YYYYMMDD`, which RF501 moves forward whenever the rule's meaning changes.

use super::model::{ExportRule, Pattern};
use super::report::{Omitted, Reason, Skip};
use super::{sigma_skipped, terms_or_skip, ExportSet, Options, RuleOutcome, TargetOutput};
use crate::indicator::IndicatorType;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

pub const FILE_NAME: &str = "ruleforge.rules";
/// The first sid ruleforge uses.
pub const SID_BASE: u64 = 3_000_000_000;
/// How many sids ruleforge uses, from [`SID_BASE`].
pub const SID_RANGE: u64 = 1_000_000_000;
/// The most signatures one AND-term may become (the product of its value counts).
pub const MAX_SIGNATURES_PER_TERM: usize = 256;
/// From this many exact domains in one single-type term on, they go into a dataset (one
/// signature per buffer) instead of a signature each.
pub const DATASET_MIN: usize = 4;

pub const NOT_OBSERVED: Reason = Reason {
    code: "suricata-not-observed",
    sentence: "Suricata does not observe this indicator type on the network",
};
pub const PATTERN: Reason = Reason {
    code: "suricata-pattern",
    sentence: "regular expressions and `?` globs cannot be expressed exactly with Suricata content matches",
};
pub const AND_TERM: Reason = Reason {
    code: "suricata-and",
    sentence: "a condition term ANDs types that Suricata cannot inspect in the same transaction",
};
pub const URL: Reason = Reason {
    code: "suricata-url",
    sentence: "only plain `http://` URLs on the default port, without user, fragment or glob, are visible to Suricata as written",
};
pub const URI: Reason = Reason {
    code: "suricata-uri",
    sentence: "Suricata's `http.uri` is percent-decoded and carries the query string, so a URL path cannot be compared exactly",
};
pub const TOO_MANY: Reason = Reason {
    code: "suricata-too-many",
    sentence: "the condition term would need more signatures than an export carries",
};

pub const REASONS: [Reason; 6] = [NOT_OBSERVED, PATTERN, AND_TERM, URL, URI, TOO_MANY];

/// One signature before its sid is known.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sig {
    /// What the sid is derived from (with the rule id).
    key: String,
    proto: &'static str,
    /// The address list (`[a,b]`), or `any`.
    addr: String,
    /// Options between `msg` and `sid`, each ending in `;`.
    body: String,
    /// A hash list: (file extension, keyword, sorted hashes).
    list: Option<(&'static str, Vec<String>)>,
    /// The AND-term, for the metadata.
    term: String,
}

/// A content match for Suricata: printable ASCII as is, everything else (and `"`, `;`, `\`,
/// `|`) as `|XX|` hex.
fn content(s: &str) -> String {
    let mut out = String::from("content:\"");
    let mut hex = false;
    for b in s.bytes() {
        let plain = (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b';' | b'\\' | b'|');
        if plain {
            if hex {
                out.push('|');
                hex = false;
            }
            out.push(b as char);
        } else {
            out.push_str(if hex { " " } else { "|" });
            out.push_str(&format!("{b:02X}"));
            hex = true;
        }
    }
    if hex {
        out.push('|');
    }
    out.push_str("\";");
    out
}

/// The options of an exact (or `*`-glob) match on a sticky buffer: the literal pieces in order,
/// the first anchored at the start and the last at the end.
fn glob_contents(glob: &str, nocase: bool) -> String {
    let pieces: Vec<&str> = glob.split('*').collect();
    let last = pieces.len() - 1;
    let nc = if nocase { " nocase;" } else { "" };
    let mut out = Vec::new();
    let mut previous = false;
    for (i, piece) in pieces.iter().enumerate() {
        if piece.is_empty() {
            continue;
        }
        let mut opt = format!("{}{nc}", content(piece));
        if i == 0 {
            opt.push_str(" startswith;");
        } else if previous {
            opt.push_str(" distance:0;");
        }
        if i == last {
            opt.push_str(" endswith;");
        }
        out.push(opt);
        previous = true;
    }
    out.join(" ")
}

/// What one value becomes on a buffer, or why it cannot.
fn user_agent(p: &Pattern) -> Result<String, Skip> {
    let text = match p {
        Pattern::Exact(v) => v.as_str(),
        Pattern::Glob(g) if !g.contains('?') && g.split('*').any(|s| !s.is_empty()) => g,
        _ => {
            return Err(Skip::with(
                PATTERN,
                format!("`user_agent` value `{}`", p.rule_text()),
            ))
        }
    };
    Ok(format!("http.user_agent; {}", glob_contents(text, false)))
}

/// `http://host/path?query` → the host and the request target, when Suricata sees it as is.
fn http_url(p: &Pattern) -> Result<(String, String), Skip> {
    let skip = |r: Reason| Err(Skip::with(r, format!("`url` value `{}`", p.rule_text())));
    let Pattern::Exact(v) = p else {
        return skip(if matches!(p, Pattern::Regex(_)) {
            PATTERN
        } else {
            URL
        });
    };
    let Some(rest) = v.strip_prefix("http://") else {
        return skip(URL);
    };
    let (host, target) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if host.is_empty() || host.contains([':', '@', '[']) || target.contains('#') {
        return skip(URL);
    }
    Ok((host.to_string(), target.to_string()))
}

/// `http.host` is lower-cased by Suricata (and refuses `nocase`); rule domains are lower-case.
fn domain(p: &Pattern, buffer: &str) -> Result<String, Skip> {
    let nocase = if buffer == "http.host" {
        ""
    } else {
        " nocase;"
    };
    match p {
        Pattern::Exact(d) => Ok(format!(
            "{buffer}; {}{nocase} startswith; endswith;",
            content(d)
        )),
        Pattern::Subdomains(base) => Ok(format!(
            "{buffer}; {}{nocase} endswith;",
            content(&format!(".{base}"))
        )),
        _ => Err(Skip::with(
            PATTERN,
            format!("`domain` value `{}`", p.rule_text()),
        )),
    }
}

fn ip_list(patterns: &[Pattern]) -> String {
    let values: Vec<String> = patterns.iter().map(Pattern::rule_text).collect();
    format!("[{}]", values.join(","))
}

/// The signatures of one AND-term (its groups merged), or why there are none.
fn term_signatures(rule: &ExportRule, term: &[String]) -> Result<(Vec<Sig>, Vec<Skip>), Skip> {
    use IndicatorType::*;
    let term_text = term.join(" and ");
    let mut merged: BTreeMap<IndicatorType, &Vec<Pattern>> = BTreeMap::new();
    for name in term {
        for (ty, patterns) in &rule.groups[name] {
            if merged.insert(*ty, patterns).is_some() {
                return Err(Skip::with(
                    AND_TERM,
                    format!("`{}` in two AND-ed groups ({term_text})", ty.name()),
                ));
            }
        }
    }
    for ty in merged.keys() {
        match ty {
            FileName | FilePath | ProcessName | CommandLine | RegistryPath | Email => {
                return Err(Skip::with(NOT_OBSERVED, format!("`{}`", ty.name())))
            }
            UrlPath => return Err(Skip::with(URI, format!("`{}`", ty.name()))),
            _ => {}
        }
    }
    let addr = match merged.remove(&Ip) {
        Some(ips) => {
            if let Some(p) = ips.iter().find(|p| !matches!(p, Pattern::Exact(_))) {
                return Err(Skip::with(
                    PATTERN,
                    format!("`ip` value `{}`", p.rule_text()),
                ));
            }
            ip_list(ips)
        }
        None => "any".to_string(),
    };
    let hash_types: Vec<IndicatorType> = merged
        .keys()
        .copied()
        .filter(|t| matches!(t, Md5 | Sha1 | Sha256))
        .collect();
    let sig = |key: String, proto: &'static str, body: String, list| Sig {
        key: format!("{term_text}\n{proto}\n{key}"),
        proto,
        addr: addr.clone(),
        body,
        list,
        term: term_text.clone(),
    };
    if !hash_types.is_empty() {
        // A file hash is a property of one file: it ANDs with nothing but the addresses.
        if hash_types.len() > 1 || merged.len() > 1 {
            let names: Vec<&str> = merged.keys().map(|t| t.name()).collect();
            return Err(Skip::with(AND_TERM, names.join(" and ")));
        }
        let ty = hash_types[0];
        let (ext, keyword) = match ty {
            Md5 => ("md5", "filemd5"),
            Sha1 => ("sha1", "filesha1"),
            _ => ("sha256", "filesha256"),
        };
        let hashes: Vec<String> = merged[&ty]
            .iter()
            .map(|p| p.rule_text().to_ascii_lowercase())
            .collect();
        return Ok((
            vec![sig(
                ty.name().to_string(),
                "ip",
                format!("{keyword}:{{list}};"),
                Some((ext, hashes)),
            )],
            Vec::new(),
        ));
    }
    if merged.is_empty() {
        if addr == "any" {
            return Err(Skip::new(super::report::common::NOTHING_EXPRESSIBLE));
        }
        return Ok((
            vec![sig("ip".into(), "ip", String::new(), None)],
            Vec::new(),
        ));
    }
    let mut out = Vec::new();
    // A long list of exact domains: one dataset per buffer instead of a signature per value.
    let remaining: Vec<Pattern>;
    if merged.len() == 1 {
        if let Some(domains) = merged.get(&Domain).copied() {
            let exact: Vec<&str> = domains
                .iter()
                .filter_map(|p| match p {
                    Pattern::Exact(d) => Some(d.as_str()),
                    _ => None,
                })
                .collect();
            if exact.len() >= DATASET_MIN {
                let lines: Vec<String> = exact.iter().map(|d| base64(d.as_bytes())).collect();
                for (proto, buffer) in [
                    ("dns", "dns.query"),
                    ("tls", "tls.sni"),
                    ("http", "http.host"),
                ] {
                    out.push(sig(
                        "domain-dataset".into(),
                        proto,
                        format!("{buffer}; to_lowercase; dataset:isset,ruleforge-{{sid}},type string,load {{list}};"),
                        Some(("domains", lines.clone())),
                    ));
                }
                remaining = domains
                    .iter()
                    .filter(|p| !matches!(p, Pattern::Exact(_)))
                    .cloned()
                    .collect();
                if remaining.is_empty() {
                    return Ok((out, Vec::new()));
                }
                merged.insert(Domain, &remaining);
            }
        }
    }
    // Every value becomes a choice of options on the buffers of its protocol; the product of
    // the choices over the types is the set of signatures (AND across types, OR across values).
    let http = merged.contains_key(&UserAgent) || merged.contains_key(&Url);
    if http && merged.contains_key(&Domain) && merged.contains_key(&Url) {
        return Err(Skip::with(
            AND_TERM,
            "`domain` and `url` (both name the host)",
        ));
    }
    let protos: Vec<&'static str> = if http {
        vec!["http"]
    } else {
        vec!["dns", "tls", "http"]
    };
    let mut count = 1usize;
    for patterns in merged.values() {
        count = count.saturating_mul(patterns.len());
    }
    count = count.saturating_mul(protos.len());
    if count > MAX_SIGNATURES_PER_TERM {
        return Err(Skip::with(
            TOO_MANY,
            format!("{count} signatures for {term_text}, at most {MAX_SIGNATURES_PER_TERM}"),
        ));
    }
    let mut left_out: Vec<Skip> = Vec::new();
    for proto in protos {
        // (key, options) for each type, then their product.
        let mut combos: Vec<(Vec<String>, Vec<String>)> = vec![(vec![], vec![])];
        for (ty, patterns) in &merged {
            let mut choices = Vec::new();
            for p in patterns.iter() {
                let opts = match ty {
                    Domain => {
                        let buffer = match proto {
                            "dns" => "dns.query",
                            "tls" => "tls.sni",
                            _ => "http.host",
                        };
                        domain(p, buffer)
                    }
                    UserAgent => user_agent(p),
                    Url => http_url(p).map(|(host, target)| {
                        format!(
                            "http.host.raw; {} nocase; startswith; endswith; http.uri.raw; {} startswith; endswith;",
                            content(&host),
                            content(&target)
                        )
                    }),
                    _ => unreachable!("other types are refused or handled above"),
                };
                // A value left out of a type's OR narrows the match, never widens it.
                match opts {
                    Ok(opts) => choices.push((format!("{}={}", ty.name(), p.rule_text()), opts)),
                    Err(skip) => {
                        if !left_out.contains(&skip) {
                            left_out.push(skip);
                        }
                    }
                }
            }
            if choices.is_empty() {
                return Err(left_out.remove(left_out.len() - 1));
            }
            let mut next = Vec::with_capacity(combos.len() * choices.len());
            for (keys, opts) in &combos {
                for (k, o) in &choices {
                    let mut keys = keys.clone();
                    keys.push(k.clone());
                    let mut opts = opts.clone();
                    opts.push(o.clone());
                    next.push((keys, opts));
                }
            }
            combos = next;
        }
        for (keys, opts) in combos {
            out.push(sig(keys.join("\n"), proto, opts.join(" "), None));
        }
    }
    Ok((out, left_out))
}

/// The rule's signatures (without sids) and its outcome.
fn rule_signatures(rule: &ExportRule) -> (Vec<Sig>, RuleOutcome) {
    let terms = match terms_or_skip(rule) {
        Ok(t) => t,
        Err(outcome) => return (Vec::new(), outcome),
    };
    let mut sigs = Vec::new();
    let mut omitted = Vec::new();
    for term in &terms {
        match term_signatures(rule, term) {
            Ok((s, left_out)) => {
                sigs.extend(s);
                omitted.extend(left_out.into_iter().map(|skip| Omitted {
                    groups: term.clone(),
                    skip,
                }));
            }
            Err(skip) => omitted.push(Omitted {
                groups: term.clone(),
                skip,
            }),
        }
    }
    if sigs.is_empty() {
        let skip = match omitted.first() {
            Some(o) if omitted.iter().all(|x| x.skip.code == o.skip.code) => o.skip.clone(),
            _ => Skip::new(super::report::common::NOTHING_EXPRESSIBLE),
        };
        return (sigs, RuleOutcome::skipped(&rule.id, &rule.path, skip));
    }
    (
        sigs,
        RuleOutcome::with_omitted(&rule.id, &rule.path, omitted),
    )
}

/// The sid a key would get without collisions.
pub fn preferred_sid(rule_id: &str, key: &str) -> u64 {
    let digest = Sha256::new()
        .chain_update(rule_id.as_bytes())
        .chain_update([0u8])
        .chain_update(key.as_bytes())
        .finalize();
    let n = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    SID_BASE + n % SID_RANGE
}

/// Standard base64 with padding (Suricata's dataset files hold strings base64-encoded).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `preferred`, or the next free sid after it (wrapping inside the range); marks it used.
fn assign_sid(used: &mut BTreeSet<u64>, preferred: u64) -> u64 {
    let mut sid = preferred;
    while !used.insert(sid) {
        sid = SID_BASE + (sid - SID_BASE + 1) % SID_RANGE;
    }
    sid
}

/// `YYYY-MM-DD` → `YYYYMMDD` (1 without a date).
fn rev(rule: &ExportRule) -> u32 {
    rule.modified
        .as_deref()
        .or(rule.created.as_deref())
        .and_then(|d| d.replace('-', "").parse().ok())
        .unwrap_or(1)
}

/// Text for `msg` and `metadata`: no quotes, semicolons, backslashes or control characters.
fn text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => '\'',
            ';' | ',' => ' ',
            '\\' => '/',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// Writes `ruleforge.rules` (signatures in rule-id order) and the hash lists.
pub fn export(set: &ExportSet, _opts: &Options) -> TargetOutput {
    let mut rules = Vec::with_capacity(set.native.len() + set.sigma.len());
    let mut used: BTreeSet<u64> = BTreeSet::new();
    let mut lines = Vec::new();
    let mut files = Vec::new();
    use rayon::prelude::*;
    // Each rule's signatures and preferred sids on every core; the sids are then assigned
    // in rule order (a collision takes the next free one), so the output stays the same.
    let built: Vec<_> = set
        .native
        .par_iter()
        .map(|rule| {
            let (sigs, outcome) = rule_signatures(rule);
            let sigs: Vec<_> = sigs
                .into_iter()
                .map(|s| (preferred_sid(&rule.id, &s.key), s))
                .collect();
            (sigs, outcome)
        })
        .collect();
    for (rule, (sigs, outcome)) in set.native.iter().zip(built) {
        rules.push(outcome);
        let rev = rev(rule);
        for (preferred, s) in sigs {
            let sid = assign_sid(&mut used, preferred);
            let mut body = s.body.clone();
            if let Some((ext, hashes)) = &s.list {
                let name = format!("{sid}.{ext}");
                body = body
                    .replace("{list}", &name)
                    .replace("{sid}", &sid.to_string());
                let mut data = hashes.join("\n");
                data.push('\n');
                files.push((name, data.into_bytes()));
            }
            let body = if body.is_empty() {
                String::new()
            } else {
                format!("{body} ")
            };
            lines.push(format!(
                "alert {} any any <> {} any (msg:\"ruleforge: {}\"; {body}metadata: ruleforge_id {}, ruleforge_term {}; sid:{sid}; rev:{rev};)",
                s.proto,
                s.addr,
                text(&rule.title),
                rule.id,
                text(&s.term).replace(' ', "_"),
            ));
        }
    }
    rules.extend(set.sigma.iter().map(sigma_skipped));
    let mut text = String::from("# ruleforge export for Suricata 7: see docs/exports.md\n");
    for l in lines {
        text.push_str(&l);
        text.push('\n');
    }
    files.push((FILE_NAME.to_string(), text.into_bytes()));
    TargetOutput { files, rules }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_escapes_reserved_bytes() {
        assert_eq!(content("a;b\"c|d\\"), "content:\"a|3B|b|22|c|7C|d|5C|\";");
        assert_eq!(content("x;;y"), "content:\"x|3B 3B|y\";");
    }

    #[test]
    fn globs_become_anchored_contents() {
        assert_eq!(
            glob_contents("Mozilla/4.0 *", false),
            "content:\"Mozilla/4.0 \"; startswith;"
        );
        assert_eq!(
            glob_contents("*bot*x", false),
            "content:\"bot\"; content:\"x\"; distance:0; endswith;"
        );
        assert_eq!(
            glob_contents("a.example", true),
            "content:\"a.example\"; nocase; startswith; endswith;"
        );
    }

    #[test]
    fn colliding_sids_take_the_next_free_one() {
        let mut used = BTreeSet::new();
        let last = SID_BASE + SID_RANGE - 1;
        assert_eq!(assign_sid(&mut used, last), last);
        assert_eq!(assign_sid(&mut used, last), SID_BASE);
        assert_eq!(assign_sid(&mut used, last), SID_BASE + 1);
        assert_eq!(assign_sid(&mut used, SID_BASE + 5), SID_BASE + 5);
    }

    #[test]
    fn base64_is_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"c2.example.com"), "YzIuZXhhbXBsZS5jb20=");
    }

    #[test]
    fn sids_are_in_range_and_stable() {
        let a = preferred_sid(
            "0d9a6a59-8a5b-4a9e-9c39-0f3c9c1e9f01",
            "g\ndns\ndomain=a.example",
        );
        assert!((SID_BASE..SID_BASE + SID_RANGE).contains(&a));
        assert_eq!(
            a,
            preferred_sid(
                "0d9a6a59-8a5b-4a9e-9c39-0f3c9c1e9f01",
                "g\ndns\ndomain=a.example"
            )
        );
        assert_ne!(
            a,
            preferred_sid(
                "0d9a6a59-8a5b-4a9e-9c39-0f3c9c1e9f01",
                "g\ntls\ndomain=a.example"
            )
        );
    }
}
