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
///
/// Inputs whose git index entry proves the working-tree file is the blob get that entry's
/// stat data ([`BlobRef::index_stat`]; see [`index_proofs`]). The index is read on another
/// thread while the tree is walked.
pub fn tree_inputs(
    repo: &Repository,
    tree: &Tree<'_>,
    roots: &[String],
) -> Result<Vec<Input>, GitError> {
    let git_dir = Arc::new(repo.path().to_path_buf());
    let workdir = repo.workdir().map(Path::to_path_buf);
    let mut out: Vec<(Input, i32)> = Vec::new();
    let index = std::thread::scope(|scope| {
        let index = workdir
            .is_some()
            .then(|| scope.spawn(|| read_index(&git_dir)));
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() != Some(ObjectType::Blob) {
                return TreeWalkResult::Ok;
            }
            let name = entry.name().unwrap_or("");
            let path = format!("{dir}{name}");
            if (name.ends_with(".yml") || name.ends_with(".yaml")) && under_roots(&path, roots) {
                // Regular files only: a symbolic link's blob is the link's target path.
                let regular = matches!(entry.filemode(), 0o100644 | 0o100755);
                let input = Input {
                    origin: Origin::Blob(Box::new(BlobRef {
                        git_dir: git_dir.clone(),
                        id: entry.id(),
                        worktree: workdir.as_ref().filter(|_| regular).map(|w| w.join(&path)),
                        index_stat: None,
                    })),
                    path,
                };
                out.push((input, entry.filemode()));
            }
            TreeWalkResult::Ok
        })
        .map_err(|e| GitError(e.message().to_string()))?;
        Ok::<_, GitError>(index.and_then(|h| h.join().ok().flatten()))
    })?;
    out.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    if let (Some(index), Some(workdir)) = (index, &workdir) {
        index_proofs(&index, workdir, &mut out);
    }
    Ok(out.into_iter().map(|(input, _)| input).collect())
}

/// Index entry flags that make an entry no proof of its file: "assume unchanged" and the
/// merge stage (in `flags`), "skip worktree" and "intent to add" (in `flags_extended`).
const INDEX_ASSUME_VALID: u16 = 0x8000;
const INDEX_STAGE_MASK: u16 = 0x3000;
const INDEX_SKIP_WORKTREE: u16 = 0x4000;
const INDEX_INTENT_TO_ADD: u16 = 0x2000;

/// What the git index holds that [`index_proofs`] needs.
struct IndexFacts {
    /// Entries of rule files that may serve as proofs, in path order: (path, blob id, mode,
    /// stat data).
    entries: Vec<(Vec<u8>, Oid, u32, IndexStat)>,
    /// Paths of `.gitattributes` files in the index, at any stage.
    attributes: HashSet<Vec<u8>>,
}

/// Reads the git index of the repository at `git_dir`, keeping the entries that may prove
/// a working-tree rule file is its blob, as `git status` trusts them:
/// - at stage 0, not marked "assume unchanged", "skip worktree" or "intent to add";
/// - not racily clean: the entry's mtime lies in an earlier second than the index file's
///   (an edit in the second the index was written, or later, could leave the stat data as
///   recorded).
///
/// `None` when no entry can be a proof: no conversion must be able to apply to a checkout
/// (see [`conversions_configured`]), and the index must be readable and unchanged while
/// it is read.
fn read_index(git_dir: &Path) -> Option<IndexFacts> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let repo = Repository::open(git_dir).ok()?;
        if conversions_configured(&repo) {
            return None;
        }
        let index_path = repo.path().join("index");
        // The index file that was read: the same before and after reading it.
        let stamp = || {
            std::fs::metadata(&index_path)
                .ok()
                .map(|m| (m.mtime(), m.mtime_nsec(), m.size(), m.ino(), m.ctime_nsec()))
        };
        let before = stamp()?;
        let index = repo.index().ok()?;
        if index.path() != Some(index_path.as_path()) || stamp() != Some(before) {
            return None;
        }
        let index_second = before.0;
        let mut facts = IndexFacts {
            entries: Vec::new(),
            attributes: HashSet::new(),
        };
        for entry in index.iter() {
            let path = &entry.path;
            if path.ends_with(b".gitattributes")
                && (path.len() == 14 || path[..path.len() - 14].ends_with(b"/"))
            {
                facts.attributes.insert(entry.path);
                continue;
            }
            if !(path.ends_with(b".yml") || path.ends_with(b".yaml")) {
                continue;
            }
            let unusable = entry.flags & (INDEX_ASSUME_VALID | INDEX_STAGE_MASK) != 0
                || entry.flags_extended & (INDEX_SKIP_WORKTREE | INDEX_INTENT_TO_ADD) != 0;
            let racy = i64::from(entry.mtime.seconds() as u32) >= index_second;
            if !unusable && !racy {
                let stat = IndexStat::of_entry(&entry);
                facts.entries.push((entry.path, entry.id, entry.mode, stat));
            }
        }
        Some(facts)
    }
    #[cfg(not(unix))]
    {
        let _ = git_dir;
        None
    }
}

