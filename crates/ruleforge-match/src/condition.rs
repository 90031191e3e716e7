//! The `condition` language: a boolean expression over indicator group names.
//!
//! ```text
//! expr     := or_expr
//! or_expr  := and_expr ("or" and_expr)*
//! and_expr := not_expr ("and" not_expr)*
//! not_expr := "not" not_expr | atom
//! atom     := "(" expr ")" | GROUP | quant "of" target
//! quant    := "1" | "all"
//! target   := "them" | PREFIX "*"
//! ```
//! Keywords are lower-case; group names are `[a-z][a-z0-9_]*`.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Group(String),
    /// `1 of …` (`all == false`) or `all of …`; `prefix == None` means `them`.
    Of {
        all: bool,
        prefix: Option<String>,
    },
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// A syntax error with the byte offset in the condition text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub len: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (column {})", self.message, self.offset + 1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    LParen,
    RParen,
    Word(String),
    Star,
}

fn lex(text: &str) -> Result<Vec<(Tok, usize, usize)>, ParseError> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'(' => {
                out.push((Tok::LParen, i, 1));
                i += 1
            }
            b')' => {
                out.push((Tok::RParen, i, 1));
                i += 1
            }
            b'*' => {
                out.push((Tok::Star, i, 1));
                i += 1
            }
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                let s = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                out.push((Tok::Word(text[s..i].to_string()), s, i - s));
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or('?');
                return Err(ParseError {
                    offset: i,
                    len: ch.len_utf8(),
                    message: format!("unexpected character `{ch}`"),
                });
            }
        }
    }
    Ok(out)
}

const KEYWORDS: [&str; 6] = ["and", "or", "not", "of", "them", "all"];

struct P {
    toks: Vec<(Tok, usize, usize)>,
    pos: usize,
    end: usize,
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }
    fn here(&self) -> (usize, usize) {
        self.toks
            .get(self.pos)
            .map(|t| (t.1, t.2))
            .unwrap_or((self.end, 0))
    }
    fn err<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        let (offset, len) = self.here();
        Err(ParseError {
            offset,
            len,
            message: message.into(),
        })
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x == w)
    }
    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut lhs = self.and()?;
        while self.is_word("or") {
            self.pos += 1;
            lhs = Expr::Or(Box::new(lhs), Box::new(self.and()?));
        }
        Ok(lhs)
    }
    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut lhs = self.not()?;
        while self.is_word("and") {
            self.pos += 1;
            lhs = Expr::And(Box::new(lhs), Box::new(self.not()?));
        }
        Ok(lhs)
    }
    fn not(&mut self) -> Result<Expr, ParseError> {
        if self.is_word("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.atom()
    }
    fn atom(&mut self) -> Result<Expr, ParseError> {
        match self.peek().cloned() {
            None => {
                self.err("expected a group name, `(`, `not`, `1 of` or `all of`, found the end")
            }
            Some(Tok::LParen) => {
                self.pos += 1;
                let e = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return self.err("expected `)`");
                }
                self.pos += 1;
                Ok(e)
            }
            Some(Tok::RParen) => self.err("unexpected `)`"),
            Some(Tok::Star) => self.err("unexpected `*`"),
            Some(Tok::Word(w)) if w == "1" || w == "all" => {
                self.pos += 1;
                if !self.is_word("of") {
                    return self.err(format!("expected `of` after `{w}`"));
                }
                self.pos += 1;
                let all = w == "all";
                match self.peek().cloned() {
                    Some(Tok::Word(t)) if t == "them" => {
                        self.pos += 1;
                        Ok(Expr::Of { all, prefix: None })
                    }
                    Some(Tok::Word(p)) if is_group_name(&p) && !KEYWORDS.contains(&p.as_str()) => {
                        self.pos += 1;
                        if self.peek() != Some(&Tok::Star) {
                            return self
                                .err(format!("expected `*` after prefix `{p}` (write `{p}*`)"));
                        }
                        self.pos += 1;
                        Ok(Expr::Of {
                            all,
                            prefix: Some(p),
                        })
                    }
                    Some(Tok::Star) => {
                        self.pos += 1;
                        Ok(Expr::Of {
                            all,
                            prefix: Some(String::new()),
                        })
                    }
                    _ => self.err("expected `them` or a prefix such as `hash_*`"),
                }
            }
            Some(Tok::Word(w)) if KEYWORDS.contains(&w.as_str()) => {
                self.err(format!("unexpected keyword `{w}`"))
            }
            Some(Tok::Word(w)) if w.bytes().all(|b| b.is_ascii_digit()) => self.err(format!(
                "only `1 of` and `all of` are supported, found `{w}`"
            )),
            Some(Tok::Word(w)) => {
                if !is_group_name(&w) {
                    return self.err(format!("`{w}` is not a valid group name ([a-z][a-z0-9_]*)"));
                }
                self.pos += 1;
                if self.peek() == Some(&Tok::Star) {
                    return self.err("a prefix pattern needs `1 of` or `all of` before it");
                }
                Ok(Expr::Group(w))
            }
        }
    }
}

pub fn is_group_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_lowercase())
        && b.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

/// Parses a condition.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let toks = lex(text)?;
    let mut p = P {
        toks,
        pos: 0,
        end: text.len(),
    };
    let e = p.or()?;
    if p.pos < p.toks.len() {
        return p.err("expected `and`, `or` or the end of the condition");
    }
    Ok(e)
}

impl Expr {
    /// The default condition when a rule has none.
    pub fn default_condition() -> Expr {
        Expr::Of {
            all: false,
            prefix: None,
        }
    }

