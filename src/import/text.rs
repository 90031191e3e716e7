//! Plain text: a list of values (one a line) or free text pasted from a report. Each input
//! file becomes one rule whose values are alternatives (`1 of them`).
//!
//! **What is detected.** Defanged forms are refanged first (`hxxp`, `[.]`, `(.)`, `{.}`,
//! `[dot]`, `[:]`, `[://]`, `[@]`, `[at]`: `crate::indicator::refang`). Then a token is:
//!
//! - a URL when it starts with `http://`, `https://` or `ftp://`;
//! - an e-mail address when it holds `@` and is a valid address;
//! - an `ip` when it is an IPv4/IPv6 address or CIDR network — except, in running text, a
//!   dotted quad right after `version`, `ver`, `v`, `build` or `release` (a version number);
//! - an `md5`, `sha1` or `sha256` when it is 32, 40 or 64 hex digits;
//! - a `file_path` when it starts with a drive (`C:\`) or `\\server\`, a `registry_path` when
//!   it starts with a hive (`HKLM\`, `HKEY_LOCAL_MACHINE\`, …) — a whole line may hold spaces;
//! - a `domain` when its last label is a known public suffix (the Public Suffix List);
//! - a `file_name` (`name.exe`) only on a line of its own: in running text a program name
//!   (`cmd.exe`) is too often benign, so it is reported, not guessed.
//!
//! A token that could be two things (`update.zip`: a file or a `.zip` domain; `1.2.3.4` after
//! `version`) is not guessed: it is reported with a [`TextDrop`]. A defanged token is always
//! a network indicator. Other words are prose and are skipped; a line of a list (one token, no
//! spaces) that is nothing is reported as unrecognized. The same value twice is kept once.

use super::expr::{Expr, Term};
use super::{Draft, Dropped, Format, ImportError, Item, Reason, SourceRef};
use crate::indicator::{self, Checked, IndicatorType};
use std::collections::HashSet;
use std::path::Path;

/// Why a token is not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextDrop {
    /// A dotted quad that reads as a version number (`version 1.2.3.4`).
    VersionLike,
    /// A name whose suffix is both a top-level domain and a file extension (`update.zip`).
    FileOrDomain,
    /// A file name in running text (`cmd.exe`): often a benign program.
    FileNameInProse,
    /// A line of a list that is no indicator.
    Unrecognized,
    /// A value already found earlier in the input.
    Duplicate,
}

impl TextDrop {
    pub fn code(&self) -> &'static str {
        match self {
            TextDrop::VersionLike => "version-like",
            TextDrop::FileOrDomain => "file-or-domain",
            TextDrop::FileNameInProse => "file-name-in-prose",
            TextDrop::Unrecognized => "unrecognized",
            TextDrop::Duplicate => "duplicate",
        }
    }

    pub fn sentence(&self) -> &'static str {
        match self {
            TextDrop::VersionLike => {
                "ambiguous: reads as a version number; defang it (1.2.3[.]4) or put it on a line of its own to import it as an address"
            }
            TextDrop::FileOrDomain => {
                "ambiguous: a file name or a domain; defang it (name[.]zip) to import it as a domain"
            }
            TextDrop::FileNameInProse => {
                "a file name in running text, often a benign program: put it on a line of its own to import it"
            }
            TextDrop::Unrecognized => "no indicator type recognizes this line",
            TextDrop::Duplicate => "already found earlier in the input",
        }
    }

    pub fn reason(&self) -> Reason {
        Reason {
            code: self.code(),
            message: self.sentence().to_string(),
        }
    }
}

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    Value(IndicatorType, String),
    Ambiguous(TextDrop),
    Nothing,
}

/// File extensions that name files, not domains (when the suffix is also a top-level domain,
/// the token is ambiguous).
const FILE_EXTENSIONS: [&str; 43] = [
    "exe", "dll", "sys", "scr", "cpl", "ocx", "msi", "msp", "ps1", "psm1", "bat", "cmd", "vbs",
    "vbe", "js", "jse", "wsf", "hta", "lnk", "jar", "py", "sh", "pl", "elf", "bin", "dat", "tmp",
    "aspx", "ashx", "asmx", "asp", "jsp", "php", "doc", "docm", "xls", "xlsm", "zip", "rar", "7z",
    "iso", "img", "one",
];

