use super::*;
use proptest::prelude::*;

type Groups<'a> = &'a [(&'a str, &'a [(&'a str, &'a [&'a str])])];

fn spec(groups: Groups<'_>, condition: Option<&str>) -> RuleSpec {
    RuleSpec {
        id: "00000000-0000-4000-8000-000000000001".into(),
        title: "test rule".into(),
        groups: groups
            .iter()
            .map(|(name, types)| GroupSpec {
                name: name.to_string(),
                types: types
                    .iter()
                    .map(|(k, vs)| TypeSpec {
                        key: k.to_string(),
                        values: vs.iter().map(|v| v.to_string()).collect(),
                    })
                    .collect(),
            })
            .collect(),
        condition: condition.map(str::to_string),
    }
}

fn obs(pairs: &[(&str, &str)]) -> Observable {
    let mut o = Observable::new();
    for (f, v) in pairs {
        o.push(f, *v);
    }
    o
}

/// Checks the reference and the compiled set agree, and returns the verdict.
fn both(s: &RuleSpec, o: &Observable) -> bool {
    let reference = RuleMatcher::new(s).unwrap().is_match(o);
    let set = CompiledSet::new(std::slice::from_ref(s)).unwrap();
    let compiled = !set.matches(o).is_empty();
    assert_eq!(
        reference, compiled,
        "reference and compiled disagree on {o:?}"
    );
    reference
}

/// One type, one value, one event field.
fn one(ty: &str, value: &str, field: &str, event: &str) -> bool {
    both(
        &spec(&[("g", &[(ty, &[value])])], None),
        &obs(&[(field, event)]),
    )
}

#[test]
fn hashes_are_exact_and_case_insensitive() {
    let h = "b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0";
    assert!(one("sha256", h, "file.hash.sha256", h));
    assert!(one("sha256", h, "process.hash.sha256", &h.to_uppercase()));
    assert!(one("sha256", &h.to_uppercase(), "dll.hash.sha256", h));
    assert!(!one("sha256", h, "file.hash.sha256", &h[1..]));
    assert!(!one("sha256", h, "file.hash.sha1", h));
    let md5 = "d41d8cd98f00b204e9800998ecf8427e";
    assert!(one("md5", md5, "file.hash.md5", md5));
    let sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    assert!(one("sha1", sha1, "process.hash.sha1", sha1));
    // Digests are looked up as bytes: mixed case, a changed or extra character, a longer
    // digest starting with the rule's, or a non-hex character of the same length.
    assert!(one(
        "md5",
        md5,
        "file.hash.md5",
        "D41d8CD98f00B204e9800998ECF8427E"
    ));
    assert!(!one(
        "md5",
        md5,
        "file.hash.md5",
        "d41d8cd98f00b204e9800998ecf8427f"
    ));
    assert!(!one("md5", md5, "file.hash.md5", &format!("{md5}0")));
    assert!(!one(
        "md5",
        md5,
        "file.hash.md5",
        &format!("{md5}{}", "0".repeat(32))
    ));
    assert!(!one(
        "md5",
        md5,
        "file.hash.md5",
        "d41d8cd98f00b204e9800998ecf8427g"
    ));
    assert!(!one(
        "md5",
        md5,
        "file.hash.md5",
        " d41d8cd98f00b204e9800998ecf8427e"
    ));
    assert!(!one(
        "md5",
        md5,
        "file.hash.md5",
        "d41d8cd98f00b204e9800998ecf8427é"
    ));
    assert!(!one("sha1", sha1, "process.hash.sha1", &h[..40]));
    // A glob character in a hash is not a wildcard (and the value is invalid).
    assert!(!one(
        "md5",
        "d41d8cd98f00b204e9800998ecf8427*",
        "file.hash.md5",
        md5
    ));
}

#[test]
fn windows_globs_are_case_insensitive_and_whole_value() {
    let p = r"C:\inetpub\wwwroot\aspnet_client\*";
    assert!(one(
        "file_path",
        p,
        "file.path",
        r"C:\inetpub\wwwroot\aspnet_client\system_web\x.aspx"
    ));
    assert!(one(
        "file_path",
        p,
        "process.executable",
        r"c:\INETPUB\wwwroot\aspnet_client\a"
    ));
    assert!(!one(
        "file_path",
        p,
        "file.path",
        r"D:\C:\inetpub\wwwroot\aspnet_client\a"
    ));
    assert!(one("file_name", "*.aspx", "file.name", "Discover.ASPX"));
    assert!(one("file_name", "*.aspx", "dll.name", "a.aspx"));
    assert!(!one("file_name", "*.aspx", "file.name", "a.aspx.txt"));
    assert!(one("file_name", "?.dll", "file.name", "a.dll"));
    assert!(!one("file_name", "?.dll", "file.name", "ab.dll"));
    assert!(one("process_name", "w3wp.exe", "process.name", "W3WP.EXE"));
    assert!(one(
        "process_name",
        "w3wp.exe",
        "process.parent.name",
        "w3wp.exe"
    ));
    assert!(!one(
        "process_name",
        "w3wp.exe",
        "process.name",
        "w3wp.exe "
    ));
    assert!(one(
        "command_line",
        "*-enc *",
        "process.command_line",
        "powershell.exe -ENC SQBFAFgA"
    ));
    assert!(one(
        "command_line",
        "*rundll32*",
        "process.parent.command_line",
        "C:\\Windows\\System32\\RUNDLL32.exe x"
    ));
    assert!(one(
        "registry_path",
        r"HKLM\SOFTWARE\Microsoft\*\Run\*",
        "registry.path",
        r"hklm\software\microsoft\windows\currentversion\run\evil"
    ));
    assert!(one(
        "registry_path",
        r"HKLM\SOFTWARE\X",
        "registry.key",
        r"hklm\software\x"
    ));
    assert!(one(
        "url_path",
        "/owa/auth/*.aspx",
        "url.path",
        "/OWA/Auth/x.aspx"
    ));
    // Non-ASCII letters fold too.
    assert!(one("file_name", "ÉTÉ*.txt", "file.name", "été-2021.TXT"));
}

#[test]
fn user_agent_is_case_sensitive() {
    assert!(one(
        "user_agent",
        "Mozilla/4.0 (compatible; MSIE 6.0*",
        "user_agent.original",
        "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)"
    ));
    assert!(!one(
        "user_agent",
        "Mozilla/4.0 (compatible; MSIE 6.0*",
        "user_agent.original",
        "mozilla/4.0 (compatible; msie 6.0; windows nt 5.1)"
    ));
    assert!(one(
        "user_agent",
        "curl/?.*",
        "user_agent.original",
        "curl/7.88.1"
    ));
}

#[test]
fn regex_values_search_unanchored() {
    assert!(one(
        "command_line",
        r"regex:-e(nc|ncodedcommand)? [A-Za-z0-9+/=]{20,}",
        "process.command_line",
        "powershell -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA"
    ));
    // Case-sensitive over the value as written, unless (?i).
    assert!(!one(
        "command_line",
        "regex:rundll32",
        "process.command_line",
        "RUNDLL32.EXE x"
    ));
    assert!(one(
        "command_line",
        "regex:(?i)rundll32",
        "process.command_line",
        "RUNDLL32.EXE x"
    ));
    assert!(one(
        "user_agent",
        "regex:^Mozilla/5\\.0 \\(Windows",
        "user_agent.original",
        "Mozilla/5.0 (Windows NT 10.0)"
    ));
    // url regexes run over the normalized URL.
    assert!(one(
        "url",
        r"regex:^https://evil\.example/",
        "url.full",
        "HTTPS://EVIL.example:443/x"
    ));
    // A regex on a type without the regex form never matches.
    assert!(!one(
        "domain",
        "regex:evil",
        "dns.question.name",
        "evil.com"
    ));
}

#[test]
fn urls_normalize_then_compare() {
    let u = "https://avsvmcloud.com/swip/upd";
    assert!(one("url", u, "url.full", u));
    assert!(one(
        "url",
        u,
        "url.original",
        "HTTPS://AVSVMCLOUD.com:443/swip/upd"
    ));
    assert!(!one(
        "url",
        u,
        "url.full",
        "https://avsvmcloud.com/swip/UPD"
    ));
    assert!(one(
        "url",
        "http://Example.com",
        "url.full",
        "http://example.com/"
    ));
    assert!(one(
        "url",
        "http://example.com/a b",
        "url.full",
        "http://example.com/a%20b"
    ));
    // `*` is a wildcard, `?` is literal (it starts the query).
    assert!(one(
        "url",
        "https://evil.example/*",
        "url.full",
        "https://EVIL.example/a/b?c=d"
    ));
    assert!(one(
        "url",
        "HTTPS://Evil.Example/gate.php?id=*",
        "url.full",
        "https://evil.example/gate.php?id=7"
    ));
    assert!(!one(
        "url",
        "https://evil.example/gate.php?id=*",
        "url.full",
        "https://evil.example/gate.phpXid=7"
    ));
    // An event URL that does not parse is compared as written.
    assert!(one(
        "url",
        "https://evil.example/*",
        "url.full",
        "https://evil.example/[broken"
    ));
    assert!(!one("url", u, "url.full", "not a url"));
}

#[test]
fn domains_exact_and_subdomains() {
    assert!(one(
        "domain",
        "avsvmcloud.com",
        "dns.question.name",
        "avsvmcloud.com"
    ));
    assert!(one(
        "domain",
        "avsvmcloud.com",
        "url.domain",
        "AVSVMCLOUD.COM."
    ));
    assert!(!one(
        "domain",
        "avsvmcloud.com",
        "dns.question.name",
        "x.avsvmcloud.com"
    ));
    assert!(one(
        "domain",
        "*.avsvmcloud.com",
        "destination.domain",
        "a.b.appsync-api.eu-west-1.avsvmcloud.com"
    ));
    assert!(!one(
        "domain",
        "*.avsvmcloud.com",
        "dns.question.name",
        "avsvmcloud.com"
    ));
    assert!(!one(
        "domain",
        "*.avsvmcloud.com",
        "dns.question.name",
        "notavsvmcloud.com"
    ));
    // IDNA: the event's Unicode form equals the rule's punycode form, and back.
    assert!(one(
        "domain",
        "bücher.de",
        "dns.question.name",
        "xn--bcher-kva.de"
    ));
    assert!(one(
        "domain",
        "xn--bcher-kva.de",
        "dns.question.name",
        "BÜCHER.de"
    ));
    assert!(one(
        "domain",
        "*.bücher.de",
        "dns.question.name",
        "www.bücher.de."
    ));
}

#[test]
fn ips_by_containment() {
    assert!(one("ip", "13.59.205.66", "destination.ip", "13.59.205.66"));
    assert!(!one("ip", "13.59.205.66", "destination.ip", "13.59.205.67"));
    assert!(one("ip", "196.203.11.0/24", "source.ip", "196.203.11.89"));
    assert!(one("ip", "196.203.11.89/24", "client.ip", "196.203.11.1"));
    assert!(!one("ip", "196.203.11.0/24", "server.ip", "196.203.12.1"));
    assert!(one(
        "ip",
        "2001:db8::/32",
        "destination.ip",
        "2001:DB8:0:1::5"
    ));
    assert!(!one("ip", "2001:db8::/32", "destination.ip", "2001:db9::1"));
    // IPv4-mapped IPv6 addresses are IPv4 addresses.
    assert!(one("ip", "10.1.0.0/16", "source.ip", "::ffff:10.1.2.3"));
    // Not an address: no match.
    assert!(!one("ip", "10.1.0.0/16", "source.ip", "10.1.2"));
    assert!(!one("ip", "10.1.0.0/16", "source.ip", "10.1.2.3:443"));
    // Overlapping networks of several lengths.
    let s = spec(
        &[
            ("wide", &[("ip", &["10.0.0.0/8"])]),
            ("narrow", &[("ip", &["10.1.2.0/24", "192.168.0.1"])]),
        ],
        Some("all of them"),
    );
    assert!(both(&s, &obs(&[("source.ip", "10.1.2.3")])));
    assert!(!both(&s, &obs(&[("source.ip", "10.1.3.3")])));
}

#[test]
fn emails_exact_case_insensitive() {
    assert!(one(
        "email",
        "ashainfo@usaid.org",
        "email.from.address",
        "AshaInfo@USAID.org"
    ));
    assert!(one(
        "email",
        "ashainfo@usaid.org",
        "email.reply_to.address",
        "ashainfo@usaid.org."
    ));
    assert!(!one(
        "email",
        "ashainfo@usaid.org",
        "email.to.address",
        "ashainfo@usaid.org.evil"
    ));
    assert!(one(
        "email",
        "x@bücher.de",
        "email.sender.address",
        "X@xn--bcher-kva.de"
    ));
}

#[test]
fn types_and_in_a_group_values_or() {
    let s = spec(
        &[(
            "g",
            &[
                ("file_path", &[r"C:\inetpub\*", r"D:\inetpub\*"]),
                ("file_name", &["*.aspx", "*.ashx"]),
            ],
        )],
        None,
    );
    assert!(both(
        &s,
        &obs(&[("file.path", r"D:\inetpub\x.ashx"), ("file.name", "x.ashx")])
    ));
    assert!(!both(&s, &obs(&[("file.path", r"D:\inetpub\x.ashx")])));
    assert!(!both(
        &s,
        &obs(&[("file.path", r"E:\inetpub\x.ashx"), ("file.name", "x.ashx")])
    ));
    // Each type may match through a different field and a different value of a list.
    let mut o = Observable::new();
    o.push("file.name", "readme.txt");
    o.push("dll.name", "x.aspx");
    o.push("dll.path", r"C:\inetpub\x.aspx");
    assert!(both(&s, &o));
}

#[test]
fn conditions() {
    let groups: Groups<'_> = &[
        ("hash_a", &[("md5", &["d41d8cd98f00b204e9800998ecf8427e"])]),
        (
            "hash_b",
            &[("sha1", &["da39a3ee5e6b4b0d3255bfef95601890afd80709"])],
        ),
        ("proc", &[("process_name", &["w3wp.exe"])]),
        ("cmd", &[("command_line", &["*cmd.exe*"])]),
        ("benign", &[("file_path", &[r"C:\Program Files\*"])]),
    ];
    let a = ("file.hash.md5", "d41d8cd98f00b204e9800998ecf8427e");
    let b = ("file.hash.sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    let proc = ("process.name", "w3wp.exe");
    let cmd = ("process.command_line", "cmd.exe /c whoami");
    let benign = ("file.path", r"C:\Program Files\x.exe");
    let case = |cond: Option<&str>, ev: &[(&str, &str)]| both(&spec(groups, cond), &obs(ev));
    // Absent condition = 1 of them.
    assert!(case(None, &[cmd]));
    assert!(!case(None, &[("file.name", "x")]));
    assert!(case(Some("1 of them"), &[benign]));
    assert!(!case(Some("all of them"), &[a, b, proc, cmd]));
    assert!(case(Some("all of them"), &[a, b, proc, cmd, benign]));
    assert!(case(Some("1 of hash_*"), &[b]));
    assert!(!case(Some("all of hash_*"), &[b]));
    assert!(case(Some("all of hash_*"), &[a, b]));
    assert!(case(Some("proc and cmd"), &[proc, cmd]));
    assert!(!case(Some("proc and cmd"), &[proc]));
    assert!(case(Some("proc or cmd"), &[cmd]));
    assert!(case(Some("1 of hash_* or (proc and cmd)"), &[proc, cmd]));
    assert!(!case(Some("1 of hash_* or (proc and cmd)"), &[proc]));
    assert!(case(Some("all of hash_* and not benign"), &[a, b]));
    assert!(!case(Some("all of hash_* and not benign"), &[a, b, benign]));
    // A condition true with no group matched holds for unrelated events too.
    assert!(case(Some("not benign"), &[("file.name", "x")]));
    assert!(!case(Some("not benign"), &[benign]));
    assert!(case(Some("not (proc and cmd)"), &[]));
    // A prefix no group has selects nothing: `1 of` and `all of` are both false.
    assert!(!case(Some("1 of nothing_*"), &[a]));
    assert!(!case(Some("all of nothing_*"), &[a]));
    // An unknown group never matches.
    assert!(!case(Some("missing"), &[a]));
}

#[test]
fn unknown_types_and_invalid_values_never_match() {
    let s = spec(&[("g", &[("sha512", &["aa"])])], None);
    let e = RuleMatcher::new(&s)
        .unwrap()
        .explain(&obs(&[("file.hash.sha512", "aa")]));
    assert!(!e.matched);
    assert!(!e.groups[0].types[0].notes.is_empty());
    assert!(!both(&s, &obs(&[("file.hash.sha512", "aa")])));
    assert!(!one("ip", "999.1.1.1", "source.ip", "999.1.1.1"));
    assert!(!one("sha256", "abc", "file.hash.sha256", "abc"));
    // One invalid value does not stop the valid ones.
    let s = spec(&[("g", &[("ip", &["999.1.1.1", "10.0.0.1"])])], None);
    assert!(both(&s, &obs(&[("source.ip", "10.0.0.1")])));
}

#[test]
fn explanations_name_groups_fields_and_values() {
    let s = spec(
        &[
            ("drop_path", &[("file_path", &[r"C:\inetpub\*"])]),
            ("script_ext", &[("file_name", &["*.aspx"])]),
        ],
        Some("drop_path and script_ext"),
    );
    let m = RuleMatcher::new(&s).unwrap();
    let o = obs(&[
        ("file.path", r"C:\inetpub\site.css"),
        ("file.name", "site.css"),
    ]);
    let e = m.explain(&o);
    assert!(!e.matched);
    assert_eq!(e.matched_groups(), vec!["drop_path"]);
    assert_eq!(
        e.groups[0].types[0].hits,
        vec![Hit {
            field: "file.path".into(),
            event_value: r"C:\inetpub\site.css".into(),
            rule_value: r"C:\inetpub\*".into()
        }]
    );
    let text = e.render_text(&o, "");
    assert!(
        text.contains("condition `drop_path and script_ext` is false"),
        "{text}"
    );
    assert!(text.contains("group `script_ext`: no match"), "{text}");
    assert!(
        text.contains("no value matches file.name `site.css`"),
        "{text}"
    );
    let e = m.explain(&obs(&[("file.path", r"C:\inetpub\x.aspx")]));
    assert!(e
        .render_text(&Observable::new(), "")
        .contains("the event has none of file.name, dll.name"));
}

#[test]
fn observables_from_json() {
    let v = serde_json::json!({
        "file": {"hash": {"sha256": "AB"}, "name": ["a", "b"]},
        "destination.ip": "10.0.0.1",
        "destination.port": 443,
        "x": null,
    });
    let o = Observable::from_json(&v).unwrap();
    assert_eq!(o.get("file.hash.sha256"), ["AB"]);
    assert_eq!(o.get("file.name"), ["a", "b"]);
    assert_eq!(o.get("destination.port"), ["443"]);
    assert!(o.get("x").is_empty());
    assert!(Observable::from_json(&serde_json::json!([1])).is_err());
}

#[test]
fn field_types_are_unique() {
    let mut seen = std::collections::HashSet::new();
    for t in IndicatorType::ALL {
        for f in t.ecs_fields() {
            assert!(seen.insert(*f), "{f} is read by two types");
            assert_eq!(field_type(f), Some(t));
        }
    }
}

#[test]
fn set_reports_groups_and_rule_order() {
    let a = spec(&[("g1", &[("file_name", &["a.exe"])])], None);
    let mut b = spec(
        &[
            ("g1", &[("process_name", &["a.exe"])]),
            ("g2", &[("file_name", &["*.exe"])]),
        ],
        Some("1 of them"),
    );
    b.id = "b".into();
    let set = CompiledSet::new(&[a, b]).unwrap();
    let m = set.matches(&obs(&[("file.name", "A.EXE")]));
    assert_eq!(
        m,
        vec![
            SetMatch {
                rule: 0,
                groups: vec!["g1".into()]
            },
            SetMatch {
                rule: 1,
                groups: vec!["g2".into()]
            }
        ]
    );
    assert_eq!(set.rule(1).0, "b");
}

#[test]
fn bad_conditions_fail_the_build() {
    let s = spec(&[("g", &[("file_name", &["a.exe"])])], Some("g and"));
    assert!(RuleMatcher::new(&s).is_err());
    assert!(matches!(
        CompiledSet::new(&[s]),
        Err(compiled::BuildError::Condition { .. })
    ));
}

fn glob_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[ab?*.\\\\éÉ]{0,8}").unwrap()
}

fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[abAB.\\\\éÉ?*]{0,10}").unwrap()
}

proptest! {
    /// The glob reference and its regex translation agree.
    #[test]
    fn glob_regex_agrees(p in glob_text(), t in text(), q in any::<bool>()) {
        let re = regex::Regex::new(&glob::to_regex(&p, q)).unwrap();
        prop_assert_eq!(re.is_match(&t), glob::matches(&p, &t, q));
    }

    /// Reference and compiled set agree on random rules and events.
    #[test]
    fn compiled_agrees_with_reference(
        names in proptest::collection::vec(glob_text(), 1..4),
        events in proptest::collection::vec(text(), 1..4),
        cond in 0usize..5,
    ) {
        let values: Vec<String> = names.iter().filter(|n| !n.trim().is_empty()).cloned().collect();
        prop_assume!(!values.is_empty());
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let cs = ["1 of them", "all of them", "a and not b", "not a", "b or c"][cond];
        let s = spec(&[
            ("a", &[("file_name", &values)]),
            ("b", &[("user_agent", &values)]),
            ("c", &[("file_name", &values), ("url_path", &values)]),
        ], Some(cs));
        let mut o = Observable::new();
        for (i, e) in events.iter().enumerate() {
            let f = ["file.name", "user_agent.original", "url.path"][i % 3];
            o.push(f, e.clone());
        }
        let reference = RuleMatcher::new(&s).unwrap().is_match(&o);
        let set = CompiledSet::new(std::slice::from_ref(&s)).unwrap();
        prop_assert_eq!(reference, !set.matches(&o).is_empty());
    }
}

proptest! {
    /// Globs with literals long enough for the gram index (8 bytes or more), several in one
    /// set sharing windows, against values that contain them (or nearly) anywhere: the set
    /// agrees with the reference rule by rule.
    #[test]
    fn long_glob_literals_agree_with_the_reference(
        globs in proptest::collection::vec(
            proptest::string::string_regex("[*?]{0,2}(ab|ba|é|\\\\|a){4,9}[*?]{0,2}(ab|a){0,3}[*?]{0,2}").unwrap(),
            1..6,
        ),
        events in proptest::collection::vec(
            proptest::string::string_regex("(ab|ba|é|É|\\\\|a|A|x){0,16}").unwrap(),
            1..4,
        ),
        picks in proptest::collection::vec(any::<proptest::sample::Index>(), 0..3),
    ) {
        let mut values: Vec<String> = events.clone();
        // Values that contain a rule's literal for sure.
        for p in &picks {
            let g = p.get(&globs);
            values.push(format!("x{}x", g.replace(['*', '?'], "")));
        }
        let specs: Vec<RuleSpec> = globs
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let mut s = spec(&[("g", &[("command_line", &[g.as_str()])])], None);
                s.id = format!("r{i}");
                s
            })
            .collect();
        let set = CompiledSet::new(&specs).unwrap();
        for v in &values {
            let o = obs(&[("process.command_line", v)]);
            let got: Vec<usize> = set.matches(&o).iter().map(|m| m.rule).collect();
            let want: Vec<usize> = specs
                .iter()
                .enumerate()
                .filter(|(_, s)| RuleMatcher::new(s).unwrap().is_match(&o))
                .map(|(i, _)| i)
                .collect();
            prop_assert_eq!(got, want, "value {:?}", v);
        }
    }
}

#[test]
fn long_glob_literals_found_anywhere_in_a_value() {
    // Literals sharing most windows, found at the start, the middle and the end of values,
    // overlapping, and one byte short of a match.
    let values: &[&str] = &[
        "*alpha -k 685592465ac7 -p onyx*",
        "*alpha -k 685592465ac8 -p onyx*",
        "alpha -k 68559*",
        "*-p onyx",
        "*abcdefgh*abcdefgh*",
        "*ab?defghij*",
    ];
    let specs: Vec<RuleSpec> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut s = spec(&[("g", &[("command_line", &[*v])])], None);
            s.id = format!("r{i}");
            s
        })
        .collect();
    let set = CompiledSet::new(&specs).unwrap();
    let cases: &[(&str, &[usize])] = &[
        ("alpha -k 685592465ac7 -p onyx", &[0, 2, 3]),
        ("x ALPHA -K 685592465AC8 -P ONYX y", &[1]),
        ("alpha -k 685592465ac -p onyx", &[2, 3]),
        ("alpha -k 685592465ac7 -p ony", &[2]),
        ("abcdefghabcdefgh", &[4]),
        ("abcdefgh", &[]),
        ("zzabXdefghijzz", &[5]),
        ("abXdefghi", &[]),
        ("short", &[]),
    ];
    for (text, want) in cases {
        let o = obs(&[("process.command_line", text)]);
        let got: Vec<usize> = set.matches(&o).iter().map(|m| m.rule).collect();
        assert_eq!(&got, want, "{text}");
        let reference: Vec<usize> = specs
            .iter()
            .enumerate()
            .filter(|(_, s)| RuleMatcher::new(s).unwrap().is_match(&o))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(&got, &reference, "{text}");
    }
}

