use super::*;
use crate::yaml::emit::{double_quote, quote};
use proptest::prelude::*;

fn fmt(text: &str) -> String {
    format_source(&SourceFile::new("r.yml", text)).unwrap_or_else(|e| panic!("{e:?}\n{text}"))
}

const EXAMPLE: &str = r#"# yaml-language-server: $schema=../../schemas/rule.schema.json
id: 0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c
title: ProxyLogon web shell written under aspnet_client
status: test
severity: high
confidence: medium
tlp: clear
author: ruleforge maintainers
created: 2021-03-03
modified: 2021-11-22
description: |
  ASPX script dropped in the Exchange aspnet_client folder, where HAFNIUM and other actors
  wrote China Chopper web shells after exploiting CVE-2021-26855 and CVE-2021-27065.
references:
  - https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/
tags:
  - attack.t1505.003
  - actor.hafnium
falsepositives:
  - Legitimate ASP.NET client files deployed by administrators
indicators:
  drop_path:
    file_path:
      - C:\inetpub\wwwroot\aspnet_client\*
      - '*\FrontEnd\HttpProxy\owa\auth\*'
  script_ext:
    file_name:
      - '*.aspx'
condition: drop_path and script_ext
tests:
  - name: aspx in aspnet_client
    expect: match
    event:
      file.path: C:\inetpub\wwwroot\aspnet_client\system_web\discover.aspx
      file.name: discover.aspx
"#;

#[test]
fn canonical_file_is_unchanged() {
    assert_eq!(fmt(EXAMPLE), EXAMPLE);
}

#[test]
fn reorders_reindents_requotes_and_canonicalizes() {
    let input = r#"title: "A rule title that is long enough"
id: 0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c
tests:
    -   expect: match
        name: "x"
        event: {url.full: 'http://a.example/'}
indicators:
    g:
        ip: ["10.0.0.1/8", 1.2.3.4/32]
        sha1: [DA39A3EE5E6B4B0D3255BFEF95601890AFD80709]
        domain: [Example.COM.]
related: [{type: derived, id: 1b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c}]
description: 'one
  two'
status: test
"#;
    let want = r#"id: 0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c
title: A rule title that is long enough
status: test
description: one two
related:
  - id: 1b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c
    type: derived
indicators:
  g:
    ip:
      - 10.0.0.0/8
      - 1.2.3.4
    sha1:
      - da39a3ee5e6b4b0d3255bfef95601890afd80709
    domain:
      - example.com
tests:
  - name: x
    expect: match
    event:
      url.full: http://a.example/
"#;
    assert_eq!(fmt(input), want);
}

#[test]
fn comments_stay_with_their_nodes() {
    let input = "# yaml-language-server: $schema=../schemas/rule.schema.json
# header stays first

# about the title
title: A rule title that is long enough # after title
id: 0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c
indicators: # groups
  # first group
  g:
    md5:
      - d41d8cd98f00b204e9800998ecf8427e # the empty file
      # - 00000000000000000000000000000000 (disabled)
  # second group
  h:
    file_name:
      - 'a # not a comment'
description: |
  Line one # not a comment
  # not a comment either
tests:
  - expect: match # expect first
    name: t
    event:
      file.hash.md5: d41d8cd98f00b204e9800998ecf8427e
  # after the test
# footer
";
    let want = "# yaml-language-server: $schema=../schemas/rule.schema.json
# header stays first
id: 0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c
# about the title
title: A rule title that is long enough # after title
description: |
  Line one # not a comment
  # not a comment either
indicators: # groups
  # first group
  g:
    md5:
      - d41d8cd98f00b204e9800998ecf8427e # the empty file
      # - 00000000000000000000000000000000 (disabled)
  # second group
  h:
    file_name:
      - 'a # not a comment'
tests:
  - name: t
    expect: match # expect first
    event:
      file.hash.md5: d41d8cd98f00b204e9800998ecf8427e
  # after the test
# footer
";
    let out = fmt(input);
    assert_eq!(out, want);
    assert_eq!(fmt(&out), out);
}

#[test]
fn modeline_moves_first() {
    let out = fmt("title: x y z\n# yaml-language-server: $schema=a.json\nid: a\n");
    assert!(
        out.starts_with("# yaml-language-server: $schema=a.json\nid: a\n"),
        "{out}"
    );
}

