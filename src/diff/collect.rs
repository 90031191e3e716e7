//! Which rule files differ between two trees (or a tree and the working tree), and their
//! bytes on each side, read from the object database (or the disk for the working tree).

use super::{Endpoint, Options, Side, Unreadable};
use crate::git::{self, GitError};
use git2::{Delta, DiffOptions, FileMode, Repository};
use std::path::Path;

/// A changed file's bytes on one side; `path` is relative to the ruleforge root.
pub(super) struct File {
    pub path: String,
    pub bytes: Vec<u8>,
}

pub(super) struct Changed {
    pub base_end: Endpoint,
    pub head_end: Endpoint,
    pub base: Vec<File>,
    pub head: Vec<File>,
    pub unreadable: Vec<Unreadable>,
}

fn endpoint(rev: &str, commit: &git2::Commit<'_>) -> Endpoint {
    let short = commit
        .as_object()
        .short_id()
        .ok()
        .and_then(|b| b.as_str().map(str::to_string))
        .unwrap_or_else(|| commit.id().to_string()[..7].to_string());
    Endpoint {
        rev: Some(rev.to_string()),
        commit: Some(commit.id().to_string()),
        short: Some(short),
        time: Some(commit.time().seconds()),
    }
}

/// A `.yml`/`.yaml` file outside hidden folders (as `ruleforge lint` discovers them).
fn is_rule_path(p: &str) -> bool {
    (p.ends_with(".yml") || p.ends_with(".yaml")) && !p.split('/').any(|c| c.starts_with('.'))
}

fn is_file(mode: FileMode) -> bool {
    matches!(mode, FileMode::Blob | FileMode::BlobExecutable)
}

fn is_file_mode(mode: i32) -> bool {
    mode == i32::from(FileMode::Blob) || mode == i32::from(FileMode::BlobExecutable)
}

