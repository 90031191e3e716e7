//! The payload members, as typed values: `rules.json` (native rules, compiled and
//! normalized) and `sigma.json` (Sigma documents as JSON). Their JSON schemas are
//! `schemas/bundle-rules.schema.json` and `schemas/bundle-sigma.schema.json` in the ruleforge
//! repository; `docs/bundle-format.md` says how a scanner matches each field.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The `rules.json` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// Same as the manifest's `format_version`.
    pub format_version: u32,
    /// Every indicator type of the format: how its values match and which ECS fields they
    /// are matched against. Keyed by type name.
    pub types: BTreeMap<String, TypeInfo>,
    /// The rules, sorted by id.
    pub rules: Vec<CompiledRule>,
}

/// How a scanner matches one indicator type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeInfo {
    /// `exact_hex`, `glob_case_insensitive`, `glob_case_sensitive`, `url`, `domain`, `cidr`
    /// or `email` (docs/bundle-format.md defines each).
    pub matching: String,
    /// Whether values of this type may be `regex:<pattern>`.
    pub regex_allowed: bool,
    /// ECS fields an event value is taken from.
    pub ecs_fields: Vec<String>,
}

/// One rule, normalized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompiledRule {
    pub id: String,
    pub title: String,
    pub status: String,
    pub severity: String,
    pub confidence: Option<String>,
    pub tlp: Option<String>,
    /// Sorted, without duplicates.
    pub tags: Vec<String>,
    /// In the order the rule lists them.
    pub references: Vec<String>,
    /// `YYYY-MM-DD` or null.
    pub expires: Option<String>,
    /// The condition in canonical form (`1 of them` when the rule has none).
    pub condition: String,
    /// group name → indicator type → sorted canonical values (`regex:` values kept as written).
    pub groups: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

/// A string of `rules.json` read in place: borrowed from the member's bytes, or owned when
/// the JSON string has escapes. Reads as [`String`] does (same errors).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Text<'de>, E> {
                match std::str::from_utf8(v) {
                    Ok(s) => Ok(Text(Cow::Owned(s.to_string()))),
                    Err(_) => Err(E::invalid_value(serde::de::Unexpected::Bytes(v), &self)),
                }
            }
        }
        d.deserialize_string(V)
    }
}

/// One rule of `rules.json` read in place ([`Text`] borrows from the member's bytes): the
/// fields and checks of [`CompiledRule`] (the same errors), without a copy of every string.
/// What [`crate::verify_in_place`] hands over.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompiledRuleRef<'a> {
    #[serde(borrow)]
    pub id: Text<'a>,
    #[serde(borrow)]
    pub title: Text<'a>,
    #[serde(borrow)]
    pub status: Text<'a>,
    #[serde(borrow)]
    pub severity: Text<'a>,
    #[serde(borrow)]
    pub confidence: Option<Text<'a>>,
    #[serde(borrow)]
    pub tlp: Option<Text<'a>>,
    #[serde(borrow)]
    pub tags: Vec<Text<'a>>,
    #[serde(borrow)]
    pub references: Vec<Text<'a>>,
    #[serde(borrow)]
    pub expires: Option<Text<'a>>,
    #[serde(borrow)]
    pub condition: Text<'a>,
    /// group name → indicator type → sorted canonical values (`regex:` values kept as written).
    #[serde(borrow)]
    pub groups: BTreeMap<Text<'a>, BTreeMap<Text<'a>, Vec<Text<'a>>>>,
}

impl CompiledRuleRef<'_> {
    /// An owned copy of every string.
    pub fn to_owned_rule(&self) -> CompiledRule {
        let s = |t: &Text<'_>| t.to_string();
        CompiledRule {
            id: s(&self.id),
            title: s(&self.title),
            status: s(&self.status),
            severity: s(&self.severity),
            confidence: self.confidence.as_ref().map(s),
            tlp: self.tlp.as_ref().map(s),
            tags: self.tags.iter().map(s).collect(),
            references: self.references.iter().map(s).collect(),
            expires: self.expires.as_ref().map(s),
            condition: s(&self.condition),
            groups: self
                .groups
                .iter()
                .map(|(g, types)| {
                    let types = types
                        .iter()
                        .map(|(t, values)| (s(t), values.iter().map(s).collect()))
                        .collect();
                    (s(g), types)
                })
                .collect(),
        }
    }
}

impl From<CompiledRule> for CompiledRuleRef<'static> {
    fn from(r: CompiledRule) -> Self {
        let t = |s: String| Text(Cow::Owned(s));
        CompiledRuleRef {
            id: t(r.id),
            title: t(r.title),
            status: t(r.status),
            severity: t(r.severity),
            confidence: r.confidence.map(t),
            tlp: r.tlp.map(t),
            tags: r.tags.into_iter().map(t).collect(),
            references: r.references.into_iter().map(t).collect(),
            expires: r.expires.map(t),
            condition: t(r.condition),
            groups: r
                .groups
                .into_iter()
                .map(|(g, types)| {
                    let types = types
                        .into_iter()
                        .map(|(ty, values)| (t(ty), values.into_iter().map(t).collect()))
                        .collect();
                    (t(g), types)
                })
                .collect(),
        }
    }
}

/// The `sigma.json` document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigmaSet {
    /// Same as the manifest's `format_version`.
    pub format_version: u32,
    /// The documents, sorted by id.
    pub rules: Vec<SigmaEntry>,
}

/// One Sigma document, normalized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigmaEntry {
    pub id: String,
    /// `rule`, `correlation` or `filter`.
    #[serde(rename = "type")]
    pub doc_type: String,
    /// The document's `name` (what correlation rules and filters may refer to it by).
    pub name: Option<String>,
    pub title: String,
    /// `stable`, `test`, `experimental`, `deprecated`, `unsupported`, or null (filters and
    /// other documents without a status).
    pub status: Option<String>,
    /// `informational`, `low`, `medium`, `high`, `critical`, or null.
    pub level: Option<String>,
    /// The whole document as JSON: YAML 1.1 typing, keys sorted.
    pub document: serde_json::Value,
}
