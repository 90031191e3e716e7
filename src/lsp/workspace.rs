//! The workspace the server sees: the configuration of its root, an index of every rule
//! file (what the repository-wide checks need of each), and the open documents.
//!
//! The index is built at start from disk, in parallel, from the rule roots of
//! `ruleforge.toml`; an open document's buffer replaces its file's entry (the buffer wins
//! over the disk), closing it goes back to the disk, and `workspace/didChangeWatchedFiles`
//! re-reads what changed. Summaries are kept sorted by path, as `lint` sees its inputs, so
//! the repository-wide checks report the same first occurrence `lint` reports.

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::lint::context::RuleSummary;
use crate::lint::{self, Options, TextCheck};
use crate::source::SourceFile;
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// One open document.
pub struct Document {
    pub uri: lsp_types::Uri,
    pub version: i32,
    pub text: String,
    /// The per-file checks of `text`.
    pub check: TextCheck,
    /// Whether the document is part of the index (inside the workspace root).
    pub indexed: bool,
}

/// Every rule's summary, sorted by path (a file may hold several Sigma documents).
#[derive(Default)]
struct Index {
    native: Vec<RuleSummary>,
    sigma: Vec<RuleSummary>,
}

impl Index {
    fn set(&mut self, path: &str, summaries: Vec<RuleSummary>) {
        let (sigma, native): (Vec<_>, Vec<_>) = summaries
            .into_iter()
            .partition(|s| s.kind == crate::kind::RuleKind::Sigma);
        for (list, new) in [(&mut self.native, native), (&mut self.sigma, sigma)] {
            let lo = list.partition_point(|s| s.path.as_str() < path);
            let hi = lo + list[lo..].partition_point(|s| s.path.as_str() == path);
            list.splice(lo..hi, new);
        }
    }

    /// The summaries of one file.
    fn of(&self, path: &str) -> Vec<&RuleSummary> {
        let mut out = Vec::new();
        for list in [&self.native, &self.sigma] {
            let lo = list.partition_point(|s| s.path.as_str() < path);
            out.extend(list[lo..].iter().take_while(|s| s.path == path));
        }
        out
    }

    fn len(&self) -> usize {
        self.native.len() + self.sigma.len()
    }
}

pub struct Workspace {
    pub root: PathBuf,
    pub config: Config,
    pub opts: Options,
    /// Why the configuration could not be used (the defaults are used instead).
    pub config_problem: Option<String>,
    index: Index,
    /// Open documents by path (repository-relative inside the root, else absolute).
    pub docs: HashMap<String, Document>,
    /// The repository-wide findings of the last run, by path.
    repo: HashMap<String, Vec<Diagnostic>>,
    /// Whether the index changed since the repository-wide checks last ran.
    repo_stale: bool,
    /// Files whose repository-wide findings point into an edited file at places that moved.
    shifted: BTreeSet<String>,
}

impl Workspace {
    /// Opens the workspace at `root`: reads its configuration and indexes its rule files.
    pub fn open(root: &Path) -> Workspace {
        let root = crate::config::find_root(root);
        let (config, opts, config_problem) = load_config(&root);
        let mut ws = Workspace {
            root,
            config,
            opts,
            config_problem,
            index: Index::default(),
            docs: HashMap::new(),
            repo: HashMap::new(),
            repo_stale: true,
            shifted: BTreeSet::new(),
        };
        ws.rebuild_index();
        ws
    }

    /// Number of rules indexed (native rules and Sigma documents).
    pub fn indexed_rules(&self) -> usize {
        self.index.len()
    }

    /// Re-reads the configuration and every rule file (open buffers still win).
    pub fn reload(&mut self) {
        let (config, opts, problem) = load_config(&self.root);
        self.config = config;
        self.opts = opts;
        self.config_problem = problem;
        self.rebuild_index();
        let paths: Vec<String> = self.docs.keys().cloned().collect();
        for p in paths {
            if let Some(doc) = self.docs.remove(&p) {
                let text = doc.text;
                self.open_doc(doc.uri, doc.version, text);
            }
        }
    }

