//! Many inputs: files as given, directories walked recursively for CRL files (`.crl`, `.der`,
//! `.pem`, any case), everything else counted as skipped. Symlinks are followed only when they
//! stay inside the directory given, unless asked (`--follow-symlinks`). The list comes out
//! sorted, so every report is in input order whatever finishes first.

use std::path::{Path, PathBuf};

use crate::support::failure::Failure;

/// One CRL file found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// Where it is.
    pub path: PathBuf,
    /// Its name relative to the directory given (the file name for a file given as such).
    pub relative: PathBuf,
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// CRL files, sorted by relative name within each input, inputs in the order given.
    pub files: Vec<Found>,
    /// Files and links not taken, with why.
    pub skipped: Vec<(PathBuf, &'static str)>,
}

/// The extensions taken from directories.
pub fn is_crl_name(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["crl", "der", "pem"].iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Walk `inputs`.
pub fn walk(inputs: &[PathBuf], follow_symlinks: bool) -> Result<Walk, Failure> {
    let mut w = Walk::default();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| Failure::io(input.display(), &e))?;
        if meta.is_dir() {
            let root = std::fs::canonicalize(input).map_err(|e| Failure::io(input.display(), &e))?;
            let mut found = Vec::new();
            descend(input, &root, Path::new(""), follow_symlinks, &mut found, &mut w.skipped, 0)?;
            found.sort_by(|a: &Found, b| a.relative.cmp(&b.relative));
            w.files.extend(found);
        } else {
            let name = input.file_name().map_or_else(|| PathBuf::from("crl"), PathBuf::from);
            w.files.push(Found { path: input.clone(), relative: name });
        }
    }
    Ok(w)
}

/// Deeper than this is a loop or a mistake.
const MAX_DEPTH: usize = 64;

fn descend(
    dir: &Path,
    root: &Path,
    relative: &Path,
    follow: bool,
    found: &mut Vec<Found>,
    skipped: &mut Vec<(PathBuf, &'static str)>,
    depth: usize,
) -> Result<(), Failure> {
    if depth > MAX_DEPTH {
        skipped.push((dir.to_path_buf(), "nested too deep (a symlink loop?)"));
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Failure::io(dir.display(), &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| Failure::io(dir.display(), &e))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let rel = relative.join(e.file_name());
        let kind = e.file_type().map_err(|err| Failure::io(path.display(), &err))?;
        let (is_dir, is_file) = if kind.is_symlink() {
            let Ok(target) = std::fs::canonicalize(&path) else {
                skipped.push((path, "broken symlink"));
                continue;
            };
            if !follow && !target.starts_with(root) {
                skipped.push((path, "symlink out of the tree (--follow-symlinks follows it)"));
                continue;
            }
            let m = std::fs::metadata(&target).map_err(|err| Failure::io(path.display(), &err))?;
            (m.is_dir(), m.is_file())
        } else {
            (kind.is_dir(), kind.is_file())
        };
        if is_dir {
            descend(&path, root, &rel, follow, found, skipped, depth + 1)?;
        } else if is_file && is_crl_name(&path) {
            found.push(Found { path, relative: rel });
        } else {
            skipped.push((path, "not .crl, .der or .pem"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_and_keeps_to_the_tree() {
        let base = std::env::temp_dir().join(format!("crlkit-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let tree = base.join("tree");
        std::fs::create_dir_all(tree.join("b/c")).unwrap();
        std::fs::create_dir_all(base.join("outside")).unwrap();
        for f in ["z.crl", "a.PEM", "b/c/x.der", "notes.txt"] {
            std::fs::write(tree.join(f), b"x").unwrap();
        }
        std::fs::write(base.join("outside/o.crl"), b"x").unwrap();
        std::os::unix::fs::symlink(base.join("outside"), tree.join("out")).unwrap();
        std::os::unix::fs::symlink(tree.join("z.crl"), tree.join("b/inside.crl")).unwrap();
        let w = walk(std::slice::from_ref(&tree), false).unwrap();
        let names: Vec<String> = w.files.iter().map(|f| f.relative.display().to_string()).collect();
        assert_eq!(names, ["a.PEM", "b/c/x.der", "b/inside.crl", "z.crl"]);
        assert_eq!(w.skipped.len(), 2, "{:?}", w.skipped);
        let w = walk(std::slice::from_ref(&tree), true).unwrap();
        assert!(w.files.iter().any(|f| f.relative == Path::new("out/o.crl")));
        let _ = std::fs::remove_dir_all(&base);
    }
}