#[test]
fn quoting() {
    assert_eq!(quote("plain text"), "plain text");
    assert_eq!(quote(r"C:\Windows\*"), r"C:\Windows\*");
    assert_eq!(quote("*.aspx"), "'*.aspx'");
    assert_eq!(quote("true"), "'true'");
    assert_eq!(quote("123"), "'123'");
    assert_eq!(quote("2021-03-02"), "2021-03-02");
    assert_eq!(quote("a: b"), "'a: b'");
    assert_eq!(quote("it's"), "it's");
    assert_eq!(quote("'q'"), "'''q'''");
    assert_eq!(quote("a\tb"), "'a\tb'");
    assert_eq!(quote("bell\u{7}"), "\"bell\\x07\"");
    assert_eq!(quote(""), "''");
    assert_eq!(quote("null"), "'null'");
    assert_eq!(quote("a #b"), "'a #b'");
}

#[test]
fn multi_line_strings() {
    assert_eq!(
        fmt("description: \"a\\nb\\n\"\n"),
        "description: |\n  a\n  b\n"
    );
    assert_eq!(
        fmt("description: \"a\\nb\"\n"),
        "description: |-\n  a\n  b\n"
    );
    assert_eq!(
        fmt("description: \"a\\n\\nb\\n\\n\"\n"),
        "description: |+\n  a\n\n  b\n\n"
    );
    // A first line that starts with a space cannot be a plain literal block.
    assert_eq!(
        fmt("description: \" a\\nb\"\n"),
        "description: \" a\\nb\"\n"
    );
    assert_eq!(
        fmt("falsepositives:\n  - \"x\\ny\\n\"\n"),
        "falsepositives:\n  - |\n    x\n    y\n"
    );
}

#[test]
fn scalars_that_are_not_strings_keep_their_spelling() {
    assert_eq!(
        fmt("a: 0x1F\nb: ~\nc:\nd: true\n"),
        "a: 0x1F\nb: ~\nc:\nd: true\n"
    );
}

#[test]
fn broken_yaml_is_an_error() {
    let e = format_source(&SourceFile::new("r.yml", "a: [\n")).unwrap_err();
    assert!(
        matches!(e, FormatError::Load(ref l) if l.kind == crate::yaml::LoadErrorKind::Syntax),
        "{e:?}"
    );
    let e = format_source(&SourceFile::new("r.yml", "a: 1\na: 2\n")).unwrap_err();
    assert!(
        matches!(e, FormatError::Load(ref l) if l.kind == crate::yaml::LoadErrorKind::DuplicateKey),
        "{e:?}"
    );
}

/// Found by the `fmt` fuzz target: ` : #c` formatted to `: #c`, which formatted to
/// `:\n#c` (not idempotent). An empty key is refused, and the file left as it is.
#[test]
fn an_empty_key_is_refused() {
    for text in [" : #\u{6}", ": #c\n", "a: 1\n: x\n", "a:\n  : 1\n"] {
        let e = format_source(&SourceFile::new("r.yml", text)).unwrap_err();
        assert!(
            matches!(&e, FormatError::Unsupported { message, .. } if message.contains("empty mapping key")),
            "{text:?}: {e:?}"
        );
    }
    // An empty value is fine.
    assert_eq!(fmt("a: #c\n"), "a: #c\n");
}

#[test]
fn an_empty_document_list_or_mapping_is_formatted() {
    // Found by fuzzing: a file that is only `{}` or `[]` made `fmt` panic.
    for (text, want) in [
        ("{}", "{}\n"),
        ("{ }\n", "{}\n"),
        ("[]\n", "[]\n"),
        ("[ ]", "[]\n"),
    ] {
        let out = fmt(text);
        assert_eq!(out, want, "{text:?}");
        assert_eq!(fmt(&out), out, "{text:?}: not idempotent");
    }
    let out = fmt("# head\n{} # c\n");
    assert!(out.contains("# head") && out.contains("# c"), "{out:?}");
    assert_eq!(fmt(&out), out, "not idempotent");
}

