//! Local files that appear only when complete: written nameless (Linux `O_TMPFILE` in the
//! target's directory) and linked into place (`linkat`), so that an interrupted writer, even
//! one killed with SIGKILL, leaves nothing. Shared by `file://` stores and the binary's outputs.

use std::fs::File;
use std::io;
use std::path::Path;

/// A new file without a name in `dir`, open for reading and writing (a caller may map what it
/// wrote to check it before giving it a name), where the OS and the filesystem allow it; `None`
/// otherwise, or when `CRLKIT_TEMP_FILES=named` asks for named temporaries (tests use it to
/// run the fallback path).
pub fn nameless_file(dir: &Path) -> Option<File> {
    if std::env::var_os("CRLKIT_TEMP_FILES").is_some_and(|v| v == "named") {
        return None;
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, Mode, OFlags, openat};
        let flags = OFlags::RDWR | OFlags::TMPFILE | OFlags::CLOEXEC;
        // The mode before the umask, as for any new file.
        openat(CWD, dir, flags, Mode::from_raw_mode(0o666)).ok().map(File::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// Give the nameless `file` the name `target`: straight there when the name is free, else
/// under `hidden` first and renamed over the target (rename replaces atomically, link does
/// not). The caller chooses `hidden` (and may arrange for it to be removed if interrupted).
#[cfg(target_os = "linux")]
pub fn link_into_place(file: &File, target: &Path, hidden: &Path) -> io::Result<()> {
    use rustix::fs::{AtFlags, CWD, linkat};
    use std::os::fd::AsRawFd;
    let proc = format!("/proc/self/fd/{}", file.as_raw_fd());
    match linkat(CWD, proc.as_str(), CWD, target, AtFlags::SYMLINK_FOLLOW) {
        Ok(()) => return Ok(()),
        Err(e) if e == rustix::io::Errno::EXIST => {}
        Err(e) => return Err(e.into()),
    }
    let result = linkat(CWD, proc.as_str(), CWD, hidden, AtFlags::SYMLINK_FOLLOW)
        .map_err(io::Error::from)
        .and_then(|()| std::fs::rename(hidden, target));
    if result.is_err() {
        let _ = std::fs::remove_file(hidden);
    }
    result
}

/// Nameless files exist on Linux only; elsewhere [`nameless_file`] never returns one.
#[cfg(not(target_os = "linux"))]
pub fn link_into_place(_file: &File, _target: &Path, _hidden: &Path) -> io::Result<()> {
    Err(io::Error::other("nameless files exist on Linux only"))
}

/// An exclusive advisory lock on a directory, held until dropped (the kernel drops it if the
/// process dies): what serialises read-compare-write on `file://` stores, which have no
/// conditional update.
#[derive(Debug)]
pub struct DirLock {
    _dir: File,
}

impl DirLock {
    /// Wait for the lock on `dir`.
    pub fn acquire(dir: &Path) -> io::Result<Self> {
        let d = File::open(dir)?;
        rustix::fs::flock(&d, rustix::fs::FlockOperation::LockExclusive)?;
        Ok(Self { _dir: d })
    }
}
