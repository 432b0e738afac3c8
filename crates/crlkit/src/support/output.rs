//! Where results go: stdout, or a file that appears only when it is complete, so no reader ever
//! sees a half-written file and a failed or interrupted command leaves nothing behind.
//!
//! On Linux the file is written without a name (`O_TMPFILE` in the target's directory) and
//! linked into place when complete (`linkat`), so even SIGKILL or a power cut part-way leaves no
//! file at all. Where the filesystem cannot do that, or `CRLKIT_TEMP_FILES=named` asks for it
//! (tests use it to exercise this path), it is written under a hidden temporary name in the same
//! directory (`.NAME.crlkit-tmp.PID.N`) and renamed over the target; such names are removed on
//! failure, on drop, and on SIGINT, SIGTERM and SIGHUP ([`crate::support::signals`]).

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::support::failure::Failure;
use crate::support::signals;

/// An output destination.
#[derive(Clone, Debug)]
pub enum Dest {
    Stdout,
    File(PathBuf),
}

impl Dest {
    pub fn parse(arg: Option<&str>) -> Self {
        match arg {
            None | Some("-") => Dest::Stdout,
            Some(p) => Dest::File(PathBuf::from(p)),
        }
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self, Dest::Stdout) && io::stdout().is_terminal()
    }
}

/// How the file being written is held until it is complete.
enum Temp {
    /// Nameless (`O_TMPFILE`): linked into place on commit, gone with the process otherwise.
    Unnamed,
    /// Under a hidden temporary name, removed unless committed.
    Named(PathBuf),
}

/// A file being written; it takes its place only on [`AtomicFile::commit`].
pub struct AtomicFile {
    dir: PathBuf,
    target: PathBuf,
    file: Option<File>,
    temp: Temp,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh hidden name for `target` in `dir`.
fn hidden_name(dir: &Path, target: &Path, kind: &str) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.crlkit-{kind}.{}.{n}", std::process::id()))
}

