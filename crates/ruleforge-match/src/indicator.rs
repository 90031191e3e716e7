//! Indicator types: value syntax, canonical forms and the ECS fields each type is matched against.
//! `docs/rule-format.md` documents the same table; the two must agree.

use ipnet::IpNet;
use std::net::IpAddr;
use std::str::FromStr;

/// Every indicator type of rule format v1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IndicatorType {
    Md5,
    Sha1,
    Sha256,
    FileName,
    FilePath,
    ProcessName,
    CommandLine,
    RegistryPath,
    UserAgent,
    UrlPath,
    Url,
    Domain,
    Ip,
    Email,
}

/// How values of a type are written and matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// Hex digest of this many characters; exact match.
    Hash(usize),
    /// Glob (`*`, `?`) over the whole field; case-insensitive when `true`.
    Glob {
        case_insensitive: bool,
    },
    Url,
    Domain,
    Ip,
    Email,
}

impl IndicatorType {
    pub const ALL: [IndicatorType; 14] = [
        IndicatorType::Md5,
        IndicatorType::Sha1,
        IndicatorType::Sha256,
        IndicatorType::FileName,
        IndicatorType::FilePath,
        IndicatorType::ProcessName,
        IndicatorType::CommandLine,
        IndicatorType::RegistryPath,
        IndicatorType::UserAgent,
        IndicatorType::UrlPath,
        IndicatorType::Url,
        IndicatorType::Domain,
        IndicatorType::Ip,
        IndicatorType::Email,
    ];

    pub fn name(self) -> &'static str {
        use IndicatorType::*;
        match self {
            Md5 => "md5",
            Sha1 => "sha1",
            Sha256 => "sha256",
            FileName => "file_name",
            FilePath => "file_path",
            ProcessName => "process_name",
            CommandLine => "command_line",
            RegistryPath => "registry_path",
            UserAgent => "user_agent",
            UrlPath => "url_path",
            Url => "url",
            Domain => "domain",
            Ip => "ip",
            Email => "email",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn syntax(self) -> Syntax {
        use IndicatorType::*;
        match self {
            Md5 => Syntax::Hash(32),
            Sha1 => Syntax::Hash(40),
            Sha256 => Syntax::Hash(64),
            FileName | FilePath | ProcessName | CommandLine | RegistryPath | UrlPath => {
                Syntax::Glob {
                    case_insensitive: true,
                }
            }
            UserAgent => Syntax::Glob {
                case_insensitive: false,
            },
            Url => Syntax::Url,
            Domain => Syntax::Domain,
            Ip => Syntax::Ip,
            Email => Syntax::Email,
        }
    }

    /// Whether `regex:` values are accepted.
    pub fn allows_regex(self) -> bool {
        matches!(self.syntax(), Syntax::Glob { .. } | Syntax::Url)
    }

    /// The Elastic Common Schema fields this type is matched against.
    pub fn ecs_fields(self) -> &'static [&'static str] {
        use IndicatorType::*;
        match self {
            Md5 => &["file.hash.md5", "process.hash.md5", "dll.hash.md5"],
            Sha1 => &["file.hash.sha1", "process.hash.sha1", "dll.hash.sha1"],
            Sha256 => &["file.hash.sha256", "process.hash.sha256", "dll.hash.sha256"],
            FileName => &["file.name", "dll.name"],
            FilePath => &["file.path", "process.executable", "dll.path"],
            ProcessName => &["process.name", "process.parent.name"],
            CommandLine => &["process.command_line", "process.parent.command_line"],
            RegistryPath => &["registry.path", "registry.key"],
            UserAgent => &["user_agent.original"],
            UrlPath => &["url.path"],
            Url => &["url.full", "url.original"],
            Domain => &["dns.question.name", "url.domain", "destination.domain"],
            Ip => &["source.ip", "destination.ip", "client.ip", "server.ip"],
            Email => &[
                "email.from.address",
                "email.sender.address",
                "email.to.address",
                "email.reply_to.address",
            ],
        }
    }