#[test]
fn compiled_prefilters_agree_with_the_reference() {
    // Regexes with and without literal prefixes, case-insensitive ones, globs without literals.
    let values: &[&str] = &[
        "regex:-enc [0-9]{4}",
        "regex:(?i)mimikatz",
        "regex:.*\\.ps1$",
        "regex:^(a|b)c",
        "regex:[0-9]+x",
        "???",
        "*ab*cd*",
        "x?y",
    ];
    let s = spec(&[("g", &[("command_line", values)])], None);
    let m = RuleMatcher::new(&s).unwrap();
    let set = CompiledSet::new(std::slice::from_ref(&s)).unwrap();
    for text in [
        "tool -enc 1234",
        "tool -enc 12",
        "MimiKatz.exe",
        "run.ps1",
        "ac",
        "bcd",
        "dc",
        "123x",
        "abc",
        "abcd",
        "xxabyycdzz",
        "xzy",
        "x",
    ] {
        let o = obs(&[("process.command_line", text)]);
        assert_eq!(m.is_match(&o), !set.matches(&o).is_empty(), "{text}");
    }
}

/// A JSON value that may repeat keys (rendered by hand: `serde_json::Map` cannot).
#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    fn render(&self, s: &mut String) {
        match self {
            J::Null => s.push_str("null"),
            J::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
            J::Int(i) => s.push_str(&i.to_string()),
            J::Float(f) => s.push_str(&serde_json::to_string(f).unwrap()),
            J::Str(t) => s.push_str(&serde_json::to_string(t).unwrap()),
            J::Arr(items) => {
                s.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    v.render(s);
                }
                s.push(']');
            }
            J::Obj(members) => {
                s.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    if k.starts_with('\\') {
                        // An escaped key, written as is.
                        s.push('"');
                        s.push_str(k);
                        s.push('"');
                    } else {
                        s.push_str(&serde_json::to_string(k).unwrap());
                    }
                    s.push(':');
                    v.render(s);
                }
                s.push('}');
            }
        }
    }
}

fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("source".to_string()),
        Just("ip".to_string()),
        Just("source.ip".to_string()),
        Just("file".to_string()),
        Just("hash".to_string()),
        Just("hash.sha256".to_string()),
        Just("file.hash.sha256".to_string()),
        Just("name".to_string()),
        Just("file.name".to_string()),
        Just("event.id".to_string()),
        Just("\\u0066ile.name".to_string()),
        Just("x".to_string()),
    ]
}

fn json_value() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(J::Int),
        (-1e20f64..1e20).prop_map(J::Float),
        proptest::string::string_regex("[a-zA-Z0-9.\\\\\"é\n]{0,6}")
            .unwrap()
            .prop_map(J::Str),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(J::Arr),
            proptest::collection::vec((json_key(), inner), 0..4).prop_map(J::Obj),
        ]
    })
}

/// The (type, value) pairs an observable gives the compiled set, sorted.
fn typed_values(o: &Observable) -> Vec<(IndicatorType, String)> {
    let mut v: Vec<_> = o
        .fields()
        .filter_map(|(f, vs)| field_type(f).map(|t| (t, vs)))
        .flat_map(|(t, vs)| vs.iter().map(move |v| (t, v.clone())))
        .collect();
    v.sort();
    v
}

proptest! {
    /// Reading an event straight from JSON text gives the values `Observable::from_json` gives
    /// (or says the text repeats a key, or is not one object).
    #[test]
    fn event_values_agree_with_observables(
        members in proptest::collection::vec((json_key(), json_value()), 0..5),
    ) {
        let mut text = String::from(" ");
        J::Obj(members).render(&mut text);
        text.push_str("\r\n");
        let table = FieldTable::new();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let expected = typed_values(&Observable::from_json(&value).unwrap());
        match EventValues::parse(text.as_bytes(), &table) {
            Ok(ev) => {
                let mut got: Vec<_> =
                    ev.values.iter().map(|(t, v)| (*t, v.to_string())).collect();
                got.sort();
                prop_assert_eq!(got, expected, "{}", text);
            }
            Err(e) => prop_assert_eq!(e, EventError::DuplicateKey, "{}", text),
        }
    }
}

