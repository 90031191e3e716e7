//! A rule set compiled into lookup structures, for many rules against many events.
//!
//! Every (rule, group, type) is an *atom*. Building the set files each value of each atom
//! under its indicator type: exact values in a hash map, domain wildcards in a suffix map,
//! networks in one hash table per prefix length, globs under their longest literal (a glob is
//! only tried on values that contain it: a literal of 8 bytes or more is found through one of
//! its 8-byte windows, behind a bit set of those windows; shorter ones by an Aho-Corasick
//! automaton), `regex:` values in one `RegexSet` per type. Matching an event looks each field value up
//! once, collects the atoms hit, and evaluates only the rules those atoms belong to (plus the
//! few rules whose condition holds with no group matched, such as `not benign`).
//!
//! The semantics are exactly those of the reference [`super::RuleMatcher`]; tests compare them.

use super::event::FieldTable;
use super::{
    compile_canonical, compile_value, event_ip, glob, normalize_event_value_cow, Pattern, RuleSpec,
};
use crate::condition::Expr;
use crate::indicator::{IndicatorType, Syntax};
use aho_corasick::AhoCorasick;
use regex::{RegexSet, RegexSetBuilder};
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::net::IpAddr;

type AtomId = u32;

/// A rule that matched an event: its index in the set and the groups that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetMatch {
    pub rule: usize,
    pub groups: Vec<String>,
}

/// Why a set could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("rule {id}: condition does not parse: {message}")]
    Condition { id: String, message: String },
    #[error("the {ty} patterns do not compile into one automaton: {message}")]
    Patterns { ty: &'static str, message: String },
}

struct CRule {
    spec_id: String,
    title: String,
    condition: Expr,
    group_names: Vec<String>,
    /// Atoms (one per type) of each group; an empty group never matches.
    groups: Vec<Vec<AtomId>>,
}

#[derive(Default)]
struct PatternSetBuilder {
    patterns: Vec<String>,
    compiled: Vec<regex::Regex>,
    atoms: Vec<Vec<AtomId>>,
    index: FxHashMap<String, usize>,
}

impl PatternSetBuilder {
    fn add(&mut self, re: regex::Regex, atom: AtomId) {
        let pattern = re.as_str().to_string();
        let i = *self.index.entry(pattern.clone()).or_insert_with(|| {
            self.patterns.push(pattern);
            self.compiled.push(re);
            self.atoms.push(Vec::new());
            self.patterns.len() - 1
        });
        self.atoms[i].push(atom);
    }

    fn build(self, ty: IndicatorType) -> Result<Option<PatternSet>, BuildError> {
        if self.patterns.is_empty() {
            return Ok(None);
        }
        let err = |e: &dyn std::fmt::Display| BuildError::Patterns {
            ty: ty.name(),
            message: e.to_string(),
        };
        // Regexes whose matches all start with one of a few literals sit behind an
        // Aho-Corasick automaton of those literals; the others go into one RegexSet.
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut by_literal: Vec<Vec<u32>> = Vec::new();
        let mut lit_index: FxHashMap<Vec<u8>, usize> = FxHashMap::default();
        let mut rest = Vec::new();
        let mut rest_ids = Vec::new();
        for (i, p) in self.patterns.iter().enumerate() {
            match required_prefixes(p) {
                Some(lits) => {
                    for l in lits {
                        let li = *lit_index.entry(l.clone()).or_insert_with(|| {
                            literals.push(l);
                            by_literal.push(Vec::new());
                            literals.len() - 1
                        });
                        by_literal[li].push(i as u32);
                    }
                }
                None => {
                    rest.push(p.clone());
                    rest_ids.push(i as u32);
                }
            }
        }
        let set = if rest.is_empty() {
            None
        } else {
            Some(
                RegexSetBuilder::new(&rest)
                    .size_limit(1 << 30)
                    .dfa_size_limit(64 << 20)
                    .build()
                    .map_err(|e| err(&e))?,
            )
        };
        let ac = if literals.is_empty() {
            None
        } else {
            Some(literal_automaton(&literals).map_err(|e| err(&e))?)
        };
        Ok(Some(PatternSet {
            ac,
            by_literal,
            regexes: self.compiled,
            set,
            set_ids: rest_ids,
            atoms: self.atoms,
        }))
    }
}

/// A literal automaton (a contiguous NFA: quick to build for many thousands of literals).
fn literal_automaton<P: AsRef<[u8]>>(
    literals: &[P],
) -> Result<AhoCorasick, aho_corasick::BuildError> {
    aho_corasick::AhoCorasickBuilder::new()
        .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
        .build(literals)
}

/// Literals one of which starts every match of `pattern` (`None` when there is no such short
/// list, e.g. for `.*x`).
fn required_prefixes(pattern: &str) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    let mut ext = Extractor::new();
    ext.kind(ExtractKind::Prefix)
        .limit_class(4)
        .limit_repeat(4)
        .limit_literal_len(32)
        .limit_total(32);
    let seq = ext.extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.len() > 64 || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}