    /// Every ECS field any type is matched against, sorted.
    pub fn all_ecs_fields() -> &'static [&'static str] {
        static FIELDS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
        FIELDS.get_or_init(|| {
            let mut v: Vec<_> = Self::ALL
                .iter()
                .flat_map(|t| t.ecs_fields().iter().copied())
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        })
    }
}

/// The result of checking one value against its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// Valid; `canonical` is the canonical spelling (equal to the input when already canonical).
    Valid { canonical: String },
    /// A `regex:` value whose pattern compiles.
    Regex { pattern: String },
    /// Not a value of this type.
    Invalid(String),
}

pub const REGEX_PREFIX: &str = "regex:";
/// Compiled-size bound for `regex:` values.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Checks `value` against `ty` and computes its canonical form.
pub fn check(ty: IndicatorType, value: &str) -> Checked {
    // Most values of the hash types are digests of the right length: one pass over the bytes
    // decides them (a hex digit is no control character, and `regex:` is not hex).
    if let Syntax::Hash(len) = ty.syntax() {
        if value.len() == len && all_hex(value) {
            return Checked::Valid {
                canonical: value.to_ascii_lowercase(),
            };
        }
    }
    check_general(ty, value)
}

/// Whether every byte of `s` is an ASCII hex digit: without an early exit, so the loop is
/// vectorized.
fn all_hex(s: &str) -> bool {
    s.bytes().fold(true, |ok, b| ok & b.is_ascii_hexdigit())
}

/// [`check`] without its shortcut for hex digests.
fn check_general(ty: IndicatorType, value: &str) -> Checked {
    if let Some(pattern) = value.strip_prefix(REGEX_PREFIX) {
        if !ty.allows_regex() {
            return Checked::Invalid(format!(
                "`{}` values cannot use the `regex:` form",
                ty.name()
            ));
        }
        return match regex::RegexBuilder::new(pattern)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
        {
            Ok(_) if pattern.is_empty() => Checked::Invalid("empty regular expression".into()),
            Ok(_) => Checked::Regex {
                pattern: pattern.to_string(),
            },
            Err(e) => Checked::Invalid(format!(
                "regular expression does not compile: {}",
                e.to_string().lines().last().unwrap_or("").trim()
            )),
        };
    }
    if value.is_empty() {
        return Checked::Invalid("empty value".into());
    }
    let control = if value.is_ascii() {
        value.bytes().any(|b| b.is_ascii_control())
    } else {
        value.chars().any(char::is_control)
    };
    if control {
        return Checked::Invalid("value contains a control character".into());
    }
    match ty.syntax() {
        Syntax::Hash(len) => check_hash(ty, value, len),
        Syntax::Glob { .. } => {
            if value.trim() != value {
                Checked::Valid {
                    canonical: value.trim().to_string(),
                }
            } else {
                Checked::Valid {
                    canonical: value.to_string(),
                }
            }
        }
        Syntax::Ip => check_ip(value),
        Syntax::Domain => check_domain(value),
        Syntax::Url => check_url(value),
        Syntax::Email => check_email(value),
    }
}

fn check_hash(ty: IndicatorType, value: &str, len: usize) -> Checked {
    if !all_hex(value) {
        return Checked::Invalid(format!("`{}` must be hexadecimal", ty.name()));
    }
    if value.len() != len {
        return Checked::Invalid(format!(
            "`{}` must have {len} hex digits, found {}",
            ty.name(),
            value.len()
        ));
    }
    Checked::Valid {
        canonical: value.to_ascii_lowercase(),
    }
}

