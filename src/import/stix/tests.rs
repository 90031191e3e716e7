//! The STIX mapping: every refusal reason, every supported path and operator.

use super::*;
use crate::import::expr::render;
use IndicatorType::*;

fn expr(pattern: &str) -> Expr {
    map_pattern(pattern).unwrap_or_else(|e| panic!("{pattern}: {e:?}"))
}

fn refusal(pattern: &str) -> &'static str {
    map_pattern(pattern).expect_err(pattern).code()
}

#[test]
fn every_supported_path() {
    let cases = [
        ("[file:hashes.MD5 = 'x']", Md5),
        ("[file:hashes.'SHA-1' = 'x']", Sha1),
        ("[file:hashes.'SHA-256' = 'x']", Sha256),
        ("[file:hashes.SHA256 = 'x']", Sha256),
        ("[file:name = 'x']", FileName),
        ("[domain-name:value = 'x']", Domain),
        ("[ipv4-addr:value = 'x']", Ip),
        ("[ipv6-addr:value = 'x']", Ip),
        ("[url:value = 'x']", Url),
        ("[email-addr:value = 'x']", Email),
        ("[process:command_line = 'x']", CommandLine),
        ("[windows-registry-key:key = 'x']", RegistryPath),
        (
            "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'x']",
            UserAgent,
        ),
    ];
    for (p, ty) in cases {
        assert_eq!(expr(p), Expr::term(ty, "x"), "{p}");
    }
}

#[test]
fn operators_map_to_values() {
    assert_eq!(
        expr("[domain-name:value IN ('a.com', 'b.com')]"),
        Expr::Term(Term::new(Domain, vec!["a.com".into(), "b.com".into()]))
    );
    assert_eq!(
        expr("[file:name LIKE '%.aspx']"),
        Expr::term(FileName, "*.aspx")
    );
    assert_eq!(expr("[file:name LIKE 'a_c']"), Expr::term(FileName, "a?c"));
    assert_eq!(
        expr("[file:name LIKE 'a*%']"),
        Expr::term(FileName, r"regex:(?i)^a\*.*$")
    );
    assert_eq!(
        expr("[file:name = 'what?.exe']"),
        Expr::term(FileName, r"regex:(?i)^what\?\.exe$")
    );
    assert_eq!(
        expr("[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' LIKE 'Mozilla*%']"),
        Expr::term(UserAgent, r"regex:^Mozilla\*.*$")
    );
    assert_eq!(
        expr("[url:value LIKE 'http://evil.example/%']"),
        Expr::term(Url, "http://evil.example/*")
    );
    assert_eq!(
        expr("[url:value LIKE 'http://evil.example/_']"),
        Expr::term(Url, r"regex:^http://evil\.example/.$")
    );
    assert_eq!(
        expr("[domain-name:value LIKE '%.evil.example']"),
        Expr::term(Domain, "*.evil.example")
    );
    assert_eq!(
        expr("[ipv4-addr:value ISSUBSET '198.51.100.0/24']"),
        Expr::term(Ip, "198.51.100.0/24")
    );
    assert_eq!(
        expr("[process:command_line MATCHES '(?i)-enc [A-Za-z0-9+/=]{16,}']"),
        Expr::term(CommandLine, "regex:(?i)-enc [A-Za-z0-9+/=]{16,}")
    );
}

#[test]
fn boolean_structure_becomes_groups_and_condition() {
    let e = expr(
        "[file:name = 'a.exe' AND file:hashes.'SHA-256' = 'x'] OR [domain-name:value = 'd.com'] OR [domain-name:value = 'e.com']",
    );
    let r = render(&e.simplify().unwrap());
    assert_eq!(r.condition, None);
    let names: Vec<_> = r.groups.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(names, ["file_name_sha256", "domain"]);
    let e = expr("[file:name = 'a.exe' AND (file:hashes.MD5 = 'm' OR file:hashes.'SHA-1' = 's')]");
    let r = render(&e.simplify().unwrap());
    assert_eq!(r.condition.as_deref(), Some("file_name and (md5 or sha1)"));
}

