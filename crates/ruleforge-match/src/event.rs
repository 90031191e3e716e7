//! Reading one JSON event straight into the values a [`super::CompiledSet`] looks up.
//!
//! [`super::Observable::from_json`] builds a `serde_json::Value` and flattens it into every
//! field. Matching many events needs far less: the values of the ECS fields some indicator
//! type reads, each with its type. [`EventValues::parse`] walks the JSON text once with serde,
//! borrows strings that need no unescaping, skips (but still validates) everything no type
//! reads, and descends into nested objects only along the way to such a field
//! (`{"source": {"ip": "…"}}` is `source.ip`, as in [`super::Observable`]).
//!
//! The values found are exactly those [`super::Observable::from_json`] gives for the same
//! fields, with one exception it reports instead of guessing: an object naming the same key
//! twice (the JSON value keeps the last one; a single pass cannot drop what it has already
//! read). The caller then takes the `Value` path for that event.

use crate::indicator::IndicatorType;
use rustc_hash::FxHashMap;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// The ECS fields matching reads, and the dotted names that lead to them.
pub struct FieldTable {
    /// Every field and every proper dotted prefix of one (`source` for `source.ip`): the
    /// type reading it (fields), whether fields lie below it (prefixes). One lookup per key.
    names: FxHashMap<&'static str, (Option<IndicatorType>, bool)>,
}

impl FieldTable {
    pub fn new() -> FieldTable {
        let mut names: FxHashMap<&'static str, (Option<IndicatorType>, bool)> =
            FxHashMap::default();
        for ty in IndicatorType::ALL {
            for f in ty.ecs_fields() {
                names.entry(*f).or_default().0 = Some(ty);
                for (i, b) in f.bytes().enumerate() {
                    if b == b'.' {
                        names.entry(&f[..i]).or_default().1 = true;
                    }
                }
            }
        }
        FieldTable { names }
    }

    /// The type that reads `field`.
    pub fn get(&self, field: &str) -> Option<IndicatorType> {
        self.names.get(field).and_then(|n| n.0)
    }

    /// The type that reads `name`, and whether fields lie below it.
    fn lookup(&self, name: &str) -> (Option<IndicatorType>, bool) {
        self.names.get(name).copied().unwrap_or((None, false))
    }
}

impl Default for FieldTable {
    fn default() -> Self {
        Self::new()
    }
}

/// What [`EventValues::parse`] could not do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    /// Not one JSON value, or not an object: the caller reports it.
    Invalid,
    /// An object repeats a key: read the event as a `serde_json::Value` instead.
    DuplicateKey,
}

/// The indicator values of one event, each with the type that reads it (in no particular
/// order; a value read through several fields appears several times).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EventValues<'a> {
    pub values: Vec<(IndicatorType, Cow<'a, str>)>,
}

impl<'a> EventValues<'a> {
    /// Reads `json`, one JSON object (surrounding whitespace allowed).
    pub fn parse(json: &'a [u8], table: &FieldTable) -> Result<EventValues<'a>, EventError> {
        let mut st = State {
            table,
            name: String::with_capacity(64),
            out: Vec::with_capacity(8),
            dup: false,
        };
        let mut de = serde_json::Deserializer::from_slice(json);
        let r = de::Deserializer::deserialize_any(&mut de, Top(&mut st)).and_then(|_| de.end());
        match r {
            Ok(()) => Ok(EventValues { values: st.out }),
            Err(_) if st.dup => Err(EventError::DuplicateKey),
            Err(_) => Err(EventError::Invalid),
        }
    }
}

struct State<'t, 'a> {
    table: &'t FieldTable,
    /// The dotted name of the value being read.
    name: String,
    out: Vec<(IndicatorType, Cow<'a, str>)>,
    dup: bool,
}

struct Top<'s, 't, 'a>(&'s mut State<'t, 'a>);

impl<'de, 's, 't> Visitor<'de> for Top<'s, 't, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        read_object(self.0, map)
    }
}

/// Reads the members of an object whose dotted name is `st.name` (empty at the top).
fn read_object<'de, A: MapAccess<'de>>(
    st: &mut State<'_, 'de>,
    mut map: A,
) -> Result<(), A::Error> {
    let base = st.name.len();
    // The keys read so far that lead to a field (a repeated other key changes nothing).
    let mut seen = Seen::default();
    while let Some(key) = map.next_key_seed(Key)? {
        st.name.truncate(base);
        if base > 0 {
            st.name.push('.');
        }
        st.name.push_str(&key);
        let (ty, nested) = st.table.lookup(&st.name);
        if ty.is_some() || nested {
            if !seen.insert(key) {
                st.dup = true;
                return Err(de::Error::custom("duplicate key"));
            }
            map.next_value_seed(Val {
                st: &mut *st,
                ty,
                nested,
            })?;
        } else {
            map.next_value::<IgnoredAny>()?;
        }
    }
    st.name.truncate(base);
    Ok(())
}