/// Why an `ip`, `domain` or `url` value has no canonical form (the reason RF201 gives).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// An `ip` value with a `/` that is not a network.
    #[error("not a valid CIDR network")]
    NotCidr,
    /// An `ip` value that is not an IPv4 or IPv6 address.
    #[error("not a valid IPv4 or IPv6 address")]
    NotIpAddress,
    /// A domain with a `*` or `?` elsewhere than a leading `*.`.
    #[error("a domain may only use a leading `*.` wildcard")]
    DomainWildcard,
    /// Nothing left once a trailing dot is dropped.
    #[error("empty domain")]
    EmptyDomain,
    /// Rejected by the IDNA/hostname rules.
    #[error("not a valid domain name (IDNA/hostname rules)")]
    NotIdna,
    /// Longer than 253 characters in ASCII.
    #[error("domain longer than 253 characters")]
    DomainTooLong,
    /// Two dots in a row.
    #[error("empty label in domain")]
    EmptyLabel,
    /// A label longer than 63 characters.
    #[error("label `{0}` is longer than 63 characters")]
    LabelTooLong(String),
    /// A label with characters other than letters, digits and inner hyphens.
    #[error("label `{0}` is not a valid hostname label")]
    BadLabel(String),
    /// One label and no wildcard.
    #[error("a domain needs at least two labels")]
    OneLabel,
    /// The top-level label is all digits.
    #[error("the top-level label is numeric: is this an IP address?")]
    NumericTopLevel,
    /// Not parsable as a URL.
    #[error("not a valid URL: {0}")]
    NotUrl(url::ParseError),
    /// A URL without a host.
    #[error("URL has no host")]
    NoHost,
}

/// Canonical text of an address or network: host bits cleared, single hosts without a prefix.
pub fn canonical_ip(value: &str) -> Result<String, ValueError> {
    // A dotted quad the standard parser takes (four decimal octets of at most 255, no leading
    // zero) is written back as it was read: no formatting needed.
    if std::net::Ipv4Addr::from_str(value).is_ok() {
        return Ok(value.to_string());
    }
    if let Ok(addr) = IpAddr::from_str(value) {
        return Ok(addr.to_string());
    }
    match IpNet::from_str(value) {
        Ok(net) => {
            let net = net.trunc();
            if net.prefix_len() == net.max_prefix_len() {
                Ok(net.addr().to_string())
            } else {
                Ok(net.to_string())
            }
        }
        Err(_) => Err(if value.contains('/') {
            ValueError::NotCidr
        } else {
            ValueError::NotIpAddress
        }),
    }
}

/// Parses an ip indicator value (address or network) into a network.
pub fn parse_net(value: &str) -> Option<IpNet> {
    IpAddr::from_str(value)
        .map(IpNet::from)
        .or_else(|_| IpNet::from_str(value).map(|n| n.trunc()))
        .ok()
}

fn check_ip(value: &str) -> Checked {
    match canonical_ip(value) {
        Ok(canonical) => Checked::Valid { canonical },
        Err(e) => Checked::Invalid(e.to_string()),
    }
}

/// Canonical domain: lower-case A-labels, no trailing dot. `*.` prefix allowed.
pub fn canonical_domain(value: &str) -> Result<String, ValueError> {
    let (wild, rest) = match value.strip_prefix("*.") {
        Some(r) => (true, r),
        None => (false, value),
    };
    if rest.contains('*') || rest.contains('?') {
        return Err(ValueError::DomainWildcard);
    }
    // Lower-case LDH labels that IDNA leaves as they are and every check below accepts: the
    // value is its own canonical form.
    if crate::canonical_domain_shape(rest, wild) {
        return Ok(value.to_string());
    }
    idna_canonical_domain(wild, rest)
}

