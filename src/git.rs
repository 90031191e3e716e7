//! Reading rule sets straight from the git object database (no checkout, no `git` process).

use crate::load::{Input, Origin};
use git2::{Commit, ObjectType, Oid, Repository, Tree, TreeWalkMode, TreeWalkResult};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

/// A git failure (exit code 2), with a hint where one helps.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct GitError(pub String);

pub fn open(root: &Path) -> Result<Repository, GitError> {
    Repository::discover(root).map_err(|e| {
        GitError(format!(
            "{}: not in a git repository ({})",
            root.display(),
            e.message()
        ))
    })
}

/// [`open`] for commands that only compare revisions (`diff`, `changelog`, the policy checks):
/// objects are not re-hashed as they are read. libgit2 verifies the SHA-1 of every object it
/// loads by default, which is a quarter of a diff's time on a large repository; `git` itself
/// does not re-hash objects on ordinary reads. `bundle` keeps the verification: what it reads
/// becomes a signed release.
pub fn open_for_comparison(root: &Path) -> Result<Repository, GitError> {
    git2::opts::strict_hash_verification(false);
    open(root)
}

/// Resolves a revision (`HEAD`, `origin/main`, a tag, `A...B` for the merge base) to a commit.
pub fn resolve<'r>(repo: &'r Repository, rev: &str) -> Result<Commit<'r>, GitError> {
    let shallow = if repo.is_shallow() {
        " (this is a shallow clone: fetch more history, e.g. `fetch-depth: 0` in actions/checkout)"
    } else {
        ""
    };
    if let Some((a, b)) = rev.split_once("...") {
        let a = resolve(repo, if a.is_empty() { "HEAD" } else { a })?;
        let b = resolve(repo, if b.is_empty() { "HEAD" } else { b })?;
        let base = repo
            .merge_base(a.id(), b.id())
            .map_err(|_| GitError(format!("revisions in `{rev}` have no merge base{shallow}")))?;
        return repo
            .find_commit(base)
            .map_err(|e| GitError(e.message().to_string()));
    }
    let obj = repo
        .revparse_single(rev)
        .map_err(|_| GitError(format!("unknown revision `{rev}`{shallow}")))?;
    obj.peel_to_commit()
        .map_err(|_| GitError(format!("`{rev}` does not name a commit")))
}

/// Paths of files under `roots` that differ between `rev` and the working tree (staged,
/// unstaged and untracked), relative to the repository root.
pub fn changed_since(repo: &Repository, rev: &str) -> Result<HashSet<String>, GitError> {
    let commit = resolve(repo, rev)?;
    let tree = commit
        .tree()
        .map_err(|e| GitError(e.message().to_string()))?;
    let mut opts = git2::DiffOptions::new();
    opts.include_untracked(true).recurse_untracked_dirs(true);
    let diff = repo
        .diff_tree_to_workdir_with_index(Some(&tree), Some(&mut opts))
        .map_err(|e| GitError(format!("cannot compare with `{rev}`: {}", e.message())))?;
    let mut out = HashSet::new();
    for delta in diff.deltas() {
        if let Some(p) = delta.new_file().path() {
            out.insert(p.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(out)
}

/// Rule files under `roots` in `tree`, read from the object database.
///
/// The tree is walked first (cheap), then the blobs are read in parallel: inflating them is
/// the cost. A `Repository` is not `Sync`, so each worker opens its own handle on the same
/// object database.
pub fn tree_inputs(
    repo: &Repository,
    tree: &Tree<'_>,
    roots: &[String],
) -> Result<Vec<Input>, GitError> {
    use rayon::prelude::*;
    let mut entries: Vec<(String, Oid)> = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() != Some(ObjectType::Blob) {
            return TreeWalkResult::Ok;
        }
        let name = entry.name().unwrap_or("");
        let path = format!("{dir}{name}");
        if (name.ends_with(".yml") || name.ends_with(".yaml")) && under_roots(&path, roots) {
            entries.push((path, entry.id()));
        }
        TreeWalkResult::Ok
    })
    .map_err(|e| GitError(e.message().to_string()))?;
    let git_dir = repo.path().to_path_buf();
    let mut out = entries
        .into_par_iter()
        .map_init(
            || Repository::open(&git_dir),
            |handle, (path, oid)| {
                let handle = handle
                    .as_ref()
                    .map_err(|e| GitError(format!("{}: {}", git_dir.display(), e.message())))?;
                let blob = handle
                    .find_blob(oid)
                    .map_err(|e| GitError(format!("{path}: cannot read blob: {}", e.message())))?;
                Ok(Input {
                    path,
                    origin: Origin::Bytes(Arc::new(blob.content().to_vec())),
                })
            },
        )
        .collect::<Result<Vec<_>, GitError>>()?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Whether a repository-relative path lies under one of the rule roots.
pub fn under_roots(path: &str, roots: &[String]) -> bool {
    roots.iter().any(|r| {
        let r = r.trim_end_matches('/');
        r.is_empty()
            || r == "."
            || path
                .strip_prefix(r)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// The blob id of a path in a tree.
pub fn blob_id(tree: &Tree<'_>, path: &str) -> Option<Oid> {
    tree.get_path(Path::new(path)).ok().map(|e| e.id())
}