#[test]
fn crlf_and_aliases() {
    assert_eq!(fmt("a: x\r\nb: y # c\r\n"), "a: x\nb: y # c\n");
    assert_eq!(fmt("a: &x v\nb: *x\n"), "a: v\nb: v\n");
}

// ---------------------------------------------------------------------------------------
// Property tests: random rule-like documents written in random styles with comments.

#[derive(Debug, Clone)]
enum G {
    Str(String),
    Seq(Vec<G>),
    Map(Vec<(String, G)>),
}

fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ._/-]{1,20}",
        "[a-z:#'\"\\\\*?&!%@`{}\\[\\],|> -]{1,12}",
        Just("true".to_string()),
        Just("12".to_string()),
        Just("2021-03-02".to_string()),
        Just("line one\nline two\n".to_string()),
        Just("a\nb".to_string()),
        Just("  lead".to_string()),
        Just("tab\there".to_string()),
    ]
    .prop_filter("non-empty", |s| !s.trim().is_empty())
}

fn indicator_value(ty: &'static str) -> BoxedStrategy<String> {
    match ty {
        "sha256" => prop_oneof![
            Just("B75F163CA9B9240BF4B37AD92BC7556B40A17E27C2B8ED5C8991385FE07D17D0".to_string()),
            Just("b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0".to_string()),
            Just("not-a-hash".to_string()),
        ]
        .boxed(),
        "ip" => prop_oneof![
            Just("10.0.0.1/8".to_string()),
            Just("2001:DB8::1".to_string()),
            Just("1.2.3.4/32".to_string()),
        ]
        .boxed(),
        "domain" => prop_oneof![
            Just("Example.COM.".to_string()),
            Just("*.bücher.de".to_string()),
        ]
        .boxed(),
        _ => prop_oneof![
            Just(r"C:\inetpub\wwwroot\*".to_string()),
            Just("*.aspx".to_string()),
            Just("regex:^a.*b$".to_string()),
            tricky_string(),
        ]
        .boxed(),
    }
}

fn indicators() -> impl Strategy<Value = G> {
    let ty = prop_oneof![
        Just("sha256"),
        Just("ip"),
        Just("domain"),
        Just("file_path")
    ];
    let types = proptest::collection::vec(
        ty.prop_flat_map(|t| {
            proptest::collection::vec(indicator_value(t), 1..4)
                .prop_map(move |vs| (t.to_string(), G::Seq(vs.into_iter().map(G::Str).collect())))
        }),
        1..3,
    )
    .prop_map(|mut v| {
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v.dedup_by(|a, b| a.0 == b.0);
        G::Map(v)
    });
    proptest::collection::vec(types, 1..3).prop_map(|gs| {
        G::Map(
            gs.into_iter()
                .enumerate()
                .map(|(i, g)| (format!("group_{i}"), g))
                .collect(),
        )
    })
}

fn tests_list() -> impl Strategy<Value = G> {
    proptest::collection::vec(
        (
            tricky_string(),
            any::<bool>(),
            tricky_string(),
            any::<bool>(),
        ),
        0..3,
    )
    .prop_map(|ts| {
        G::Seq(
            ts.into_iter()
                .map(|(name, m, v, swap)| {
                    let mut entries = vec![
                        ("name".to_string(), G::Str(name)),
                        (
                            "expect".to_string(),
                            G::Str(if m { "match" } else { "no_match" }.into()),
                        ),
                        (
                            "event".to_string(),
                            G::Map(vec![("file.name".to_string(), G::Str(v))]),
                        ),
                    ];
                    if swap {
                        entries.swap(0, 1);
                    }
                    G::Map(entries)
                })
                .collect(),
        )
    })
}

fn document() -> impl Strategy<Value = Vec<(String, G)>> {
    (
        tricky_string(),
        tricky_string(),
        proptest::collection::vec(tricky_string(), 0..3),
        indicators(),
        tests_list(),
        Just(()).prop_perturb(|_, mut rng| rng.next_u64()),
    )
        .prop_map(|(title, desc, tags, ind, tests, seed)| {
            let mut v = vec![
                (
                    "id".to_string(),
                    G::Str("0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c".into()),
                ),
                ("title".to_string(), G::Str(title)),
                ("description".to_string(), G::Str(desc)),
                ("indicators".to_string(), ind),
                ("tests".to_string(), tests),
                ("x_custom".to_string(), G::Str("kept last".into())),
            ];
            if !tags.is_empty() {
                v.push((
                    "tags".to_string(),
                    G::Seq(tags.into_iter().map(G::Str).collect()),
                ));
            }
            // Shuffle deterministically from the seed.
            let mut s = seed;
            for i in (1..v.len()).rev() {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                v.swap(i, (s >> 33) as usize % (i + 1));
            }
            v
        })
}

