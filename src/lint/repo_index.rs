//! The repository-wide checks kept up to date while files change, for a long-running client
//! (the language server): every rule's summary, and for each enabled repository-wide check
//! the rules that hold each of its keys (id → rules, title → rules, (type, value) → rules,
//! referenced id → rules).
//!
//! Each check is [`Keyed`]: its findings for a key depend only on the rules that hold the
//! key, so replacing a file's summaries touches only the keys they held and hold, and the
//! findings of a file are those of the keys its rules hold. Both are computed by the checks'
//! own `findings`, the code a whole run ([`crate::lint::check_repository`]) uses, so the
//! index reports exactly what `lint` reports.

use super::context::RuleSummary;
use super::rules::repository_common::Keyed;
use super::rules::*;
use super::Options;
use crate::diagnostic::{Diagnostic, LintRule};
use crate::kind::RuleKind;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHasher};
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

/// One repository-wide check, as the index drives it: its keys reduced to hashes (a bucket
/// holds every rule with a key of that hash; keys that collide are told apart again when
/// the bucket's findings are computed).
trait Table: Send + Sync {
    fn rule(&self) -> &'static LintRule;
    fn kind(&self) -> RuleKind;
    fn alone(&self) -> bool;
    /// The hashes of the keys `r` holds, sorted, each once.
    fn hashes(&self, r: &RuleSummary, out: &mut Vec<u64>);
    /// The findings for the keys of hash `h`, given every rule of the bucket, in order.
    fn findings(&self, h: u64, holders: &[&RuleSummary], out: &mut Vec<Diagnostic>);
    /// The marks ([`KeyTables::mark`] as check `check`) of the keys the rules of its kind
    /// among `rules` hold, unsorted, maybe more than once.
    fn marks(&self, check: usize, rules: &[RuleSummary], out: &mut Vec<u32>);
}

struct Of<C>(PhantomData<fn() -> C>);

fn hash_of<K: Hash>(k: &K) -> u64 {
    let mut h = FxHasher::default();
    k.hash(&mut h);
    h.finish()
}

impl<C: Keyed> Table for Of<C> {
    fn rule(&self) -> &'static LintRule {
        C::RULE
    }

    fn kind(&self) -> RuleKind {
        C::KIND
    }

    fn alone(&self) -> bool {
        C::ALONE
    }

    fn hashes(&self, r: &RuleSummary, out: &mut Vec<u64>) {
        let mut keys = Vec::new();
        C::keys(r, &mut keys);
        out.extend(keys.iter().map(hash_of));
        out.sort_unstable();
        out.dedup();
    }

    fn marks(&self, check: usize, rules: &[RuleSummary], out: &mut Vec<u32>) {
        // Each key hashed straight into the marks (no list of keys).
        for r in rules.iter().filter(|r| r.kind == C::KIND) {
            C::each_key(r, |k| out.push(KeyTables::mark(check, hash_of(&k))));
        }
    }

    fn findings(&self, h: u64, holders: &[&RuleSummary], out: &mut Vec<Diagnostic>) {
        let mut groups: Vec<(C::Key<'_>, Vec<&RuleSummary>)> = Vec::new();
        let mut keys = Vec::new();
        for &r in holders {
            C::keys(r, &mut keys);
            for k in keys.drain(..).filter(|k| hash_of(k) == h) {
                match groups.iter_mut().find(|(g, _)| *g == k) {
                    Some((_, g)) => {
                        if !g.last().is_some_and(|l| std::ptr::eq(*l, r)) {
                            g.push(r);
                        }
                    }
                    None => groups.push((k, vec![r])),
                }
            }
        }
        groups.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, group) in groups {
            if C::ALONE || group.len() > 1 {
                C::findings(&key, &group, out);
            }
        }
    }
}

/// Keeps the first of equal items of `v`, in their order. A file's marks are a few dozen
/// random numbers: a scan of the ones kept (without a branch per comparison) costs less
/// than sorting them, whose comparisons mispredict; a long list is sorted.
fn dedup_unordered(v: &mut Vec<u32>) {
    if v.len() > 64 {
        v.sort_unstable();
        v.dedup();
        return;
    }
    let mut kept = 0;
    for k in 0..v.len() {
        let m = v[k];
        if !v[..kept].iter().fold(false, |seen, &x| seen | (x == m)) {
            v[kept] = m;
            kept += 1;
        }
    }
    v.truncate(kept);
}