/// Sets [`BlobRef::index_stat`] on each of `inputs` (in path order, repository-relative
/// paths, with the tree entry's file mode) whose index entry has the blob's id and the tree
/// entry's mode: the proof `git status` trusts that a working-tree file with that stat data
/// is the blob (see [`read_index`] for which entries count).
///
/// None is set when attributes could apply to an input: a `.gitattributes` in the working
/// tree or the index, in the folder of an input or above it.
fn index_proofs(index: &IndexFacts, workdir: &Path, inputs: &mut [(Input, i32)]) {
    let mut folders: HashSet<&str> = HashSet::new();
    for (input, _) in inputs.iter() {
        let mut path = input.path.as_str();
        while let Some(cut) = path.rfind('/').or((!path.is_empty()).then_some(0)) {
            path = &path[..cut];
            if !folders.insert(path) {
                break;
            }
            let attrs = if path.is_empty() {
                ".gitattributes".to_string()
            } else {
                format!("{path}/.gitattributes")
            };
            if index.attributes.contains(attrs.as_bytes())
                || workdir.join(&attrs).symlink_metadata().is_ok()
            {
                return;
            }
        }
    }
    let mut entries = index.entries.iter().peekable();
    for (input, mode) in inputs.iter_mut() {
        let Origin::Blob(blob) = &mut input.origin else {
            continue;
        };
        let path = input.path.as_bytes();
        while entries.next_if(|e| e.0.as_slice() < path).is_some() {}
        if let Some((_, id, entry_mode, stat)) = entries.next_if(|e| e.0.as_slice() == path) {
            if blob.worktree.is_some() && *id == blob.id && *entry_mode == *mode as u32 {
                blob.index_stat = Some(*stat);
            }
        }
    }
}

/// Whether git's configuration or an attributes file outside the tree could convert files
/// at checkout (line endings, filters, `ident`, working-tree encodings).
#[cfg(unix)]
fn conversions_configured(repo: &Repository) -> bool {
    let Ok(config) = repo.config() else {
        return true;
    };
    match config.get_bool("core.autocrlf") {
        Ok(false) => {}
        Err(e) if e.code() == git2::ErrorCode::NotFound => {}
        _ => return true,
    }
    match config.get_path("core.attributesFile") {
        Err(e) if e.code() == git2::ErrorCode::NotFound => {}
        _ => return true,
    }
    // A filter driver (git-lfs, git-crypt, …) may have rewritten files at checkout even if
    // the attributes naming it have been removed since: while any driver is configured, at
    // any level, nothing is taken on the index's word.
    match config.entries(Some(r"^filter\..*\.(smudge|process)$")) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return true;
            }
        }
        Err(_) => return true,
    }
    let mut files = vec![
        repo.path().join("info/attributes"),
        repo.commondir().join("info/attributes"),
        PathBuf::from("/etc/gitattributes"),
    ];
    match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(xdg) => files.push(Path::new(&xdg).join("git/attributes")),
        None => files.extend(
            std::env::var_os("HOME").map(|home| Path::new(&home).join(".config/git/attributes")),
        ),
    }
    files.iter().any(|f| f.symlink_metadata().is_ok())
}

