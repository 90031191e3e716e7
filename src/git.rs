//! Reading rule sets straight from the git object database (no checkout, no `git` process).

use crate::load::{Input, Origin};
use git2::{Commit, ObjectType, Oid, Repository, Tree, TreeWalkMode, TreeWalkResult};
use std::cell::RefCell;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
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

/// Rule files under `roots` in `tree`, as blobs of the object database.
///
/// Only the tree is walked here; each blob is read when its file is linted, by the thread
/// that lints it, and its text freed once the file is done, so a large revision is never
/// held in memory whole. See [`BlobRef::read`] for how.
pub fn tree_inputs(
    repo: &Repository,
    tree: &Tree<'_>,
    roots: &[String],
) -> Result<Vec<Input>, GitError> {
    let git_dir = Arc::new(repo.path().to_path_buf());
    let workdir = repo.workdir().map(Path::to_path_buf);
    let mut out: Vec<Input> = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() != Some(ObjectType::Blob) {
            return TreeWalkResult::Ok;
        }
        let name = entry.name().unwrap_or("");
        let path = format!("{dir}{name}");
        if (name.ends_with(".yml") || name.ends_with(".yaml")) && under_roots(&path, roots) {
            // Regular files only: a symbolic link's blob is the link's target path.
            let regular = matches!(entry.filemode(), 0o100644 | 0o100755);
            out.push(Input {
                origin: Origin::Blob(BlobRef {
                    git_dir: git_dir.clone(),
                    id: entry.id(),
                    worktree: workdir.as_ref().filter(|_| regular).map(|w| w.join(&path)),
                }),
                path,
            });
        }
        TreeWalkResult::Ok
    })
    .map_err(|e| GitError(e.message().to_string()))?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// A blob of a repository's object database, read when its text is needed.
#[derive(Debug, Clone)]
pub struct BlobRef {
    /// The repository's git folder (`.git`).
    pub git_dir: Arc<PathBuf>,
    pub id: Oid,
    /// The file at the blob's path in the working tree, if the repository has one: read
    /// first, and used only when its bytes are the blob (see [`BlobRef::read`]).
    pub worktree: Option<PathBuf>,
}

impl BlobRef {
    /// The blob's bytes, exactly as committed.
    ///
    /// When the working tree holds a regular file at the blob's path whose bytes hash to the
    /// blob's id (git's object id: SHA-1 of `blob <size>\0<bytes>`, computed with the same
    /// collision-detecting SHA-1 as git), those bytes are the blob and are used: reading a
    /// file is much cheaper than inflating an object (in a clean checkout, every file
    /// qualifies). Otherwise (the file was changed, is missing, or is converted by line-ending
    /// rules or filters) the blob is read from the object database, where libgit2 checks its
    /// hash too. Files over `max_size` bytes are not read from the working tree.
    ///
    /// A `Repository` is not `Sync`: each thread keeps its own handle on the last repository
    /// it read from.
    pub fn read(&self, max_size: u64) -> Result<Vec<u8>, GitError> {
        if let Some(bytes) = self
            .worktree
            .as_deref()
            .and_then(|p| read_regular_file(p, max_size))
        {
            if Oid::hash_object(ObjectType::Blob, &bytes).is_ok_and(|id| id == self.id) {
                return Ok(bytes);
            }
        }
        thread_local! {
            static HANDLE: RefCell<Option<(Arc<PathBuf>, Repository)>> = const { RefCell::new(None) };
        }
        HANDLE.with(|cell| {
            let mut cell = cell.borrow_mut();
            let stale = cell.as_ref().is_none_or(|(dir, _)| **dir != *self.git_dir);
            if stale {
                let repo = Repository::open(&*self.git_dir).map_err(|e| {
                    GitError(format!("{}: {}", self.git_dir.display(), e.message()))
                })?;
                *cell = Some((self.git_dir.clone(), repo));
            }
            let (_, repo) = cell.as_ref().expect("a handle was just opened");
            let blob = repo
                .find_blob(self.id)
                .map_err(|e| GitError(format!("cannot read blob {}: {}", self.id, e.message())))?;
            Ok(blob.content().to_vec())
        })
    }
}

/// The bytes of `path` if it is a regular file (not a link, a FIFO or a device) of at most
/// `max_size` bytes; `None` otherwise or on any error.
fn read_regular_file(path: &Path, max_size: u64) -> Option<Vec<u8>> {
    let mut open = std::fs::OpenOptions::new();
    open.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Neither follow a link nor wait for a writer on a FIFO.
        open.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = open.open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    crate::load::read_capped(file, meta.len(), max_size)
        .ok()?
        .ok()
}

/// A path whose blob differs between two trees: its (id, file mode) on each side, `None`
/// where the side has no blob there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeChange {
    pub path: String,
    pub old: Option<(Oid, i32)>,
    pub new: Option<(Oid, i32)>,
}