const VERSION_WORDS: [&str; 6] = ["version", "ver", "v", "build", "release", "firmware"];

fn is_hive(s: &str) -> bool {
    let upper = s.to_ascii_uppercase();
    ["HKLM\\", "HKCU\\", "HKCR\\", "HKU\\", "HKCC\\", "HKEY_"]
        .iter()
        .any(|h| upper.starts_with(h))
        && s.contains('\\')
}

fn is_windows_path(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\')
        || (s.starts_with("\\\\") && s.len() > 3)
}

fn valid(ty: IndicatorType, v: &str) -> bool {
    matches!(indicator::check(ty, v), Checked::Valid { .. })
}

/// What `token` is. `list` says it is a line of its own; `previous` is the word before it in
/// running text.
pub fn detect(token: &str, list: bool, previous: Option<&str>) -> Detected {
    let refanged = indicator::refang(token);
    let defanged = refanged.is_some();
    let t = refanged.as_deref().unwrap_or(token);
    let lower = t.to_ascii_lowercase();
    use IndicatorType::*;
    if ["http://", "https://", "ftp://"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return if valid(Url, t) {
            Detected::Value(Url, t.to_string())
        } else {
            Detected::Nothing
        };
    }
    if t.contains('@') {
        let t = t.strip_prefix("mailto:").unwrap_or(t);
        return if valid(Email, t) {
            Detected::Value(Email, t.to_string())
        } else {
            Detected::Nothing
        };
    }
    if indicator::parse_net(t).is_some() && (t.contains('.') || t.matches(':').count() >= 2) {
        let quad = t.parse::<std::net::Ipv4Addr>().is_ok();
        let after_version = previous.is_some_and(|p| {
            VERSION_WORDS.contains(
                &p.trim_matches(|c: char| !c.is_alphanumeric())
                    .to_ascii_lowercase()
                    .as_str(),
            )
        });
        if quad && !list && !defanged && after_version {
            return Detected::Ambiguous(TextDrop::VersionLike);
        }
        return Detected::Value(Ip, t.to_string());
    }
    if t.bytes().all(|b| b.is_ascii_hexdigit()) {
        match t.len() {
            32 => return Detected::Value(Md5, t.to_string()),
            40 => return Detected::Value(Sha1, t.to_string()),
            64 => return Detected::Value(Sha256, t.to_string()),
            _ => {}
        }
    }
    if is_windows_path(t) {
        return Detected::Value(FilePath, t.to_string());
    }
    if is_hive(t) {
        return Detected::Value(RegistryPath, t.to_string());
    }
    if t.contains('.') && !t.contains(['/', '\\']) {
        let name = lower.trim_end_matches('.');
        let last = name.rsplit('.').next().unwrap_or("");
        let is_extension = FILE_EXTENSIONS.contains(&last);
        let known_suffix = psl::suffix(name.as_bytes()).is_some_and(|s| s.is_known());
        let domain_ok = indicator::canonical_domain(name).is_ok();
        if domain_ok && known_suffix && (defanged || !is_extension) {
            return Detected::Value(Domain, t.to_string());
        }
        if is_extension && name.len() > last.len() + 1 {
            if known_suffix && domain_ok {
                return Detected::Ambiguous(TextDrop::FileOrDomain);
            }
            return if list {
                Detected::Value(FileName, t.to_string())
            } else {
                Detected::Ambiguous(TextDrop::FileNameInProse)
            };
        }
    }
    Detected::Nothing
}

/// Characters that separate tokens in running text.
fn separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ',' | ';' | '"' | '<' | '>' | '`' | '|' | '\u{201c}' | '\u{201d}'
        )
}