/// The stat data of a git index entry, as git compares it with a file's `lstat` (each field
/// as the index stores it: 32 bits). Two regular files with equal stat data are, for git,
/// the same file unchanged. Like git (built without `USE_STDEV`, its default) and libgit2,
/// the device number is left out: it is not stable on network file systems, and libgit2
/// does not record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexStat {
    ctime: (u32, u32),
    mtime: (u32, u32),
    ino: u32,
    /// `0o100644` or `0o100755`, as git records a regular file.
    mode: u32,
    uid: u32,
    gid: u32,
    size: u32,
}

impl IndexStat {
    fn of_entry(e: &git2::IndexEntry) -> Self {
        IndexStat {
            ctime: (e.ctime.seconds() as u32, e.ctime.nanoseconds()),
            mtime: (e.mtime.seconds() as u32, e.mtime.nanoseconds()),
            ino: e.ino,
            mode: e.mode,
            uid: e.uid,
            gid: e.gid,
            size: e.file_size,
        }
    }

    /// A regular file's stat data, truncated as the index stores it.
    #[cfg(unix)]
    fn of_file(m: &std::fs::Metadata) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        if !m.file_type().is_file() {
            return None;
        }
        Some(IndexStat {
            ctime: (m.ctime() as u32, m.ctime_nsec() as u32),
            mtime: (m.mtime() as u32, m.mtime_nsec() as u32),
            ino: m.ino() as u32,
            mode: if m.mode() & 0o100 != 0 {
                0o100755
            } else {
                0o100644
            },
            uid: m.uid(),
            gid: m.gid(),
            size: m.size() as u32,
        })
    }

    #[cfg(not(unix))]
    fn of_file(_: &std::fs::Metadata) -> Option<Self> {
        None
    }
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
    /// The stat data of the git index entry that proves a working-tree file is the blob, if
    /// there is one (see [`BlobRef::read`]).
    pub index_stat: Option<IndexStat>,
}

/// Where [`BlobRef::read`] took a blob's bytes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The working-tree file, proven by the git index's stat data.
    IndexProof,
    /// The working-tree file, proven by hashing its bytes.
    Hashed,
    /// The object database.
    Objects,
}

impl BlobRef {
    /// The blob's bytes, exactly as committed.
    ///
    /// The working tree's regular file at the blob's path is used when it is proven to be the
    /// blob: reading a file is much cheaper than inflating an object (in a clean checkout,
    /// every file qualifies). There are two proofs:
    /// - The same proof `git status` trusts: git's index has an entry for the path with the
    ///   blob's id, the entry is not racily clean, no line-ending rule, attribute or filter
    ///   can apply to the checkout, and the file's `lstat` data (size, mtime and ctime to the
    ///   nanosecond, inode, mode, owner and group), taken once the file is read, equals the
    ///   entry's (see [`tree_inputs`]). The bytes must also hold no CR,
    ///   no NUL and no `$Id:`, which a past conversion (since switched off) would have left.
    /// - Otherwise, the bytes hash to the blob's id (git's object id: SHA-1 of
    ///   `blob <size>\0<bytes>`, computed with the same collision-detecting SHA-1 as git).
    ///
    /// Otherwise (the file was changed, is missing, or is converted by line-ending rules or
    /// filters) the blob is read from the object database, where libgit2 checks its hash
    /// too. Files over `max_size` bytes are not read from the working tree.
    ///
    /// A `Repository` is not `Sync`: each thread keeps its own handle on the last repository
    /// it read from.
    pub fn read(&self, max_size: u64) -> Result<Vec<u8>, GitError> {
        self.read_from(max_size).map(|(bytes, _)| bytes)
    }