    fn rebuild_index(&mut self) {
        let roots: Vec<PathBuf> = self
            .config
            .lint
            .roots
            .iter()
            .map(|r| self.root.join(r))
            .filter(|p| p.exists())
            .collect();
        let inputs = crate::load::discover(&self.root, &roots).unwrap_or_default();
        let opts = &self.opts;
        let mut per_file: Vec<(String, Vec<RuleSummary>)> = inputs
            .par_iter()
            .map(|input| {
                let summaries = match crate::load::read(input, opts.max_file_size) {
                    Ok(Ok(src)) => lint::summarize(src, opts),
                    _ => Vec::new(),
                };
                (input.path.clone(), summaries)
            })
            .collect();
        per_file.sort_by(|a, b| a.0.cmp(&b.0));
        let mut index = Index::default();
        for (_, summaries) in per_file {
            for s in summaries {
                if s.kind == crate::kind::RuleKind::Sigma {
                    index.sigma.push(s);
                } else {
                    index.native.push(s);
                }
            }
        }
        self.index = index;
        for doc in self.docs.values().filter(|d| d.indexed) {
            let path = doc.check.source.path.clone();
            self.index.set(&path, doc.check.summaries.clone());
        }
        self.repo_stale = true;
    }

    /// The workspace path of a file URI: repository-relative inside the root, else the
    /// absolute path; `None` for a URI that is not a file.
    pub fn path_of(&self, uri: &lsp_types::Uri) -> Option<(String, bool)> {
        let file = file_path(uri)?;
        let file = file.canonicalize().unwrap_or(file);
        if file.starts_with(&self.root) {
            Some((crate::load::relative(&self.root, &file), true))
        } else {
            Some((file.to_string_lossy().into_owned(), false))
        }
    }

    /// The URI of a workspace path.
    pub fn uri_of(&self, path: &str) -> Option<lsp_types::Uri> {
        if let Some(doc) = self.docs.get(path) {
            return Some(doc.uri.clone());
        }
        let abs = if Path::new(path).is_absolute() {
            PathBuf::from(path)
        } else {
            self.root.join(path)
        };
        file_uri(&abs)
    }

    /// Opens or replaces a document's buffer and checks it.
    pub fn open_doc(&mut self, uri: lsp_types::Uri, version: i32, text: String) -> Option<String> {
        // A URI that is not a file (`untitled:`) is checked on its own, under its URI.
        let (path, indexed) = self
            .path_of(&uri)
            .unwrap_or_else(|| (uri.as_str().to_string(), false));
        let check = lint::check_text(&path, text.clone(), &self.opts);
        if indexed {
            if self.repo_stale || !self.shift_repository(&path, &check.summaries) {
                self.repo_stale = true;
            }
            self.index.set(&path, check.summaries.clone());
        }
        self.docs.insert(
            path.clone(),
            Document {
                uri,
                version,
                text,
                check,
                indexed,
            },
        );
        Some(path)
    }

    /// When an edit of `path` moved its rules' facts without changing them (the common case:
    /// typing in a description), the repository-wide findings stay the same but for their
    /// places in that file: moves those, and returns true. False when the facts changed (the
    /// checks must run again).
    fn shift_repository(&mut self, path: &str, new: &[RuleSummary]) -> bool {
        let old = self.index.of(path);
        if old.len() != new.len() || !old.iter().zip(new).all(|(a, b)| a.same_facts(b)) {
            return false;
        }
        let mut moved: HashMap<crate::Span, crate::Span> = HashMap::new();
        for (a, b) in old.iter().zip(new) {
            for (from, to) in a.spans().into_iter().zip(b.spans()) {
                if moved.insert(from, to).is_some_and(|earlier| earlier != to) {
                    return false;
                }
            }
        }
        // Every place in `path` a finding names must be one of the summaries' spans.
        let known = |span: &Option<crate::Span>| span.is_none_or(|s| moved.contains_key(&s));
        let all_known = self.repo.values().flatten().all(|d| {
            (d.path != path || known(&d.span))
                && d.related.iter().all(|r| r.path != path || known(&r.span))
        });
        if !all_known {
            return false;
        }
        let shift = |span: &mut Option<crate::Span>| {
            if let Some(s) = span {
                *s = moved[s];
            }
        };
        for (file, found) in self.repo.iter_mut() {
            for d in found.iter_mut() {
                if d.path == path {
                    shift(&mut d.span);
                }
                let before = d.related.clone();
                for r in d.related.iter_mut().filter(|r| r.path == path) {
                    shift(&mut r.span);
                }
                if file != path && d.related != before {
                    self.shifted.insert(file.clone());
                }
            }
        }
        true
    }

    /// Closes a document: its file on disk (if any) takes its place in the index.
    pub fn close_doc(&mut self, path: &str) {
        if let Some(doc) = self.docs.remove(path) {
            if doc.indexed {
                self.refresh_from_disk(path);
            }
        }
    }

