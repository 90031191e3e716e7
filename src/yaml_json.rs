//! The YAML tree as a JSON instance for the JSON-Schema validator, read in place.
//!
//! Validating a document used to mean converting its whole tree into a `serde_json::Value`
//! first (a string copy per scalar, a hashed map per mapping): for a typical rule that
//! conversion cost more than the validation itself. [`YamlJson`] lets the validator walk the
//! [`Node`] tree directly, with exactly the JSON meaning [`Node::to_json`] gives it: scalars
//! resolve with the YAML 1.2 core schema, a non-finite float is its text, a mapping key is
//! its text (a complex key its JSON text). Only a document that fails validation is converted,
//! to report its errors (see `schema::validate`).

use crate::diagnostic::Span;
use crate::yaml::{key_text, Entry, Node, NodeKind, Resolved, Scalar};
use jsonschema::json::{Array, Json, JsonNumber, NodeIdentity, Object};
use jsonschema::JsonType;
use serde_json::Value;
use std::borrow::Cow;

/// The representation marker for `jsonschema::options_for::<YamlJson>()`.
pub struct YamlJson;

/// A scratch node for property names (`propertyNames`).
pub struct NameBuffer(Node);

impl Default for NameBuffer {
    fn default() -> Self {
        NameBuffer(string_node(String::new()))
    }
}

fn string_node(value: String) -> Node {
    Node {
        kind: NodeKind::Scalar(Scalar {
            value,
            // Quoted: always a string, never resolved to a number or a boolean.
            plain: false,
            tag: None,
        }),
        span: Span { start: 0, end: 0 },
    }
}

impl Json for YamlJson {
    type Node<'a> = &'a Node;
    type PreparedKey = String;
    type StringBuffer = NameBuffer;

    // Mappings are small vectors searched linearly: a pass over the members is as cheap as
    // a couple of lookups.
    const KEYS_PER_LOOKUP: usize = 2;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>(buffer: &mut NameBuffer, string: &str, f: impl FnOnce(&Node) -> T) -> T {
        match &mut buffer.0.kind {
            NodeKind::Scalar(s) => {
                s.value.clear();
                s.value.push_str(string);
            }
            _ => buffer.0 = string_node(string.to_owned()),
        }
        f(&buffer.0)
    }
}

/// A resolved YAML number: an integer or a finite float.
#[derive(Clone, Copy)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    fn to_serde(self) -> serde_json::Number {
        match self {
            Number::Int(i) => i.into(),
            Number::Float(f) => serde_json::Number::from_f64(f).expect("finite by construction"),
        }
    }
}

impl JsonNumber for Number {
    fn as_u64(&self) -> Option<u64> {
        match *self {
            Number::Int(i) => u64::try_from(i).ok(),
            Number::Float(_) => None,
        }
    }
    fn as_i64(&self) -> Option<i64> {
        match *self {
            Number::Int(i) => Some(i),
            Number::Float(_) => None,
        }
    }
    fn as_f64(&self) -> Option<f64> {
        Some(match *self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        })
    }
    fn as_str(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_serde().to_string())
    }
    fn to_number(&self) -> Cow<'_, serde_json::Number> {
        Cow::Owned(self.to_serde())
    }
    fn is_written_as_integer(&self) -> bool {
        matches!(self, Number::Int(_))
    }
}

/// What a scalar is in JSON.
enum Json1<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(&'a str),
}

fn scalar(s: &Scalar) -> Json1<'_> {
    match s.resolve() {
        Resolved::Null => Json1::Null,
        Resolved::Bool(b) => Json1::Bool(b),
        Resolved::Int(i) => Json1::Number(Number::Int(i)),
        Resolved::Float(f) if f.is_finite() => Json1::Number(Number::Float(f)),
        // `to_json` keeps a non-finite float as its text.
        Resolved::Float(_) => Json1::String(&s.value),
        Resolved::Str(v) => Json1::String(v),
    }
}