/// Writes a document in a style driven by `style` bits, with numbered comments.
struct Writer {
    out: String,
    style: u64,
    indent: usize,
    comments: Vec<String>,
}

impl Writer {
    fn bit(&mut self) -> bool {
        self.style = self.style.rotate_left(7) ^ 0x9e37_79b9_7f4a_7c15;
        self.style & 1 == 1
    }

    fn comment(&mut self) -> String {
        let c = format!("# ~c{}", self.comments.len());
        self.comments.push(c.clone());
        c
    }

    fn scalar(&mut self, s: &str) -> String {
        if crate::yaml::emit::plain_safe(s) && !s.contains(['\t', '\n']) && self.bit() {
            s.to_string()
        } else if !s.contains('\n') && self.bit() {
            format!("'{}'", s.replace('\'', "''"))
        } else {
            double_quote(s)
        }
    }

    fn eol(&mut self) -> String {
        if self.bit() && self.bit() {
            format!("  {}", self.comment())
        } else {
            String::new()
        }
    }

    fn full_line(&mut self, indent: usize) {
        if self.bit() && self.bit() {
            let c = self.comment();
            self.out.push_str(&format!("{}{c}\n", " ".repeat(indent)));
        }
    }

    fn map(&mut self, entries: &[(String, G)], indent: usize) {
        for (k, v) in entries {
            self.full_line(indent);
            let key = self.scalar(k);
            self.value(&format!("{}{key}:", " ".repeat(indent)), v, indent);
        }
    }

    fn value(&mut self, prefix: &str, v: &G, indent: usize) {
        match v {
            G::Str(s) => {
                let t = self.scalar(s);
                let eol = self.eol();
                self.out.push_str(&format!("{prefix} {t}{eol}\n"));
            }
            G::Seq(items) if items.is_empty() => self.out.push_str(&format!("{prefix} []\n")),
            G::Seq(items) if items.iter().all(|i| matches!(i, G::Str(_))) && self.bit() => {
                let parts: Vec<String> = items
                    .iter()
                    .map(|i| match i {
                        G::Str(s) if !s.contains('\n') => format!("'{}'", s.replace('\'', "''")),
                        G::Str(s) => double_quote(s),
                        _ => unreachable!(),
                    })
                    .collect();
                let eol = self.eol();
                self.out
                    .push_str(&format!("{prefix} [{}]{eol}\n", parts.join(", ")));
            }
            G::Seq(items) => {
                let eol = self.eol();
                self.out.push_str(&format!("{prefix}{eol}\n"));
                let ind = indent + self.indent;
                for i in items {
                    self.full_line(ind);
                    match i {
                        G::Str(s) => {
                            let t = self.scalar(s);
                            let eol = self.eol();
                            self.out
                                .push_str(&format!("{}- {t}{eol}\n", " ".repeat(ind)));
                        }
                        G::Map(entries) => {
                            let key = self.scalar(&entries[0].0);
                            let p = format!("{}- {key}:", " ".repeat(ind));
                            self.value(&p, &entries[0].1, ind + 2);
                            self.map(&entries[1..], ind + 2);
                        }
                        G::Seq(_) => unreachable!(),
                    }
                }
                if self.bit() && self.bit() {
                    // A commented-out item after the last one.
                    let c = self.comment();
                    self.out.push_str(&format!("{}{c}\n", " ".repeat(ind)));
                }
            }
            G::Map(entries) => {
                let eol = self.eol();
                self.out.push_str(&format!("{prefix}{eol}\n"));
                self.map(entries, indent + self.indent);
            }
        }
    }
}

