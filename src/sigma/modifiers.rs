//! Sigma value modifiers (`field|contains|all`): the known names and the value types they
//! take and produce, so a chain can be checked the way pySigma applies it.

/// The type of a detection value as modifiers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VType {
    Str,
    Num,
    Bool,
    Null,
    Regex,
    Cidr,
    Compare,
    FieldRef,
    Exists,
    Timestamp,
}

impl VType {
    pub fn name(self) -> &'static str {
        match self {
            VType::Str => "a string",
            VType::Num => "a number",
            VType::Bool => "a boolean",
            VType::Null => "null",
            VType::Regex => "a regular expression",
            VType::Cidr => "a CIDR network",
            VType::Compare => "a comparison",
            VType::FieldRef => "a field reference",
            VType::Exists => "an existence test",
            VType::Timestamp => "a timestamp part",
        }
    }
}

/// What a modifier does to value types.
#[derive(Debug, Clone, Copy)]
pub struct Modifier {
    pub name: &'static str,
    /// Accepted input types; empty means any (list modifiers such as `all`).
    pub inputs: &'static [VType],
    /// The output type; `None` keeps the input type.
    pub output: Option<VType>,
    /// Only valid on unmodified values (`re`, `cidr`).
    pub first: bool,
}

use VType::*;

const STRINGISH: &[VType] = &[Str, Regex, FieldRef];

const fn m(
    name: &'static str,
    inputs: &'static [VType],
    output: Option<VType>,
    first: bool,
) -> Modifier {
    Modifier {
        name,
        inputs,
        output,
        first,
    }
}

/// The modifiers pySigma knows (its `modifier_mapping`), in alphabetical order.
pub const MODIFIERS: &[Modifier] = &[
    m("all", &[], None, false),
    m("base64", &[Str], Some(Str), false),
    m("base64offset", &[Str], Some(Str), false),
    m("cased", &[Str], Some(Str), false),
    m("cidr", &[Str], Some(Cidr), true),
    m("contains", STRINGISH, None, false),
    m("day", &[Num], Some(Timestamp), false),
    m("dotall", &[Regex], Some(Regex), false),
    m("endswith", STRINGISH, None, false),
    m("exists", &[Bool], Some(Exists), false),
    m("expand", &[Str, Regex], None, false),
    m("fieldref", &[Str], Some(FieldRef), false),
    m("gt", &[Num], Some(Compare), false),
    m("gte", &[Num], Some(Compare), false),
    m("hour", &[Num], Some(Timestamp), false),
    m("i", &[Regex], Some(Regex), false),
    m("ignorecase", &[Regex], Some(Regex), false),
    m("lt", &[Num], Some(Compare), false),
    m("lte", &[Num], Some(Compare), false),
    m("m", &[Regex], Some(Regex), false),
    m("minute", &[Num], Some(Timestamp), false),
    m("month", &[Num], Some(Timestamp), false),
    m("multiline", &[Regex], Some(Regex), false),
    m("neq", &[], None, false),
    m("re", &[Str], Some(Regex), true),
    m("s", &[Regex], Some(Regex), false),
    m("startswith", STRINGISH, None, false),
    m("utf16", &[Str], Some(Str), false),
    m("utf16be", &[Str], Some(Str), false),
    m("week", &[Num], Some(Timestamp), false),
    m("wide", &[Str], Some(Str), false),
    m("windash", &[Str], Some(Str), false),
    m("year", &[Num], Some(Timestamp), false),
];

pub fn lookup(name: &str) -> Option<&'static Modifier> {
    MODIFIERS.iter().find(|m| m.name == name)
}

/// Why a chain of modifiers cannot apply to a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainError {
    /// Index of the offending modifier in the chain.
    pub index: usize,
    pub message: String,
}

/// Applies the chain to a value of type `start`; the type it ends as, or why it fails.
/// Unknown modifiers are skipped (reported separately).
pub fn apply_chain(chain: &[&str], start: VType) -> Result<VType, ChainError> {
    let mut ty = start;
    let mut applied = 0;
    for (i, name) in chain.iter().enumerate() {
        let Some(md) = lookup(name) else { continue };
        if md.first && applied > 0 {
            return Err(ChainError {
                index: i,
                message: format!(
                    "`{name}` applies only to unmodified values: put it first in the chain"
                ),
            });
        }
        if !md.inputs.is_empty() && !md.inputs.contains(&ty) {
            let want: Vec<&str> = md.inputs.iter().map(|t| t.name()).collect();
            return Err(ChainError {
                index: i,
                message: format!(
                    "`{name}` takes {}, but the value is {} here",
                    want.join(" or "),
                    ty.name()
                ),
            });
        }
        if let Some(o) = md.output {
            ty = o;
        }
        applied += 1;
    }
    Ok(ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains() {
        assert_eq!(apply_chain(&["contains", "all"], Str), Ok(Str));
        assert_eq!(apply_chain(&["re", "i"], Str), Ok(Regex));
        assert_eq!(apply_chain(&["re", "contains"], Str), Ok(Regex));
        assert_eq!(apply_chain(&["contains", "re"], Str).unwrap_err().index, 1);
        assert_eq!(
            apply_chain(&["cidr", "contains"], Str).unwrap_err().index,
            1
        );
        assert_eq!(apply_chain(&["contains"], Num).unwrap_err().index, 0);
        assert_eq!(apply_chain(&["gt"], Num), Ok(Compare));
        assert_eq!(apply_chain(&["gt"], Str).unwrap_err().index, 0);
        assert_eq!(apply_chain(&["exists"], Bool), Ok(Exists));
        assert_eq!(apply_chain(&["i"], Str).unwrap_err().index, 0);
        assert_eq!(apply_chain(&["all", "re"], Str).unwrap_err().index, 1);
        assert!(lookup("utf16le").is_none());
        let mut names: Vec<&str> = MODIFIERS.iter().map(|m| m.name).collect();
        let sorted = {
            let mut s = names.clone();
            s.sort();
            s
        };
        assert_eq!(names, sorted);
        names.dedup();
        assert_eq!(names.len(), MODIFIERS.len());
    }
}