/// [`canonical_domain`] through IDNA, without the shortcut for a value already canonical.
fn idna_canonical_domain(wild: bool, rest: &str) -> Result<String, ValueError> {
    let trimmed = rest.strip_suffix('.').unwrap_or(rest);
    if trimmed.is_empty() {
        return Err(ValueError::EmptyDomain);
    }
    let ascii = idna::domain_to_ascii_strict(trimmed).map_err(|_| ValueError::NotIdna)?;
    if ascii.len() > 253 {
        return Err(ValueError::DomainTooLong);
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    if let Some(l) = labels.iter().find(|l| l.is_empty() || l.len() > 63) {
        return Err(if l.is_empty() {
            ValueError::EmptyLabel
        } else {
            ValueError::LabelTooLong(l.to_string())
        });
    }
    if let Some(l) = labels.iter().find(|l| {
        !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            || l.starts_with('-')
            || l.ends_with('-')
    }) {
        return Err(ValueError::BadLabel(l.to_string()));
    }
    if labels.len() < 2 && !wild {
        return Err(ValueError::OneLabel);
    }
    if labels
        .last()
        .is_some_and(|t| t.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ValueError::NumericTopLevel);
    }
    Ok(if wild { format!("*.{ascii}") } else { ascii })
}

fn check_domain(value: &str) -> Checked {
    match canonical_domain(value) {
        Ok(canonical) => Checked::Valid { canonical },
        Err(e) => Checked::Invalid(e.to_string()),
    }
}

/// Canonical URL (WHATWG serialization). `*` wildcards are kept as written.
pub fn canonical_url(value: &str) -> Result<String, ValueError> {
    if value.contains('*') {
        let probe = value.replace('*', "x");
        let u = url::Url::parse(&probe).map_err(ValueError::NotUrl)?;
        if !u.has_host() {
            return Err(ValueError::NoHost);
        }
        return Ok(value.to_string());
    }
    let u = url::Url::parse(value).map_err(ValueError::NotUrl)?;
    if !u.has_host() {
        return Err(ValueError::NoHost);
    }
    Ok(u.to_string())
}

fn check_url(value: &str) -> Checked {
    match canonical_url(value) {
        Ok(canonical) => Checked::Valid { canonical },
        Err(e) => Checked::Invalid(e.to_string()),
    }
}

fn check_email(value: &str) -> Checked {
    let Some((local, domain)) = value.rsplit_once('@') else {
        return Checked::Invalid("an email address needs an `@`".into());
    };
    if local.is_empty() || local.len() > 64 {
        return Checked::Invalid("the local part must be 1 to 64 characters".into());
    }
    if local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
        || !local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
    {
        return Checked::Invalid(format!("`{local}` is not a valid local part"));
    }
    match canonical_domain(domain) {
        Ok(d) if !d.starts_with('*') => Checked::Valid {
            canonical: format!("{}@{d}", local.to_lowercase()),
        },
        Ok(_) => Checked::Invalid("an email domain cannot be a wildcard".into()),
        Err(e) => Checked::Invalid(format!("email domain: {e}")),
    }
}

/// Defanging markers and what they stand for.
const DEFANGS: &[(&str, &str)] = &[
    ("hxxps", "https"),
    ("hxxp", "http"),
    ("hXXps", "https"),
    ("hXXp", "http"),
    ("fxp", "ftp"),
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("(dot)", "."),
    ("[:]", ":"),
    ("[://]", "://"),
    ("[@]", "@"),
    ("[at]", "@"),
];

/// Types whose values are network observables that analysts defang.
pub fn defang_applies(ty: IndicatorType) -> bool {
    matches!(
        ty,
        IndicatorType::Url | IndicatorType::Domain | IndicatorType::Ip | IndicatorType::Email
    )
}

/// The refanged value when `value` is defanged.
pub fn refang(value: &str) -> Option<String> {
    // Fast path: every marker has a bracket, or is a scheme at the start.
    if !value.contains(['[', '(', '{']) && !value.starts_with(['h', 'f']) {
        return None;
    }
    let mut out = value.to_string();
    let mut changed = false;
    for (from, to) in DEFANGS {
        let is_scheme = from.starts_with('h') || from.starts_with('f');
        if is_scheme {
            if let Some(rest) = out.strip_prefix(from) {
                if rest.starts_with("://") || rest.starts_with("[://]") || rest.starts_with("[:]//")
                {
                    out = format!("{to}{rest}");
                    changed = true;
                }
            }
        } else if out.contains(from) {
            out = out.replace(from, to);
            changed = true;
        }
    }
    changed.then_some(out)
}

