//! A parser of the STIX 2.1 patterning language (STIX 2.1, part 9; the OASIS `STIXPattern.g4`
//! grammar of `stix2-patterns`).
//!
//! No maintained Rust crate parses STIX patterns on its own (the STIX object crates bundle a
//! pattern checker with a whole object model), and the grammar is small, so this is a
//! hand-written recursive-descent parser with typed errors that carry a byte offset.
//!
//! Precedence, loosest first: `FOLLOWEDBY`, observation `OR`, observation `AND`, then the
//! qualifiers (`WITHIN`, `REPEATS`, `START … STOP`) that follow an observation expression.
//! Inside `[ … ]`: comparison `OR`, then `AND`. Keywords are upper-case, `true`/`false`
//! lower-case, as in the grammar. Strings are single-quoted with `\'` and `\\` as the only
//! escapes. Comments (`/* */`, `//`) are skipped like white space.

use std::fmt;

/// How deep parentheses and brackets may nest (a bound against stack exhaustion).
const MAX_DEPTH: usize = 64;

/// An observation expression: the whole pattern, or part of it.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// `[ comparison ]`
    Simple(Comparison),
    And(Box<Observation>, Box<Observation>),
    Or(Box<Observation>, Box<Observation>),
    FollowedBy(Box<Observation>, Box<Observation>),
    Qualified(Box<Observation>, Qualifier),
}

/// A qualifier after an observation expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS`
    Within(String),
    /// `REPEATS n TIMES`
    Repeats(u64),
    /// `START t'…' STOP t'…'`
    StartStop(String, String),
}

/// A comparison expression inside one observation.
#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    And(Box<Comparison>, Box<Comparison>),
    Or(Box<Comparison>, Box<Comparison>),
    Test(PropTest),
}

/// One comparison of an object path with a literal.
#[derive(Debug, Clone, PartialEq)]
pub struct PropTest {
    pub path: ObjectPath,
    /// `NOT` before the operator.
    pub negated: bool,
    pub op: Operator,
    /// `None` for `EXISTS`.
    pub value: Option<Operand>,
    /// Byte offset of the test in the pattern.
    pub offset: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Neq,
    Gt,
    Lt,
    Ge,
    Le,
    In,
    Like,
    Matches,
    IsSubset,
    IsSuperset,
    Exists,
}

impl Operator {
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "=",
            Operator::Neq => "!=",
            Operator::Gt => ">",
            Operator::Lt => "<",
            Operator::Ge => ">=",
            Operator::Le => "<=",
            Operator::In => "IN",
            Operator::Like => "LIKE",
            Operator::Matches => "MATCHES",
            Operator::IsSubset => "ISSUBSET",
            Operator::IsSuperset => "ISSUPERSET",
            Operator::Exists => "EXISTS",
        }
    }
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    One(Literal),
    /// `IN ( … )`
    Set(Vec<Literal>),
}

/// A literal, with the text of its value (strings unescaped).
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Int(String),
    Float(String),
    Bool(bool),
    Binary(String),
    Hex(String),
    Timestamp(String),
}

impl Literal {
    pub fn kind(&self) -> &'static str {
        match self {
            Literal::Str(_) => "string",
            Literal::Int(_) => "integer",
            Literal::Float(_) => "float",
            Literal::Bool(_) => "boolean",
            Literal::Binary(_) => "binary",
            Literal::Hex(_) => "hex",
            Literal::Timestamp(_) => "timestamp",
        }
    }
}