fn comment_lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .split(['\n', ' '])
        .filter(|w| w.starts_with("~c"))
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// fmt is idempotent, keeps the meaning (same data, indicator values canonical) and
    /// keeps every comment.
    #[test]
    fn fmt_is_idempotent_and_preserves_meaning(
        doc in document(),
        style in any::<u64>(),
        indent in 2usize..5,
        header in any::<bool>(),
    ) {
        let mut w = Writer { out: String::new(), style, indent, comments: Vec::new() };
        if header {
            w.out.push_str("# yaml-language-server: $schema=../schemas/rule.schema.json\n");
        }
        w.map(&doc, 0);
        let input = w.out.clone();
        let src = SourceFile::new("r.yml", input.clone());
        let root = yaml::parse(&src).map_err(|e| TestCaseError::fail(format!("generator wrote invalid YAML: {e:?}\n{input}")))?;
        let once = format_source(&src).map_err(|e| TestCaseError::fail(format!("{e:?}\n{input}")))?;
        let twice = fmt(&once);
        prop_assert_eq!(&twice, &once, "not idempotent\n--- input\n{}", input);
        let reparsed = yaml::parse(&SourceFile::new("r.yml", once.clone())).unwrap();
        prop_assert_eq!(reparsed.to_json(), project(&root, Ctx::Root));
        // Rules read from both agree on the canonical values.
        let before = crate::rule::Rule::from_node(&root);
        let after = crate::rule::Rule::from_node(&reparsed);
        let canon = |r: &crate::rule::Rule| r.values().map(|(g, t, v)| (g.name.clone(), t.key.clone(), v.canonical().to_string())).collect::<Vec<_>>();
        prop_assert_eq!(canon(&before), canon(&after));
        prop_assert_eq!(comment_lines(&once), { let mut c: Vec<String> = w.comments.iter().map(|c| c[2..].to_string()).collect(); c.sort(); c });
        if header {
            prop_assert!(once.starts_with("# yaml-language-server:"));
        }
        // Canonical key order at the top level.
        let keys: Vec<String> = reparsed.as_map().unwrap().iter().map(|e| yaml::key_text(&e.key)).collect();
        let pos = |k: &str| KEY_ORDER.iter().position(|o| *o == k).unwrap_or(KEY_ORDER.len());
        prop_assert!(keys.windows(2).all(|w| pos(&w[0]) <= pos(&w[1])), "{:?}", keys);
    }
}

/// The shortcut for an already formatted file (no second parse) agrees with the full check:
/// the emitter writes every indicator value as it was exactly when the projection equals the
/// tree as JSON.
#[test]
fn projection_shortcut_agrees_with_the_json_comparison() {
    let canonical = fmt(EXAMPLE);
    let docs = [
        canonical.clone(),
        "indicators:\n  g:\n    domain:\n      - EXAMPLE.com.\n".to_string(),
        "indicators:\n  g:\n    sha256:\n      - 'AB'\n    md5: [D41D8CD98F00B204E9800998ECF8427E]\n".to_string(),
        "indicators:\n  g:\n    md5: [d41d8cd98f00b204e9800998ecf8427e]\n".to_string(),
        "title: EXAMPLE.COM.\nn: 1\n".to_string(),
    ];
    let mut differing = 0;
    for text in &docs {
        let root = yaml::parse(&SourceFile::new("r.yml", text.as_str())).unwrap();
        let full = project(&root, Ctx::Root) == root.to_json();
        let src = SourceFile::new("r.yml", text.as_str());
        let mut e = Emitter {
            c: collect_comments(&src, &root, true),
            out: String::new(),
            emitted_comments: 0,
            values_changed: false,
        };
        e.emit_document(&root).unwrap();
        assert_eq!(!e.values_changed, full, "{text}");
        differing += usize::from(!full);
    }
    assert_eq!(
        differing, 2,
        "two documents hold values that are not canonical"
    );
    // An already formatted file formats to itself through the shortcut.
    assert_eq!(fmt(&canonical), canonical);
}

/// Found by fuzzing `fmt`: the first layout put the comment before the outer item, and
/// formatting that moved it inside. The result is the layout that formats to itself.
#[test]
fn a_comment_after_an_empty_item_of_a_nested_list_formats_to_a_fixed_point() {
    let text = "indicators:\n  c1_domain:\n    domain:\n      - - #avsvmcloud.com\n      - \
                '*.appsync-api.eu-west-1.avsvmcloud.com'\n";
    let once = fmt(text);
    assert_eq!(fmt(&once), once);
    assert!(once.contains("#avsvmcloud.com"), "{once}");
}

