//! Inputs mapped into memory, and the stamp that tells when another process changed a file
//! while it was read (`input-changed`).

use std::fs::File;
use std::io::Read;
use std::ops::Deref;
use std::path::Path;

use crate::support::failure::Failure;

/// When a file was opened: what tells that another process changed it meanwhile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub(super) len: u64,
    pub(super) modified: Option<std::time::SystemTime>,
    pub(super) changed: (i64, i64),
}

impl Stamp {
    pub(super) fn of(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self { len: meta.len(), modified: meta.modified().ok(), changed: (meta.ctime(), meta.ctime_nsec()) }
    }
}

/// Bytes of an input: a read-only memory map of a file, or owned bytes.
pub enum Bytes {
    Mapped { map: memmap2::Mmap, file: File, stamp: Stamp },
    Owned(Vec<u8>),
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped { map, .. } => map,
            Bytes::Owned(v) => v,
        }
    }
}

impl Bytes {
    /// Fail if the mapped file `name` changed since it was mapped (size, modification or
    /// status-change time): what was read may then mix old and new bytes. Commands call this
    /// after their work and before they commit an output file or print a report.
    pub fn check_unchanged(&self, name: &str) -> Result<(), Failure> {
        let Bytes::Mapped { file, stamp, .. } = self else { return Ok(()) };
        check_stamp(file, *stamp, name)
    }
}

/// Fail with `input-changed` if `file` no longer has the `stamp` it had when it was opened.
pub(super) fn check_stamp(file: &File, stamp: Stamp, name: &str) -> Result<(), Failure> {
    {
        let now = file.metadata().map_err(|e| Failure::io(format!("reading {name}"), &e))?;
        if Stamp::of(&now) == stamp {
            return Ok(());
        }
        Err(Failure::new(
            "input-changed",
            format!(
                "{name} changed while it was being read (size {} -> {} bytes, or its modification time); \
                 nothing was written: run again once it is complete",
                stamp.len,
                now.len()
            ),
        ))
    }
}

/// Map a file into memory (or read it, when it cannot be mapped: empty files, pipes).
pub fn read_file(path: &Path) -> Result<Bytes, Failure> {
    let name = path.display();
    let file = File::open(path).map_err(|e| Failure::io(format!("opening {name}"), &e))?;
    let meta = file.metadata().map_err(|e| Failure::io(format!("reading {name}"), &e))?;
    if meta.is_dir() {
        return Err(Failure::new("io", format!("{name} is a directory, not a file")));
    }
    if meta.is_file() && meta.len() > 0 {
        // Populate: one pass of page-table setup up front is cheaper than a fault per page.
        // SAFETY: the map is read-only and private to this process, and nothing here writes
        // through it. Another process may still change the file underneath: a write in place
        // shows through the map (the stamp taken here differs afterwards, and
        // `Bytes::check_unchanged` fails the command before it writes or prints anything), and
        // a truncation makes reads past the new end fault with SIGBUS, which ends the process
        // at once; output files are nameless until committed (`support::output`), so neither
        // case leaves a partial file. A file replaced by rename is not seen: the map keeps the
        // old contents, which is a consistent view.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) };
        if let Ok(map) = map {
            return Ok(Bytes::Mapped { map, file, stamp: Stamp::of(&meta) });
        }
    }
    let mut v = Vec::new();
    (&file).read_to_end(&mut v).map_err(|e| Failure::io(format!("reading {name}"), &e))?;
    Ok(Bytes::Owned(v))
}