/// `object-type:property.sub[0].'quoted'`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPath {
    pub object_type: String,
    pub steps: Vec<PathStep>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Key(String),
    Index(i64),
    AnyIndex,
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (i, s) in self.steps.iter().enumerate() {
            match s {
                PathStep::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    let plain = k
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if plain {
                        f.write_str(k)?;
                    } else {
                        write!(f, "'{}'", k.replace('\\', "\\\\").replace('\'', "\\'"))?;
                    }
                }
                PathStep::Index(n) => write!(f, "[{n}]")?,
                PathStep::AnyIndex => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

/// Why a pattern does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub kind: PatternErrorKind,
    /// Byte offset in the pattern.
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternErrorKind {
    /// A character that starts no token.
    UnexpectedCharacter(char),
    /// A quoted literal without its closing quote.
    UnterminatedString,
    /// A backslash not followed by `'` or `\`.
    InvalidEscape,
    /// A `/*` comment without `*/`.
    UnterminatedComment,
    /// A token other than the one the grammar allows here.
    Unexpected {
        expected: &'static str,
        found: String,
    },
    /// A `t'…'` literal that is not an RFC 3339 UTC timestamp.
    InvalidTimestamp,
    /// A `h'…'` literal with an odd number of digits or a non-hex digit.
    InvalidHex,
    /// A `b'…'` literal that is not base64.
    InvalidBinary,
    /// Parentheses or brackets nested deeper than the parser allows.
    TooDeep,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            PatternErrorKind::UnexpectedCharacter(c) => write!(f, "unexpected character `{c}`"),
            PatternErrorKind::UnterminatedString => f.write_str("unterminated string literal"),
            PatternErrorKind::InvalidEscape => {
                f.write_str("invalid escape in a string literal (only \\' and \\\\ are allowed)")
            }
            PatternErrorKind::UnterminatedComment => f.write_str("unterminated /* comment"),
            PatternErrorKind::Unexpected { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            PatternErrorKind::InvalidTimestamp => {
                f.write_str("invalid timestamp literal (t'YYYY-MM-DDThh:mm:ss[.s+]Z')")
            }
            PatternErrorKind::InvalidHex => f.write_str("invalid hex literal"),
            PatternErrorKind::InvalidBinary => f.write_str("invalid binary (base64) literal"),
            PatternErrorKind::TooDeep => {
                write!(f, "expressions nested deeper than {MAX_DEPTH} levels")
            }
        }?;
        write!(f, " at offset {}", self.offset)
    }
}

impl std::error::Error for PatternError {}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// Identifier (object types may hold hyphens; property names may not).
    Ident(String),
    Kw(&'static str),
    Str(String),
    Int(String),
    Float(String),
    Bool(bool),
    Binary(String),
    Hex(String),
    Timestamp(String),
    Op(Operator),
    Colon,
    Dot,
    Comma,
    LParen,
    RParen,
    LBrack,
    RBrack,
    Star,
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Kw(k) => format!("`{k}`"),
            Tok::Str(_) => "a string".into(),
            Tok::Int(s) | Tok::Float(s) => format!("`{s}`"),
            Tok::Bool(b) => format!("`{b}`"),
            Tok::Binary(_) => "a binary literal".into(),
            Tok::Hex(_) => "a hex literal".into(),
            Tok::Timestamp(_) => "a timestamp".into(),
            Tok::Op(o) => format!("`{}`", o.as_str()),
            Tok::Colon => "`:`".into(),
            Tok::Dot => "`.`".into(),
            Tok::Comma => "`,`".into(),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::LBrack => "`[`".into(),
            Tok::RBrack => "`]`".into(),
            Tok::Star => "`*`".into(),
            Tok::End => "the end of the pattern".into(),
        }
    }
}

const KEYWORDS: [&str; 17] = [
    "AND",
    "OR",
    "NOT",
    "FOLLOWEDBY",
    "LIKE",
    "MATCHES",
    "ISSUPERSET",
    "ISSUBSET",
    "EXISTS",
    "LAST",
    "IN",
    "START",
    "STOP",
    "SECONDS",
    "WITHIN",
    "REPEATS",
    "TIMES",
];

fn is_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{000B}' | '\u{000C}' | '\u{0085}' | '\u{00a0}')
}