/// A small set of keys: a few inline, then a vector.
#[derive(Default)]
struct Seen<'de> {
    inline: [Option<Cow<'de, str>>; 4],
    more: Vec<Cow<'de, str>>,
}

impl<'de> Seen<'de> {
    /// Adds `key`; false when it was already there.
    fn insert(&mut self, key: Cow<'de, str>) -> bool {
        for slot in &mut self.inline {
            match slot {
                Some(k) if *k == key => return false,
                Some(_) => {}
                None => {
                    *slot = Some(key);
                    return true;
                }
            }
        }
        if self.more.contains(&key) {
            return false;
        }
        self.more.push(key);
        true
    }
}

/// An object key, borrowed when it needs no unescaping.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// A member value named `st.name`: read by `ty` (if any), descended into when `nested`.
struct Val<'s, 't, 'a> {
    st: &'s mut State<'t, 'a>,
    ty: Option<IndicatorType>,
    nested: bool,
}

impl<'de, 's, 't> DeserializeSeed<'de> for Val<'s, 't, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'s, 't, 'a> Val<'s, 't, 'a> {
    fn push(self, v: Cow<'a, str>) {
        if let Some(ty) = self.ty {
            self.st.out.push((ty, v));
        }
    }
}

// Scalars are read as `Observable::from_json` reads them: strings as they are, numbers and
// booleans as their JSON text (the text of the `serde_json::Number`), null as absent.
impl<'de, 's, 't> Visitor<'de> for Val<'s, 't, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.push(Cow::Borrowed(v));
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        if self.ty.is_some() {
            self.push(Cow::Owned(v.to_string()));
        }
        Ok(())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.push(Cow::Owned(v));
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.push(Cow::Borrowed(if v { "true" } else { "false" }));
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        if self.ty.is_some() {
            self.push(Cow::Owned(serde_json::Number::from(v).to_string()));
        }
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        if self.ty.is_some() {
            self.push(Cow::Owned(serde_json::Number::from(v).to_string()));
        }
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        if self.ty.is_some() {
            if let Some(n) = serde_json::Number::from_f64(v) {
                self.push(Cow::Owned(n.to_string()));
            }
        }
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Every item is a value of the same field.
        while seq
            .next_element_seed(Val {
                st: &mut *self.st,
                ty: self.ty,
                nested: self.nested,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if self.nested {
            read_object(self.st, map)
        } else {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(())
        }
    }
}

/// Lines of NDJSON parsed into their indicator values and kept without the JSON text: what a
/// scanner reads ahead while its rules still load (the values of every event go into one
/// string, so a batch holds a few allocations, not one per value).
#[derive(Debug, Default, Clone)]
pub struct ParsedLines {
    text: String,
    /// Per event, its values' range in `values`.
    events: Vec<(usize, usize)>,
    /// Each value's type and its range in `text`.
    values: Vec<(IndicatorType, usize, usize)>,
}

impl ParsedLines {
    /// Parses every non-blank line of `bytes` (lines end with `\n`) with
    /// [`EventValues::parse`]. When a line is not one JSON object, or repeats a key, the bytes
    /// are given back: the caller reads them its slower way, which reports the error or reads
    /// the repeated key as [`super::Observable::from_json`] does.
    pub fn parse(bytes: Vec<u8>, table: &FieldTable) -> Result<ParsedLines, Vec<u8>> {
        let mut out = ParsedLines::default();
        let mut ok = true;
        for line in bytes.split(|b| *b == b'\n') {
            if line
                .iter()
                .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            {
                continue;
            }
            let Ok(event) = EventValues::parse(line, table) else {
                ok = false;
                break;
            };
            let first = out.values.len();
            for (ty, v) in &event.values {
                let start = out.text.len();
                out.text.push_str(v);
                out.values.push((*ty, start, out.text.len()));
            }
            out.events.push((first, out.values.len()));
        }
        if !ok {
            return Err(bytes);
        }
        Ok(out)
    }

    /// The number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The values of event `i` (counted from 0 in this batch).
    pub fn event(&self, i: usize) -> EventValues<'_> {
        let (a, b) = self.events[i];
        EventValues {
            values: self.values[a..b]
                .iter()
                .map(|&(ty, s, e)| (ty, Cow::Borrowed(&self.text[s..e])))
                .collect(),
        }
    }
}
