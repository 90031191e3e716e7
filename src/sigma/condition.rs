//! The Sigma condition language, parsed with byte offsets for column-accurate errors.
//!
//! Grammar (as pySigma reads it; operators are lower-case, `not` binds tighter than `and`,
//! which binds tighter than `or`, both left-associative):
//!
//! ```text
//! expr       := and ( "or" and )*
//! and        := unary ( "and" unary )*
//! unary      := "not" unary | primary
//! primary    := "(" expr ")" | quantifier "of" pattern | identifier
//! quantifier := "1" | "any" | "all"
//! pattern    := "them" | [A-Za-z0-9_*]+
//! identifier := [A-Za-z0-9_-]+
//! ```
//!
//! The old aggregation syntax (`selection | count() by host > 5`) is recognized and reported
//! as such: it was replaced by correlation rules and pySigma rejects it.

use std::fmt;

/// A parsed condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A selection name, with its offset in the condition text.
    Ident {
        name: String,
        offset: usize,
    },
    /// `1 of pattern`, `any of pattern` (`all: false`) or `all of pattern`; `pattern` is
    /// `them` or a name with `*` wildcards.
    Of {
        all: bool,
        pattern: String,
        offset: usize,
    },
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// Why a condition does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset in the condition text.
    pub offset: usize,
    pub len: usize,
    pub message: String,
    /// The deprecated `|` aggregation syntax (reported under its own code).
    pub aggregation: bool,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (column {})", self.message, self.offset + 1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    LParen,
    RParen,
    Pipe,
    Bad(char),
    End,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    offset: usize,
    len: usize,
}

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '*'
}

fn lex(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut it = text.char_indices().peekable();
    while let Some(&(i, c)) = it.peek() {
        if c.is_whitespace() {
            it.next();
            continue;
        }
        let single = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '|' => Some(Tok::Pipe),
            _ => None,
        };
        if let Some(t) = single {
            out.push(Token {
                tok: t,
                offset: i,
                len: 1,
            });
            it.next();
            continue;
        }
        if word_char(c) {
            let mut end = i;
            while let Some(&(j, d)) = it.peek() {
                if !word_char(d) {
                    break;
                }
                end = j + d.len_utf8();
                it.next();
            }
            out.push(Token {
                tok: Tok::Word(text[i..end].to_string()),
                offset: i,
                len: end - i,
            });
            continue;
        }
        out.push(Token {
            tok: Tok::Bad(c),
            offset: i,
            len: c.len_utf8(),
        });
        it.next();
    }
    out.push(Token {
        tok: Tok::End,
        offset: text.len(),
        len: 0,
    });
    out
}

struct Parser<'a> {
    toks: Vec<Token>,
    pos: usize,
    text: &'a str,
    depth: usize,
}

const MAX_DEPTH: usize = 64;