    fn read_from(&self, max_size: u64) -> Result<(Vec<u8>, Source), GitError> {
        if let Some((bytes, proven)) = self
            .worktree
            .as_deref()
            .and_then(|p| read_regular_file(p, max_size, self.index_stat))
        {
            if proven && !conversion_marks(&bytes) {
                return Ok((bytes, Source::IndexProof));
            }
            if Oid::hash_object(ObjectType::Blob, &bytes).is_ok_and(|id| id == self.id) {
                return Ok((bytes, Source::Hashed));
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
            Ok((blob.content().to_vec(), Source::Objects))
        })
    }
}

/// Whether bytes hold what a checkout conversion leaves (CR of CRLF line endings, NUL of a
/// UTF-16 working-tree encoding, a byte above ASCII that a single-byte working-tree encoding
/// would have rewritten, an expanded `$Id:`): such a file is hashed even when the index
/// proves it unchanged since its checkout.
fn conversion_marks(bytes: &[u8]) -> bool {
    !bytes.is_ascii()
        || memchr::memchr2(b'\r', b'\0', bytes).is_some()
        || memchr::memmem::find(bytes, b"$Id:").is_some()
}

/// The bytes of `path` if it is a regular file (not a link, a FIFO or a device) of at most
/// `max_size` bytes, and whether its stat data, taken once the bytes are read, equals
/// `proof`; `None` otherwise or on any error.
///
/// With a proof to check, the file is read first and its stat data taken after: a write
/// that changed any byte read has set its mtime and ctime past the index's second (the
/// kernel updates them before the data), so one `fstat` is both the proof and the type and
/// size check. Without one, the type and size are checked before reading.
fn read_regular_file(
    path: &Path,
    max_size: u64,
    proof: Option<IndexStat>,
) -> Option<(Vec<u8>, bool)> {
    let mut open = std::fs::OpenOptions::new();
    open.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Neither follow a link nor wait for a writer on a FIFO.
        open.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = open.open(path).ok()?;
    // At most `max_size` bytes, whatever the file is.
    let read = |len: u64| crate::load::read_capped(&file, len, max_size).ok()?.ok();
    match proof {
        Some(proof) => {
            let bytes = read(u64::from(proof.size))?;
            let meta = file.metadata().ok()?;
            if !meta.is_file() || bytes.len() as u64 != meta.len() {
                return None;
            }
            Some((bytes, IndexStat::of_file(&meta) == Some(proof)))
        }
        None => {
            let meta = file.metadata().ok()?;
            if !meta.is_file() {
                return None;
            }
            Some((read(meta.len())?, false))
        }
    }
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
            index_stat: None,
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

#[cfg(test)]
mod index_tests {
    use super::*;
    use std::fs::{FileTimes, OpenOptions};
    use std::time::{Duration, SystemTime};

    const TEXT: &[u8] = b"id: 1\ntitle: a rule\n";
    const EDIT: &[u8] = b"id: 2\ntitle: a rule\n";

    /// A repository whose files are `files` (written with their mtime moved by `mtime_shift`
    /// seconds from now), added to the index, which is written, and the tree of that index.
    fn checkout(files: &[(&str, &[u8])], mtime_shift: i64) -> (tempfile::TempDir, git2::Oid) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let now = SystemTime::now();
        let when = if mtime_shift >= 0 {
            now + Duration::from_secs(mtime_shift as u64)
        } else {
            now - Duration::from_secs(mtime_shift.unsigned_abs())
        };
        let mut index = repo.index().unwrap();
        for (path, bytes) in files {
            let file = dir.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, bytes).unwrap();
            set_mtime(&file, when);
            index.add_path(Path::new(path)).unwrap();
        }
        index.write().unwrap();
        let tree = index.write_tree().unwrap();
        (dir, tree)
    }

    fn set_mtime(file: &Path, when: SystemTime) {
        let f = OpenOptions::new().write(true).open(file).unwrap();
        f.set_times(FileTimes::new().set_modified(when)).unwrap();
    }

    /// The inputs of `tree` under `rules`, as `tree_inputs` makes them.
    fn inputs(dir: &Path, tree: git2::Oid) -> Vec<BlobRef> {
        let repo = Repository::open(dir).unwrap();
        let tree = repo.find_tree(tree).unwrap();
        tree_inputs(&repo, &tree, &["rules".to_string()])
            .unwrap()
            .into_iter()
            .map(|i| match i.origin {
                Origin::Blob(b) => *b,
                Origin::Disk(_) => unreachable!("a tree's inputs are blobs"),
            })
            .collect()
    }

    fn one(dir: &Path, tree: git2::Oid) -> BlobRef {
        let mut all = inputs(dir, tree);
        assert_eq!(all.len(), 1);
        all.pop().unwrap()
    }

    #[test]
    fn a_clean_checkout_is_read_without_hashing() {
        let (dir, tree) = checkout(&[("rules/a.yml", TEXT), ("rules/b/c.yml", EDIT)], -100);
        for blob in inputs(dir.path(), tree) {
            assert!(blob.index_stat.is_some(), "{blob:?}");
            let (bytes, source) = blob.read_from(1 << 20).unwrap();
            assert_eq!(source, Source::IndexProof);
            let repo = Repository::open(dir.path()).unwrap();
            assert_eq!(bytes, repo.find_blob(blob.id).unwrap().content());
        }
    }

    #[test]
    fn a_file_edited_with_its_size_and_mtime_restored_is_still_checked() {
        let (dir, tree) = checkout(&[("rules/a.yml", TEXT)], -100);
        let blob = one(dir.path(), tree);
        let file = dir.path().join("rules/a.yml");
        let before = std::fs::metadata(&file).unwrap();
        // A later ctime (the kernel's file clock moves every few milliseconds).
        std::thread::sleep(Duration::from_millis(50));
        std::fs::write(&file, EDIT).unwrap();
        set_mtime(&file, before.modified().unwrap());
        let after = std::fs::metadata(&file).unwrap();
        let (old, new) = (
            IndexStat::of_file(&before).unwrap(),
            IndexStat::of_file(&after).unwrap(),
        );
        assert_eq!(
            (old.size, old.mtime, old.ino),
            (new.size, new.mtime, new.ino)
        );
        assert_ne!(old.ctime, new.ctime);
        assert_eq!(
            blob.read_from(1 << 20).unwrap(),
            (TEXT.to_vec(), Source::Objects)
        );
    }

    #[test]
    fn a_racily_clean_entry_is_hashed() {
        // Modified at or after the second the index was written: the stat data alone cannot
        // tell an edit made in that second.
        let (dir, tree) = checkout(&[("rules/a.yml", TEXT)], 100);
        let blob = one(dir.path(), tree);
        assert_eq!(blob.index_stat, None);
        // It is the raciness that keeps the entry from being a proof: its stat data is the
        // file's.
        let repo = Repository::open(dir.path()).unwrap();
        let entry = repo
            .index()
            .unwrap()
            .get_path(Path::new("rules/a.yml"), 0)
            .unwrap();
        let meta = std::fs::metadata(dir.path().join("rules/a.yml")).unwrap();
        assert_eq!(Some(IndexStat::of_entry(&entry)), IndexStat::of_file(&meta));
        assert_eq!(
            blob.read_from(1 << 20).unwrap(),
            (TEXT.to_vec(), Source::Hashed)
        );
    }

    #[test]
    fn a_changed_file_is_never_taken() {
        let (dir, tree) = checkout(&[("rules/a.yml", TEXT)], -100);
        let blob = one(dir.path(), tree);
        let file = dir.path().join("rules/a.yml");
        // Another size.
        std::fs::write(&file, b"id: 1\ntitle: a longer rule\n").unwrap();
        assert_eq!(
            blob.read_from(1 << 20).unwrap(),
            (TEXT.to_vec(), Source::Objects)
        );
        // The same bytes in a new file (another inode): hashed, not trusted.
        std::fs::remove_file(&file).unwrap();
        std::fs::write(&file, TEXT).unwrap();
        assert_eq!(
            blob.read_from(1 << 20).unwrap(),
            (TEXT.to_vec(), Source::Hashed)
        );
        // Missing.
        std::fs::remove_file(&file).unwrap();
        assert_eq!(
            blob.read_from(1 << 20).unwrap(),
            (TEXT.to_vec(), Source::Objects)
        );
    }

    #[test]
    fn an_index_of_other_content_proves_nothing() {
        let (dir, tree) = checkout(&[("rules/a.yml", TEXT)], -100);
        // Stage an edit: the index entry now names another blob than the tree's.
        let file = dir.path().join("rules/a.yml");
        std::fs::write(&file, EDIT).unwrap();
        set_mtime(&file, SystemTime::now() - Duration::from_secs(100));
        let repo = Repository::open(dir.path()).unwrap();
        let mut index = repo.index().unwrap();
        index.add_path(Path::new("rules/a.yml")).unwrap();
        index.write().unwrap();
        let blob = one(dir.path(), tree);
        assert_eq!(blob.index_stat, None);
        assert_eq!(
            blob.read_from(1 << 20).unwrap(),
            (TEXT.to_vec(), Source::Objects)
        );
    }

    #[test]
    fn no_proof_where_a_conversion_could_apply() {
        // Attributes beside or above an input, in the working tree.
        for attrs in [".gitattributes", "rules/.gitattributes"] {
            let (dir, tree) = checkout(&[("rules/a.yml", TEXT)], -100);
            std::fs::write(dir.path().join(attrs), "*.yml text eol=crlf\n").unwrap();
            assert_eq!(one(dir.path(), tree).index_stat, None, "{attrs}");
        }
        // Only in the index (deleted from the working tree).
        let (dir, tree) = checkout(
            &[("rules/a.yml", TEXT), ("rules/.gitattributes", b"")],
            -100,
        );
        std::fs::remove_file(dir.path().join("rules/.gitattributes")).unwrap();
        assert_eq!(one(dir.path(), tree).index_stat, None);
        // In the repository's own attributes file.
        let (dir, tree) = checkout(&[("rules/a.yml", TEXT)], -100);
        std::fs::write(dir.path().join(".git/info/attributes"), "*.yml ident\n").unwrap();
        assert_eq!(one(dir.path(), tree).index_stat, None);
        // core.autocrlf.
        for value in ["true", "input"] {
            let (dir, tree) = checkout(&[("rules/a.yml", TEXT)], -100);
            let repo = Repository::open(dir.path()).unwrap();
            repo.config()
                .unwrap()
                .set_str("core.autocrlf", value)
                .unwrap();
            assert_eq!(one(dir.path(), tree).index_stat, None, "{value}");
        }
        // A configured filter driver, whatever the attributes say now.
        for key in ["filter.crypt.smudge", "filter.lfs.process"] {
            let (dir, tree) = checkout(&[("rules/a.yml", TEXT)], -100);
            let repo = Repository::open(dir.path()).unwrap();
            repo.config().unwrap().set_str(key, "cat").unwrap();
            assert_eq!(one(dir.path(), tree).index_stat, None, "{key}");
        }
        // Attributes of an unrelated folder, and autocrlf off, leave the proof.
        let (dir, tree) = checkout(&[("rules/a.yml", TEXT), ("docs/.gitattributes", b"")], -100);
        let repo = Repository::open(dir.path()).unwrap();
        repo.config()
            .unwrap()
            .set_bool("core.autocrlf", false)
            .unwrap();
        assert!(one(dir.path(), tree).index_stat.is_some());
    }

    #[test]
    fn what_a_past_conversion_leaves_is_hashed_even_with_a_proof() {
        for text in [
            &b"id: 1\r\ntitle: a rule\r\n"[..],
            b"id: 1\ntitle: $Id: 0123 $\n",
            b"i\0d: 1\n",
            "id: 1\ntitle: caf\u{e9}\n".as_bytes(),
        ] {
            let (dir, tree) = checkout(&[("rules/a.yml", text)], -100);
            let blob = one(dir.path(), tree);
            assert!(blob.index_stat.is_some());
            assert_eq!(
                blob.read_from(1 << 20).unwrap(),
                (text.to_vec(), Source::Hashed)
            );
        }
    }
}
