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
    let mut dopts = DiffOptions::new();
    dopts
        .skip_binary_check(true)
        .ignore_submodules(true)
        .disable_pathspec_match(true);
    let mut all = false;
    for root in &opts.roots {
        let root = root.trim_matches('/');
        let spec = match (prefix.is_empty(), root.is_empty() || root == ".") {
            (true, true) => {
                all = true;
                continue;
            }
            (true, false) => root.to_string(),
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}/{root}"),
        };
        dopts.pathspec(spec);
    }
    if all {
        dopts = DiffOptions::new();
        dopts.skip_binary_check(true).ignore_submodules(true);
    }
    let (head_end, diff, head_commit_tree) = match head {
        Some(rev) => {
            let c = git::resolve(repo, rev)?;
            let tree = c
                .tree()
                .map_err(|e| GitError(format!("`{rev}`: cannot read its tree: {}", e.message())))?;
            let diff = repo
                .diff_tree_to_tree(Some(&base_tree), Some(&tree), Some(&mut dopts))
                .map_err(|e| {
                    GitError(format!(
                        "cannot compare `{base}` with `{rev}`: {}",
                        e.message()
                    ))
                })?;
            (endpoint(rev, &c), diff, true)
        }
        None => {
            if repo.workdir().is_none() {
                return Err(GitError(
                    "the repository has no working tree: give a HEAD revision".into(),
                ));
            }
            dopts
                .include_untracked(true)
                .recurse_untracked_dirs(true)
                .include_typechange(true);
            let diff = repo
                .diff_tree_to_workdir_with_index(Some(&base_tree), Some(&mut dopts))
                .map_err(|e| {
                    GitError(format!(
                        "cannot compare `{base}` with the working tree: {}",
                        e.message()
                    ))
                })?;
            let end = Endpoint {
                rev: None,
                commit: None,
                short: None,
                time: None,
            };
            (end, diff, false)
        }
    };
    let strip = |p: &Path| -> Option<String> {
        let p = p.to_string_lossy().replace('\\', "/");
        let rel = if prefix.is_empty() {
            p
        } else {
            p.strip_prefix(&format!("{prefix}/"))?.to_string()
        };
        (is_rule_path(&rel) && git::under_roots(&rel, &opts.roots)).then_some(rel)
    };
    let mut out = Changed {
        base_end: endpoint(base, &base_commit),
        head_end,
        base: Vec::new(),
        head: Vec::new(),
        unreadable: Vec::new(),
    };
    let workdir = repo.workdir().map(Path::to_path_buf);
    for delta in diff.deltas() {
        let (old_side, new_side) = match delta.status() {
            Delta::Added | Delta::Untracked => (false, true),
            Delta::Deleted => (true, false),
            Delta::Modified | Delta::Typechange | Delta::Renamed | Delta::Copied => (true, true),
            Delta::Conflicted => (true, true),
            Delta::Unmodified | Delta::Ignored | Delta::Unreadable => (false, false),
        };
        if old_side && is_file(delta.old_file().mode()) {
            if let Some(path) = delta.old_file().path().and_then(strip) {
                match read_blob(repo, delta.old_file().id(), opts.max_file_size) {
                    Ok(bytes) => out.base.push(File { path, bytes }),
                    Err(message) => out.unreadable.push(Unreadable {
                        path,
                        side: Side::Base,
                        message,
                    }),
                }
            }
        }
        if new_side && is_file(delta.new_file().mode()) {
            let Some(git_path) = delta.new_file().path() else {
                continue;
            };
            let Some(path) = strip(git_path) else {
                continue;
            };
            let read = if head_commit_tree {
                read_blob(repo, delta.new_file().id(), opts.max_file_size)
            } else {
                let wd = workdir.as_deref().expect("checked above");
                read_disk(&wd.join(git_path), opts.max_file_size)
            };
            match read {
                Ok(bytes) => out.head.push(File { path, bytes }),
                Err(message) => out.unreadable.push(Unreadable {
                    path,
                    side: Side::Head,
                    message,
                }),
            }
        }
    }
    Ok(out)
}

/// Reads a blob; an oversized blob is reported without being copied.
fn read_blob(repo: &Repository, id: git2::Oid, max: u64) -> Result<Vec<u8>, String> {
    let blob = repo
        .find_blob(id)
        .map_err(|e| format!("cannot read blob {id}: {}", e.message()))?;
    if blob.size() as u64 > max {
        return Err(format!(
            "file is {} bytes, over the {max}-byte limit (lint.max-file-size): not read",
            blob.size()
        ));
    }
    Ok(blob.content().to_vec())
}

fn read_disk(p: &Path, max: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(p).map_err(|e| format!("cannot read: {e}"))?;
    let len = file
        .metadata()
        .map_err(|e| format!("cannot read: {e}"))?
        .len();
    if len > max {
        return Err(format!(
            "file is {len} bytes, over the {max}-byte limit (lint.max-file-size): not read"
        ));
    }
    let mut buf = Vec::with_capacity(len as usize);
    file.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read: {e}"))?;
    if buf.len() as u64 > max {
        return Err(format!(
            "file is over the {max}-byte limit (lint.max-file-size): not read"
        ));
    }
    Ok(buf)
}