pub(super) fn changed_files(
    repo: &Repository,
    base: &str,
    head: Option<&str>,
    opts: &Options,
) -> Result<Changed, GitError> {
    let base_commit = git::resolve(repo, base)?;
    let base_tree = base_commit
        .tree()
        .map_err(|e| GitError(format!("`{base}`: cannot read its tree: {}", e.message())))?;
    let prefix = opts.prefix.trim_matches('/');
    // The folders to compare, relative to the repository's top: the rule roots under the
    // ruleforge root (none: everything).
    let mut specs = Vec::new();
    let mut all = false;
    for root in &opts.roots {
        let root = root.trim_matches('/');
        match (prefix.is_empty(), root.is_empty() || root == ".") {
            (true, true) => all = true,
            (true, false) => specs.push(root.to_string()),
            (false, true) => specs.push(prefix.to_string()),
            (false, false) => specs.push(format!("{prefix}/{root}")),
        }
    }
    if all {
        specs.clear();
    }
    let strip = |p: &str| -> Option<String> {
        let p = p.replace('\\', "/");
        let rel = if prefix.is_empty() {
            p
        } else {
            p.strip_prefix(&format!("{prefix}/"))?.to_string()
        };
        (is_rule_path(&rel) && git::under_roots(&rel, &opts.roots)).then_some(rel)
    };
    let mut out = Changed {
        base_end: endpoint(base, &base_commit),
        head_end: Endpoint {
            rev: None,
            commit: None,
            short: None,
            time: None,
        },
        base: Vec::new(),
        head: Vec::new(),
        unreadable: Vec::new(),
    };
    // Each changed path: its blob on the base side, and on the head side its blob (two
    // commits) or its file in the working tree.
    let mut record = |old: Option<(&str, git2::Oid)>, new: Option<(&str, Option<git2::Oid>)>| {
        if let Some((path, id)) = old {
            if let Some(path) = strip(path) {
                match read_blob(repo, id, opts.max_file_size) {
                    Ok(bytes) => out.base.push(File { path, bytes }),
                    Err(e) => out.unreadable.push(Unreadable {
                        path,
                        side: Side::Base,
                        message: e.to_string(),
                    }),
                }
            }
        }
        if let Some((git_path, id)) = new {
            let Some(path) = strip(git_path) else {
                return;
            };
            let read = match (id, repo.workdir()) {
                (Some(id), _) => read_blob(repo, id, opts.max_file_size),
                (None, Some(wd)) => read_disk(&wd.join(git_path), opts.max_file_size),
                (None, None) => Err(ReadError::NoWorkTree),
            };
            match read {
                Ok(bytes) => out.head.push(File { path, bytes }),
                Err(e) => out.unreadable.push(Unreadable {
                    path,
                    side: Side::Head,
                    message: e.to_string(),
                }),
            }
        }
    };
    let head_end = match head {
        Some(rev) => {
            let c = git::resolve(repo, rev)?;
            let tree = c
                .tree()
                .map_err(|e| GitError(format!("`{rev}`: cannot read its tree: {}", e.message())))?;
            // Only the folders on the way to a root, and those under one.
            let keep_dir = |dir: &str| {
                specs.is_empty()
                    || specs.iter().any(|s| {
                        s == dir
                            || s.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
                            || dir
                                .strip_prefix(s.as_str())
                                .is_some_and(|r| r.starts_with('/'))
                    })
            };
            let changes = git::tree_changes(repo, Some(&base_tree), Some(&tree), &keep_dir)
                .map_err(|e| {
                    GitError(format!(
                        "cannot compare `{base}` with `{rev}`: {}",
                        e.message()
                    ))
                })?;
            for ch in &changes {
                let file = |side: Option<(git2::Oid, i32)>| {
                    side.filter(|(_, mode)| is_file_mode(*mode))
                        .map(|(id, _)| (ch.path.as_str(), id))
                };
                record(file(ch.old), file(ch.new).map(|(p, id)| (p, Some(id))));
            }
            endpoint(rev, &c)
        }
        None => {
            if repo.workdir().is_none() {
                return Err(GitError(
                    "the repository has no working tree: give a HEAD revision".into(),
                ));
            }
            let mut dopts = DiffOptions::new();
            dopts
                .skip_binary_check(true)
                .ignore_submodules(true)
                .disable_pathspec_match(true)
                .include_untracked(true)
                .recurse_untracked_dirs(true)
                .include_typechange(true);
            for s in &specs {
                dopts.pathspec(s);
            }
            let diff = repo
                .diff_tree_to_workdir_with_index(Some(&base_tree), Some(&mut dopts))
                .map_err(|e| {
                    GitError(format!(
                        "cannot compare `{base}` with the working tree: {}",
                        e.message()
                    ))
                })?;
            for delta in diff.deltas() {
                let (old_side, new_side) = match delta.status() {
                    Delta::Added | Delta::Untracked => (false, true),
                    Delta::Deleted => (true, false),
                    Delta::Modified | Delta::Typechange | Delta::Renamed | Delta::Copied => {
                        (true, true)
                    }
                    Delta::Conflicted => (true, true),
                    Delta::Unmodified | Delta::Ignored | Delta::Unreadable => (false, false),
                };
                let path =
                    |f: git2::DiffFile<'_>| f.path().map(|p| p.to_string_lossy().into_owned());
                let old = (old_side && is_file(delta.old_file().mode()))
                    .then(|| path(delta.old_file()).map(|p| (p, delta.old_file().id())))
                    .flatten();
                let new = (new_side && is_file(delta.new_file().mode()))
                    .then(|| path(delta.new_file()))
                    .flatten();
                record(
                    old.as_ref().map(|(p, id)| (p.as_str(), *id)),
                    new.as_deref().map(|p| (p, None)),
                );
            }
            Endpoint {
                rev: None,
                commit: None,
                short: None,
                time: None,
            }
        }
    };
    out.head_end = head_end;
    Ok(out)
}

/// Why a changed file was not read (its message goes into [`Unreadable`]).
#[derive(Debug, thiserror::Error)]
enum ReadError {
    #[error("cannot read blob {id}: {}", .error.message())]
    Blob { id: git2::Oid, error: git2::Error },
    #[error("cannot read: {0}")]
    Io(std::io::Error),
    #[error("file is {size} bytes, over the {limit}-byte limit (lint.max-file-size): not read")]
    TooLarge { size: u64, limit: u64 },
    /// The file grew past the limit while it was read.
    #[error("file is over the {limit}-byte limit (lint.max-file-size): not read")]
    GrewTooLarge { limit: u64 },
    #[error("no working tree")]
    NoWorkTree,
}

/// Reads a blob; an oversized blob is reported without being copied.
fn read_blob(repo: &Repository, id: git2::Oid, max: u64) -> Result<Vec<u8>, ReadError> {
    let blob = repo
        .find_blob(id)
        .map_err(|error| ReadError::Blob { id, error })?;
    if blob.size() as u64 > max {
        return Err(ReadError::TooLarge {
            size: blob.size() as u64,
            limit: max,
        });
    }
    Ok(blob.content().to_vec())
}

fn read_disk(p: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let file = std::fs::File::open(p).map_err(ReadError::Io)?;
    let len = file.metadata().map_err(ReadError::Io)?.len();
    if len > max {
        return Err(ReadError::TooLarge {
            size: len,
            limit: max,
        });
    }
    let mut buf = Vec::with_capacity(len as usize);
    file.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(ReadError::Io)?;
    if buf.len() as u64 > max {
        return Err(ReadError::GrewTooLarge { limit: max });
    }
    Ok(buf)
}