impl AtomicFile {
    pub fn create(target: &Path) -> Result<Self, Failure> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if target.file_name().is_none() {
            return Err(Failure::usage(format!("{} is not a file path", target.display())));
        }
        let (file, temp) = match crlkit_upload::local::nameless_file(&dir) {
            Some(f) => (f, Temp::Unnamed),
            None => {
                let tmp = hidden_name(&dir, target, "tmp");
                signals::remember(&tmp);
                let file = OpenOptions::new().read(true).write(true).create_new(true).open(&tmp).map_err(|e| {
                    signals::forget(&tmp);
                    Failure::io(format!("creating a temporary file in {}", dir.display()), &e)
                })?;
                (file, Temp::Named(tmp))
            }
        };
        // Keep the permissions of a file we replace.
        if let Ok(meta) = std::fs::metadata(target) {
            let _ = file.set_permissions(meta.permissions());
        }
        Ok(Self { dir, target: target.to_path_buf(), file: Some(file), temp })
    }

    pub fn file(&self) -> &File {
        self.file.as_ref().expect("open until commit")
    }

    /// Flush, optionally fsync, and put the file in place of the target.
    pub fn commit(mut self, sync: bool) -> Result<(), Failure> {
        let file = self.file.take().expect("open until commit");
        if sync {
            file.sync_all().map_err(|e| Failure::io(format!("syncing {}", self.target.display()), &e))?;
        }
        let placed = match &self.temp {
            Temp::Unnamed => self.link_into_place(&file),
            Temp::Named(tmp) => std::fs::rename(tmp, &self.target),
        };
        placed.map_err(|e| Failure::io(format!("writing {}", self.target.display()), &e))?;
        if let Temp::Named(tmp) = std::mem::replace(&mut self.temp, Temp::Unnamed) {
            signals::forget(&tmp);
        }
        drop(file);
        if sync {
            let _ = File::open(&self.dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }

    /// Give the nameless file its name (see `crlkit_upload::local::link_into_place`); the
    /// hidden name it may pass through is removed if the process is interrupted meanwhile.
    fn link_into_place(&self, file: &File) -> io::Result<()> {
        let hidden = hidden_name(&self.dir, &self.target, "tmp");
        signals::remember(&hidden);
        let result = crlkit_upload::local::link_into_place(file, &self.target, &hidden);
        signals::forget(&hidden);
        result
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        self.file.take();
        if let Temp::Named(tmp) = &self.temp {
            let _ = std::fs::remove_file(tmp);
            signals::forget(tmp);
        }
    }
}

/// Commit several files as one: all of them take their places, or, if one cannot, none does
/// (files they would have replaced are put back).
pub fn commit_all(files: Vec<AtomicFile>, sync: bool) -> Result<(), Failure> {
    // Keep what would be replaced, so a failure part-way can put it back.
    let mut backups: Vec<Option<PathBuf>> = Vec::new();
    for f in &files {
        let backup = if f.target.exists() {
            let b = hidden_name(&f.dir, &f.target, "old");
            signals::remember(&b);
            std::fs::hard_link(&f.target, &b).map_err(|e| {
                Failure::io(format!("keeping {} until the new one is in place", f.target.display()), &e)
            })?;
            Some(b)
        } else {
            None
        };
        backups.push(backup);
    }
    let targets: Vec<PathBuf> = files.iter().map(|f| f.target.clone()).collect();
    let mut result = Ok(());
    let mut placed = 0;
    for f in files {
        if let Err(e) = f.commit(sync) {
            result = Err(e);
            break;
        }
        placed += 1;
    }
    if result.is_err() {
        for (target, backup) in targets.iter().zip(&backups).take(placed) {
            match backup {
                Some(b) => {
                    let _ = std::fs::rename(b, target);
                }
                None => {
                    let _ = std::fs::remove_file(target);
                }
            }
        }
    }
    for b in backups.iter().flatten() {
        let _ = std::fs::remove_file(b);
        signals::forget(b);
    }
    result
}

/// A `Write` for a destination: the file being written or locked stdout, buffered.
pub enum Sink {
    Stdout(io::BufWriter<io::StdoutLock<'static>>),
    File(io::BufWriter<File>, AtomicFile),
}

impl Sink {
    pub fn open(dest: &Dest) -> Result<Self, Failure> {
        Ok(match dest {
            Dest::Stdout => Sink::Stdout(io::BufWriter::with_capacity(1 << 16, io::stdout().lock())),
            Dest::File(p) => {
                let atomic = AtomicFile::create(p)?;
                let f = atomic.file().try_clone().map_err(|e| Failure::io("duplicating a file handle", &e))?;
                Sink::File(io::BufWriter::with_capacity(1 << 16, f), atomic)
            }
        })
    }

    /// Flush and, for files, put the file in place.
    pub fn finish(self, sync: bool) -> Result<(), Failure> {
        match self {
            Sink::Stdout(mut w) => w.flush().map_err(|e| Failure::io("writing to stdout", &e)),
            Sink::File(w, atomic) => {
                w.into_inner().map_err(|e| Failure::io("writing output", e.error()))?;
                atomic.commit(sync)
            }
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stdout(w) => w.write(buf),
            Sink::File(w, _) => w.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Sink::Stdout(w) => w.write_all(buf),
            Sink::File(w, _) => w.write_all(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(w) => w.flush(),
            Sink::File(w, _) => w.flush(),
        }
    }
}

/// Map a write error to a failure naming the destination.
pub fn write_failure(dest: &Dest, e: &io::Error) -> Failure {
    match dest {
        Dest::Stdout => Failure::io("writing to stdout", e),
        Dest::File(p) => Failure::io(format!("writing {}", p.display()), e),
    }
}

/// Write a finished report to stdout.
pub fn print_stdout(text: &str) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(text.as_bytes()).and_then(|_| stdout.flush()).map_err(|e| write_failure(&Dest::Stdout, &e))
}

/// A report's serde form on stdout, one line: what `--json` prints for the reports of
/// `crlkit_ops` (docs/JSON.md).
pub fn print_json(report: &impl serde::Serialize) -> Result<(), Failure> {
    let mut line = serde_json::to_string(report).map_err(|e| Failure::new("internal", format!("a report: {e}")))?;
    line.push('\n');
    print_stdout(&line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("crlkit-output-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn names(d: &Path) -> Vec<String> {
        let mut v: Vec<_> =
            std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        v.sort();
        v
    }

    #[test]
    fn nameless_until_committed_and_replaces_atomically() {
        let d = dir("nameless");
        let target = d.join("out.pem");
        let f = AtomicFile::create(&target).unwrap();
        assert!(matches!(f.temp, Temp::Unnamed), "this machine's temp dir supports O_TMPFILE");
        f.file().write_all(b"one").unwrap();
        assert!(names(&d).is_empty(), "nothing visible while writing: {:?}", names(&d));
        f.commit(false).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"one");
        // Over an existing file: through a hidden name, renamed over it.
        let f = AtomicFile::create(&target).unwrap();
        f.file().write_all(b"two").unwrap();
        f.commit(true).unwrap();
        assert_eq!((std::fs::read(&target).unwrap(), names(&d)), (b"two".to_vec(), vec!["out.pem".to_owned()]));
        // Dropped without commit: nothing.
        let f = AtomicFile::create(&d.join("never.pem")).unwrap();
        drop(f);
        assert_eq!(names(&d), ["out.pem"]);
    }

    #[test]
    fn commit_all_is_all_or_nothing() {
        let d = dir("all");
        std::fs::write(d.join("a"), b"old a").unwrap();
        let a = AtomicFile::create(&d.join("a")).unwrap();
        a.file().write_all(b"new a").unwrap();
        let b = AtomicFile::create(&d.join("b")).unwrap();
        b.file().write_all(b"new b").unwrap();
        commit_all(vec![a, b], false).unwrap();
        assert_eq!(std::fs::read(d.join("a")).unwrap(), b"new a");
        assert_eq!(names(&d), ["a", "b"]);
        // The second cannot be placed (its directory is gone): the first is put back.
        let sub = d.join("sub");
        std::fs::create_dir(&sub).unwrap();
        let a = AtomicFile::create(&d.join("a")).unwrap();
        a.file().write_all(b"newer a").unwrap();
        let c = AtomicFile::create(&sub.join("c")).unwrap();
        std::fs::remove_dir(&sub).unwrap();
        assert!(commit_all(vec![a, c], false).is_err());
        assert_eq!(std::fs::read(d.join("a")).unwrap(), b"new a", "the old file is back");
        assert_eq!(names(&d), ["a", "b"], "no backup or temporary left");
    }
}
