//! Where results go: stdout, or a file written through a temporary file in the same directory
//! and renamed over the target only when complete, so no reader ever sees a half-written file
//! and a failed command leaves nothing behind.

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::failure::Failure;

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

/// A file being written under a temporary name; removed on drop unless committed.
pub struct AtomicFile {
    tmp: PathBuf,
    target: PathBuf,
    file: Option<File>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl AtomicFile {
    pub fn create(target: &Path) -> Result<Self, Failure> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .ok_or_else(|| Failure::usage(format!("{} is not a file path", target.display())))?
            .to_string_lossy()
            .into_owned();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.crlkit-tmp.{}.{n}", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| Failure::io(format!("creating a temporary file in {}", dir.display()), &e))?;
        // Keep the permissions of a file we replace.
        if let Ok(meta) = std::fs::metadata(target) {
            let _ = file.set_permissions(meta.permissions());
        }
        Ok(Self { tmp, target: target.to_path_buf(), file: Some(file) })
    }

    pub fn file(&self) -> &File {
        self.file.as_ref().expect("open until commit")
    }

    /// Flush, optionally fsync, and rename over the target.
    pub fn commit(mut self, sync: bool) -> Result<(), Failure> {
        let file = self.file.take().expect("open until commit");
        if sync {
            file.sync_all().map_err(|e| Failure::io(format!("syncing {}", self.tmp.display()), &e))?;
        }
        drop(file);
        std::fs::rename(&self.tmp, &self.target)
            .map_err(|e| Failure::io(format!("renaming into {}", self.target.display()), &e))?;
        if sync && let Some(dir) = self.target.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        self.tmp = PathBuf::new();
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            self.file.take();
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// A `Write` for a destination: the temporary file or locked stdout, buffered.
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

    /// Flush and, for files, rename into place.
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