    /// Group names referenced directly (not through `of`).
    pub fn named_groups(&self, out: &mut Vec<String>) {
        match self {
            Expr::Group(g) => out.push(g.clone()),
            Expr::Of { .. } => {}
            Expr::Not(e) => e.named_groups(out),
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.named_groups(out);
                b.named_groups(out);
            }
        }
    }

    /// Prefixes used by `of` (empty string for `them`).
    pub fn prefixes(&self, out: &mut Vec<String>) {
        match self {
            Expr::Group(_) => {}
            Expr::Of { prefix, .. } => out.push(prefix.clone().unwrap_or_default()),
            Expr::Not(e) => e.prefixes(out),
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.prefixes(out);
                b.prefixes(out);
            }
        }
    }

    /// Evaluates with `matched(group)` telling whether a group matched; `groups` lists all groups.
    pub fn eval(&self, groups: &[&str], matched: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Expr::Group(g) => matched(g),
            Expr::Of { all, prefix } => {
                let p = prefix.as_deref().unwrap_or("");
                let mut sel = groups.iter().filter(|g| g.starts_with(p)).peekable();
                if sel.peek().is_none() {
                    return false;
                }
                if *all {
                    sel.all(|g| matched(g))
                } else {
                    sel.any(|g| matched(g))
                }
            }
            Expr::Not(e) => !e.eval(groups, matched),
            Expr::And(a, b) => a.eval(groups, matched) && b.eval(groups, matched),
            Expr::Or(a, b) => a.eval(groups, matched) || b.eval(groups, matched),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Group(g) => f.write_str(g),
            Expr::Of { all, prefix } => {
                let q = if *all { "all" } else { "1" };
                match prefix {
                    None => write!(f, "{q} of them"),
                    Some(p) => write!(f, "{q} of {p}*"),
                }
            }
            Expr::Not(e) => write!(f, "not {}", paren(e)),
            Expr::And(a, b) => write!(f, "{} and {}", paren_or(a), paren_or(b)),
            Expr::Or(a, b) => write!(f, "{a} or {b}"),
        }
    }
}

fn paren(e: &Expr) -> String {
    match e {
        Expr::And(..) | Expr::Or(..) => format!("({e})"),
        _ => e.to_string(),
    }
}
fn paren_or(e: &Expr) -> String {
    match e {
        Expr::Or(..) => format!("({e})"),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(cond: &str, groups: &[&str], hits: &[&str]) -> bool {
        parse(cond).unwrap().eval(groups, &|g| hits.contains(&g))
    }

    #[test]
    fn precedence_and_quantifiers() {
        let g = ["hash_a", "hash_b", "proc", "cmd"];
        assert!(ev("1 of them", &g, &["cmd"]));
        assert!(!ev("all of them", &g, &["cmd"]));
        assert!(ev("1 of hash_* or proc and cmd", &g, &["proc", "cmd"]));
        assert!(!ev("1 of hash_* or proc and cmd", &g, &["proc"]));
        assert!(ev("all of hash_* and not proc", &g, &["hash_a", "hash_b"]));
        assert!(!ev("not (proc or cmd)", &g, &["cmd"]));
        assert!(!ev("1 of nothing_*", &g, &["cmd"]));
    }

    #[test]
    fn errors_carry_offsets() {
        let e = parse("a and").unwrap_err();
        assert_eq!(e.offset, 5);
        let e = parse("a & b").unwrap_err();
        assert_eq!(e.offset, 2);
        let e = parse("(a or b").unwrap_err();
        assert_eq!(e.offset, 7);
        let e = parse("2 of them").unwrap_err();
        assert_eq!(e.offset, 0);
        let e = parse("a b").unwrap_err();
        assert_eq!(e.offset, 2);
        let e = parse("1 of hash").unwrap_err();
        assert_eq!(e.offset, 9);
    }

    #[test]
    fn more_forms() {
        let g = ["a", "b", "c"];
        // `not` binds tighter than `and`, `and` tighter than `or`.
        assert!(ev("not a and b", &g, &["b"]));
        assert!(!ev("not a and b", &g, &["a", "b"]));
        assert!(ev("a or b and c", &g, &["a"]));
        assert!(!ev("(a or b) and c", &g, &["a"]));
        assert!(ev("not not a", &g, &["a"]));
        // `1 of *` / `all of *`: an empty prefix selects every group.
        assert!(ev("all of *", &g, &["a", "b", "c"]));
        assert!(!ev("all of *", &g, &["a"]));
        // White space and line breaks are free.
        assert!(ev("a\n  and\tb", &g, &["a", "b"]));
        // With no groups, quantifiers are false.
        assert!(!ev("1 of them", &[], &[]));
        assert!(!ev("all of them", &[], &[]));
        assert!(ev("not all of them", &[], &[]));
    }

    #[test]
    fn syntax_errors() {
        for bad in [
            "",
            "and",
            "a or",
            "not",
            "()",
            "a )",
            "1 of",
            "all them",
            "1 of a",
            "a*",
            "A",
            "1a",
            "a and or b",
            "of them",
            "them",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
        assert_eq!(
            parse("all of hash_*").unwrap(),
            Expr::Of {
                all: true,
                prefix: Some("hash_".into())
            }
        );
    }

    #[test]
    fn display_round_trips() {
        for c in [
            "1 of them",
            "a and (b or c)",
            "not (a and b) or all of x*",
            "not a",
        ] {
            let e = parse(c).unwrap();
            assert_eq!(parse(&e.to_string()).unwrap(), e, "{c}");
        }
    }
}