/// Number of non-wildcard characters of a glob.
pub fn glob_literal_len(glob: &str) -> usize {
    glob.chars().filter(|c| *c != '*' && *c != '?').count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use IndicatorType::*;

    fn canon(ty: IndicatorType, v: &str) -> String {
        match check(ty, v) {
            Checked::Valid { canonical } => canonical,
            other => panic!("{v}: {other:?}"),
        }
    }
    fn invalid(ty: IndicatorType, v: &str) -> bool {
        matches!(check(ty, v), Checked::Invalid(_))
    }

    #[test]
    fn hashes() {
        assert_eq!(
            canon(Md5, "D41D8CD98F00B204E9800998ECF8427E"),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        assert!(invalid(Md5, "d41d8cd98f00b204e9800998ecf8427"));
        assert!(invalid(Sha1, "zz1d8cd98f00b204e9800998ecf8427e12345678"));
    }

    #[test]
    fn hash_shortcut_agrees_with_the_general_check() {
        // Digests of every length near the hash lengths, built from hex digits of both cases
        // with one byte (or none) replaced by something else: a non-hex letter, a control
        // character, a space, a non-ASCII letter; and `regex:` values of the same lengths.
        let others = [
            "", "g", "G", "z", "\n", "\t", "\u{7f}", "\0", " ", "é", ":", "-",
        ];
        let hex = b"0123456789abcdefABCDEF";
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut cases = 0;
        for len in (0usize..=2).chain(30..=34).chain(38..=42).chain(62..=66) {
            for other in others {
                for _ in 0..8 {
                    let mut v: String = (0..len)
                        .map(|_| hex[(next() % hex.len() as u64) as usize] as char)
                        .collect();
                    let regex = format!("regex:{}", &v[..len.saturating_sub(6)]);
                    if !other.is_empty() && len > 0 {
                        let at = (next() % len as u64) as usize;
                        v.replace_range(at..at + 1, other);
                    }
                    for ty in IndicatorType::ALL {
                        assert_eq!(check(ty, &v), check_general(ty, &v), "{ty:?} {v:?}");
                        cases += 1;
                    }
                    // (`regex:` values of the hash types: the glob types' patterns would
                    // only be compiled twice.)
                    for ty in [Md5, Sha1, Sha256] {
                        assert_eq!(
                            check(ty, &regex),
                            check_general(ty, &regex),
                            "{ty:?} {regex:?}"
                        );
                    }
                }
            }
        }
        assert!(cases > 20_000);
        // Both ways are taken: a digest by the shortcut, a bad one by the general check.
        assert!(
            matches!(check(Sha256, &"A".repeat(64)), Checked::Valid { canonical } if canonical == "a".repeat(64))
        );
        assert!(matches!(
            check(Sha256, &"a".repeat(63)),
            Checked::Invalid(_)
        ));
    }

    #[test]
    fn ips() {
        assert_eq!(canon(Ip, "10.0.0.1/8"), "10.0.0.0/8");
        assert_eq!(canon(Ip, "1.2.3.4/32"), "1.2.3.4");
        assert_eq!(canon(Ip, "2001:DB8:0:0::1"), "2001:db8::1");
        assert!(invalid(Ip, "010.1.1.1"));
        assert!(invalid(Ip, "1.2.3"));
        assert!(invalid(Ip, "1.2.3.4/33"));
    }

    #[test]
    fn domains() {
        assert_eq!(canon(Domain, "Example.COM."), "example.com");
        assert_eq!(canon(Domain, "bücher.de"), "xn--bcher-kva.de");
        assert_eq!(canon(Domain, "*.avsvmcloud.com"), "*.avsvmcloud.com");
        assert!(invalid(Domain, "ex_ample.com"));
        assert!(invalid(Domain, "a..b"));
        assert!(invalid(Domain, "localhost"));
        assert!(invalid(Domain, "a.*.com"));
        assert!(invalid(Domain, &format!("{}.com", "a".repeat(64))));
    }

    /// A dotted quad taken as written gives what formatting the parsed address gives, and
    /// anything else the standard parser rejects goes the general way.
    #[test]
    fn ipv4_shortcut_writes_what_formatting_writes() {
        let octets = [
            "0", "1", "00", "01", "9", "10", "99", "100", "255", "256", "0255", "1e1", "+1", "",
        ];
        let mut taken = 0;
        for a in octets {
            for b in octets {
                for c in ["0", "01", "255", "256"] {
                    for d in octets {
                        let v = format!("{a}.{b}.{c}.{d}");
                        if std::net::Ipv4Addr::from_str(&v).is_ok() {
                            taken += 1;
                            assert_eq!(IpAddr::from_str(&v).unwrap().to_string(), v);
                            assert_eq!(canon(Ip, &v), v);
                        }
                    }
                }
            }
        }
        assert!(taken > 100);
    }

    /// Every domain the shortcut takes as its own canonical form gets that same form from
    /// IDNA and the label checks; the others get IDNA's answer.
    #[test]
    fn domain_shortcut_agrees_with_idna() {
        let long = "a".repeat(63);
        let too_long = "a".repeat(64);
        let labels = [
            "a",
            "com",
            "ex-ample",
            "xn--bcher-kva",
            "ab--c",
            "-a",
            "a-",
            "1",
            "123",
            "Ex",
            "b\u{fc}cher",
            "",
            "x_y",
            "xn",
            &long,
            &too_long,
            "\u{3002}",
        ];
        let mut taken = 0;
        let mut values = Vec::new();
        for a in labels {
            values.push(a.to_string());
            for b in labels {
                values.push(format!("{a}.{b}"));
                for c in ["com", "1", "-x", "Ex", ""] {
                    values.push(format!("{a}.{b}.{c}"));
                }
            }
        }
        let base = format!("{long}.{long}.{long}.");
        values.push(format!("{base}{}", "b".repeat(61)));
        values.push(format!("{base}{}", "b".repeat(62)));
        for v in values {
            for (wild, value) in [(false, v.clone()), (true, format!("*.{v}"))] {
                let rest = if wild { &value[2..] } else { &value[..] };
                let slow = idna_canonical_domain(wild, rest);
                if crate::canonical_domain_shape(rest, wild) {
                    taken += 1;
                    assert_eq!(slow.as_deref(), Ok(value.as_str()), "{value}");
                }
                assert_eq!(canonical_domain(&value), slow, "{value}");
            }
        }
        assert!(taken > 100);
    }

    #[test]
    fn urls_and_emails() {
        assert_eq!(
            canon(Url, "HTTP://Example.com:80/a"),
            "http://example.com/a"
        );
        assert!(invalid(Url, "not a url"));
        assert_eq!(canon(Email, "Bad@Example.COM"), "bad@example.com");
        assert!(invalid(Email, "no-at-sign"));
    }

    #[test]
    fn regexes() {
        assert!(matches!(
            check(CommandLine, "regex:a+b"),
            Checked::Regex { .. }
        ));
        assert!(invalid(CommandLine, "regex:(unclosed"));
        assert!(invalid(Md5, "regex:abc"));
    }

    #[test]
    fn refanging() {
        assert_eq!(
            refang("hxxp://evil[.]com/x").as_deref(),
            Some("http://evil.com/x")
        );
        assert_eq!(refang("a[@]b(.)com").as_deref(), Some("a@b.com"));
        assert_eq!(refang("1.2.3[.]4").as_deref(), Some("1.2.3.4"));
        assert_eq!(refang("example.com"), None);
        assert_eq!(refang("hxxpfoo.com"), None);
    }
}
