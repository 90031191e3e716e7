//! Finding rule files and reading them safely (size limit, UTF-8, BOM).
//!
//! Two kinds of failure: a file that cannot be read at all is an [`IoError`] (the command
//! stops, exit code 2); a file that is read but cannot be used as text is a
//! [`ContentError`], which `lint` reports as a finding (RF003, RF004) while the other files
//! are still checked.

use crate::diagnostic::Span;
use crate::source::SourceFile;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where a rule file's bytes come from.
#[derive(Debug, Clone)]
pub enum Origin {
    Disk(PathBuf),
    /// A blob of a git tree, read from the object database when needed (boxed: most
    /// inputs are files on disk, and a list of 100,000 inputs is copied while it is built).
    Blob(Box<crate::git::BlobRef>),
}

/// A rule file to check: its origin and its repository-relative path.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: String,
    pub origin: Origin,
}

/// An I/O failure (exit code 2), as opposed to bad content (a diagnostic). `path` is the
/// path as given, or repository-relative.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// A path to lint that does not exist.
    #[error("{path}: no such file or directory")]
    NotFound { path: String },
    /// A file or folder that cannot be read.
    #[error("{path}: {error}")]
    Read { path: String, error: std::io::Error },
    /// A blob of the object database that cannot be read.
    #[error("{path}: {error}")]
    Blob {
        path: String,
        error: crate::git::GitError,
    },
    /// Fixed text that cannot be written back.
    #[error("{path}: cannot write fixes: {error}")]
    WriteFixes { path: String, error: std::io::Error },
}

impl IoError {
    /// The process exit code for this error: 2, an I/O error.
    pub fn exit_code(&self) -> u8 {
        2
    }
}

/// A file read but not usable as rule text. `lint` reports it as a finding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    /// Larger than the size limit (`lint.max-file-size`); not read (RF003).
    #[error("file is {size} bytes, over the {limit}-byte limit (lint.max-file-size): not read")]
    TooLarge { size: u64, limit: u64 },
    /// UTF-16 (it starts with a byte-order mark), not UTF-8 (RF004).
    #[error("file is UTF-16, not UTF-8: re-save it as UTF-8")]
    Utf16 {
        /// The first invalid byte, as [`ContentError::NotUtf8`].
        span: Span,
    },
    /// Not valid UTF-8 (RF004). `span` covers the replacement character that stands for the
    /// bad byte in the lossy text returned with the error.
    #[error("file is not valid UTF-8: invalid byte 0x{byte:02x} at line {line} column {column}")]
    NotUtf8 {
        byte: u8,
        line: usize,
        column: usize,
        span: Span,
    },
}

impl ContentError {
    /// Where the problem is (`None`: the whole file).
    pub fn span(&self) -> Option<Span> {
        match self {
            ContentError::TooLarge { .. } => None,
            ContentError::Utf16 { span } | ContentError::NotUtf8 { span, .. } => Some(*span),
        }
    }
}

pub fn is_rule_file(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"))
}