/// A token without the punctuation of the sentence around it.
fn trim_token(t: &str) -> &str {
    let t = t.trim_start_matches(['(', '{', '\'', '\u{2018}']);
    let t = t.trim_end_matches(['.', ',', '!', '?', ')', '}', '\'', '\u{2019}']);
    // `[` opens a defang marker only inside a token; a leading one wraps the token.
    let t = if t.starts_with('[') && !t.starts_with("[.]") {
        t.trim_start_matches('[').trim_end_matches(']')
    } else {
        t
    };
    // A colon ends a label ("C2: evil.com") unless the token is an IPv6 address.
    if t.ends_with(':') && !t.ends_with("::") {
        &t[..t.len() - 1]
    } else {
        t
    }
}

/// The values of a text, and what was left out.
pub fn extract(text: &str) -> (Vec<(IndicatorType, String)>, Vec<Dropped>) {
    let mut found: Vec<(IndicatorType, String)> = Vec::new();
    let mut dropped = Vec::new();
    let mut seen: HashSet<(IndicatorType, String)> = HashSet::new();
    let mut push = |ty: IndicatorType, v: String, dropped: &mut Vec<Dropped>| {
        // Duplicates are compared in canonical form.
        let key = match indicator::check(ty, &v) {
            Checked::Valid { canonical } => canonical,
            _ => v.clone(),
        };
        if seen.insert((ty, key)) {
            found.push((ty, v));
        } else {
            dropped.push(Dropped {
                ty: Some(ty.name()),
                value: v,
                reason: TextDrop::Duplicate.reason(),
            });
        }
    };
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        // A whole line may be a path or a registry key with spaces.
        if line.contains(char::is_whitespace) && (is_windows_path(line) || is_hive(line)) {
            let ty = if is_hive(line) {
                IndicatorType::RegistryPath
            } else {
                IndicatorType::FilePath
            };
            push(ty, line.to_string(), &mut dropped);
            continue;
        }
        let list = !line.contains(separator);
        let mut previous: Option<&str> = None;
        for raw in line.split(separator).filter(|t| !t.is_empty()) {
            let token = trim_token(raw);
            if token.is_empty() {
                continue;
            }
            match detect(token, list, previous) {
                Detected::Value(ty, v) => push(ty, v, &mut dropped),
                Detected::Ambiguous(why) => dropped.push(Dropped {
                    ty: None,
                    value: token.to_string(),
                    reason: why.reason(),
                }),
                Detected::Nothing if list => dropped.push(Dropped {
                    ty: None,
                    value: token.to_string(),
                    reason: TextDrop::Unrecognized.reason(),
                }),
                Detected::Nothing => {}
            }
            previous = Some(raw);
        }
    }
    (found, dropped)
}