#[test]
fn event_values_reject_what_is_not_one_object() {
    let table = FieldTable::new();
    for bad in [
        "",
        "[1]",
        "1",
        "{\"a\":1} {}",
        "{\"a\":",
        "{\"a\":1}}",
        "\"x\"",
    ] {
        assert_eq!(
            EventValues::parse(bad.as_bytes(), &table),
            Err(EventError::Invalid),
            "{bad}"
        );
    }
    assert_eq!(
        EventValues::parse(b"{\"source\":{\"ip\":\"1.2.3.4\"},\"source\":{}}", &table),
        Err(EventError::DuplicateKey)
    );
    let ev = EventValues::parse(
        b"{\"source\":{\"ip\":[\"1.2.3.4\",null,7]},\"destination.ip\":\"::1\",\"x\":{\"source\":{\"ip\":\"9.9.9.9\"}}}",
        &table,
    )
    .unwrap();
    let got: Vec<_> = ev.values.iter().map(|(t, v)| (*t, v.as_ref())).collect();
    assert_eq!(
        got,
        [
            (IndicatorType::Ip, "1.2.3.4"),
            (IndicatorType::Ip, "7"),
            (IndicatorType::Ip, "::1")
        ]
    );
}

proptest! {
    /// The borrowing normalizer gives what the reference normalizer gives.
    #[test]
    fn normalize_cow_agrees(
        v in proptest::string::string_regex("(xn--)?[a-zA-Z0-9.\\-_é ]{0,12}\\.?").unwrap(),
    ) {
        for ty in IndicatorType::ALL {
            if ty.syntax() != Syntax::Ip {
                let fast = normalize_event_value_cow(ty, &v).into_owned();
                prop_assert_eq!(fast, normalize_event_value(ty, &v), "{:?}", ty);
            }
        }
    }
}