impl<'a> jsonschema::json::Node<'a, YamlJson> for &'a Node {
    type Object = &'a [Entry];
    type Array = &'a [Node];
    type Number = Number;

    fn as_object(&self) -> Option<&'a [Entry]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }
    fn as_array(&self) -> Option<&'a [Node]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }
    fn as_string(&self) -> Option<Cow<'a, str>> {
        match &self.kind {
            NodeKind::Scalar(s) => match scalar(s) {
                Json1::String(v) => Some(Cow::Borrowed(v)),
                _ => None,
            },
            _ => None,
        }
    }
    fn as_number(&self) -> Option<Number> {
        match &self.kind {
            NodeKind::Scalar(s) => match scalar(s) {
                Json1::Number(n) => Some(n),
                _ => None,
            },
            _ => None,
        }
    }
    fn as_boolean(&self) -> Option<bool> {
        match &self.kind {
            NodeKind::Scalar(s) => match scalar(s) {
                Json1::Bool(b) => Some(b),
                _ => None,
            },
            _ => None,
        }
    }
    fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar(s) if matches!(scalar(s), Json1::Null))
    }
    fn json_type(&self) -> JsonType {
        match &self.kind {
            NodeKind::Seq(_) => JsonType::Array,
            NodeKind::Map(_) => JsonType::Object,
            NodeKind::Scalar(s) => match scalar(s) {
                Json1::Null => JsonType::Null,
                Json1::Bool(_) => JsonType::Boolean,
                Json1::Number(_) => JsonType::Number,
                Json1::String(_) => JsonType::String,
            },
        }
    }
    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(self.to_json())
    }
    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(std::ptr::from_ref::<Node>(*self) as usize))
    }
}

/// A mapping key's JSON text, borrowed when the key is a scalar.
fn key(e: &Entry) -> Cow<'_, str> {
    match &e.key.kind {
        NodeKind::Scalar(s) => Cow::Borrowed(&s.value),
        _ => Cow::Owned(key_text(&e.key)),
    }
}

impl<'a> Object<'a, YamlJson> for &'a [Entry] {
    type Node = &'a Node;
    type MemberName = Cow<'a, str>;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        <[Entry]>::len(self)
    }
    fn get(&self, name: &String) -> Option<&'a Node> {
        // Duplicate keys are a parse error, so the first match is the only one.
        self.iter()
            .find(|e| key(e) == name.as_str())
            .map(|e| &e.value)
    }
    fn members(&self) -> Members<'a> {
        Members(self.iter())
    }
}

/// The members of a mapping, in document order.
pub struct Members<'a>(std::slice::Iter<'a, Entry>);

impl<'a> Iterator for Members<'a> {
    type Item = (Cow<'a, str>, &'a Node);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|e| (key(e), &e.value))
    }
}

impl<'a> Array<'a, YamlJson> for &'a [Node] {
    type Node = &'a Node;
    type ElementsIter = std::slice::Iter<'a, Node>;

    fn len(&self) -> usize {
        <[Node]>::len(self)
    }
    fn elements(&self) -> std::slice::Iter<'a, Node> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn parse(text: &str) -> Node {
        crate::yaml::parse(&SourceFile::new("t.yml", text)).expect("parses")
    }

    #[test]
    fn meets_the_validator_contract() {
        // The validator's own conformance document, written as YAML (JSON is YAML).
        let doc = jsonschema::json::conformance::document().to_string();
        let root = parse(&doc);
        jsonschema::json::conformance::assert_conformance::<YamlJson>(&&root);
    }

    #[test]
    fn agrees_with_the_json_conversion() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "n": {"type": "integer", "minimum": 2},
                "f": {"type": "number", "exclusiveMaximum": 2},
                "s": {"type": "string", "pattern": "^a"},
                "b": {"type": "boolean"},
                "z": {"type": "null"},
                "l": {"type": "array", "uniqueItems": true, "items": {"enum": [1, "x", 2.5]}},
                "m": {"propertyNames": {"maxLength": 3}, "additionalProperties": {"const": "v"}}
            },
            "required": ["n"],
            "additionalProperties": false
        });
        let serde = jsonschema::options().build(&schema).unwrap();
        let yaml = jsonschema::options_for::<YamlJson>()
            .build(&schema)
            .unwrap();
        let cases = [
            "n: 3",
            "n: 1",
            "n: '3'",
            "n: 0x10",
            "n: 3.0",
            "n: 3\nf: 1.5",
            "n: 3\nf: .inf",
            "n: 3\nf: 2",
            "n: 3\ns: abc",
            "n: 3\ns: 12",
            "n: 3\ns: \"a12\"",
            "n: 3\nb: yes",
            "n: 3\nb: true",
            "n: 3\nz: ~",
            "n: 3\nz: ''",
            "n: 3\nl: [1, x, 2.5]",
            "n: 3\nl: [1, 1]",
            "n: 3\nl: [1, '1']",
            "n: 3\nl: [3]",
            "n: 3\nm: {abc: v}",
            "n: 3\nm: {abcd: v}",
            "n: 3\nm: {1: v, true: v}",
            "n: 3\nm: {a: w}",
            "n: 3\nextra: 1",
            "n: 3\n? [a]\n: 1",
            "- n\n- 3",
            "[null, 1.5]",
        ];
        for c in cases {
            let node = parse(c);
            assert_eq!(
                yaml.is_valid(&node),
                serde.is_valid(&node.to_json()),
                "validity of {c:?}"
            );
        }
    }
}