struct PatternSet {
    ac: Option<AhoCorasick>,
    by_literal: Vec<Vec<u32>>,
    regexes: Vec<regex::Regex>,
    /// The patterns without usable literals, and their ids.
    set: Option<RegexSet>,
    set_ids: Vec<u32>,
    atoms: Vec<Vec<AtomId>>,
}

impl PatternSet {
    fn hits(&self, text: &str, out: &mut Vec<AtomId>) {
        if let Some(ac) = &self.ac {
            let mut cands: Vec<u32> = Vec::new();
            for m in ac.find_overlapping_iter(text) {
                cands.extend_from_slice(&self.by_literal[m.pattern().as_usize()]);
            }
            cands.sort_unstable();
            cands.dedup();
            for i in cands {
                if self.regexes[i as usize].is_match(text) {
                    out.extend_from_slice(&self.atoms[i as usize]);
                }
            }
        }
        if let Some(set) = &self.set {
            for i in set.matches(text).iter() {
                out.extend_from_slice(&self.atoms[self.set_ids[i] as usize]);
            }
        }
    }
}

/// Globs keyed by their longest literal.
#[derive(Default)]
struct GlobIndexBuilder {
    globs: Vec<(String, bool)>,
    atoms: Vec<Vec<AtomId>>,
    index: FxHashMap<(String, bool), usize>,
}

impl GlobIndexBuilder {
    fn add(&mut self, pattern: String, question_wild: bool, atom: AtomId) {
        let i = match self.index.entry((pattern, question_wild)) {
            std::collections::hash_map::Entry::Occupied(e) => *e.get(),
            std::collections::hash_map::Entry::Vacant(e) => {
                self.globs.push(e.key().clone());
                self.atoms.push(Vec::new());
                *e.insert(self.globs.len() - 1)
            }
        };
        self.atoms[i].push(atom);
    }

    fn build(self) -> Option<GlobIndex> {
        if self.globs.is_empty() {
            return None;
        }
        let mut literals: Vec<String> = Vec::new();
        let mut lit_index: FxHashMap<&str, usize> = FxHashMap::default();
        let mut by_literal: Vec<Vec<u32>> = Vec::new();
        let mut always = Vec::new();
        for (gi, (p, q)) in self.globs.iter().enumerate() {
            let lit = glob::longest_literal(p, *q);
            if lit.is_empty() {
                always.push(gi as u32);
                continue;
            }
            let li = *lit_index.entry(lit).or_insert_with(|| {
                literals.push(lit.to_string());
                by_literal.push(Vec::new());
                literals.len() - 1
            });
            by_literal[li].push(gi as u32);
        }
        drop(lit_index);
        // Long literals go behind the gram filter, short ones into a (small) automaton.
        let (mut long, mut short) = (Vec::new(), Vec::new());
        for (li, lit) in literals.iter().enumerate() {
            if lit.len() >= GRAM {
                long.push(li as u32);
            } else {
                short.push(li as u32);
            }
        }
        let grams = GramIndex::build(&literals, &long);
        let short_ac = if short.is_empty() {
            None
        } else {
            let lits: Vec<&str> = short
                .iter()
                .map(|&li| literals[li as usize].as_str())
                .collect();
            Some((literal_automaton(&lits).expect("literal automaton"), short))
        };
        let globs = self
            .globs
            .into_iter()
            .map(|(p, q)| {
                // `*L*` (one literal between two stars) matches exactly the values that
                // contain `L`: finding the literal is the whole match.
                let lit = glob::longest_literal(&p, q);
                let contains = !lit.is_empty()
                    && p.len() == lit.len() + 2
                    && p.starts_with('*')
                    && p.ends_with('*');
                GlobM {
                    chars: if contains {
                        None
                    } else {
                        Some(p.chars().collect())
                    },
                    question_wild: q,
                }
            })
            .collect();
        Some(GlobIndex {
            grams,
            short_ac,
            literals,
            by_literal,
            always,
            globs,
            atoms: self.atoms,
        })
    }
}

/// Literal windows of this many bytes index the literals at least this long.
const GRAM: usize = 8;

/// The literals of at least [`GRAM`] bytes, each filed under one of its windows of [`GRAM`]
/// bytes (the one fewest other literals seem to share), with a bit set of those windows in front:
/// a value is scanned window by window, and only a window whose bit is set is looked up.
/// Any occurrence of a literal in a value contains its chosen window, so every occurrence is
/// found; the bit set (a few set bits per thousand) spares the lookups of nearly every other
/// window.
struct GramIndex {
    /// One bit per hash of a window (`shift` keeps the top bits of the hash).
    filter: Vec<u64>,
    shift: u32,
    /// Window → (literal, the window's offset in it).
    map: FxHashMap<u64, Slots>,
}

/// The (literal, offset) pairs filed under one window: nearly always one.
enum Slots {
    One(u32, u32),
    Many(Vec<(u32, u32)>),
}

fn gram_at(bytes: &[u8], i: usize) -> u64 {
    let mut w = [0u8; GRAM];
    w.copy_from_slice(&bytes[i..i + GRAM]);
    u64::from_le_bytes(w)
}