fn table<C: Keyed + 'static>() -> Box<dyn Table> {
    Box::new(Of::<C>(PhantomData))
}

/// Every repository-wide check in its keyed form, in registry order.
fn all_tables() -> Vec<Box<dyn Table>> {
    vec![
        table::<rf401_duplicate_id::Keys>(),
        table::<rf402_value_in_several_rules::Keys>(),
        table::<rf403_unknown_related_id::Keys>(),
        table::<rf404_duplicate_title::Keys>(),
        table::<rf690_sigma_duplicate_id::Keys>(),
        table::<rf691_sigma_duplicate_title::Keys>(),
        table::<rf692_sigma_duplicate_file_name::Keys>(),
        table::<rf693_sigma_unknown_related_id::Keys>(),
        table::<rf694_sigma_deprecated_rule_referenced::Keys>(),
        table::<rf695_sigma_unknown_correlated_rule::Keys>(),
    ]
}

/// The enabled repository-wide checks in their keyed form, for a store that keeps the
/// findings of a whole run and updates them key by key (the lint cache): the findings of the
/// rule set are the union over every (check, key hash) of the findings of the rules holding
/// a key of that hash, so replacing some files' summaries changes only the findings of the
/// (check, key hash) pairs those files held before or hold after.
pub(crate) struct KeyTables(Vec<Box<dyn Table>>);

impl KeyTables {
    /// The checks `opts` enables, in registry order.
    pub(crate) fn new(opts: &Options) -> KeyTables {
        KeyTables(
            all_tables()
                .into_iter()
                .filter(|t| opts.selection.is_enabled(t.rule()))
                .collect(),
        )
    }

    /// The codes of the checks, in order (what a store records to know its marks' meaning).
    pub(crate) fn codes(&self) -> String {
        let codes: Vec<&str> = self.0.iter().map(|t| t.rule().code).collect();
        codes.join(" ")
    }

    /// Every (check, key hash) the rules `summaries` hold, sorted, each once.
    pub(crate) fn keys(&self, summaries: &[RuleSummary], out: &mut Vec<(usize, u64)>) {
        let mut hashes = Vec::new();
        for (i, t) in self.0.iter().enumerate() {
            for r in summaries.iter().filter(|r| r.kind == t.kind()) {
                hashes.clear();
                t.hashes(r, &mut hashes);
                out.extend(hashes.iter().map(|&h| (i, h)));
            }
        }
        out.sort_unstable();
        out.dedup();
    }