#[test]
fn every_refusal_reason() {
    assert_eq!(refusal("[file:name = 'a'"), "pattern-syntax");
    assert_eq!(
        refusal("[file:name = 'a'] AND [file:name = 'b']"),
        "several-observations"
    );
    assert_eq!(
        refusal("[file:name = 'a'] FOLLOWEDBY [file:name = 'b']"),
        "followedby"
    );
    assert_eq!(refusal("[file:name = 'a'] WITHIN 60 SECONDS"), "within");
    assert_eq!(refusal("[file:name = 'a'] REPEATS 3 TIMES"), "repeats");
    assert_eq!(
        refusal("[file:name = 'a'] START t'2020-01-01T00:00:00Z' STOP t'2020-02-01T00:00:00Z'"),
        "start-stop"
    );
    assert_eq!(refusal("[file:name NOT = 'a']"), "negation");
    assert_eq!(refusal("[file:name != 'a']"), "negation");
    assert_eq!(refusal("[file:name <> 'a']"), "negation");
    assert_eq!(refusal("[file:size > 10]"), "ordering");
    assert_eq!(refusal("[EXISTS file:name]"), "exists");
    assert_eq!(
        refusal("[ipv4-addr:value ISSUPERSET '10.0.0.0/8']"),
        "issuperset"
    );
    assert_eq!(refusal("[file:size = 10]"), "unsupported-path");
    assert_eq!(refusal("[x-custom:value = 'a']"), "unsupported-path");
    assert_eq!(refusal("[file:hashes.'SHA-512' = 'a']"), "unsupported-path");
    assert_eq!(
        refusal("[file:hashes.MD5 LIKE 'a%']"),
        "unsupported-operator"
    );
    assert_eq!(
        refusal("[domain-name:value MATCHES 'a.*']"),
        "unsupported-operator"
    );
    assert_eq!(
        refusal("[domain-name:value LIKE 'ev%l.com']"),
        "unsupported-operator"
    );
    assert_eq!(refusal("[file:name ISSUBSET 'a']"), "unsupported-operator");
    assert_eq!(refusal("[file:name = 3]"), "literal");
    assert_eq!(refusal("[file:name IN ('a', 3)]"), "literal");
    assert_eq!(refusal("[process:command_line MATCHES '(?<=a)b']"), "regex");
    // Also the object-level reasons, through `items`.
    let doc = serde_json::json!({"type": "bundle", "id": "bundle--1", "objects": [
        {"type": "indicator", "id": "indicator--a", "pattern": "[file:name = 'x.exe']", "pattern_type": "stix", "revoked": true},
        {"type": "indicator", "id": "indicator--b", "pattern": "title: x", "pattern_type": "sigma"},
        {"type": "indicator", "id": "indicator--c", "pattern_type": "stix"},
        {"type": "indicator", "pattern": "[file:name = 'x.exe']", "pattern_type": "stix"}
    ]});
    let codes: Vec<&str> = items("b.json", doc)
        .unwrap()
        .into_iter()
        .map(|i| match i {
            Item::Refused(r) => r.reason.code,
            Item::Draft(_) => "draft",
        })
        .collect();
    assert_eq!(codes, ["malformed", "revoked", "pattern-type", "malformed"]);
}

#[test]
fn refusal_codes_are_unique_and_explained() {
    let all = [
        StixRefusal::PatternType("x".into()),
        StixRefusal::PatternSyntax(pattern::parse("[").unwrap_err()),
        StixRefusal::SeveralObservations,
        StixRefusal::FollowedBy,
        StixRefusal::Within,
        StixRefusal::Repeats,
        StixRefusal::StartStop,
        StixRefusal::Negation("p".into()),
        StixRefusal::Ordering("p".into()),
        StixRefusal::Exists("p".into()),
        StixRefusal::IsSuperset("p".into()),
        StixRefusal::UnsupportedPath("p".into()),
        StixRefusal::UnsupportedOperator {
            path: "p".into(),
            op: "LIKE",
        },
        StixRefusal::Literal {
            path: "p".into(),
            kind: "integer",
        },
        StixRefusal::Regex {
            pattern: "p".into(),
            error: "e".into(),
        },
        StixRefusal::Revoked,
        StixRefusal::Malformed("m".into()),
    ];
    let codes: std::collections::HashSet<_> = all.iter().map(|r| r.code()).collect();
    assert_eq!(codes.len(), all.len());
    assert!(all.iter().all(|r| r.sentence().len() > 10));
}

#[test]
fn metadata_from_the_bundle() {
    let doc = serde_json::json!({"type": "bundle", "id": "bundle--1", "objects": [
        {"type": "identity", "id": "identity--1", "name": "Example CERT", "identity_class": "organization"},
        {"type": "malware", "id": "malware--1", "name": "SUNBURST", "is_family": true},
        {"type": "relationship", "id": "relationship--1", "relationship_type": "indicates", "source_ref": "indicator--1", "target_ref": "malware--1"},
        {"type": "indicator", "id": "indicator--1", "name": "old", "modified": "2021-01-01T00:00:00Z", "pattern": "[domain-name:value = 'old.example']", "pattern_type": "stix"},
        {"type": "indicator", "id": "indicator--1", "created": "2020-12-14T00:00:00Z", "modified": "2021-01-02T00:00:00Z",
         "name": "SUNBURST C2 domain", "description": "The C2 domain.", "created_by_ref": "identity--1",
         "confidence": 85, "valid_until": "2030-01-01T00:00:00Z",
         "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
         "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}],
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1071.001"}, {"source_name": "report", "url": "https://example.org/r"}],
         "pattern": "[domain-name:value = 'avsvmcloud.com']", "pattern_type": "stix"}
    ]});
    let items = items("b.json", doc).unwrap();
    assert_eq!(
        items.len(),
        1,
        "one draft per indicator id: the latest version"
    );
    let Item::Draft(d) = &items[0] else { panic!() };
    assert_eq!(d.title.as_deref(), Some("SUNBURST C2 domain"));
    assert_eq!(d.author.as_deref(), Some("Example CERT"));
    assert_eq!(d.confidence, Some("high"));
    assert_eq!(d.tlp, Some("green"));
    assert_eq!(d.expires, crate::rule::parse_date("2030-01-01"));
    assert_eq!(
        d.tags,
        [
            "attack.command-and-control",
            "attack.t1071.001",
            "malware.sunburst"
        ]
    );
    assert_eq!(d.references, ["https://example.org/r"]);
    assert_eq!(d.expr, Expr::term(Domain, "avsvmcloud.com"));
}