/// The shortcut for comments above the first key (no walk of the tree) finds what the walk
/// finds.
#[test]
fn header_comments_without_a_walk_are_those_of_the_walk() {
    let docs = [
        "# yaml-language-server: $schema=rule.schema.json\nid: x\ntitle: t\n",
        "# header\n\n# above id\nid: x # eol\nindicators:\n  g:\n    domain: [a.example]\n",
        "# one\r\n# two\r\n\r\nid: x\r\ntitle: t\r\n",
        "#a\n  #b\n\n\n#c\nid: x\nurl: http://x.example/#frag\nt: 'a #b'\n",
        "id: x\ntitle: t\n# footer\n",
        "id: x\ndescription: |\n  # not a comment\n  text\n",
        "  # indented\n  id: x\n  title: t\n",
        "id: x\n",
        "- a # eol\n- b\n",
        "x # not a mapping\n",
        "",
    ];
    for text in docs {
        let src = SourceFile::new("r.yml", text);
        let Ok(root) = yaml::parse(&src) else {
            continue;
        };
        assert_eq!(
            collect_comments(&src, &root, true),
            collect_comments(&src, &root, false),
            "{text:?}"
        );
        if let Ok(once) = format_source(&src) {
            assert_eq!(fmt(&once), once, "{text:?}");
        }
    }
}

/// `stays_as_written` lets `fmt` skip checking a value only when the check would give no
/// other canonical form; and it does so for the usual canonical values.
#[test]
fn values_left_unchecked_are_their_own_canonical_form() {
    let values = [
        "d41d8cd98f00b204e9800998ecf8427e",
        "D41D8CD98F00B204E9800998ECF8427E",
        "d41d8cd98f00b204e9800998ecf8427",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "example.com",
        "Example.com",
        "example.com.",
        "*.example.com",
        "*.com",
        "*.*.example.com",
        "xn--bcher-kva.example",
        "ab--cd.example",
        "-a.example",
        "a-.example",
        "a..example",
        "1.2.3.4",
        "10.0.0.0/8",
        "10.0.0.1/8",
        "01.2.3.4",
        "1.2.3.256",
        "1.2.3",
        "1.2.3.4.5",
        "255.255.255.255",
        "0.0.0.0",
        "::1",
        "2001:DB8::1",
        "*foo*",
        " padded ",
        "tab\tinside",
        "C:\\Windows\\*.exe",
        "regex:(?i)whoami",
        "regex:(",
        "https://example.com/a",
        "HTTPS://Example.com/a",
        "user@example.com",
        "User@Example.com",
        "",
        "a\u{7f}b",
        "bücher.example",
        "a.123",
    ];
    let mut kept = 0;
    for ty in IndicatorType::ALL {
        for v in values {
            if !stays_as_written(ty, v) {
                continue;
            }
            kept += 1;
            if let Checked::Valid { canonical } = indicator::check(ty, v) {
                assert_eq!(canonical, v, "{} `{v}`", ty.name());
            }
        }
    }
    assert!(kept > 40, "only {kept} values left unchecked");
    for (name, v) in [
        ("md5", "d41d8cd98f00b204e9800998ecf8427e"),
        ("domain", "*.example.com"),
        ("ip", "255.255.255.255"),
        ("command_line", "*foo*"),
    ] {
        assert!(stays_as_written(IndicatorType::from_name(name).unwrap(), v));
    }
}

proptest! {
    #[test]
    fn values_left_unchecked_agree_with_the_check(
        v in "[a-fA-F0-9.*:/@ -]{0,40}|[0-9]{1,3}(\\.[0-9]{1,3}){3}|[a-z0-9-]{1,5}(\\.[a-z0-9-]{1,5}){0,3}",
    ) {
        for ty in IndicatorType::ALL {
            if stays_as_written(ty, &v) {
                if let Checked::Valid { canonical } = indicator::check(ty, &v) {
                    prop_assert_eq!(canonical, v.clone(), "{}", ty.name());
                }
            }
        }
    }
}