    /// A (check, key hash) pair folded to 32 bits: equal pairs give equal marks; unequal
    /// pairs rarely do, and a store that finds the holders of a pair by its mark only reads
    /// a few rules too many when they do.
    pub(crate) fn mark(check: usize, hash: u64) -> u32 {
        let x = hash ^ (check as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (x ^ (x >> 32)) as u32
    }

    /// The marks of every key `summaries` hold, each once, in no particular order.
    #[cfg(test)]
    pub(crate) fn marks(&self, summaries: &[RuleSummary]) -> Vec<u32> {
        let mut marks = Vec::new();
        self.marks_into(summaries, &mut marks);
        marks
    }

    /// [`KeyTables::marks`] into `out` (cleared first: a caller that keeps one buffer from
    /// file to file allocates nothing).
    pub(crate) fn marks_into(&self, summaries: &[RuleSummary], out: &mut Vec<u32>) {
        out.clear();
        for (i, t) in self.0.iter().enumerate() {
            t.marks(i, summaries, out);
        }
        dedup_unordered(out);
    }

    /// The findings of check `check` for its keys of hash `hash`, given (at least) every rule
    /// that holds such a key, in rule-set order; rules of the other kind are passed over. The
    /// selection and per-path ignores apply.
    pub(crate) fn findings(
        &self,
        check: usize,
        hash: u64,
        holders: &[&RuleSummary],
        opts: &Options,
        out: &mut Vec<Diagnostic>,
    ) {
        let t = &self.0[check];
        let holders: Vec<&RuleSummary> = holders
            .iter()
            .copied()
            .filter(|r| r.kind == t.kind())
            .collect();
        let mut found = Vec::new();
        t.findings(hash, &holders, &mut found);
        out.extend(found.into_iter().filter(|d| opts.enabled(d)));
    }
}

/// A check's keys: the hash of a key → the slots of the rules holding a key of that hash, in
/// rule-set order.
type Buckets = FxHashMap<u64, Vec<u32>>;

/// A rule summary and its place in the rule set: its file, and its document in that file.
struct Slot {
    summary: RuleSummary,
    doc: u32,
}

/// The rule summaries of a rule set and, per enabled repository-wide check, which rules hold
/// which keys (see the module documentation).
pub struct RepoIndex {
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    /// Every file's slots, in document order; files in path order (the rule-set order).
    files: BTreeMap<String, Vec<u32>>,
    tables: Vec<(Box<dyn Table>, Buckets)>,
    rules: usize,
}

impl RepoIndex {
    /// Indexes `files` (path and the summaries of its rules, in document order) for the
    /// checks `opts` enables.
    pub fn new(files: Vec<(String, Vec<RuleSummary>)>, opts: &Options) -> RepoIndex {
        let mut index = RepoIndex {
            slots: Vec::new(),
            free: Vec::new(),
            files: BTreeMap::new(),
            tables: all_tables()
                .into_iter()
                .filter(|t| opts.selection.is_enabled(t.rule()))
                .map(|t| (t, FxHashMap::default()))
                .collect(),
            rules: 0,
        };
        let mut files = files;
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files.dedup_by(|a, b| a.0 == b.0);
        for (path, summaries) in files {
            let mut ids = Vec::with_capacity(summaries.len());
            for (doc, summary) in summaries.into_iter().enumerate() {
                ids.push(index.slots.len() as u32);
                index.slots.push(Some(Slot {
                    summary,
                    doc: doc as u32,
                }));
            }
            index.rules += ids.len();
            index.files.insert(path, ids);
        }
        // Slots are in rule-set order here, so appending keeps every bucket in order.
        let slots = &index.slots;
        index.tables.par_iter_mut().for_each(|(t, buckets)| {
            let mut hashes = Vec::new();
            for (i, slot) in slots.iter().enumerate() {
                let Some(slot) = slot else { continue };
                if slot.summary.kind != t.kind() {
                    continue;
                }
                hashes.clear();
                t.hashes(&slot.summary, &mut hashes);
                for &h in &hashes {
                    buckets.entry(h).or_default().push(i as u32);
                }
            }
        });
        index
    }

    /// Number of rules indexed (native rules and Sigma documents).
    pub fn len(&self) -> usize {
        self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules == 0
    }

    fn summary(&self, slot: u32) -> &RuleSummary {
        &self.slots[slot as usize]
            .as_ref()
            .expect("a bucket names a live slot")
            .summary
    }

    /// Where a slot sits in the rule set.
    fn order(slots: &[Option<Slot>], slot: u32) -> (&str, u32) {
        let s = slots[slot as usize].as_ref().expect("a live slot");
        (s.summary.path.as_str(), s.doc)
    }

    /// The summaries of one file, in document order.
    pub fn of(&self, path: &str) -> impl Iterator<Item = &RuleSummary> {
        self.files
            .get(path)
            .into_iter()
            .flatten()
            .map(|&s| self.summary(s))
    }

    /// Every summary in rule-set order: native rules, then Sigma documents.
    pub fn summaries(&self) -> impl Iterator<Item = &RuleSummary> {
        let of_kind = move |kind: RuleKind| {
            self.files
                .values()
                .flatten()
                .map(|&s| self.summary(s))
                .filter(move |r| r.kind == kind)
        };
        of_kind(RuleKind::Native).chain(of_kind(RuleKind::Sigma))
    }

