//! `ruleforge new`: scaffolds a rule file, or derives one from an existing rule.

use super::authoring::{self, Loaded};
use super::CmdResult;
use crate::diagnostic::Span;
use crate::format::{self, MODELINE_PREFIX};
use crate::lint::rules::rf113_file_name_convention::suggest;
use crate::source::SourceFile;
use crate::yaml::{Entry, Node, NodeKind, Scalar};
use anyhow::{anyhow, Context};
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Folder for the new file (default: the first rule root of `ruleforge.toml`, or `rules/`).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The rule's title (10 to 120 characters); the file name is derived from it.
    #[arg(long)]
    pub title: String,
    /// Copy the rule with this id under a new id, linked to it with `related: derived`.
    #[arg(long, value_name = "RULE_ID")]
    pub from: Option<String>,
}

const SCHEMA: &str = "schemas/rule.schema.json";

/// The path from folder `from` to `to` (both absolute), `/`-separated.
fn relative_path(from: &Path, to: &Path) -> String {
    let f: Vec<Component> = from.components().collect();
    let t: Vec<Component> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

pub(super) fn git_user(root: &Path) -> Option<String> {
    let cfg = git2::Repository::discover(root)
        .and_then(|r| r.config())
        .or_else(|_| git2::Config::open_default())
        .ok()?;
    cfg.get_string("user.name")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn scaffold(id: &str, title: &str, author: &str, today: &str) -> String {
    let q = crate::yaml::emit::quote;
    format!(
        "id: {id}
title: {title}
status: experimental
severity: medium
author: {author}
created: {today}
modified: {today}
description: |
  TODO: what this rule detects, the activity or actor behind it, and where the indicators
  come from.
# references: the public reports the indicators come from (https URLs)
# tags: attack.tNNNN[.NNN], attack.<tactic>, actor.<name>, malware.<name>, cve.YYYY-NNNN
falsepositives:
  - TODO
indicators:
  # Inside a group every type must match (AND); the values of one type are alternatives (OR).
  main:
    file_name:
      - TODO.exe
tests:
  - name: TODO an event this rule must match
    expect: match
    event:
      file.name: TODO.exe
",
        title = q(title),
        author = q(author),
    )
}

fn scalar(value: &str, span: Span) -> Node {
    Node {
        kind: NodeKind::Scalar(Scalar {
            value: value.to_string(),
            plain: false,
            tag: None,
        }),
        span,
    }
}

const NEW: Span = Span {
    start: usize::MAX,
    end: usize::MAX,
};

/// Sets `key` to a string value, keeping the old value's place (and its comments).
fn set(root: &mut Node, key: &str, value: Node) {
    let NodeKind::Map(entries) = &mut root.kind else {
        return;
    };
    match entries
        .iter_mut()
        .find(|e| e.key.as_scalar().is_some_and(|k| k.value == key))
    {
        Some(e) => {
            let span = if matches!(value.kind, NodeKind::Scalar(_)) {
                e.value.span
            } else {
                NEW
            };
            e.value = Node { span, ..value };
        }
        None => entries.push(Entry {
            key: scalar(key, NEW),
            value,
        }),
    }
}

/// The derived rule's text: the original with a new id, title, status, author and dates, and
/// a `related` link to the original.
fn derive(
    file: &crate::rule::RuleFile,
    id: &str,
    title: &str,
    author: Option<&str>,
    today: &str,
) -> anyhow::Result<String> {
    let (node, rule) = file.parsed.as_ref().expect("parsed");
    let old_id = rule
        .id
        .as_ref()
        .map(|i| i.value.clone())
        .unwrap_or_default();
    let mut root = node.clone();
    set(&mut root, "id", scalar(id, NEW));
    set(&mut root, "title", scalar(title, NEW));
    set(&mut root, "status", scalar("experimental", NEW));
    if let Some(a) = author {
        set(&mut root, "author", scalar(a, NEW));
    }
    set(&mut root, "created", scalar(today, NEW));
    set(&mut root, "modified", scalar(today, NEW));
    let link = Node {
        kind: NodeKind::Map(vec![
            Entry {
                key: scalar("id", NEW),
                value: scalar(&old_id, NEW),
            },
            Entry {
                key: scalar("type", NEW),
                value: scalar("derived", NEW),
            },
        ]),
        span: NEW,
    };
    set(
        &mut root,
        "related",
        Node {
            kind: NodeKind::Seq(vec![link]),
            span: NEW,
        },
    );
    format::format_node(&file.source, &root)
        .with_context(|| format!("{}: cannot copy the rule", file.source.path))
}

/// Replaces (or adds) the modeline on the first line.
fn with_modeline(text: &str, modeline: &str) -> String {
    match text.strip_prefix(MODELINE_PREFIX) {
        Some(rest) => {
            let after = rest.find('\n').map_or("", |i| &rest[i + 1..]);
            format!("{modeline}\n{after}")
        }
        None => format!("{modeline}\n{text}"),
    }
}

pub fn exec(args: Args) -> CmdResult {
    let super::Workspace {
        cwd,
        root,
        config: cfg,
        ..
    } = super::Workspace::open(None, &Default::default())?;
    let title = args.title.trim();
    if title.is_empty() {
        return Err(anyhow!("the title is empty"));
    }
    let name = suggest(&format!("{title}.yml"));
    if name == ".yml" {
        return Err(anyhow!(
            "cannot derive a file name from the title `{title}`: use letters or digits"
        ));
    }
    let dir = match &args.dir {
        Some(d) => cwd.join(d),
        None => root.join(cfg.lint.roots.first().map_or("rules", String::as_str)),
    };
    std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
    let dir = dir.canonicalize()?;
    let path = dir.join(&name);
    let shown = authoring::display_path(&path);
    if path.exists() {
        return Err(anyhow!(
            "{shown} already exists: choose another title or --dir"
        ));
    }
    let modeline = format!(
        "{MODELINE_PREFIX} $schema={}",
        relative_path(&dir, &root.join(SCHEMA))
    );
    let id = uuid::Uuid::new_v4().to_string();
    let today = super::today().to_string();
    let author = git_user(&root);
    let text = match &args.from {
        None => {
            let body = scaffold(&id, title, author.as_deref().unwrap_or("TODO"), &today);
            let src = SourceFile::new(name.clone(), format!("{modeline}\n{body}"));
            format::format_source(&src).context("cannot format the new rule")?
        }
        Some(from) => {
            let (ws, paths) = authoring::targets(&[])?;
            let (root, cfg) = (ws.root, ws.config);
            let inputs = crate::load::discover(&root, &paths)?;
            let loaded = authoring::load_all(&inputs, cfg.lint.max_file_size)?;
            let file = loaded
                .iter()
                .find_map(|l| match l {
                    Loaded::Rule(f)
                        if f.rule()
                            .and_then(|r| r.id.as_ref())
                            .is_some_and(|i| i.value.eq_ignore_ascii_case(from.trim())) =>
                    {
                        Some(f)
                    }
                    _ => None,
                })
                .ok_or_else(|| {
                    anyhow!(
                        "no rule with id `{from}` under {}",
                        cfg.lint.roots.join(", ")
                    )
                })?;
            let text = derive(file, &id, title, author.as_deref(), &today)?;
            with_modeline(&text, &modeline)
        }
    };
    // Write atomically, never over an existing file.
    let mut tmp = tempfile::Builder::new()
        .prefix(".ruleforge-")
        .tempfile_in(&dir)
        .with_context(|| dir.display().to_string())?;
    tmp.write_all(text.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| shown.clone())?;
    tmp.persist_noclobber(&path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow!("{shown} already exists: choose another title or --dir")
        } else {
            anyhow::Error::new(e.error).context(shown.clone())
        }
    })?;
    super::print(&format!("{shown}\n"));
    Ok(ExitCode::SUCCESS)
}
