//! The same value hygiene as lint, before a rule is written: defanged values refanged, every
//! value checked and put in canonical form by `crate::indicator` (the functions RF201, RF202
//! and RF203 use), known-benign values (`crate::benign`, the lists RF205 uses) dropped unless
//! they are kept on purpose.

use super::{Draft, Reason};
use crate::benign;
use crate::indicator::{self, Checked, IndicatorType, Syntax};

/// Why hygiene drops a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HygieneDrop {
    /// Not a value of its type (what RF201 reports).
    Invalid(String),
    /// A known-benign value (what RF205 reports); kept only with `--keep-benign`.
    Benign(&'static str),
}

impl HygieneDrop {
    pub fn code(&self) -> &'static str {
        match self {
            HygieneDrop::Invalid(_) => "invalid",
            HygieneDrop::Benign(_) => "benign",
        }
    }

    pub fn reason(&self, ty: IndicatorType) -> Reason {
        let message = match self {
            HygieneDrop::Invalid(why) => format!("not a valid `{}` value: {why}", ty.name()),
            HygieneDrop::Benign(why) => {
                format!("{why}: known benign (RF205); --keep-benign keeps it")
            }
        };
        Reason {
            code: self.code(),
            message,
        }
    }
}

/// Why a canonical value is known-benign, by the lists RF205 uses.
pub fn benign_reason(ty: IndicatorType, canonical: &str) -> Option<&'static str> {
    match ty.syntax() {
        Syntax::Hash(_) => benign::hash(canonical),
        Syntax::Ip => benign::ip(canonical),
        Syntax::Domain => benign::domain(canonical),
        Syntax::Email => canonical
            .rsplit_once('@')
            .and_then(|(_, d)| benign::domain(d)),
        _ => None,
    }
}

/// The value as a rule holds it (refanged, canonical) and whether it is known-benign, or why
/// it is dropped.
pub fn clean_value(ty: IndicatorType, raw: &str) -> Result<(String, bool), HygieneDrop> {
    let refanged = if indicator::defang_applies(ty) {
        indicator::refang(raw.trim())
    } else {
        None
    };
    let value = refanged.as_deref().unwrap_or(raw);
    match indicator::check(ty, value) {
        Checked::Valid { canonical } => {
            let benign = benign_reason(ty, &canonical).is_some();
            Ok((canonical, benign))
        }
        Checked::Regex { .. } => Ok((value.to_string(), false)),
        Checked::Invalid(why) => Err(HygieneDrop::Invalid(why)),
    }
}

/// Cleans every value of a draft in place. Returns the known-benign values kept (with
/// `keep_benign`), which the rule marks with an inline RF205 suppression.
pub fn clean(draft: &mut Draft, keep_benign: bool) -> Vec<(IndicatorType, String)> {
    let mut kept_benign = Vec::new();
    let mut drops = Vec::new();
    for term in draft.expr.terms_mut() {
        let ty = term.ty;
        let mut out = Vec::with_capacity(term.values.len());
        for raw in std::mem::take(&mut term.values) {
            match clean_value(ty, &raw) {
                Ok((canonical, false)) => out.push(canonical),
                Ok((canonical, true)) => {
                    let why = benign_reason(ty, &canonical).unwrap_or("known benign");
                    if keep_benign {
                        kept_benign.push((ty, canonical.clone()));
                        out.push(canonical);
                    } else {
                        drops.push((ty, raw, HygieneDrop::Benign(why)));
                    }
                }
                Err(d) => drops.push((ty, raw, d)),
            }
        }
        term.values = out;
    }
    for (ty, raw, d) in drops {
        let reason = d.reason(ty);
        draft.drop_value(Some(ty), &raw, reason);
    }
    kept_benign
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::expr::Expr;
    use crate::import::{Format, SourceRef};
    use IndicatorType::*;

    fn draft(expr: Expr) -> Draft {
        Draft::new(
            SourceRef {
                format: Format::Text,
                file: "x".into(),
                id: "x".into(),
                name: None,
            },
            expr,
        )
    }

    #[test]
    fn refangs_canonicalizes_and_drops() {
        let mut d = draft(Expr::Any(vec![
            Expr::term(Domain, "Evil[.]Example[.]COM"),
            Expr::term(Url, "hxxps://evil[.]example/a"),
            Expr::term(Ip, "10.1.2.3"),
            Expr::term(Md5, "not-a-hash"),
            Expr::term(
                Sha256,
                "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            ),
        ]));
        let kept = clean(&mut d, false);
        assert!(kept.is_empty());
        let values: Vec<_> = d
            .expr
            .terms()
            .iter()
            .flat_map(|t| t.values.clone())
            .collect();
        assert_eq!(values, ["evil.example.com", "https://evil.example/a"]);
        let codes: Vec<_> = d
            .dropped
            .iter()
            .map(|x| (x.value.as_str(), x.reason.code))
            .collect();
        assert_eq!(
            codes,
            [
                ("10.1.2.3", "benign"),
                ("not-a-hash", "invalid"),
                (
                    "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                    "benign"
                )
            ]
        );
        assert!(d.dropped[0].reason.message.contains("RFC 1918"));
    }

    #[test]
    fn keep_benign_keeps_and_reports() {
        let mut d = draft(Expr::term(Ip, "10.1.2.3"));
        let kept = clean(&mut d, true);
        assert_eq!(kept, [(Ip, "10.1.2.3".to_string())]);
        assert!(d.dropped.is_empty());
    }
}