    /// Replaces the summaries of the file at `path` (none: the file is gone) and returns the
    /// files whose repository-wide findings may have changed: this one and every file that
    /// shares a key with what it held before or holds now.
    pub fn set_file(&mut self, path: &str, summaries: Vec<RuleSummary>) -> BTreeSet<String> {
        let mut touched: Vec<Vec<u64>> = vec![Vec::new(); self.tables.len()];
        let mut hashes = Vec::new();
        // Out with the old.
        for slot in self.files.remove(path).unwrap_or_default() {
            let Some(old) = self.slots[slot as usize].take() else {
                continue;
            };
            for ((t, buckets), touched) in self.tables.iter_mut().zip(&mut touched) {
                if old.summary.kind != t.kind() {
                    continue;
                }
                hashes.clear();
                t.hashes(&old.summary, &mut hashes);
                for h in &hashes {
                    if let Some(b) = buckets.get_mut(h) {
                        b.retain(|&s| s != slot);
                        if b.is_empty() {
                            buckets.remove(h);
                        }
                    }
                }
                touched.extend_from_slice(&hashes);
            }
            self.free.push(slot);
            self.rules -= 1;
        }
        // In with the new.
        let mut ids = Vec::with_capacity(summaries.len());
        for (doc, summary) in summaries.into_iter().enumerate() {
            let slot = Slot {
                summary,
                doc: doc as u32,
            };
            let id = match self.free.pop() {
                Some(id) => {
                    self.slots[id as usize] = Some(slot);
                    id
                }
                None => {
                    self.slots.push(Some(slot));
                    (self.slots.len() - 1) as u32
                }
            };
            ids.push(id);
            self.rules += 1;
            let slots = &self.slots;
            let summary = &slots[id as usize].as_ref().expect("just filled").summary;
            for ((t, buckets), touched) in self.tables.iter_mut().zip(&mut touched) {
                if summary.kind != t.kind() {
                    continue;
                }
                hashes.clear();
                t.hashes(summary, &mut hashes);
                for &h in &hashes {
                    let b = buckets.entry(h).or_default();
                    let at = Self::order(slots, id);
                    let pos = b.partition_point(|&s| Self::order(slots, s) < at);
                    b.insert(pos, id);
                }
                touched.extend_from_slice(&hashes);
            }
        }
        if !ids.is_empty() {
            self.files.insert(path.to_string(), ids);
        }
        let mut affected = BTreeSet::from([path.to_string()]);
        for ((_, buckets), mut touched) in self.tables.iter().zip(touched) {
            touched.sort_unstable();
            touched.dedup();
            for h in touched {
                for &s in buckets.get(&h).into_iter().flatten() {
                    let p = &self.summary(s).path;
                    if !affected.contains(p) {
                        affected.insert(p.clone());
                    }
                }
            }
        }
        affected
    }

    /// The repository-wide findings in the file at `path`, as [`crate::lint::check_repository`]
    /// reports them for it (the selection and per-path ignores applied; inline suppressions
    /// are the caller's).
    pub fn findings(&self, path: &str, opts: &Options) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let Some(own) = self.files.get(path) else {
            return out;
        };
        let mut hashes = Vec::new();
        let mut found = Vec::new();
        for (t, buckets) in &self.tables {
            hashes.clear();
            for &s in own {
                let r = self.summary(s);
                if r.kind == t.kind() {
                    t.hashes(r, &mut hashes);
                }
            }
            hashes.sort_unstable();
            hashes.dedup();
            for h in &hashes {
                let Some(bucket) = buckets.get(h) else {
                    continue;
                };
                if bucket.len() < 2 && !t.alone() {
                    continue;
                }
                let holders: Vec<&RuleSummary> = bucket.iter().map(|&s| self.summary(s)).collect();
                found.clear();
                t.findings(*h, &holders, &mut found);
                out.extend(
                    found
                        .drain(..)
                        .filter(|d| d.path == path && opts.enabled(d)),
                );
            }
        }
        out
    }