#[test]
fn plain_domains_are_their_own_normal_form() {
    for d in [
        "example.com",
        "a-b.example",
        "-a.example",
        "a..b",
        ".a",
        "1.2.3.4",
        "xn--bcher-kva.example",
        "xn--zz.example",
        "a--b.example",
        "ab--cd.example",
    ] {
        assert_eq!(
            normalize_event_value_cow(IndicatorType::Domain, d),
            normalize_domain(d),
            "{d}"
        );
    }
}

/// A bundle rule with one group per (name, type, values).
fn compiled_rule(
    n: usize,
    groups: &[(&str, &str, Vec<String>)],
    condition: &str,
) -> ruleforge_bundle::CompiledRule {
    let mut g: std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<String>>> =
        Default::default();
    for (name, ty, values) in groups {
        g.entry(name.to_string())
            .or_default()
            .insert(ty.to_string(), values.clone());
    }
    ruleforge_bundle::CompiledRule {
        id: format!("00000000-0000-4000-8000-{n:012}"),
        title: format!("rule {n}"),
        status: "test".into(),
        severity: "high".into(),
        confidence: None,
        tlp: None,
        tags: Vec::new(),
        references: Vec::new(),
        expires: None,
        condition: condition.into(),
        groups: g,
    }
}

/// `CompiledSet::from_bundle` and `CompiledSet::from_runs` of rules read in place (many
/// rules: several parallel chunks, runs of several lengths) match as `CompiledSet::new` over `RuleSpec::from_compiled` of each rule,
/// rule indexes and groups included, and a bad condition names the first bad rule in order.
#[test]
fn sets_from_a_bundle_match_as_sets_from_specs() {
    let n = 5000;
    let rules: Vec<_> = (0..n)
        .map(|i| {
            let md5 = format!("{i:032x}");
            let domain = format!("*.d{}.example", i % 700);
            compiled_rule(
                i,
                &[
                    ("hash", "md5", vec![md5]),
                    ("net", "domain", vec![domain]),
                    ("net", "ip", vec![format!("10.{}.0.0/16", i % 256)]),
                ],
                if i % 3 == 0 {
                    "hash and not net"
                } else {
                    "1 of them"
                },
            )
        })
        .collect();
    let set_of = ruleforge_bundle::RuleSet {
        format_version: 3,
        types: Default::default(),
        rules,
    };
    let from_bundle = CompiledSet::from_bundle(set_of.clone()).unwrap();
    let specs: Vec<RuleSpec> = set_of.rules.iter().map(RuleSpec::from_compiled).collect();
    let from_specs = CompiledSet::new(&specs).unwrap();
    // Read in place from the JSON text, as `ruleforge_bundle::verify_in_place` hands it over.
    let text = serde_json::to_string(&set_of.rules).unwrap();
    let in_place: Vec<ruleforge_bundle::CompiledRuleRef> = serde_json::from_str(&text).unwrap();
    let from_text = in_place_runs(&in_place, 2048).unwrap();
    for run in [1, 7, 1000, n] {
        let other = in_place_runs(&in_place, run).unwrap();
        let o = obs(&[("file.hash.md5", &format!("{:032x}", n - 1))]);
        assert_eq!(other.matches(&o), from_specs.matches(&o), "runs of {run}");
        assert_eq!(other.len(), n);
    }
    assert_eq!(from_bundle.len(), n);
    assert_eq!(from_text.len(), n);
    let mut matched = 0;
    for i in (0..n).step_by(97) {
        let md5 = format!("{i:032x}");
        let host = format!("a.d{}.example", i % 700);
        let ip = format!("10.{}.1.2", i % 256);
        for o in [
            obs(&[("file.hash.md5", &md5)]),
            obs(&[("dns.question.name", &host), ("destination.ip", &ip)]),
            obs(&[("file.hash.md5", &md5), ("destination.ip", &ip)]),
        ] {
            let got = from_bundle.matches(&o);
            assert_eq!(got, from_specs.matches(&o), "{o:?}");
            assert_eq!(got, from_text.matches(&o), "{o:?}");
            matched += got.len();
            for m in &got {
                assert_eq!(from_bundle.rule(m.rule), from_specs.rule(m.rule));
                assert_eq!(from_text.rule(m.rule), from_specs.rule(m.rule));
            }
        }
        // The hash alone: its own rule, whatever its condition.
        let only = from_bundle.matches(&obs(&[("file.hash.md5", &md5)]));
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].rule, i);
        assert_eq!(only[0].groups, ["hash"]);
    }
    assert!(matched > 100, "{matched}");

    let mut bad = set_of.clone();
    bad.rules[4100].condition = "hash and".into();
    bad.rules[4700].condition = "(".into();
    let Err(e) = CompiledSet::from_bundle(bad.clone()) else {
        panic!("a bad condition is an error")
    };
    assert!(
        e.to_string()
            .starts_with(&format!("rule {}:", bad.rules[4100].id)),
        "{e}"
    );
    let text = serde_json::to_string(&bad.rules).unwrap();
    let in_place: Vec<ruleforge_bundle::CompiledRuleRef> = serde_json::from_str(&text).unwrap();
    let Err(e2) = in_place_runs(&in_place, 1000) else {
        panic!("a bad condition is an error")
    };
    assert_eq!(e2.to_string(), e.to_string());
}