    /// Re-reads one file from disk into the index (gone: removed), unless it is open.
    pub fn refresh_from_disk(&mut self, path: &str) {
        if self.docs.contains_key(path) {
            return;
        }
        let abs = self.root.join(path);
        let in_roots = self
            .config
            .lint
            .roots
            .iter()
            .any(|r| abs.starts_with(self.root.join(r)));
        let summaries = if in_roots && crate::load::is_rule_file(&abs) && abs.is_file() {
            let input = crate::load::Input {
                path: path.to_string(),
                origin: crate::load::Origin::Disk(abs),
            };
            match crate::load::read(&input, self.opts.max_file_size) {
                Ok(Ok(src)) => lint::summarize(src, &self.opts),
                _ => Vec::new(),
            }
        } else {
            Vec::new()
        };
        self.index.set(path, summaries);
        self.repo_stale = true;
    }

    /// Runs the repository-wide checks again if the index changed; returns the paths whose
    /// repository-wide findings changed (the other files an edit affects).
    pub fn refresh_repository(&mut self) -> BTreeSet<String> {
        if !self.repo_stale {
            return std::mem::take(&mut self.shifted);
        }
        self.shifted.clear();
        self.repo_stale = false;
        let found = lint::check_repository(&self.index.native, &self.index.sigma, &self.opts);
        let mut repo: HashMap<String, Vec<Diagnostic>> = HashMap::new();
        for d in found {
            repo.entry(d.path.clone()).or_default().push(d);
        }
        let mut changed = BTreeSet::new();
        for (path, ds) in &repo {
            if self.repo.get(path) != Some(ds) {
                changed.insert(path.clone());
            }
        }
        for path in self.repo.keys() {
            if !repo.contains_key(path) {
                changed.insert(path.clone());
            }
        }
        self.repo = repo;
        changed
    }

    /// Every finding for an open document, as `lint` reports it: its per-file findings and
    /// the repository-wide ones, less what its inline suppressions silence, sorted.
    pub fn diagnostics(&self, path: &str) -> Vec<Diagnostic> {
        let Some(doc) = self.docs.get(path) else {
            return Vec::new();
        };
        let mut out = doc.check.diagnostics.clone();
        if let Some(repo) = self.repo.get(path) {
            out.extend(
                repo.iter()
                    .filter(|d| !doc.check.suppressions.suppresses(d, &doc.check.source))
                    .cloned(),
            );
        }
        out.sort_by(|a, b| {
            (a.span.map(|s| s.start), a.code).cmp(&(b.span.map(|s| s.start), b.code))
        });
        out
    }

    /// The rule with this id anywhere in the workspace (native first, then Sigma).
    pub fn rule_by_id(&self, id: &str) -> Option<&RuleSummary> {
        self.index
            .native
            .iter()
            .chain(&self.index.sigma)
            .find(|s| s.id.as_ref().is_some_and(|i| i.value == id))
    }

    /// The text of a workspace file: the open buffer, else the file on disk.
    pub fn text_of(&self, path: &str) -> Option<SourceFile> {
        if let Some(doc) = self.docs.get(path) {
            return Some(SourceFile::new(path, doc.text.clone()));
        }
        let abs = if Path::new(path).is_absolute() {
            PathBuf::from(path)
        } else {
            self.root.join(path)
        };
        let input = crate::load::Input {
            path: path.to_string(),
            origin: crate::load::Origin::Disk(abs),
        };
        crate::load::read(&input, self.opts.max_file_size)
            .ok()?
            .ok()
    }
}

/// The configuration at `root`, the lint options it gives, and why it could not be used
/// (then the defaults are used, and the client is told).
fn load_config(root: &Path) -> (Config, Options, Option<String>) {
    let today = time::OffsetDateTime::now_utc().date();
    let problem = match Config::load(root) {
        Ok(cfg) => match Options::from_config(&cfg, today) {
            Ok(opts) => return (cfg, opts, None),
            Err(e) => e.to_string(),
        },
        Err(e) => e.to_string(),
    };
    let cfg = Config::default();
    let opts = Options::from_config(&cfg, today).unwrap_or_else(|_| {
        Options::new(crate::lint::Selection::new(Vec::new(), Vec::new()), today)
    });
    (cfg, opts, Some(problem))
}

/// The local path of a `file:` URI.
pub fn file_path(uri: &lsp_types::Uri) -> Option<PathBuf> {
    let url = url::Url::parse(uri.as_str()).ok()?;
    if url.scheme() != "file" {
        return None;
    }
    url.to_file_path().ok()
}

/// The `file:` URI of a local path.
pub fn file_uri(path: &Path) -> Option<lsp_types::Uri> {
    let url = url::Url::from_file_path(path).ok()?;
    url.as_str().parse().ok()
}