fn is_keyword(w: &str) -> bool {
    matches!(w, "and" | "or" | "not" | "of")
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.toks[self.pos]
    }
    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }
    fn err(&self, t: &Token, message: impl Into<String>) -> ParseError {
        ParseError {
            offset: t.offset,
            len: t.len.max(1),
            message: message.into(),
            aggregation: false,
        }
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(&self.peek().tok, Tok::Word(x) if x == w)
    }

    fn expr(&mut self) -> Result<Expr, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let t = self.peek().clone();
            return Err(self.err(&t, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let mut left = self.and()?;
        while self.is_word("or") {
            self.bump();
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        while self.is_word("and") {
            self.bump();
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.is_word("not") {
            self.bump();
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                let t = self.peek().clone();
                return Err(self.err(&t, format!("nesting deeper than {MAX_DEPTH} levels")));
            }
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let t = self.bump();
        match &t.tok {
            Tok::LParen => {
                let e = self.expr()?;
                let close = self.peek().clone();
                match close.tok {
                    Tok::RParen => {
                        self.bump();
                        Ok(e)
                    }
                    Tok::Pipe => Err(self.pipe(&close)),
                    _ => Err(ParseError {
                        // Point at the opening parenthesis when the text just ends.
                        offset: if close.tok == Tok::End {
                            t.offset
                        } else {
                            close.offset
                        },
                        len: if close.tok == Tok::End { 1 } else { close.len },
                        message: if close.tok == Tok::End {
                            "this parenthesis is never closed".into()
                        } else {
                            format!(
                                "expected `)` or an operator, found {}",
                                self.describe(&close)
                            )
                        },
                        aggregation: false,
                    }),
                }
            }
            Tok::Word(w) if matches!(w.as_str(), "1" | "any" | "all") && self.is_word("of") => {
                let all = w == "all";
                self.bump();
                let p = self.bump();
                match &p.tok {
                    Tok::Word(pat) if !is_keyword(pat) => {
                        if let Some(i) = pat.find('-') {
                            return Err(ParseError {
                                offset: p.offset + i,
                                len: 1,
                                message: format!(
                                    "`-` is not allowed in the pattern `{pat}` of `{w} of`: patterns use letters, digits, `_` and `*`"
                                ),
                                aggregation: false,
                            });
                        }
                        Ok(Expr::Of {
                            all,
                            pattern: pat.clone(),
                            offset: p.offset,
                        })
                    }
                    _ => Err(self.err(
                        &p,
                        format!(
                            "expected a selection pattern or `them` after `{w} of`, found {}",
                            self.describe(&p)
                        ),
                    )),
                }
            }
            Tok::Word(w) if matches!(w.as_str(), "and" | "or") => Err(self.err(
                &t,
                format!("expected a selection name, `not` or `(`, found the operator `{w}`"),
            )),
            Tok::Word(w) if w == "of" => Err(self.err(
                &t,
                "`of` needs a quantifier before it: `1 of`, `any of` or `all of`",
            )),
            Tok::Word(w) => {
                if w.contains('*') {
                    return Err(self.err(
                        &t,
                        format!("the wildcard pattern `{w}` needs a quantifier: write `1 of {w}` or `all of {w}`"),
                    ));
                }
                if w == "them" {
                    return Err(self.err(
                        &t,
                        "`them` needs a quantifier: write `1 of them` or `all of them`",
                    ));
                }
                Ok(Expr::Ident {
                    name: w.clone(),
                    offset: t.offset,
                })
            }
            Tok::Pipe => Err(self.pipe(&t)),
            _ => Err(self.err(
                &t,
                format!(
                    "expected a selection name, `not`, `1 of`, `all of` or `(`, found {}",
                    self.describe(&t)
                ),
            )),
        }
    }

    fn pipe(&self, t: &Token) -> ParseError {
        ParseError {
            offset: t.offset,
            len: self.text.len() - t.offset,
            message: "the `|` aggregation syntax was replaced by correlation rules: move the aggregation into a correlation rule".into(),
            aggregation: true,
        }
    }

    fn describe(&self, t: &Token) -> String {
        match &t.tok {
            Tok::Word(w) => format!("`{w}`"),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::Pipe => "`|`".into(),
            Tok::Bad(c) => format!("`{c}`"),
            Tok::End => "the end of the condition".into(),
        }
    }
}

/// Parses a Sigma condition.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let toks = lex(text);
    let mut p = Parser {
        toks,
        pos: 0,
        text,
        depth: 0,
    };
    if p.peek().tok == Tok::End {
        return Err(ParseError {
            offset: 0,
            len: 0,
            message: "the condition is empty".into(),
            aggregation: false,
        });
    }
    let e = p.expr()?;
    let t = p.peek().clone();
    match &t.tok {
        Tok::End => Ok(e),
        Tok::Pipe => Err(p.pipe(&t)),
        Tok::RParen => Err(p.err(&t, "unbalanced `)`: no parenthesis is open here")),
        Tok::Word(w) if matches!(w.as_str(), "AND" | "OR" | "NOT" | "And" | "Or" | "Not") => Err(p
            .err(
                &t,
                format!(
                    "operators are lower-case: write `{}` instead of `{w}`",
                    w.to_lowercase()
                ),
            )),
        _ => Err(p.err(
            &t,
            format!(
                "expected `and`, `or` or the end of the condition, found {}",
                p.describe(&t)
            ),
        )),
    }
}

/// Does a selection named `name` fall under `pattern` (`them` or a `*` wildcard pattern)?
/// As in pySigma, names starting with `_` only match patterns that start with `_`.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    if name.starts_with('_') && !pattern.starts_with('_') {
        return false;
    }
    if pattern == "them" {
        return true;
    }
    glob(pattern.as_bytes(), name.as_bytes())
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            pi += 1;
            mark = si;
        } else if pi < p.len() && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