/// `CompiledSet::from_runs` of `rules` compiled by runs of `run` rules.
fn in_place_runs(
    rules: &[ruleforge_bundle::CompiledRuleRef<'_>],
    run: usize,
) -> Result<CompiledSet, crate::compiled::BuildError> {
    let runs = rules.chunks(run).enumerate();
    let runs = runs.map(|(c, part)| CompiledSet::compile_run(c * run, part));
    CompiledSet::from_runs(runs.collect())
}

/// A verified bundle's values are compiled without being checked again: for every value in
/// its canonical form the pattern is the one `compile_value` gives, and a value of another
/// shape (upper case, spaces, a `regex:`, not valid) still goes through the full check.
#[test]
fn canonical_values_compile_as_checked_ones() {
    use IndicatorType::*;
    let samples: &[(IndicatorType, &[&str])] = &[
        (
            Md5,
            &[
                "d41d8cd98f00b204e9800998ecf8427e",
                "D41D8CD98F00B204E9800998ECF8427E",
                "xyz",
            ],
        ),
        (
            Sha256,
            &["88a2d6eddd5c8f47599e20a65dd4dc4392030f00958d329dbb68c5c8e25844eb"],
        ),
        (
            Domain,
            &[
                "example.com",
                "*.example.com",
                "*.com",
                "xn--bcher-kva.de",
                "xn--zz.de",
                "ab--cd.de",
                "-a.de",
                "Example.COM.",
                "bücher.de",
                "ex_ample.com",
                "a..b",
                "localhost",
                "1.2.3.4",
                "a.b.c.d.e.f",
            ],
        ),
        (
            Url,
            &[
                "https://example.com/a",
                "https://tundra-9dd5fb5d.biz/falcon/a970f6.php",
                "https://*.example.com/x?",
                "HTTP://Example.com:80/a",
                "not a url",
            ],
        ),
        (Email, &["bad@example.com", "Bad@Example.COM", "no-at-sign"]),
        (Ip, &["10.0.0.0/8", "10.0.0.1/8", "2001:db8::1", "1.2.3"]),
        (
            FilePath,
            &[
                r"C:\ProgramData\kestrel\raven.dll",
                r"C:\Windows\*\x?.exe",
                " padded ",
            ],
        ),
        (FileName, &["lumen_6cdacd2f.exe", "*.EXE"]),
        (
            CommandLine,
            &["regex:a+b", "regex:(unclosed", "powershell -enc *"],
        ),
        (UserAgent, &["Mozilla/5.0 (X11)"]),
    ];
    let mut canonical_seen = 0;
    for (ty, values) in samples {
        for raw in *values {
            let canonical = match indicator::check(*ty, raw) {
                Checked::Valid { canonical } => canonical,
                _ => raw.to_string(),
            };
            // Canonical values (and values that fail the check) give the same pattern.
            let want = format!("{:?}", compile_value(*ty, &canonical));
            let got = format!("{:?}", compile_canonical(*ty, &canonical));
            assert_eq!(got, want, "{ty:?} {canonical:?}");
            canonical_seen += 1;
            // A value not in canonical form that is not shaped like one is checked.
            // (A URL of the canonical shape is taken as written: a bundle holds no other.)
            let shaped_alike = *ty == Url;
            if canonical != *raw && !shaped_alike {
                assert_eq!(
                    format!("{:?}", compile_canonical(*ty, raw)),
                    format!("{:?}", compile_value(*ty, raw)),
                    "{ty:?} {raw:?}"
                );
            }
        }
    }
    assert!(canonical_seen > 30);
}