/// Reads a text file into one draft.
pub fn read(path: &Path) -> Result<Vec<Item>, ImportError> {
    let file = path.display().to_string();
    let text = super::read_input(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.clone());
    let (values, dropped) = extract(&text);
    let expr = Expr::Any(
        values
            .into_iter()
            .map(|(ty, v)| Expr::Term(Term::new(ty, vec![v])))
            .collect(),
    );
    let mut d = Draft::new(
        SourceRef {
            format: Format::Text,
            file,
            id: name.clone(),
            name: None,
        },
        expr,
    );
    d.title = Some(format!("Indicators from {name}"));
    d.description = Some(format!(
        "Values found in {name} by their shape (addresses, domains, URLs, hashes, paths); each one matches on its own."
    ));
    d.dropped = dropped;
    Ok(vec![Item::Draft(Box::new(d))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use IndicatorType::*;

    #[test]
    fn detects_types_and_refangs() {
        assert_eq!(
            detect("hxxps://evil[.]example/a", true, None),
            Detected::Value(Url, "https://evil.example/a".into())
        );
        assert_eq!(
            detect("evil[.]com", false, None),
            Detected::Value(Domain, "evil.com".into())
        );
        assert_eq!(
            detect("user[@]evil(.)com", false, None),
            Detected::Value(Email, "user@evil.com".into())
        );
        assert_eq!(
            detect("203.0.113[.]7", false, None),
            Detected::Value(Ip, "203.0.113.7".into())
        );
        assert_eq!(
            detect("2001:db8::/32", false, None),
            Detected::Value(Ip, "2001:db8::/32".into())
        );
        assert_eq!(
            detect("d41d8cd98f00b204e9800998ecf8427e", false, None),
            Detected::Value(Md5, "d41d8cd98f00b204e9800998ecf8427e".into())
        );
        assert_eq!(
            detect(r"C:\inetpub\wwwroot\x.aspx", false, None),
            Detected::Value(FilePath, r"C:\inetpub\wwwroot\x.aspx".into())
        );
        assert_eq!(
            detect(r"HKLM\Software\Run", false, None),
            Detected::Value(RegistryPath, r"HKLM\Software\Run".into())
        );
        assert_eq!(
            detect("avsvmcloud.com", false, None),
            Detected::Value(Domain, "avsvmcloud.com".into())
        );
    }

    #[test]
    fn ambiguous_tokens_are_not_guessed() {
        assert_eq!(
            detect("1.2.3.4", false, Some("version")),
            Detected::Ambiguous(TextDrop::VersionLike)
        );
        assert_eq!(
            detect("1.2.3.4", true, Some("version")),
            Detected::Value(Ip, "1.2.3.4".into())
        );
        assert_eq!(
            detect("update.zip", false, None),
            Detected::Ambiguous(TextDrop::FileOrDomain)
        );
        assert_eq!(
            detect("update[.]zip", false, None),
            Detected::Value(Domain, "update.zip".into())
        );
        assert_eq!(
            detect("svchost.exe", false, None),
            Detected::Ambiguous(TextDrop::FileNameInProse)
        );
        assert_eq!(
            detect("svchost.exe", true, None),
            Detected::Value(FileName, "svchost.exe".into())
        );
        // Prose, not indicators.
        for word in [
            "mimikatz",
            "e.g",
            "System.Net.WebClient",
            "2.3",
            "12:30",
            "deadbeef",
        ] {
            assert_eq!(detect(word, false, None), Detected::Nothing, "{word}");
        }
    }

    #[test]
    fn free_text_and_lists() {
        let text = "\
# IOC list
evil[.]example.com
evil.example.com
mimikatz
The implant (version 10.2.1.4) beaconed to hxxp://203.0.113[.]7/gate.php and to c2[.]example[.]net.
It dropped C:\\ProgramData\\x.dll, then ran cmd.exe; see CVE notes.
C:\\Program Files\\Vendor\\agent.exe
";
        let (values, dropped) = extract(text);
        assert_eq!(
            values,
            [
                (Domain, "evil.example.com".to_string()),
                (Url, "http://203.0.113.7/gate.php".to_string()),
                (Domain, "c2.example.net".to_string()),
                (FilePath, r"C:\ProgramData\x.dll".to_string()),
                (FilePath, r"C:\Program Files\Vendor\agent.exe".to_string()),
            ]
        );
        let codes: Vec<_> = dropped
            .iter()
            .map(|d| (d.value.as_str(), d.reason.code))
            .collect();
        assert_eq!(
            codes,
            [
                ("evil.example.com", "duplicate"),
                ("mimikatz", "unrecognized"),
                ("10.2.1.4", "version-like"),
                ("cmd.exe", "file-name-in-prose"),
            ]
        );
    }
}

#[cfg(test)]
mod mutations {
    #[test]
    fn mutated_text_never_panics() {
        let text = include_str!("../../tests/fixtures/import/text/report.txt");
        let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        for &i in cuts.iter().step_by(2) {
            for s in [
                "[.]",
                "hxxp://",
                "[@]",
                "(.)",
                "[",
                ":",
                "::",
                "/",
                "\\",
                "é",
                "\u{0}",
                "1.2.3.4/99",
                ".zip",
            ] {
                let _ = super::extract(&format!("{}{s}{}", &text[..i], &text[i..]));
            }
        }
    }
}