/// The blobs that differ between `old` and `new` (either may be absent: everything added or
/// removed), in path order, descending only into folders for which `keep_dir` holds.
///
/// Subtrees with the same id on both sides are skipped without being read, so comparing two
/// commits of a large repository costs in proportion to what changed — libgit2's tree diff
/// reads every tree of both commits. A blob replaced by a folder (or the reverse) is the
/// blob removed (added) and the folder's blobs added (removed); submodules are left out.
pub fn tree_changes(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
    keep_dir: &dyn Fn(&str) -> bool,
) -> Result<Vec<TreeChange>, git2::Error> {
    let mut out = Vec::new();
    walk_changes(repo, old, new, "", keep_dir, &mut out)?;
    // Folder by folder, `a/` comes before `a.yml`; in full paths, after.
    out.sort_by(|x, y| x.path.cmp(&y.path));
    Ok(out)
}

fn walk_changes(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
    dir: &str,
    keep_dir: &dyn Fn(&str) -> bool,
    out: &mut Vec<TreeChange>,
) -> Result<(), git2::Error> {
    type Entry = (Oid, i32, Option<ObjectType>);
    let mut by_name: std::collections::BTreeMap<String, [Option<Entry>; 2]> = Default::default();
    for (side, tree) in [old, new].into_iter().enumerate() {
        for e in tree.into_iter().flat_map(Tree::iter) {
            let name = String::from_utf8_lossy(e.name_bytes()).into_owned();
            by_name.entry(name).or_default()[side] = Some((e.id(), e.filemode(), e.kind()));
        }
    }
    for (name, [a, b]) in by_name {
        if a.is_some() && a == b {
            continue;
        }
        let path = if dir.is_empty() {
            name
        } else {
            format!("{dir}/{name}")
        };
        let of_kind = |e: Option<Entry>, kind| e.filter(|e| e.2 == Some(kind));
        let (blob_a, blob_b) = (of_kind(a, ObjectType::Blob), of_kind(b, ObjectType::Blob));
        if blob_a.is_some() || blob_b.is_some() {
            out.push(TreeChange {
                path: path.clone(),
                old: blob_a.map(|e| (e.0, e.1)),
                new: blob_b.map(|e| (e.0, e.1)),
            });
        }
        let (tree_a, tree_b) = (of_kind(a, ObjectType::Tree), of_kind(b, ObjectType::Tree));
        if (tree_a.is_some() || tree_b.is_some()) && keep_dir(&path) {
            let read = |e: Option<Entry>| e.map(|e| repo.find_tree(e.0)).transpose();
            let (ta, tb) = (read(tree_a)?, read(tree_b)?);
            walk_changes(repo, ta.as_ref(), tb.as_ref(), &path, keep_dir, out)?;
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree of `files` (path, content, executable), written through an index.
    fn tree<'r>(repo: &'r Repository, files: &[(&str, &str, bool)]) -> Tree<'r> {
        let mut index = git2::Index::new().unwrap();
        for (path, content, exec) in files {
            let id = repo.blob(content.as_bytes()).unwrap();
            let mut e = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: if *exec { 0o100755 } else { 0o100644 },
                uid: 0,
                gid: 0,
                file_size: content.len() as u32,
                id,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            };
            e.flags = path.len().min(0xfff) as u16;
            index.add(&e).unwrap();
        }
        let id = index.write_tree_to(repo).unwrap();
        repo.find_tree(id).unwrap()
    }

    /// libgit2's tree diff, as (path, old, new) per path.
    fn libgit2_changes(repo: &Repository, a: &Tree<'_>, b: &Tree<'_>) -> Vec<TreeChange> {
        let diff = repo.diff_tree_to_tree(Some(a), Some(b), None).unwrap();
        let mut by_path: std::collections::BTreeMap<String, TreeChange> = Default::default();
        for d in diff.deltas() {
            for (side, f) in [(0, d.old_file()), (1, d.new_file())] {
                if !f.exists() {
                    continue;
                }
                let path = f.path().unwrap().to_string_lossy().into_owned();
                let c = by_path.entry(path.clone()).or_insert(TreeChange {
                    path,
                    old: None,
                    new: None,
                });
                let v = Some((f.id(), i32::from(f.mode())));
                if side == 0 {
                    c.old = v;
                } else {
                    c.new = v;
                }
            }
        }
        by_path.into_values().collect()
    }

    #[test]
    fn tree_changes_match_libgit2_and_skip_unchanged_folders() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let a = tree(
            &repo,
            &[
                ("rules/a/one.yml", "1", false),
                ("rules/a/two.yml", "2", false),
                ("rules/b/three.yml", "3", false),
                ("rules/gone/four.yml", "4", false),
                ("rules/x", "file becomes a folder", false),
                ("rules/y/z.yml", "folder becomes a file", false),
                ("rules/run.sh", "mode", false),
                ("docs/readme.md", "docs", false),
            ],
        );
        let b = tree(
            &repo,
            &[
                ("rules/a/one.yml", "1 changed", false),
                ("rules/a/two.yml", "2", false),
                ("rules/a.yml", "new beside a folder", false),
                ("rules/b/three.yml", "3", false),
                ("rules/new/five.yml", "5", false),
                ("rules/x/inside.yml", "x", false),
                ("rules/y", "now a file", false),
                ("rules/run.sh", "mode", true),
                ("docs/readme.md", "docs changed", false),
            ],
        );
        let ours = tree_changes(&repo, Some(&a), Some(&b), &|_| true).unwrap();
        assert_eq!(ours, libgit2_changes(&repo, &a, &b));
        let paths: Vec<&str> = ours.iter().map(|c| c.path.as_str()).collect();
        let mut sorted = paths.clone();
        sorted.sort_unstable();
        assert_eq!(paths, sorted, "in path order");
        // Pruned to one folder: nothing outside it is read or reported.
        let ours = tree_changes(&repo, Some(&a), Some(&b), &|d| {
            d == "rules" || d.starts_with("rules/a")
        })
        .unwrap();
        let paths: Vec<&str> = ours.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "rules/a.yml",
                "rules/a/one.yml",
                "rules/run.sh",
                "rules/x",
                "rules/y"
            ]
        );
        // Identical trees: no change at all.
        assert!(tree_changes(&repo, Some(&a), Some(&a), &|_| true)
            .unwrap()
            .is_empty());
    }
}