fn gram_hash(gram: u64) -> u64 {
    gram.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl GramIndex {
    fn build(literals: &[String], long: &[u32]) -> Option<GramIndex> {
        if long.is_empty() {
            return None;
        }
        // About how many literals each window occurs in (counters of window hashes: a
        // collision only makes a window look more common than it is).
        let sketch_bits = (long.len() * 16)
            .next_power_of_two()
            .clamp(1 << 10, 1 << 22);
        let sketch_shift = 64 - sketch_bits.trailing_zeros();
        let mut counts = vec![0u16; sketch_bits];
        for &li in long {
            let b = literals[li as usize].as_bytes();
            for i in 0..=b.len() - GRAM {
                let c = &mut counts[(gram_hash(gram_at(b, i)) >> sketch_shift) as usize];
                *c = c.saturating_add(1);
            }
        }
        let bits = (long.len() * 64)
            .next_power_of_two()
            .clamp(1 << 12, 1 << 24);
        let shift = 64 - bits.trailing_zeros();
        let mut filter = vec![0u64; bits / 64];
        let mut map: FxHashMap<u64, Slots> = FxHashMap::default();
        map.reserve(long.len());
        for &li in long {
            let b = literals[li as usize].as_bytes();
            let (off, g) = (0..=b.len() - GRAM)
                .map(|i| (i, gram_at(b, i)))
                .min_by_key(|(_, g)| counts[(gram_hash(*g) >> sketch_shift) as usize])
                .expect("a literal of GRAM bytes or more has a window");
            let bit = (gram_hash(g) >> shift) as usize;
            filter[bit / 64] |= 1 << (bit % 64);
            match map.entry(g) {
                std::collections::hash_map::Entry::Occupied(mut e) => match e.get_mut() {
                    Slots::One(l, o) => {
                        let first = (*l, *o);
                        *e.get_mut() = Slots::Many(vec![first, (li, off as u32)]);
                    }
                    Slots::Many(v) => v.push((li, off as u32)),
                },
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(Slots::One(li, off as u32));
                }
            }
        }
        Some(GramIndex { filter, shift, map })
    }

    /// Calls `found` with every literal that occurs in `text` (once per occurrence).
    fn occurrences(&self, literals: &[String], text: &[u8], mut found: impl FnMut(u32)) {
        if text.len() < GRAM {
            return;
        }
        for i in 0..=text.len() - GRAM {
            let g = gram_at(text, i);
            let bit = (gram_hash(g) >> self.shift) as usize;
            if self.filter[bit / 64] & (1 << (bit % 64)) == 0 {
                continue;
            }
            let Some(slots) = self.map.get(&g) else {
                continue;
            };
            let mut check = |li: u32, off: u32| {
                let lit = literals[li as usize].as_bytes();
                let off = off as usize;
                if i >= off && text.get(i - off..i - off + lit.len()) == Some(lit) {
                    found(li);
                }
            };
            match slots {
                Slots::One(li, off) => check(*li, *off),
                Slots::Many(v) => v.iter().for_each(|&(li, off)| check(li, off)),
            }
        }
    }
}

/// One glob of the index: its characters (`None` for `*L*`, which the literal alone
/// decides).
struct GlobM {
    chars: Option<Vec<char>>,
    question_wild: bool,
}

struct GlobIndex {
    grams: Option<GramIndex>,
    /// The literals shorter than [`GRAM`] bytes, and their indexes in `literals`.
    short_ac: Option<(AhoCorasick, Vec<u32>)>,
    literals: Vec<String>,
    by_literal: Vec<Vec<u32>>,
    /// Globs without literal characters (tried on every value).
    always: Vec<u32>,
    globs: Vec<GlobM>,
    atoms: Vec<Vec<AtomId>>,
}

impl GlobIndex {
    fn hits(&self, text: &str, out: &mut Vec<AtomId>) {
        let mut lits: Vec<u32> = Vec::new();
        if let Some(g) = &self.grams {
            g.occurrences(&self.literals, text.as_bytes(), |li| lits.push(li));
        }
        if let Some((ac, ids)) = &self.short_ac {
            for m in ac.find_overlapping_iter(text) {
                lits.push(ids[m.pattern().as_usize()]);
            }
        }
        if lits.is_empty() && self.always.is_empty() {
            return;
        }
        lits.sort_unstable();
        lits.dedup();
        let mut cands: Vec<u32> = Vec::new();
        for li in lits {
            cands.extend_from_slice(&self.by_literal[li as usize]);
        }
        cands.extend_from_slice(&self.always);
        cands.sort_unstable();
        cands.dedup();
        let mut chars: Option<Vec<char>> = None;
        for gi in cands {
            let g = &self.globs[gi as usize];
            let hit = match &g.chars {
                None => true,
                Some(p) => {
                    let t = chars.get_or_insert_with(|| text.chars().collect());
                    glob::matches_chars(p, t, g.question_wild)
                }
            };
            if hit {
                out.extend_from_slice(&self.atoms[gi as usize]);
            }
        }
    }
}

/// The atoms of one indexed value: nearly always one, held without an allocation.
enum Atoms {
    One(AtomId),
    Many(Vec<AtomId>),
}

impl Atoms {
    fn push(&mut self, atom: AtomId) {
        match self {
            Atoms::One(a) => *self = Atoms::Many(vec![*a, atom]),
            Atoms::Many(v) => v.push(atom),
        }
    }