#[test]
fn envelopes_and_lone_objects() {
    let ind = serde_json::json!({"type": "indicator", "id": "indicator--1", "pattern": "[url:value = 'http://x.example/']", "pattern_type": "stix"});
    assert_eq!(items("x", ind.clone()).unwrap().len(), 1);
    assert_eq!(
        items("x", serde_json::json!({"more": false, "objects": [ind]}))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        items("x", serde_json::json!([1])).unwrap_err().code(),
        "shape"
    );
    assert_eq!(
        items("x", serde_json::json!({"a": 1})).unwrap_err().code(),
        "shape"
    );
    assert_eq!(
        items("x", serde_json::json!({"type": "bundle", "objects": 3}))
            .unwrap_err()
            .code(),
        "shape"
    );
}

#[test]
fn stix_2_0_indicators_without_pattern_type() {
    // STIX 2.0 had no `pattern_type`: every pattern was a STIX pattern.
    let doc = serde_json::json!({"type": "bundle", "id": "bundle--1", "spec_version": "2.0", "objects": [
        {"type": "indicator", "id": "indicator--1", "created": "2014-06-29T13:49:37.079Z",
         "modified": "2014-06-29T13:49:37.079Z", "labels": ["malicious-activity"],
         "name": "Malicious site hosting downloader", "pattern": "[url:value = 'http://x4z9arb.cn/4712/']",
         "valid_from": "2014-06-29T13:49:37.079000Z"}
    ]});
    let items = items("b.json", doc).unwrap();
    let Item::Draft(d) = &items[0] else { panic!() };
    assert_eq!(d.expr, Expr::term(Url, "http://x4z9arb.cn/4712/"));
    assert_eq!(d.created, crate::rule::parse_date("2014-06-29"));
}

#[test]
fn mutated_patterns_never_panic() {
    // Every pattern of the fixtures, cut at every character and with grammar fragments
    // inserted everywhere: the parser and the mapping answer (a rule or a refusal), never
    // panic.
    let mut patterns = Vec::new();
    for text in [
        include_str!("../../../tests/fixtures/import/stix/indicators-v2.json"),
        include_str!("../../../tests/fixtures/import/stix/refused.json"),
    ] {
        let doc: serde_json::Value = serde_json::from_str(text).unwrap();
        for o in doc["objects"].as_array().unwrap() {
            if let Some(p) = o["pattern"].as_str() {
                patterns.push(p.to_string());
            }
        }
    }
    const SNIPPETS: &[&str] = &[
        "[",
        "]",
        "(",
        ")",
        "'",
        "\\",
        " AND ",
        " OR ",
        " NOT ",
        " FOLLOWEDBY ",
        " IN ('a', ",
        " LIKE '%",
        " MATCHES '(?<=",
        " WITHIN 5 SECONDS",
        " REPEATS 0 TIMES",
        "t'2021-",
        "h'0",
        "b'==",
        ".",
        ":",
        "[*]",
        "[-1]",
        "/*",
        "//",
        "é",
        "\u{2028}",
        "-",
        "+",
        "1.",
        "=",
        "!=",
        "<",
        ">=",
        "EXISTS ",
        "ISSUBSET '",
        "%",
        "_",
        "*",
        "?",
    ];
    let mut runs = 0;
    for p in &patterns {
        let cuts: Vec<usize> = p.char_indices().map(|(i, _)| i).chain([p.len()]).collect();
        for &i in &cuts {
            let _ = map_pattern(&p[..i]);
            runs += 1;
        }
        for &i in cuts.iter().step_by(3) {
            for s in SNIPPETS {
                let mutated = format!("{}{s}{}", &p[..i], &p[i..]);
                let _ = map_pattern(&mutated);
                runs += 1;
            }
        }
    }
    assert!(runs > 10_000, "{runs} runs");
}