    /// The first rule (native rules first, then Sigma documents) with this id.
    pub fn rule_by_id(&self, id: &str) -> Option<&RuleSummary> {
        self.summaries()
            .find(|s| s.id.as_ref().is_some_and(|i| i.value == id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{check_repository, summarize, Selection};
    use crate::source::SourceFile;

    /// A small deterministic generator (xorshift), so the test needs no seed crate.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }
    }

    const IDS: [&str; 5] = [
        "0a1b2c3d-0000-4000-8000-000000000001",
        "0a1b2c3d-0000-4000-8000-000000000002",
        "0a1b2c3d-0000-4000-8000-000000000003",
        "0a1b2c3d-0000-4000-8000-000000000004",
        "0a1b2c3d-0000-4000-8000-000000000005",
    ];
    const TITLES: [&str; 4] = ["Web shell", "web shell ", "Loader", "WEB SHELL"];
    const HASHES: [&str; 3] = [
        "aaaa000000000000000000000000000000000000000000000000000000000001",
        "AAAA000000000000000000000000000000000000000000000000000000000001",
        "bbbb000000000000000000000000000000000000000000000000000000000002",
    ];
    const DOMAINS: [&str; 3] = ["evil.example", "bad.example", "EVIL.example"];
    const NAMES: [&str; 3] = ["recon", "loader", "drop"];

    fn native(rng: &mut Rng) -> String {
        let mut t = String::new();
        if rng.below(8) != 0 {
            t.push_str(&format!("id: {}\n", rng.pick(&IDS)));
        }
        t.push_str(&format!("title: '{}'\n", rng.pick(&TITLES)));
        if rng.below(2) == 0 {
            t.push_str("status: deprecated\n");
        }
        if rng.below(2) == 0 {
            t.push_str(&format!(
                "related:\n  - id: {}\n    type: derived\n",
                rng.pick(&IDS)
            ));
        }
        t.push_str(&format!(
            "indicators:\n  g:\n    sha256:\n      - {}\n      - {}\n    domain:\n      - {}\n",
            rng.pick(&HASHES),
            rng.pick(&HASHES),
            rng.pick(&DOMAINS)
        ));
        // A description of changing length moves every span below it.
        t.push_str(&format!("description: '{}'\n", "x".repeat(rng.below(4))));
        t
    }

    fn sigma_doc(rng: &mut Rng) -> String {
        let mut t = format!("title: '{}'\n", rng.pick(&TITLES));
        if rng.below(6) != 0 {
            t.push_str(&format!("id: {}\n", rng.pick(&IDS)));
        }
        if rng.below(2) == 0 {
            t.push_str(&format!("name: {}\n", rng.pick(&NAMES)));
        }
        if rng.below(3) == 0 {
            t.push_str("status: deprecated\n");
        }
        if rng.below(3) == 0 {
            t.push_str(&format!(
                "related:\n  - id: {}\n    type: derived\n",
                rng.pick(&IDS)
            ));
        }
        if rng.below(2) == 0 {
            let refs = [rng.pick(&IDS), rng.pick(&NAMES)];
            t.push_str(&format!(
                "correlation:\n  type: temporal\n  rules:\n    - {}\n    - {}\n  timespan: 10m\n",
                refs[0], refs[1]
            ));
        } else {
            t.push_str("logsource:\n  category: process_creation\ndetection:\n  sel:\n    Image: x\n  condition: sel\n");
        }
        t
    }

    fn text(rng: &mut Rng, path: &str) -> String {
        if path.starts_with("sigma/") {
            let docs: Vec<String> = (0..1 + rng.below(2)).map(|_| sigma_doc(rng)).collect();
            docs.join("---\n")
        } else {
            native(rng)
        }
    }

    const PATHS: [&str; 10] = [
        "rules/a.yml",
        "rules/b.yml",
        "rules/c.yml",
        "rules/d/e.yml",
        "rules/f.yml",
        "sigma/a.yml",
        "sigma/b.yml",
        "sigma/x/a.yml",
        "sigma/y/b.yml",
        "sigma/z.yml",
    ];

    fn sorted(mut ds: Vec<Diagnostic>) -> Vec<Diagnostic> {
        ds.sort_by_key(|d| format!("{d:?}"));
        ds
    }

    /// Replacing files one at a time, the index reports for every file exactly what the
    /// whole check reports for it, and names every file whose findings changed.
    #[test]
    fn edits_keep_the_findings_of_a_whole_run() {
        let opts = Options::new(
            Selection::new(vec!["ALL".into()], Vec::new()),
            time::macros::date!(2026 - 01 - 01),
        );
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut files: BTreeMap<&str, Vec<RuleSummary>> = BTreeMap::new();
        let summarize_at = |path: &str, text: String| summarize(SourceFile::new(path, text), &opts);
        let start: Vec<(String, Vec<RuleSummary>)> = PATHS
            .iter()
            .take(7)
            .map(|p| (p.to_string(), summarize_at(p, text(&mut rng, p))))
            .collect();
        for (p, s) in &start {
            let p = PATHS.iter().find(|q| *q == p).unwrap();
            files.insert(p, s.clone());
        }
        let mut index = RepoIndex::new(start, &opts);
        let whole = |files: &BTreeMap<&str, Vec<RuleSummary>>| {
            let all: Vec<RuleSummary> = files.values().flatten().cloned().collect();
            let (sigma, native): (Vec<_>, Vec<_>) =
                all.into_iter().partition(|s| s.kind == RuleKind::Sigma);
            check_repository(&native, &sigma, &opts)
        };
        let mut before = whole(&files);
        let mut seen = BTreeSet::new();
        for step in 0..400 {
            let path = PATHS[rng.below(PATHS.len())];
            let summaries = if rng.below(6) == 0 {
                Vec::new()
            } else {
                summarize_at(path, text(&mut rng, path))
            };
            if summaries.is_empty() {
                files.remove(path);
            } else {
                files.insert(path, summaries.clone());
            }
            let affected = index.set_file(path, summaries);
            let after = whole(&files);
            for p in PATHS {
                let expected = sorted(after.iter().filter(|d| d.path == p).cloned().collect());
                let got = sorted(index.findings(p, &opts));
                assert_eq!(got, expected, "step {step}: {p} after editing {path}");
                let earlier = sorted(before.iter().filter(|d| d.path == p).cloned().collect());
                if earlier != expected {
                    assert!(affected.contains(p), "step {step}: {p} changed, not named");
                }
                seen.extend(got.iter().map(|d| d.code));
            }
            assert_eq!(index.len(), files.values().map(Vec::len).sum::<usize>());
            before = after;
        }
        // The generator reaches every repository-wide check.
        let repo_codes: BTreeSet<&str> = all_tables().iter().map(|t| t.rule().code).collect();
        assert_eq!(seen, repo_codes);
    }

    /// A file's marks are the marks of exactly the (check, key hash) pairs its rules hold.
    #[test]
    fn marks_are_those_of_the_keys() {
        let opts = Options::new(
            Selection::new(vec!["ALL".into()], Vec::new()),
            time::macros::date!(2026 - 01 - 01),
        );
        let tables = KeyTables::new(&opts);
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for step in 0..200 {
            let path = PATHS[rng.below(PATHS.len())];
            let summaries = summarize(SourceFile::new(path, text(&mut rng, path)), &opts);
            let mut keys = Vec::new();
            tables.keys(&summaries, &mut keys);
            let mut expected: Vec<u32> = keys.iter().map(|&(c, h)| KeyTables::mark(c, h)).collect();
            expected.sort_unstable();
            expected.dedup();
            assert!(!expected.is_empty() || summaries.is_empty(), "step {step}");
            // Each once, in no particular order.
            let mut marks = tables.marks(&summaries);
            let n = marks.len();
            marks.sort_unstable();
            assert_eq!(marks, expected, "step {step}: {path}");
            assert_eq!(n, expected.len(), "step {step}: {path}: a mark twice");
        }
    }

    /// Short and long lists lose their repeats and keep the first of each in order (the
    /// long ones sorted).
    #[test]
    fn marks_lose_their_repeats() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for n in [0, 1, 2, 5, 20, 63, 64, 65, 200] {
            let v: Vec<u32> = (0..n).map(|_| rng.below(n.max(1) / 2 + 1) as u32).collect();
            let mut got = v.clone();
            dedup_unordered(&mut got);
            let mut firsts = Vec::new();
            for x in &v {
                if !firsts.contains(x) {
                    firsts.push(*x);
                }
            }
            if n > 64 {
                firsts.sort_unstable();
            }
            assert_eq!(got, firsts, "{n} items");
        }
    }

    /// Every repository-wide check of the registry has its keyed form here.
    #[test]
    fn every_repository_check_is_indexed() {
        let registered: Vec<&str> = crate::lint::registry::all()
            .iter()
            .filter(|r| matches!(r.check, crate::lint::registry::Check::Repo(_)))
            .map(|r| r.rule.code)
            .collect();
        let indexed: Vec<&str> = all_tables().iter().map(|t| t.rule().code).collect();
        assert_eq!(indexed, registered);
    }
}