    fn as_slice(&self) -> &[AtomId] {
        match self {
            Atoms::One(a) => std::slice::from_ref(a),
            Atoms::Many(v) => v,
        }
    }
}

/// Files `atom` under `key`.
fn file_under<K: std::hash::Hash + Eq>(map: &mut FxHashMap<K, Atoms>, key: K, atom: AtomId) {
    match map.entry(key) {
        std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().push(atom),
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(Atoms::One(atom));
        }
    }
}

#[derive(Default)]
struct TypeIndex {
    exact: FxHashMap<String, Atoms>,
    /// The digests of a hash type, as bytes (zero-padded): smaller than their hex text, and
    /// hashed and compared without following a pointer.
    digests: FxHashMap<[u8; 32], Atoms>,
    /// `*.base` domain wildcards, keyed by `base`.
    subdomain: FxHashMap<String, Atoms>,
    /// (prefix length, network address → atoms), longest prefixes first.
    nets_v4: Vec<(u8, FxHashMap<u32, Atoms>)>,
    nets_v6: Vec<(u8, FxHashMap<u128, Atoms>)>,
    /// Globs over the normalized value.
    globs: Option<GlobIndex>,
    /// `regex:` patterns over the normalized value (`url`).
    on_text: Option<PatternSet>,
    /// `regex:` patterns over the value as written (string types other than `url`).
    on_raw: Option<PatternSet>,
}

#[derive(Default)]
struct TypeIndexBuilder {
    globs: GlobIndexBuilder,
    exact: FxHashMap<String, Atoms>,
    digests: FxHashMap<[u8; 32], Atoms>,
    subdomain: FxHashMap<String, Atoms>,
    nets_v4: FxHashMap<u8, FxHashMap<u32, Atoms>>,
    nets_v6: FxHashMap<u8, FxHashMap<u128, Atoms>>,
    on_text: PatternSetBuilder,
    on_raw: PatternSetBuilder,
}

/// A compiled rule set.
pub struct CompiledSet {
    rules: Vec<CRule>,
    atom_rule: Vec<u32>,
    index: Vec<TypeIndex>,
    fields: FieldTable,
    /// Rules whose condition holds when no group matches: evaluated for every event.
    always: Vec<u32>,
}

fn v4_mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix as u32)
    }
}

fn v6_mask(prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix as u32)
    }
}

/// A group as the compiler reads it: its name and its (type name, values).
type GroupView<'a> = (&'a str, Vec<(&'a str, &'a [String])>);

/// One rule as the compiler reads it, borrowed from a [`RuleSpec`] (not copied).
struct RuleView<'a> {
    id: &'a str,
    title: &'a str,
    /// `None` means `1 of them`.
    condition: Option<&'a str>,
    groups: Vec<GroupView<'a>>,
}

impl<'a> RuleView<'a> {
    fn of_spec(spec: &'a RuleSpec) -> Self {
        RuleView {
            id: &spec.id,
            title: &spec.title,
            condition: spec.condition.as_deref(),
            groups: spec
                .groups
                .iter()
                .map(|g| {
                    let types = g.types.iter().map(|t| (t.key.as_str(), &t.values[..]));
                    (g.name.as_str(), types.collect())
                })
                .collect(),
        }
    }

    fn atoms(&self) -> usize {
        self.groups.iter().map(|(_, types)| types.len()).sum()
    }
}

/// A run of rules of a verified bundle, compiled ([`CompiledSet::compile_run`]).
pub struct RuleRun(Result<Prepared, BuildError>);

/// A compiled rule value as it is filed in its type's index.
enum Filed {
    Pattern(Pattern),
    /// A canonical digest of a hash type, decoded where its rule is compiled (in parallel),
    /// so its text is never copied ([`TypeIndex::digests`]).
    Digest([u8; 32]),
}

/// The values of one chunk of rules, compiled, by indicator type.
type Buckets = Vec<Vec<(Filed, AtomId)>>;

/// What the parallel pass makes of a chunk of rules.
struct Prepared {
    rules: Vec<CRule>,
    /// Rules (indexes in the set) whose condition holds with no group matched.
    always: Vec<u32>,
    buckets: Buckets,
}

