//! The shared build cache kept in bounds. CI builds each run in a fresh clone that shares one
//! target directory (`.ci/run`), and cargo names a workspace crate's outputs after its path, so
//! every clone leaves its own test binaries and incremental caches behind, none of them ever
//! reused: the directory reached 73 GB and filled the disk. `cargo xtask test` first removes
//! those outputs when nothing has touched them for [`STALE_AFTER`]: executables in
//! `<profile>/deps` (test, bench and bin targets of workspace crates; the registry's
//! dependencies are `.rlib`/`.rmeta`/`.so` files, never executables) and incremental caches. A
//! still-wanted one is rebuilt by cargo, which notices the missing output.

use std::path::Path;
use std::time::{Duration, SystemTime};

/// Untouched this long, an output is taken for a leftover.
pub const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Remove the stale outputs under `target` (as of `now`); the bytes freed.
pub fn prune(target: &Path, now: SystemTime) -> u64 {
    let mut freed = 0;
    for profile in ["debug", "release"] {
        let base = target.join(profile);
        let stale = |p: &Path| {
            std::fs::symlink_metadata(p)
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > STALE_AFTER))
        };
        for entry in std::fs::read_dir(base.join("deps")).into_iter().flatten().flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            let executable = {
                use std::os::unix::fs::PermissionsExt as _;
                meta.is_file() && meta.permissions().mode() & 0o111 != 0
            };
            let library = path.extension().is_some_and(|e| e == "so" || e == "rlib" || e == "rmeta" || e == "d");
            if executable && !library && stale(&path) && std::fs::remove_file(&path).is_ok() {
                freed += meta.len();
            }
        }
        for entry in std::fs::read_dir(base.join("incremental")).into_iter().flatten().flatten() {
            let path = entry.path();
            if stale(&path) {
                let size = dir_size(&path);
                if std::fs::remove_dir_all(&path).is_ok() {
                    freed += size;
                }
            }
        }
    }
    freed
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_old_executables_and_incremental_caches_go() {
        use std::os::unix::fs::PermissionsExt as _;
        let target = std::env::temp_dir().join(format!("xtask-prune-{}", std::process::id()));
        let (deps, inc) = (target.join("debug/deps"), target.join("debug/incremental"));
        std::fs::create_dir_all(&deps).unwrap();
        std::fs::create_dir_all(inc.join("old-abc")).unwrap();
        std::fs::create_dir_all(inc.join("new-def")).unwrap();
        std::fs::write(inc.join("old-abc/query-cache.bin"), [0u8; 100]).unwrap();
        let exe = |name: &str| {
            let p = deps.join(name);
            std::fs::write(&p, [0u8; 10]).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
            p
        };
        let (old_test, new_test, proc_macro) = (exe("elb-0123"), exe("elb-4567"), exe("libserde_derive-89.so"));
        let rlib = deps.join("libtokio-ab.rlib");
        std::fs::write(&rlib, [0u8; 10]).unwrap();
        // A day and a bit from now, everything written above is old but what is touched then.
        let later = SystemTime::now() + STALE_AFTER + Duration::from_secs(60);
        let touch = |p: &Path| std::fs::File::options().write(true).open(p).unwrap().set_modified(later).unwrap();
        touch(&new_test);
        std::fs::File::open(inc.join("new-def")).unwrap().set_modified(later).unwrap();
        let freed = prune(&target, later + Duration::from_secs(1));
        assert_eq!(freed, 10 + 100);
        assert!(!old_test.exists() && !inc.join("old-abc").exists());
        assert!(new_test.exists() && proc_macro.exists() && rlib.exists() && inc.join("new-def").exists());
        std::fs::remove_dir_all(&target).unwrap();
    }
}