/// Repository-relative, `/`-separated path.
pub fn relative(root: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(root).unwrap_or(p);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Collects the rule files under `paths` (files are taken as given, folders walked for
/// `.yml`/`.yaml`, skipping hidden folders). Sorted by path.
pub fn discover(root: &Path, paths: &[PathBuf]) -> Result<Vec<Input>, IoError> {
    let mut out = Vec::new();
    for p in paths {
        let abs = if p.is_absolute() {
            p.clone()
        } else {
            std::env::current_dir()
                .map(|d| d.join(p))
                .unwrap_or_else(|_| p.clone())
        };
        let meta = std::fs::metadata(&abs).map_err(|error| {
            let path = p.display().to_string();
            if error.kind() == std::io::ErrorKind::NotFound {
                IoError::NotFound { path }
            } else {
                IoError::Read { path, error }
            }
        })?;
        if meta.is_dir() {
            // Canonicalize the folder once; entries below it are joined to it (only symlinks
            // are resolved one by one), which saves a realpath per file.
            let dir = canon(&abs);
            let runs = walk(root, &dir, &relative(root, &dir))?;
            // The walk's runs of files moved once into the list, sized once.
            out.reserve(runs.iter().map(Vec::len).sum());
            for run in runs {
                out.extend(run);
            }
        } else {
            out.push(Input {
                path: relative(root, &canon(&abs)),
                origin: Origin::Disk(abs),
            });
        }
    }
    // A folder's walk gives its files in path order already, each path once; only several
    // paths given, or a symlinked file (named by its target), need the sort and the removal
    // of repeated paths. On every core, stable: of two inputs with one path, the first given
    // is kept.
    use rayon::prelude::*;
    if !out.par_windows(2).all(|w| w[0].path < w[1].path) {
        out.par_sort_by(|a, b| a.path.cmp(&b.path));
        out.dedup_by(|a, b| a.path == b.path);
    }
    Ok(out)
}

fn canon(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

/// Collects the rule files below `dir`, whose path relative to the root is `rel` (`""` for
/// the root itself), in path order (but for symlinked files, named by their target), as
/// runs of files (a folder's files between two of its sub-folders, and the runs of each
/// sub-folder): the caller joins them once, instead of each folder copying all the files
/// below it into one list. Sub-folders are walked in parallel; relative paths are built by
/// appending names, not by re-deriving them from absolute paths.
///
/// The order: a folder's entries are sorted by name, a sub-folder's name followed by `/`, and
/// each sub-folder's files take its place. Every path below a sub-folder `s` starts with
/// `s/`, and a file's name holds no `/`, so this is the order of the whole paths.
fn walk(root: &Path, dir: &Path, rel: &str) -> Result<Vec<Vec<Input>>, IoError> {
    let entries = std::fs::read_dir(dir).map_err(|error| IoError::Read {
        path: dir.display().to_string(),
        error,
    })?;
    let mut files = Vec::new();
    let mut subdirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| IoError::Read {
            path: dir.display().to_string(),
            error,
        })?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let ft = entry.file_type().map_err(|error| IoError::Read {
            path: entry.path().display().to_string(),
            error,
        })?;
        // A rule file by its name (as `is_rule_file`: the name does not start with a dot,
        // so a name ending in `.yml` has the extension `yml`).
        let rule_file = name.ends_with(".yml") || name.ends_with(".yaml");
        if !ft.is_dir() && !rule_file {
            continue;
        }
        let path = entry.path();
        let child = if rel.is_empty() {
            name.to_string()
        } else {
            let mut child = String::with_capacity(rel.len() + 1 + name.len());
            child.push_str(rel);
            child.push('/');
            child.push_str(&name);
            child
        };
        if ft.is_dir() {
            subdirs.push((path, format!("{name}/"), child));
        } else {
            // A symlinked file is named by its target: its name is kept for the order.
            let (rel, name) = if ft.is_symlink() {
                (relative(root, &canon(&path)), Some(name.into_owned()))
            } else {
                (child, None)
            };
            files.push((
                name,
                Input {
                    path: rel,
                    origin: Origin::Disk(path),
                },
            ));
        }
    }
    use rayon::prelude::*;
    let below: Vec<Vec<Vec<Input>>> = subdirs
        .par_iter()
        .map(|(path, _, child)| walk(root, path, child))
        .collect::<Result<_, _>>()?;
    let cut = if rel.is_empty() { 0 } else { rel.len() + 1 };
    Ok(in_path_order(files, cut, subdirs, below))
}

/// A folder's files and the runs of files below each of its sub-folders, merged in order
/// of their names (a sub-folder's followed by `/`), as runs of files. A file's name is its
/// path from byte `cut` on, or the name kept beside it (a symlinked file, named by its
/// target).
fn in_path_order(
    mut files: Vec<(Option<String>, Input)>,
    cut: usize,
    subdirs: Vec<(PathBuf, String, String)>,
    below: Vec<Vec<Vec<Input>>>,
) -> Vec<Vec<Input>> {
    fn name_of(f: &(Option<String>, Input), cut: usize) -> &str {
        match &f.0 {
            Some(name) => name,
            None => &f.1.path[cut..],
        }
    }
    files.sort_unstable_by(|a, b| name_of(a, cut).cmp(name_of(b, cut)));
    let mut below: Vec<(String, Vec<Vec<Input>>)> = subdirs
        .into_iter()
        .map(|(_, key, _)| key)
        .zip(below)
        .collect();
    below.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<Vec<Input>> = Vec::new();
    let mut files = files.into_iter().peekable();
    for (key, runs) in below {
        let run: Vec<Input> = std::iter::from_fn(|| {
            files
                .next_if(|f| name_of(f, cut) < key.as_str())
                .map(|(_, input)| input)
        })
        .collect();
        if !run.is_empty() {
            out.push(run);
        }
        out.extend(runs.into_iter().filter(|r| !r.is_empty()));
    }
    let run: Vec<Input> = files.map(|(_, input)| input).collect();
    if !run.is_empty() {
        out.push(run);
    }
    out
}

/// A file read but not usable, with the best source available for rendering the problem.
pub type BadContent = (ContentError, SourceFile);

/// Reads an input into a `SourceFile`. Bad content (too large, not UTF-8) comes back as a
/// [`ContentError`] with the best source available for rendering; unreadable files are I/O
/// errors.
pub fn read(input: &Input, max_size: u64) -> Result<Result<SourceFile, BadContent>, IoError> {
    let bytes = match &input.origin {
        Origin::Disk(p) => return read_disk(input, p, max_size).map(|(r, _)| r),
        Origin::Blob(blob) => {
            let bytes = blob.read(max_size).map_err(|error| IoError::Blob {
                path: input.path.clone(),
                error,
            })?;
            if bytes.len() as u64 > max_size {
                return Ok(Err(too_large(input, bytes.len() as u64, max_size)));
            }
            bytes
        }
    };
    Ok(decode(&input.path, bytes))
}

/// Opens a regular file for reading. Anything else named like a rule file (a FIFO, a
/// device, a socket) is an error, not a read that might never end: on Unix the file is
/// opened without blocking (a FIFO with no writer would block the open) and its type is
/// checked before anything is read.
pub(crate) fn open_regular(p: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let file = opts.open(p)?;
    let ft = file.metadata()?.file_type();
    if !ft.is_file() {
        return Err(std::io::Error::other(if ft.is_dir() {
            "is a folder, not a rule file"
        } else {
            "not a regular file (a FIFO, device or socket): not read"
        }));
    }
    Ok(file)
}

/// The bytes of an open file whose metadata gives `len` bytes, if there are at most
/// `max_size` of them; `Err(size)` when there are more (by its metadata, or read: a file may
/// grow while it is read), without reading past the limit.
pub(crate) fn read_capped(
    file: &std::fs::File,
    len: u64,
    max_size: u64,
) -> std::io::Result<Result<Vec<u8>, u64>> {
    if len > max_size {
        return Ok(Err(len));
    }
    let mut buf = Vec::with_capacity(len as usize);
    file.take(max_size + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > max_size {
        return Ok(Err(buf.len() as u64));
    }
    Ok(Ok(buf))
}

fn too_large(input: &Input, len: u64, max: u64) -> BadContent {
    (
        ContentError::TooLarge {
            size: len,
            limit: max,
        },
        SourceFile::new(&input.path, ""),
    )
}

/// Decodes UTF-8 (dropping a BOM).
/// [`read`] of a file on disk at `path`, with the metadata of the file it opened (what the
/// lint cache records).
pub fn read_disk(
    input: &Input,
    path: &Path,
    max_size: u64,
) -> Result<(Result<SourceFile, BadContent>, std::fs::Metadata), IoError> {
    let io = |error: std::io::Error| IoError::Read {
        path: input.path.clone(),
        error,
    };
    let file = open_regular(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    let bytes = match read_capped(&file, meta.len(), max_size).map_err(io)? {
        Ok(buf) => buf,
        Err(size) => return Ok((Err(too_large(input, size, max_size)), meta)),
    };
    Ok((decode(&input.path, bytes), meta))
}

pub fn decode(path: &str, mut bytes: Vec<u8>) -> Result<SourceFile, BadContent> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(path, text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            let src = SourceFile::new(path, lossy);
            let lc = src.line_col(at);
            // The lossy text keeps the valid prefix; the bad byte became U+FFFD there.
            let span = Span::new(at, at + '\u{FFFD}'.len_utf8());
            let e = if utf16 {
                ContentError::Utf16 { span }
            } else {
                ContentError::NotUtf8 {
                    byte: bytes[at],
                    line: lc.line,
                    column: lc.column,
                    span,
                }
            };
            Err((e, src))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_utf8_points_at_the_byte() {
        let (e, _) = decode("a.yml", b"id: x\ntitle: caf\xe9\n".to_vec()).unwrap_err();
        assert!(
            matches!(e, ContentError::NotUtf8 { byte: 0xe9, .. }),
            "{e:?}"
        );
        assert_eq!(e.span(), Some(Span::new(16, 19)));
        assert!(e.to_string().contains("line 2 column 11"), "{e}");
    }

    /// The rule files of a tree whose names sort differently as names and as paths (`a-b/`
    /// before `a.yml`, which is before `a/`; `a0.yaml` after `a/`; upper case first).
    fn tree() -> (tempfile::TempDir, Vec<&'static str>) {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            "B.yml",
            "a-b/y.yml",
            "a.yml",
            "a/c.yml",
            "a/c/z.yml",
            "a/c0/w.yml",
            "a/x.yml",
            "a0.yaml",
            "b.yml",
            "b/a.yml",
        ];
        for f in files {
            let path = dir.path().join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "id: 1\n").unwrap();
        }
        // Not rule files, or hidden.
        std::fs::write(dir.path().join("a/notes.txt"), "x").unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join(".git/h.yml"), "x").unwrap();
        let mut sorted = files.to_vec();
        sorted.sort();
        assert_eq!(sorted, files, "the list above is in path order");
        (dir, files.to_vec())
    }

    fn paths(inputs: &[Input]) -> Vec<&str> {
        inputs.iter().map(|i| i.path.as_str()).collect()
    }

    fn walked(root: &Path, dir: &Path, rel: &str) -> Vec<String> {
        let runs = walk(root, dir, rel).unwrap();
        assert!(runs.iter().all(|r| !r.is_empty()), "no empty run");
        runs.iter().flatten().map(|i| i.path.clone()).collect()
    }

    #[test]
    fn a_walk_gives_its_files_in_path_order() {
        let (dir, files) = tree();
        let root = canon(dir.path());
        assert_eq!(walked(&root, &root, ""), files);
        assert_eq!(
            walked(&root, &root.join("a"), "a"),
            ["a/c.yml", "a/c/z.yml", "a/c0/w.yml", "a/x.yml"]
        );
    }

    #[cfg(unix)]
    #[test]
    fn discovery_sorts_what_a_walk_does_not_order() {
        let (dir, files) = tree();
        let root = canon(dir.path());
        // A symlinked file is named by its target, out of the folder's order.
        std::os::unix::fs::symlink(root.join("a/x.yml"), root.join("0.yml")).unwrap();
        // Several paths given, out of order and overlapping.
        let got = discover(&root, &[root.join("b"), root.clone(), root.join("a/c.yml")]).unwrap();
        assert_eq!(paths(&got), files);
    }

    #[test]
    fn bom_is_dropped() {
        let s = decode("a.yml", b"\xEF\xBB\xBFa: 1\n".to_vec()).unwrap();
        assert_eq!(s.text, "a: 1\n");
    }
}