fn lex(text: &str) -> Result<Vec<(Tok, usize)>, PatternError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |kind, offset| PatternError { kind, offset };
    while i < text.len() {
        let c = text[i..].chars().next().expect("in bounds");
        if is_space(c) {
            i += c.len_utf8();
            continue;
        }
        if text[i..].starts_with("/*") {
            let end = text[i + 2..]
                .find("*/")
                .ok_or_else(|| err(PatternErrorKind::UnterminatedComment, i))?;
            i += end + 4;
            continue;
        }
        if text[i..].starts_with("//") {
            i += text[i..].find('\n').unwrap_or(text.len() - i);
            continue;
        }
        let start = i;
        let tok = match c {
            '\'' => {
                let (s, next) = string(text, i)?;
                i = next;
                Tok::Str(s)
            }
            'h' | 'b' | 't' if bytes.get(i + 1) == Some(&b'\'') => {
                let (s, next) = string(text, i + 1)?;
                i = next;
                match c {
                    'h' => {
                        if s.len() % 2 != 0 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return Err(err(PatternErrorKind::InvalidHex, start));
                        }
                        Tok::Hex(s)
                    }
                    'b' => {
                        if !valid_base64(&s) {
                            return Err(err(PatternErrorKind::InvalidBinary, start));
                        }
                        Tok::Binary(s)
                    }
                    _ => {
                        if !valid_timestamp(&s) {
                            return Err(err(PatternErrorKind::InvalidTimestamp, start));
                        }
                        Tok::Timestamp(s)
                    }
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let end = text[i..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .map_or(text.len(), |n| i + n);
                let word = &text[i..end];
                i = end;
                match word {
                    "true" => Tok::Bool(true),
                    "false" => Tok::Bool(false),
                    w => match KEYWORDS.iter().find(|k| **k == w) {
                        Some(k) => Tok::Kw(k),
                        None => Tok::Ident(w.to_string()),
                    },
                }
            }
            '.' if !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i += 1;
                Tok::Dot
            }
            c if c.is_ascii_digit() || c == '+' || c == '-' || c == '.' => {
                let mut j = i + usize::from(c == '+' || c == '-');
                let digits = |j: &mut usize| {
                    let s = *j;
                    while *j < bytes.len() && bytes[*j].is_ascii_digit() {
                        *j += 1;
                    }
                    *j - s
                };
                let int_digits = digits(&mut j);
                let mut float = false;
                if j < bytes.len() && bytes[j] == b'.' {
                    let mut k = j + 1;
                    if digits(&mut k) > 0 {
                        j = k;
                        float = true;
                    }
                }
                if int_digits == 0 && !float {
                    return Err(err(PatternErrorKind::UnexpectedCharacter(c), i));
                }
                let s = text[i..j].to_string();
                i = j;
                if !float
                    && int_digits > 1
                    && text[start..]
                        .trim_start_matches(['+', '-'])
                        .starts_with('0')
                {
                    return Err(err(
                        PatternErrorKind::Unexpected {
                            expected: "an integer without leading zeros",
                            found: format!("`{s}`"),
                        },
                        start,
                    ));
                }
                if float {
                    Tok::Float(s)
                } else {
                    Tok::Int(s)
                }
            }
            _ => {
                let two = text.get(i..i + 2).unwrap_or("");
                let (tok, len) = match two {
                    "==" => (Tok::Op(Operator::Eq), 2),
                    "!=" | "<>" => (Tok::Op(Operator::Neq), 2),
                    "<=" => (Tok::Op(Operator::Le), 2),
                    ">=" => (Tok::Op(Operator::Ge), 2),
                    _ => match c {
                        '=' => (Tok::Op(Operator::Eq), 1),
                        '<' => (Tok::Op(Operator::Lt), 1),
                        '>' => (Tok::Op(Operator::Gt), 1),
                        ':' => (Tok::Colon, 1),
                        ',' => (Tok::Comma, 1),
                        '(' => (Tok::LParen, 1),
                        ')' => (Tok::RParen, 1),
                        '[' => (Tok::LBrack, 1),
                        ']' => (Tok::RBrack, 1),
                        '*' => (Tok::Star, 1),
                        other => return Err(err(PatternErrorKind::UnexpectedCharacter(other), i)),
                    },
                };
                i += len;
                tok
            }
        };
        out.push((tok, start));
    }
    out.push((Tok::End, text.len()));
    Ok(out)
}