/// Compiles the rules `first..` of `views` with their first atoms at `bases`.
fn prepare(views: &[RuleView<'_>], first: usize, bases: &[AtomId]) -> Result<Prepared, BuildError> {
    let mut out = Prepared {
        rules: Vec::with_capacity(views.len()),
        always: Vec::new(),
        buckets: IndicatorType::ALL.iter().map(|_| Vec::new()).collect(),
    };
    for (k, view) in views.iter().enumerate() {
        let ri = first + k;
        let parsed = match view.condition {
            Some(c) => crate::condition::parse(c),
            None => Ok(Expr::default_condition()),
        };
        let condition = parsed.map_err(|e| BuildError::Condition {
            id: view.id.to_string(),
            message: e.to_string(),
        })?;
        let mut atom = bases[k];
        let mut groups = Vec::with_capacity(view.groups.len());
        for (_, types) in &view.groups {
            let mut atoms = Vec::with_capacity(types.len());
            for (key, values) in types {
                atoms.push(atom);
                // An unknown type is never hit: its group cannot match.
                if let Some(ty) = IndicatorType::from_name(key) {
                    let bucket = &mut out.buckets[ty as usize];
                    bucket.extend(
                        values
                            .iter()
                            .map(|raw| (Filed::Pattern(compile_value(ty, raw)), atom)),
                    );
                }
                atom += 1;
            }
            groups.push(atoms);
        }
        let group_names: Vec<String> = view.groups.iter().map(|(n, _)| n.to_string()).collect();
        let names: Vec<&str> = view.groups.iter().map(|(n, _)| *n).collect();
        if condition.eval(&names, &|_| false) {
            out.always.push(ri as u32);
        }
        out.rules.push(CRule {
            spec_id: view.id.to_string(),
            title: view.title.to_string(),
            condition,
            group_names,
            groups,
        });
    }
    Ok(out)
}

/// [`prepare`] for rules of a verified bundle (read in place, or typed rules turned into
/// [`ruleforge_bundle::CompiledRuleRef`]s): values of canonical shape are not checked again
/// ([`compile_canonical`]); the strings the set keeps are copied once.
fn prepare_in_place(
    rules: &[ruleforge_bundle::CompiledRuleRef<'_>],
    first: usize,
    bases: &[AtomId],
) -> Result<Prepared, BuildError> {
    let mut out = Prepared {
        rules: Vec::with_capacity(rules.len()),
        always: Vec::new(),
        buckets: IndicatorType::ALL.iter().map(|_| Vec::new()).collect(),
    };
    for (k, rule) in rules.iter().enumerate() {
        let ri = first + k;
        let condition =
            crate::condition::parse(&rule.condition).map_err(|e| BuildError::Condition {
                id: rule.id.to_string(),
                message: e.to_string(),
            })?;
        let mut atom = bases[k];
        let mut groups = Vec::with_capacity(rule.groups.len());
        let mut group_names = Vec::with_capacity(rule.groups.len());
        for (name, types) in &rule.groups {
            let mut atoms = Vec::with_capacity(types.len());
            for (key, values) in types {
                atoms.push(atom);
                // An unknown type is never hit: its group cannot match.
                if let Some(ty) = IndicatorType::from_name(key) {
                    let bucket = &mut out.buckets[ty as usize];
                    // A canonical digest is the key `add_value` would file its `Exact`
                    // pattern under.
                    bucket.extend(values.iter().map(|raw| {
                        let filed = match digest_key(ty, raw, false) {
                            Some(key) => Filed::Digest(key),
                            None => Filed::Pattern(compile_canonical(ty, raw)),
                        };
                        (filed, atom)
                    }));
                }
                atom += 1;
            }
            groups.push(atoms);
            group_names.push(name.to_string());
        }
        let names: Vec<&str> = group_names.iter().map(String::as_str).collect();
        if condition.eval(&names, &|_| false) {
            out.always.push(ri as u32);
        }
        out.rules.push(CRule {
            spec_id: rule.id.to_string(),
            title: rule.title.to_string(),
            condition,
            group_names,
            groups,
        });
    }
    Ok(out)
}

/// Files the compiled values of one indicator type (chunk by chunk, in rule order) and
/// builds its index.
fn build_type(
    ty: IndicatorType,
    chunks: Vec<Vec<(Filed, AtomId)>>,
) -> Result<TypeIndex, BuildError> {
    let mut b = TypeIndexBuilder::default();
    let n: usize = chunks.iter().map(Vec::len).sum();
    if matches!(ty.syntax(), Syntax::Hash(_)) {
        b.digests.reserve(n);
    } else {
        b.exact.reserve(n);
    }
    for chunk in chunks {
        for (p, atom) in chunk {
            add_value(&mut b, ty, p, atom);
        }
    }
    let mut nets_v4: Vec<_> = b.nets_v4.into_iter().collect();
    nets_v4.sort_by_key(|n| std::cmp::Reverse(n.0));
    let mut nets_v6: Vec<_> = b.nets_v6.into_iter().collect();
    nets_v6.sort_by_key(|n| std::cmp::Reverse(n.0));
    Ok(TypeIndex {
        exact: b.exact,
        digests: b.digests,
        subdomain: b.subdomain,
        nets_v4,
        nets_v6,
        globs: b.globs.build(),
        on_text: b.on_text.build(ty)?,
        on_raw: b.on_raw.build(ty)?,
    })
}

/// Rules per task of the parallel pass.
const CHUNK: usize = 2048;

impl CompiledSet {
    /// Compiles `specs` (in order: [`SetMatch::rule`] indexes into it).
    pub fn new(specs: &[RuleSpec]) -> Result<CompiledSet, BuildError> {
        Self::build(specs.iter().map(RuleView::of_spec).collect())
    }

    /// Compiles the native rules of a verified bundle (`rules.json`) in their order, straight
    /// from the typed document: the same set as [`CompiledSet::new`] over
    /// [`RuleSpec::from_compiled`] of each rule, and as [`CompiledSet::from_runs`] of the
    /// same rules read in place (the same compiling, [`CompiledSet::compile_run`]'s); values
    /// already in their canonical form are not checked again ([`compile_canonical`]).
    pub fn from_bundle(rules: ruleforge_bundle::RuleSet) -> Result<CompiledSet, BuildError> {
        let rules: Vec<ruleforge_bundle::CompiledRuleRef<'static>> =
            rules.rules.into_iter().map(Into::into).collect();
        let atoms: Vec<usize> = rules
            .iter()
            .map(|r| r.groups.values().map(|types| types.len()).sum())
            .collect();
        let chunks: Vec<(usize, &[ruleforge_bundle::CompiledRuleRef<'_>])> = rules
            .chunks(CHUNK)
            .enumerate()
            .map(|(c, chunk)| (c * CHUNK, chunk))
            .collect();
        Self::finish(atoms, chunks, |(first, chunk), bases| {
            prepare_in_place(chunk, first, &bases[first..])
        })
    }

    /// Compiles one run of rules of a verified bundle read in place (what
    /// [`ruleforge_bundle::verify_in_place`] hands its `read`; `first`: the index of the
    /// run's first rule): call it there, then [`CompiledSet::from_runs`] on the runs in order.
    pub fn compile_run(first: usize, rules: &[ruleforge_bundle::CompiledRuleRef<'_>]) -> RuleRun {
        let atoms: Vec<AtomId> = rules
            .iter()
            .scan(0, |next, r| {
                let base = *next;
                *next += r
                    .groups
                    .values()
                    .map(|types| types.len() as AtomId)
                    .sum::<AtomId>();
                Some(base)
            })
            .collect();
        RuleRun(prepare_in_place(rules, first, &atoms))
    }

    /// The set of the runs [`CompiledSet::compile_run`] compiled, in order: the same set as
    /// [`CompiledSet::from_bundle`] of the same rules (a bad condition names the first bad
    /// rule in order).
    pub fn from_runs(runs: Vec<RuleRun>) -> Result<CompiledSet, BuildError> {
        let mut atom_rule: Vec<u32> = Vec::new();
        let mut prepared = Vec::with_capacity(runs.len());
        for RuleRun(p) in runs {
            let mut p = p?;
            // Atoms were numbered from 0 in each run: number them after the runs before.
            let base = atom_rule.len() as AtomId;
            let first = prepared
                .iter()
                .map(|p: &Prepared| p.rules.len())
                .sum::<usize>();
            for (k, rule) in p.rules.iter_mut().enumerate() {
                let n: usize = rule.groups.iter().map(Vec::len).sum();
                atom_rule.extend(std::iter::repeat_n((first + k) as u32, n));
                if base > 0 {
                    rule.groups.iter_mut().flatten().for_each(|a| *a += base);
                }
            }
            if base > 0 {
                for bucket in &mut p.buckets {
                    bucket.iter_mut().for_each(|(_, a)| *a += base);
                }
            }
            prepared.push(p);
        }
        Self::assemble(atom_rule, prepared.into_iter().map(Ok).collect())
    }

    /// Values are checked and compiled in parallel by chunks of rules, then each indicator
    /// type's index is built in parallel with the others'.
    fn build(views: Vec<RuleView<'_>>) -> Result<CompiledSet, BuildError> {
        let atoms: Vec<usize> = views.iter().map(RuleView::atoms).collect();
        let n = views.len();
        let chunks: Vec<usize> = (0..n).step_by(CHUNK).collect();
        Self::finish(atoms, chunks, |first, bases| {
            let end = (first + CHUNK).min(n);
            prepare(&views[first..end], first, &bases[first..end])
        })
    }

    /// Numbers the atoms (`atoms`: how many each rule has), compiles `chunks` of rules with
    /// `prepare` in parallel (given the first atom of every rule), then builds each indicator
    /// type's index in parallel with the others'.
    fn finish<C: Send>(
        atoms: Vec<usize>,
        chunks: Vec<C>,
        prepare: impl Fn(C, &[AtomId]) -> Result<Prepared, BuildError> + Sync,
    ) -> Result<CompiledSet, BuildError> {
        let mut bases: Vec<AtomId> = Vec::with_capacity(atoms.len());
        let mut atom_rule: Vec<u32> = Vec::new();
        for (ri, n) in atoms.iter().enumerate() {
            bases.push(atom_rule.len() as AtomId);
            atom_rule.extend(std::iter::repeat_n(ri as u32, *n));
        }
        let prepared = ruleforge_bundle::par::map(chunks, 1, |c| prepare(c, &bases));
        Self::assemble(atom_rule, prepared)
    }

    /// Puts the compiled chunks of rules together (in order; the first error is returned),
    /// then builds each indicator type's index in parallel with the others'.
    fn assemble(
        atom_rule: Vec<u32>,
        prepared: Vec<Result<Prepared, BuildError>>,
    ) -> Result<CompiledSet, BuildError> {
        let mut rules = Vec::with_capacity(prepared.iter().flatten().map(|p| p.rules.len()).sum());
        let mut always = Vec::new();
        let mut by_type: Vec<Buckets> = IndicatorType::ALL.iter().map(|_| Vec::new()).collect();
        for p in prepared {
            let p = p?;
            rules.extend(p.rules);
            always.extend(p.always);
            for (t, bucket) in p.buckets.into_iter().enumerate() {
                by_type[t].push(bucket);
            }
        }
        // The types with most values first, so the cores finish together; then back in order.
        let mut types: Vec<_> = IndicatorType::ALL.into_iter().zip(by_type).collect();
        let size = |chunks: &Buckets| chunks.iter().map(Vec::len).sum::<usize>();
        types.sort_by_key(|(_, chunks)| std::cmp::Reverse(size(chunks)));
        let mut built =
            ruleforge_bundle::par::map(types, 1, |(ty, chunks)| (ty, build_type(ty, chunks)));
        built.sort_by_key(|(ty, _)| *ty as usize);
        let index = built
            .into_iter()
            .map(|(_, index)| index)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CompiledSet {
            rules,
            atom_rule,
            index,
            fields: FieldTable::new(),
            always,
        })
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The id and title of rule `i`.
    pub fn rule(&self, i: usize) -> (&str, &str) {
        let r = &self.rules[i];
        (&r.spec_id, &r.title)
    }

    /// The rules matching `obs`, in rule order.
    pub fn matches(&self, obs: &super::Observable) -> Vec<SetMatch> {
        let mut values = Vec::new();
        for (field, vs) in obs.fields() {
            if let Some(ty) = self.fields.get(field) {
                values.extend(vs.iter().map(|v| (ty, Cow::Borrowed(v.as_str()))));
            }
        }
        self.matches_values(&super::EventValues { values })
    }

    /// The ECS fields the set reads, with their types (what [`super::EventValues::parse`]
    /// needs).
    pub fn fields(&self) -> &FieldTable {
        &self.fields
    }

    /// The rules matching an event given by its indicator values, in rule order.
    pub fn matches_values(&self, event: &super::EventValues<'_>) -> Vec<SetMatch> {
        let mut hits: Vec<AtomId> = Vec::new();
        for (ty, v) in &event.values {
            lookup(&self.index[*ty as usize], *ty, v, &mut hits);
        }
        if hits.is_empty() && self.always.is_empty() {
            return Vec::new();
        }
        hits.sort_unstable();
        hits.dedup();
        let mut candidates: Vec<u32> = hits.iter().map(|a| self.atom_rule[*a as usize]).collect();
        candidates.extend_from_slice(&self.always);
        candidates.sort_unstable();
        candidates.dedup();
        let mut out = Vec::new();
        let mut matched: Vec<bool> = Vec::new();
        let mut names: Vec<&str> = Vec::new();
        for ri in candidates {
            let r = &self.rules[ri as usize];
            matched.clear();
            matched.extend(r.groups.iter().map(|atoms| {
                !atoms.is_empty() && atoms.iter().all(|a| hits.binary_search(a).is_ok())
            }));
            names.clear();
            names.extend(r.group_names.iter().map(String::as_str));
            let holds = r.condition.eval(&names, &|n| {
                names.iter().zip(&matched).any(|(name, m)| *m && *name == n)
            });
            if holds {
                out.push(SetMatch {
                    rule: ri as usize,
                    groups: names
                        .iter()
                        .zip(&matched)
                        .filter(|(_, m)| **m)
                        .map(|(n, _)| n.to_string())
                        .collect(),
                });
            }
        }
        out
    }
}

fn add_value(b: &mut TypeIndexBuilder, ty: IndicatorType, filed: Filed, atom: AtomId) {
    let p = match filed {
        Filed::Pattern(p) => p,
        Filed::Digest(key) => return file_under(&mut b.digests, key, atom),
    };
    match p {
        Pattern::Exact(s) => match digest_key(ty, &s, false) {
            Some(key) => file_under(&mut b.digests, key, atom),
            None => file_under(&mut b.exact, s, atom),
        },
        Pattern::Subdomain(base) => file_under(&mut b.subdomain, base, atom),
        Pattern::Net(net) => match net {
            ipnet::IpNet::V4(n) => file_under(
                b.nets_v4.entry(n.prefix_len()).or_default(),
                u32::from(n.network()),
                atom,
            ),
            ipnet::IpNet::V6(n) => file_under(
                b.nets_v6.entry(n.prefix_len()).or_default(),
                u128::from(n.network()),
                atom,
            ),
        },
        Pattern::Glob {
            pattern,
            question_wild,
        } => b.globs.add(pattern, question_wild, atom),
        Pattern::Regex(re) => {
            if ty == IndicatorType::Url {
                b.on_text.add(re, atom)
            } else {
                b.on_raw.add(re, atom)
            }
        }
        Pattern::Invalid(_) => {}
    }
}

/// The key of a digest of hash type `ty` in [`TypeIndex::digests`]: its hex text of the
/// type's length decoded, or `None`. Rule values are canonical (lower-case: `any_case`
/// false); an event value may be in either case (it is compared lower-cased).
fn digest_key(ty: IndicatorType, hex: &str, any_case: bool) -> Option<[u8; 32]> {
    let Syntax::Hash(len) = ty.syntax() else {
        return None;
    };
    if hex.len() != len || len > 64 || len % 2 == 1 {
        return None;
    }
    // Every byte decoded by table, without a branch; a byte that is not a hex digit (of the
    // case allowed) decodes to 0xFF, whose high bits say so once the digest is done.
    let table = if any_case { &HEX_ANY_CASE } else { &HEX_LOWER };
    let mut key = [0u8; 32];
    let mut bad = 0u8;
    for (k, pair) in key.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        let (hi, lo) = (table[pair[0] as usize], table[pair[1] as usize]);
        bad |= hi | lo;
        *k = (hi << 4) | lo;
    }
    (bad & 0xF0 == 0).then_some(key)
}

/// The value of each byte as a hex digit (0xFF: not one), lower case only or either case.
static HEX_LOWER: [u8; 256] = hex_table(false);
static HEX_ANY_CASE: [u8; 256] = hex_table(true);

const fn hex_table(any_case: bool) -> [u8; 256] {
    let mut t = [0xFF; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match b as u8 {
            c @ b'0'..=b'9' => c - b'0',
            c @ b'a'..=b'f' => c - b'a' + 10,
            c @ b'A'..=b'F' if any_case => c - b'A' + 10,
            _ => 0xFF,
        };
        b += 1;
    }
    t
}

fn lookup(idx: &TypeIndex, ty: IndicatorType, raw: &str, out: &mut Vec<AtomId>) {
    if !idx.digests.is_empty() {
        if let Some(atoms) = digest_key(ty, raw, true).and_then(|k| idx.digests.get(&k)) {
            out.extend_from_slice(atoms.as_slice());
        }
    }
    if ty.syntax() == Syntax::Ip {
        match event_ip(raw) {
            Some(IpAddr::V4(a)) => {
                let a = u32::from(a);
                for (prefix, map) in &idx.nets_v4 {
                    if let Some(atoms) = map.get(&(a & v4_mask(*prefix))) {
                        out.extend_from_slice(atoms.as_slice());
                    }
                }
            }
            Some(IpAddr::V6(a)) => {
                let a = u128::from(a);
                for (prefix, map) in &idx.nets_v6 {
                    if let Some(atoms) = map.get(&(a & v6_mask(*prefix))) {
                        out.extend_from_slice(atoms.as_slice());
                    }
                }
            }
            None => {}
        }
        return;
    }
    let text = normalize_event_value_cow(ty, raw);
    let text: &str = &text;
    if let Some(atoms) = (!idx.exact.is_empty())
        .then(|| idx.exact.get(text))
        .flatten()
    {
        out.extend_from_slice(atoms.as_slice());
    }
    if !idx.subdomain.is_empty() {
        for (i, b) in text.bytes().enumerate() {
            if b == b'.' && i > 0 {
                if let Some(atoms) = idx.subdomain.get(&text[i + 1..]) {
                    out.extend_from_slice(atoms.as_slice());
                }
            }
        }
    }
    if let Some(g) = &idx.globs {
        g.hits(text, out);
    }
    if let Some(s) = &idx.on_text {
        s.hits(text, out);
    }
    if let Some(s) = &idx.on_raw {
        s.hits(raw, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `digest_key` decoded the plain way: each pair of characters read as a hex byte.
    fn reference(ty: IndicatorType, hex: &str, any_case: bool) -> Option<[u8; 32]> {
        let Syntax::Hash(len) = ty.syntax() else {
            return None;
        };
        let digit = |c: char| {
            c.is_ascii_digit() || matches!(c, 'a'..='f') || (any_case && matches!(c, 'A'..='F'))
        };
        if hex.len() != len || !hex.chars().all(digit) {
            return None;
        }
        let mut key = [0u8; 32];
        for (i, k) in key.iter_mut().take(len / 2).enumerate() {
            *k = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(key)
    }

    #[test]
    fn digest_keys_decode_hex_of_the_type_and_nothing_else() {
        use IndicatorType::{Md5, Sha1, Sha256};
        let digest = "0123456789abcdefABCDEF0123456789abcdef0123456789abcdef0123456789";
        for ty in [Md5, Sha1, Sha256, IndicatorType::Domain] {
            let len = match ty.syntax() {
                Syntax::Hash(len) => len,
                _ => 64,
            };
            let base = &digest[..len];
            // Every byte in every place, in both modes; shorter and longer text.
            for at in [0, 1, len / 2, len - 2, len - 1] {
                for b in 0..=255u8 {
                    let mut bytes = base.as_bytes().to_vec();
                    bytes[at] = b;
                    let Ok(text) = String::from_utf8(bytes) else {
                        continue;
                    };
                    for any_case in [false, true] {
                        assert_eq!(
                            digest_key(ty, &text, any_case),
                            reference(ty, &text, any_case),
                            "{ty:?} {text:?} {any_case}"
                        );
                    }
                }
            }
            for text in [&base[1..], &format!("{base}0"), "", &base.to_lowercase()] {
                for any_case in [false, true] {
                    assert_eq!(
                        digest_key(ty, text, any_case),
                        reference(ty, text, any_case)
                    );
                }
            }
            if ty != IndicatorType::Domain {
                assert!(digest_key(ty, &base.to_lowercase(), false).is_some());
                assert!(digest_key(ty, &base.to_uppercase(), true).is_some());
            }
        }
    }
}