#[cfg(test)]
mod blob_tests {
    use super::*;

    const TEXT: &[u8] = b"id: 1\ntitle: a rule\n";

    /// A repository holding `TEXT` as a blob, and a `BlobRef` to it whose working-tree file is
    /// `rules/a.yml` (not written yet).
    fn setup() -> (tempfile::TempDir, BlobRef) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let id = repo.blob(TEXT).unwrap();
        std::fs::create_dir_all(dir.path().join("rules")).unwrap();
        let blob = BlobRef {
            git_dir: Arc::new(repo.path().to_path_buf()),
            id,
            worktree: Some(dir.path().join("rules/a.yml")),
        };
        (dir, blob)
    }

    #[test]
    fn a_working_tree_file_that_is_the_blob_is_read_without_the_object_database() {
        let (dir, mut blob) = setup();
        std::fs::write(dir.path().join("rules/a.yml"), TEXT).unwrap();
        // No object database at all: only the working-tree file can answer.
        blob.git_dir = Arc::new(dir.path().join("no-such-git-dir"));
        assert_eq!(blob.read(1 << 20).unwrap(), TEXT);
    }

    #[test]
    fn otherwise_the_committed_blob_is_read() {
        let (dir, blob) = setup();
        let file = dir.path().join("rules/a.yml");
        // Missing.
        assert_eq!(blob.read(1 << 20).unwrap(), TEXT);
        // Edited, even keeping the size.
        std::fs::write(&file, b"id: 2\ntitle: a rule\n").unwrap();
        assert_eq!(blob.read(1 << 20).unwrap(), TEXT);
        // Line endings converted.
        std::fs::write(&file, b"id: 1\r\ntitle: a rule\r\n").unwrap();
        assert_eq!(blob.read(1 << 20).unwrap(), TEXT);
        // Over the size limit (the blob itself is returned; the caller's limit applies).
        std::fs::write(&file, TEXT).unwrap();
        assert_eq!(blob.read(4).unwrap(), TEXT);
        // A folder in its place.
        std::fs::remove_file(&file).unwrap();
        std::fs::create_dir(&file).unwrap();
        assert_eq!(blob.read(1 << 20).unwrap(), TEXT);
    }

    #[cfg(unix)]
    #[test]
    fn links_and_fifos_in_the_working_tree_are_not_followed() {
        let (dir, blob) = setup();
        let file = dir.path().join("rules/a.yml");
        // A link to a file holding exactly the blob's bytes is still not read.
        std::fs::write(dir.path().join("same.yml"), TEXT).unwrap();
        std::os::unix::fs::symlink(dir.path().join("same.yml"), &file).unwrap();
        let mut offline = blob.clone();
        offline.git_dir = Arc::new(dir.path().join("no-such-git-dir"));
        assert!(offline.read(1 << 20).is_err(), "the link was followed");
        assert_eq!(blob.read(1 << 20).unwrap(), TEXT);
        // A FIFO without a writer would block a plain open.
        std::fs::remove_file(&file).unwrap();
        let c = std::ffi::CString::new(file.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        assert_eq!(blob.read(1 << 20).unwrap(), TEXT);
    }
}