/// A quoted string starting at the quote at `at`: its unescaped text and the offset after it.
fn string(text: &str, at: usize) -> Result<(String, usize), PatternError> {
    let mut out = String::new();
    let mut chars = text[at + 1..].char_indices();
    while let Some((j, c)) = chars.next() {
        match c {
            '\'' => return Ok((out, at + 1 + j + 1)),
            '\\' => match chars.next() {
                Some((_, e @ ('\'' | '\\'))) => out.push(e),
                _ => {
                    return Err(PatternError {
                        kind: PatternErrorKind::InvalidEscape,
                        offset: at + 1 + j,
                    })
                }
            },
            c => out.push(c),
        }
    }
    Err(PatternError {
        kind: PatternErrorKind::UnterminatedString,
        offset: at,
    })
}

fn valid_base64(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    let pad = s.len() - body.len();
    s.len() % 4 == 0
        && pad <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

fn valid_timestamp(s: &str) -> bool {
    let fmt = time::format_description::well_known::Rfc3339;
    s.ends_with('Z')
        && s.as_bytes().get(10) == Some(&b'T')
        && time::OffsetDateTime::parse(s, &fmt).is_ok()
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    depth: usize,
}

/// Parses a STIX 2.1 pattern.
pub fn parse(text: &str) -> Result<Observation, PatternError> {
    let mut p = Parser {
        toks: lex(text)?,
        pos: 0,
        depth: 0,
    };
    let obs = p.observations()?;
    p.expect_end()?;
    Ok(obs)
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }
    fn offset(&self) -> usize {
        self.toks[self.pos].1
    }
    fn bump(&mut self) -> Tok {
        let t = self.toks[self.pos].0.clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }
    fn eat_kw(&mut self, kw: &str) -> bool {
        if matches!(self.peek(), Tok::Kw(k) if *k == kw) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn unexpected<T>(&self, expected: &'static str) -> Result<T, PatternError> {
        Err(PatternError {
            kind: PatternErrorKind::Unexpected {
                expected,
                found: self.peek().describe(),
            },
            offset: self.offset(),
        })
    }
    fn expect(&mut self, tok: Tok, expected: &'static str) -> Result<(), PatternError> {
        if *self.peek() == tok {
            self.bump();
            Ok(())
        } else {
            self.unexpected(expected)
        }
    }
    fn expect_end(&self) -> Result<(), PatternError> {
        if *self.peek() == Tok::End {
            Ok(())
        } else {
            self.unexpected("`AND`, `OR`, `FOLLOWEDBY`, a qualifier or the end of the pattern")
        }
    }
    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(PatternError {
                kind: PatternErrorKind::TooDeep,
                offset: self.offset(),
            });
        }
        Ok(())
    }

    fn observations(&mut self) -> Result<Observation, PatternError> {
        let mut left = self.observation_or()?;
        while self.eat_kw("FOLLOWEDBY") {
            let right = self.observation_or()?;
            left = Observation::FollowedBy(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn observation_or(&mut self) -> Result<Observation, PatternError> {
        let mut left = self.observation_and()?;
        while self.eat_kw("OR") {
            let right = self.observation_and()?;
            left = Observation::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn observation_and(&mut self) -> Result<Observation, PatternError> {
        let mut left = self.observation()?;
        while self.eat_kw("AND") {
            let right = self.observation()?;
            left = Observation::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn observation(&mut self) -> Result<Observation, PatternError> {
        self.enter()?;
        let mut obs = match self.peek() {
            Tok::LBrack => {
                self.bump();
                let c = self.comparison()?;
                self.expect(Tok::RBrack, "`]`, `AND` or `OR`")?;
                Observation::Simple(c)
            }
            Tok::LParen => {
                self.bump();
                let o = self.observations()?;
                self.expect(Tok::RParen, "`)`")?;
                o
            }
            _ => return self.unexpected("`[` or `(`"),
        };
        loop {
            let q = if self.eat_kw("WITHIN") {
                let n = match self.bump() {
                    Tok::Int(n) | Tok::Float(n) if !n.starts_with('-') => n,
                    _ => {
                        self.pos -= 1;
                        return self.unexpected("a positive number of seconds");
                    }
                };
                if !self.eat_kw("SECONDS") {
                    return self.unexpected("`SECONDS`");
                }
                Qualifier::Within(n)
            } else if self.eat_kw("REPEATS") {
                let n = match self.peek() {
                    Tok::Int(n) => n.trim_start_matches('+').parse::<u64>().ok(),
                    _ => None,
                };
                let Some(n) = n else {
                    return self.unexpected("a positive integer");
                };
                self.bump();
                if !self.eat_kw("TIMES") {
                    return self.unexpected("`TIMES`");
                }
                Qualifier::Repeats(n)
            } else if self.eat_kw("START") {
                let Tok::Timestamp(a) = self.peek().clone() else {
                    return self.unexpected("a timestamp t'…'");
                };
                self.bump();
                if !self.eat_kw("STOP") {
                    return self.unexpected("`STOP`");
                }
                let Tok::Timestamp(b) = self.peek().clone() else {
                    return self.unexpected("a timestamp t'…'");
                };
                self.bump();
                Qualifier::StartStop(a, b)
            } else {
                break;
            };
            obs = Observation::Qualified(Box::new(obs), q);
        }
        self.depth -= 1;
        Ok(obs)
    }

    fn comparison(&mut self) -> Result<Comparison, PatternError> {
        let mut left = self.comparison_and()?;
        while self.eat_kw("OR") {
            let right = self.comparison_and()?;
            left = Comparison::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn comparison_and(&mut self) -> Result<Comparison, PatternError> {
        let mut left = self.prop_test()?;
        while self.eat_kw("AND") {
            let right = self.prop_test()?;
            left = Comparison::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn prop_test(&mut self) -> Result<Comparison, PatternError> {
        let offset = self.offset();
        if *self.peek() == Tok::LParen {
            self.enter()?;
            self.bump();
            let c = self.comparison()?;
            self.expect(Tok::RParen, "`)`, `AND` or `OR`")?;
            self.depth -= 1;
            return Ok(c);
        }
        if self.eat_kw("EXISTS") {
            let path = self.object_path()?;
            return Ok(Comparison::Test(PropTest {
                path,
                negated: false,
                op: Operator::Exists,
                value: None,
                offset,
            }));
        }
        let path = self.object_path()?;
        let negated = self.eat_kw("NOT");
        let op = match self.peek().clone() {
            Tok::Op(op) => op,
            Tok::Kw("IN") => Operator::In,
            Tok::Kw("LIKE") => Operator::Like,
            Tok::Kw("MATCHES") => Operator::Matches,
            Tok::Kw("ISSUBSET") => Operator::IsSubset,
            Tok::Kw("ISSUPERSET") => Operator::IsSuperset,
            _ => return self.unexpected("a comparison operator"),
        };
        self.bump();
        let value = match op {
            Operator::In => {
                self.expect(Tok::LParen, "`(` starting a set")?;
                let mut items = Vec::new();
                if *self.peek() != Tok::RParen {
                    loop {
                        items.push(self.literal(op)?);
                        if *self.peek() == Tok::Comma {
                            self.bump();
                        } else {
                            break;
                        }
                    }
                }
                self.expect(Tok::RParen, "`,` or `)`")?;
                Operand::Set(items)
            }
            _ => Operand::One(self.literal(op)?),
        };
        Ok(Comparison::Test(PropTest {
            path,
            negated,
            op,
            value: Some(value),
            offset,
        }))
    }

    /// A literal allowed after `op`.
    fn literal(&mut self, op: Operator) -> Result<Literal, PatternError> {
        let lit = match self.peek().clone() {
            Tok::Str(s) => Literal::Str(s),
            Tok::Int(s) => Literal::Int(s),
            Tok::Float(s) => Literal::Float(s),
            Tok::Bool(b) => Literal::Bool(b),
            Tok::Binary(s) => Literal::Binary(s),
            Tok::Hex(s) => Literal::Hex(s),
            Tok::Timestamp(s) => Literal::Timestamp(s),
            _ => return self.unexpected("a literal"),
        };
        let allowed = match op {
            Operator::Like | Operator::Matches | Operator::IsSubset | Operator::IsSuperset => {
                matches!(lit, Literal::Str(_))
            }
            Operator::Gt | Operator::Lt | Operator::Ge | Operator::Le => {
                !matches!(lit, Literal::Bool(_))
            }
            _ => true,
        };
        if !allowed {
            return self.unexpected("a string literal");
        }
        self.bump();
        Ok(lit)
    }

    fn object_path(&mut self) -> Result<ObjectPath, PatternError> {
        let Tok::Ident(object_type) = self.peek().clone() else {
            return self.unexpected("an object path (`type:property`)");
        };
        self.bump();
        self.expect(Tok::Colon, "`:` after the object type")?;
        let mut steps = vec![self.key("a property name")?];
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.bump();
                    steps.push(self.key("a property name after `.`")?);
                }
                Tok::LBrack => {
                    self.bump();
                    let step = match self.peek().clone() {
                        Tok::Star => PathStep::AnyIndex,
                        Tok::Int(n) => match n.trim_start_matches('+').parse::<i64>() {
                            Ok(n) => PathStep::Index(n),
                            Err(_) => return self.unexpected("a list index"),
                        },
                        _ => return self.unexpected("a list index or `*`"),
                    };
                    self.bump();
                    self.expect(Tok::RBrack, "`]` after the list index")?;
                    steps.push(step);
                }
                _ => break,
            }
        }
        Ok(ObjectPath { object_type, steps })
    }

    fn key(&mut self, expected: &'static str) -> Result<PathStep, PatternError> {
        match self.peek().clone() {
            Tok::Ident(s) if !s.contains('-') => {
                self.bump();
                Ok(PathStep::Key(s))
            }
            Tok::Str(s) => {
                self.bump();
                Ok(PathStep::Key(s))
            }
            _ => self.unexpected(expected),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(c: &Comparison) -> &PropTest {
        match c {
            Comparison::Test(t) => t,
            other => panic!("not a test: {other:?}"),
        }
    }

    #[test]
    fn simple_comparisons() {
        let Observation::Simple(c) = parse("[file:hashes.'SHA-256' = 'abc']").unwrap() else {
            panic!()
        };
        let t = test(&c);
        assert_eq!(t.path.to_string(), "file:hashes.'SHA-256'");
        assert_eq!(t.op, Operator::Eq);
        assert_eq!(t.value, Some(Operand::One(Literal::Str("abc".into()))));
        let Observation::Simple(c) = parse(
            "[ipv4-addr:value ISSUBSET '10.0.0.0/8' OR domain-name:value IN ('a.com', 'b.com')]",
        )
        .unwrap() else {
            panic!()
        };
        let Comparison::Or(a, b) = c else { panic!() };
        assert_eq!(test(&a).op, Operator::IsSubset);
        assert_eq!(
            test(&b).value,
            Some(Operand::Set(vec![
                Literal::Str("a.com".into()),
                Literal::Str("b.com".into())
            ]))
        );
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let Observation::Simple(c) =
            parse("[file:name = 'a' OR file:name = 'b' AND file:size = 3]").unwrap()
        else {
            panic!()
        };
        let Comparison::Or(_, right) = c else {
            panic!("OR at the top")
        };
        assert!(matches!(*right, Comparison::And(..)));
        // Observation level: AND tighter than OR, OR tighter than FOLLOWEDBY.
        let o = parse("[a:b = 'x'] OR [c:d = 'y'] AND [e:f = 'z'] FOLLOWEDBY [g:h = 'w']").unwrap();
        let Observation::FollowedBy(left, _) = o else {
            panic!()
        };
        let Observation::Or(_, and) = *left else {
            panic!()
        };
        assert!(matches!(*and, Observation::And(..)));
    }

    #[test]
    fn escapes_paths_and_literals() {
        // `''` is not an escape in STIX.
        assert!(parse(r"[windows-registry-key:key = 'It''s']").is_err());
        let Observation::Simple(Comparison::Or(a, b)) = parse(
            r"[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\Software\\It\'s' OR x:y[*].z[-1].'a b' = h'ff00']",
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(
            test(&a).value,
            Some(Operand::One(Literal::Str(
                r"HKEY_LOCAL_MACHINE\Software\It's".into()
            )))
        );
        let b = test(&b);
        assert_eq!(
            b.path.steps,
            vec![
                PathStep::Key("y".into()),
                PathStep::AnyIndex,
                PathStep::Key("z".into()),
                PathStep::Index(-1),
                PathStep::Key("a b".into())
            ]
        );
        assert_eq!(b.value, Some(Operand::One(Literal::Hex("ff00".into()))));
    }

    #[test]
    fn qualifiers_and_negation() {
        let o = parse("[file:name NOT = 'a'] REPEATS 5 TIMES WITHIN 300 SECONDS").unwrap();
        let Observation::Qualified(inner, Qualifier::Within(n)) = o else {
            panic!()
        };
        assert_eq!(n, "300");
        let Observation::Qualified(inner, Qualifier::Repeats(5)) = *inner else {
            panic!()
        };
        let Observation::Simple(c) = *inner else {
            panic!()
        };
        assert!(test(&c).negated);
        let o = parse(
            "[url:value = 'http://x.com/'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00.5Z'",
        )
        .unwrap();
        assert!(matches!(
            o,
            Observation::Qualified(_, Qualifier::StartStop(..))
        ));
        let Observation::Simple(c) = parse("[EXISTS file:name]").unwrap() else {
            panic!()
        };
        assert_eq!(test(&c).op, Operator::Exists);
    }

    #[test]
    fn errors_name_the_place() {
        let cases = [
            ("[file:name = 'a'", 16, "expected `]`"),
            ("[file:name = 'a]", 13, "unterminated string"),
            ("[file:name = 'C:\\x']", 16, "invalid escape"),
            ("[file:name == ]", 14, "expected a literal"),
            ("[file:name LIKE 3]", 16, "expected a string literal"),
            ("file:name = 'a'", 0, "expected `[` or `(`"),
            ("[file:name = 'a'] and [x:y = 'b']", 18, "expected `AND`"),
            (
                "[file:name = 'a'] START t'2016-13-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
                24,
                "invalid timestamp",
            ),
            ("[file:name = 'a'] REPEATS -1 TIMES", 26, "positive integer"),
            ("[file:na-me = 'a']", 6, "property name"),
            ("[file:name = 'a' } ", 17, "unexpected character `}`"),
            ("[x:y = h'abc']", 7, "invalid hex"),
            ("[x:y = b'abc']", 7, "invalid binary"),
            ("[x:y = 007]", 7, "leading zeros"),
            ("[x:y = 'a'] /* open", 12, "unterminated /*"),
        ];
        for (pattern, offset, message) in cases {
            let e = parse(pattern).expect_err(pattern);
            assert_eq!(e.offset, offset, "{pattern}: {e}");
            assert!(e.to_string().contains(message), "{pattern}: {e}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}[x:y = 'a']{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(parse(&deep).unwrap_err().kind, PatternErrorKind::TooDeep);
        let deep = format!("[{}x:y = 'a'{}]", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(parse(&deep).unwrap_err().kind, PatternErrorKind::TooDeep);
    }

    #[test]
    fn comments_and_whitespace_are_skipped() {
        let o = parse("/* c */ [ file:name\n= 'a' // end\n ]").unwrap();
        assert!(matches!(o, Observation::Simple(_)));
    }
}
