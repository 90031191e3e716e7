//! The workspace the server sees: the configuration of its root, an index of every rule
//! file (what the repository-wide checks need of each), and the open documents.
//!
//! The index is built at start from disk, in parallel, from the rule roots of
//! `ruleforge.toml`; an open document's buffer replaces its file's entry (the buffer wins
//! over the disk), closing it goes back to the disk, and `workspace/didChangeWatchedFiles`
//! re-reads what changed. The index keeps, for each repository-wide check, which rules hold
//! which keys ([`RepoIndex`]), so an edit re-checks only the keys the edited file held and
//! holds, and re-publishes only the open files that share one of them; the findings are
//! computed by the checks' own code, in the rule-set order `lint` sees, so they are exactly
//! what `lint` reports.

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::lint::context::RuleSummary;
use crate::lint::repo_index::RepoIndex;
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

pub struct Workspace {
    pub root: PathBuf,
    pub config: Config,
    pub opts: Options,
    /// Why the configuration could not be used (the defaults are used instead).
    pub config_problem: Option<String>,
    index: RepoIndex,
    /// Open documents by path (repository-relative inside the root, else absolute).
    pub docs: HashMap<String, Document>,
    /// The repository-wide findings last reported for each open document.
    repo: HashMap<String, Vec<Diagnostic>>,
    /// Files whose repository-wide findings may have changed since they were last reported.
    pending: BTreeSet<String>,
}

impl Workspace {
    /// Opens the workspace at `root`: reads its configuration and indexes its rule files.
    pub fn open(root: &Path) -> Workspace {
        let root = crate::config::find_root(root);
        let (config, opts, config_problem) = load_config(&root);
        let index = RepoIndex::new(Vec::new(), &opts);
        let mut ws = Workspace {
            root,
            config,
            opts,
            config_problem,
            index,
            docs: HashMap::new(),
            repo: HashMap::new(),
            pending: BTreeSet::new(),
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
        let per_file: Vec<(String, Vec<RuleSummary>)> = inputs
            .par_iter()
            .map(|input| {
                let summaries = match crate::load::read(input, opts.max_file_size) {
                    Ok(Ok(src)) => lint::summarize(src, opts),
                    _ => Vec::new(),
                };
                (input.path.clone(), summaries)
            })
            .collect();
        let mut index = RepoIndex::new(per_file, opts);
        for doc in self.docs.values().filter(|d| d.indexed) {
            index.set_file(&doc.check.source.path, doc.check.summaries.clone());
        }
        self.index = index;
        self.repo.clear();
        self.pending = self.docs.keys().cloned().collect();
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
            let affected = self.index.set_file(&path, check.summaries.clone());
            self.pending.extend(affected);
        }
        self.pending.insert(path.clone());
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

    /// Closes a document: its file on disk (if any) takes its place in the index.
    pub fn close_doc(&mut self, path: &str) {
        if let Some(doc) = self.docs.remove(path) {
            self.repo.remove(path);
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
        let affected = self.index.set_file(path, summaries);
        self.pending.extend(affected);
    }

    /// Brings the repository-wide findings of the open documents up to date; returns the
    /// paths whose findings changed (the other files an edit affects).
    pub fn refresh_repository(&mut self) -> BTreeSet<String> {
        let mut changed = BTreeSet::new();
        for path in std::mem::take(&mut self.pending) {
            let Some(doc) = self.docs.get(&path) else {
                continue;
            };
            let found = if doc.indexed {
                self.index.findings(&path, &self.opts)
            } else {
                Vec::new()
            };
            if self.repo.get(&path) != Some(&found) {
                changed.insert(path.clone());
                self.repo.insert(path, found);
            }
        }
        changed
    }

    /// Every finding for an open document, as `lint` reports it: its per-file findings and
    /// the repository-wide ones, less what its inline suppressions silence, sorted.
    pub fn diagnostics(&self, path: &str) -> Vec<Diagnostic> {
        let Some(doc) = self.docs.get(path) else {
            return Vec::new();
        };
        let mut out = doc.check.diagnostics.clone();
        // Up to date even between an edit and the next refresh.
        let fresh;
        let repo = if self.pending.contains(path) {
            fresh = if doc.indexed {
                self.index.findings(path, &self.opts)
            } else {
                Vec::new()
            };
            Some(&fresh)
        } else {
            self.repo.get(path)
        };
        if let Some(repo) = repo {
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
        self.index.rule_by_id(id)
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