impl Expr {
    /// Visits every leaf (identifiers and `of` selectors).
    pub fn leaves<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        match self {
            Expr::Ident { .. } | Expr::Of { .. } => f(self),
            Expr::Not(e) => e.leaves(f),
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.leaves(f);
                b.leaves(f);
            }
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Ident { name, .. } => f.write_str(name),
            Expr::Of { all, pattern, .. } => {
                write!(f, "{} of {pattern}", if *all { "all" } else { "1" })
            }
            Expr::Not(e) => write!(f, "not {e}"),
            Expr::And(a, b) => write!(f, "({a} and {b})"),
            Expr::Or(a, b) => write!(f, "({a} or {b})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        parse(s).unwrap().to_string()
    }
    fn err(s: &str) -> (usize, String) {
        let e = parse(s).unwrap_err();
        (e.offset + 1, e.message)
    }

    #[test]
    fn precedence() {
        assert_eq!(ok("a or b and not c"), "(a or (b and not c))");
        assert_eq!(ok("(a or b) and c"), "((a or b) and c)");
        assert_eq!(ok("a and b and c"), "((a and b) and c)");
        assert_eq!(
            ok("selection and not 1 of filter_*"),
            "(selection and not 1 of filter_*)"
        );
        assert_eq!(ok("all of them"), "all of them");
        assert_eq!(ok("any of sel*"), "1 of sel*");
        assert_eq!(ok("not not a"), "not not a");
        assert_eq!(ok("sel-1 or sel_2"), "(sel-1 or sel_2)");
    }

    #[test]
    fn errors_have_columns() {
        assert_eq!(err("selection and").0, 14);
        assert_eq!(err("(selection or filter").0, 1);
        assert!(err("(selection or filter").1.contains("never closed"));
        assert_eq!(err("selection filter").0, 11);
        assert_eq!(err("selection AND filter").0, 11);
        assert!(err("selection AND filter").1.contains("lower-case"));
        assert_eq!(err("a or )").0, 6);
        assert_eq!(err("a )").0, 3);
        assert!(err("selection*").1.contains("quantifier"));
        assert!(err("1 of").1.contains("after `1 of`"));
        assert_eq!(err("1 of sel-a*").0, 9);
        assert_eq!(err("").0, 1);
        assert_eq!(err("a and $").0, 7);
        let e = parse("selection | count() by host > 5").unwrap_err();
        assert!(e.aggregation);
        assert_eq!(e.offset, 10);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let s = "(".repeat(10_000) + "a" + &")".repeat(10_000);
        assert!(parse(&s).is_err());
        let s = "not ".repeat(10_000) + "a";
        assert!(parse(&s).is_err());
    }

    #[test]
    fn patterns() {
        assert!(pattern_matches("selection_*", "selection_a"));
        assert!(pattern_matches("sel*ion", "selection"));
        assert!(!pattern_matches("selection_*", "selection"));
        assert!(pattern_matches("them", "a"));
        assert!(!pattern_matches("them", "_filter"));
        assert!(pattern_matches("_*", "_filter"));
        assert!(pattern_matches("*", "x"));
    }
}
