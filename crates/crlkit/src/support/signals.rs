//! Nothing left behind on Ctrl-C: named temporary files and directories (and scratch files) are registered
//! here while they exist; on SIGINT, SIGTERM or SIGHUP a watcher thread removes them and the
//! process then dies of the same signal, as it would have without the handler (so a shell sees
//! "interrupted", exit status 128 + signal). Nameless output files need none of this: the
//! kernel drops them with the process, even on SIGKILL.
//!
//! The handler is installed the first time something is registered, so commands that never
//! write a named file keep the default signal behaviour.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

static PATHS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static INSTALL: Once = Once::new();

/// Remove `path` if the process is interrupted before [`forget`] is called.
pub fn remember(path: &Path) {
    INSTALL.call_once(install);
    PATHS.lock().unwrap_or_else(|p| p.into_inner()).push(path.to_path_buf());
}

/// `path` is committed or removed: no longer ours to clean up.
pub fn forget(path: &Path) {
    let mut paths = PATHS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(i) = paths.iter().position(|p| p == path) {
        paths.swap_remove(i);
    }
}

fn install() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let paths = PATHS.lock().unwrap_or_else(|p| p.into_inner());
            for p in paths.iter() {
                if p.is_dir() {
                    let _ = std::fs::remove_dir_all(p);
                } else {
                    let _ = std::fs::remove_file(p);
                }
            }
            // Die of the signal itself; if that is impossible, exit as shells report it.
            let _ = signal_hook::low_level::emulate_default_handler(signal);
            std::process::exit(128 + signal);
        }
    });
}
