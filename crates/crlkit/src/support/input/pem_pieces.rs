//! Large PEM files in OpenSSL's layout, decoded in parallel pieces read at computed offsets
//! (into memory, into an output file, or as a reader for the streaming parser), so that only
//! the DER is held.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::*;

/// PEM files at least this large are decoded in pieces ([`PemPieces`]). The
/// end-to-end tests of first errors use a PEM text above it (`tests/first_error.rs`).
pub(super) const PEM_IN_PIECES_MIN: u64 = 4 << 20;

/// Full PEM lines read and decoded per piece (about 1 MiB of text).
const PEM_PIECE_LINES: usize = 16 * 1024;

/// A large PEM file in OpenSSL's layout (one `X509 CRL` block filling the file, 64 characters
/// per line), to be decoded in parallel pieces read at computed offsets (`pread`, no map of
/// the text): only the DER is held, so peak memory is the DER's size rather than text plus
/// DER. Anything that does not fit that layout, or anything wrong in it, gives `None`: the
/// caller then maps the file and decodes it as any text, and that path reports the error, so
/// errors are the same either way.
pub struct PemPieces {
    pub(super) path: PathBuf,
    pub(super) name: String,
    pub(super) file: File,
    pub(super) stamp: Stamp,
    pub(super) len: u64,
    /// Full lines before the last line (a full last line may end in padding, so it is left
    /// to the line decoder with the END line).
    pub(super) full_lines: usize,
}

impl PemPieces {
    /// `None` for a file under [`PEM_IN_PIECES_MIN`] or without the BEGIN and END lines of
    /// one CRL at its two ends.
    pub fn open(path: &Path) -> Result<Option<Self>, Failure> {
        use crlkit_der::pem::{BEGIN_X509_CRL, END_X509_CRL, LINE_OUTPUT};
        use std::os::unix::fs::FileExt;
        let name = path.display().to_string();
        let io = |e: &io::Error| Failure::io(format!("reading {name}"), e);
        let Ok(file) = File::open(path) else { return Ok(None) };
        let meta = file.metadata().map_err(|e| io(&e))?;
        let len = meta.len();
        if !meta.is_file() || len < PEM_IN_PIECES_MIN {
            return Ok(None);
        }
        let (mut head, mut tail) = ([0u8; BEGIN_X509_CRL.len()], [0u8; END_X509_CRL.len()]);
        file.read_exact_at(&mut head, 0).map_err(|e| io(&e))?;
        file.read_exact_at(&mut tail, len - END_X509_CRL.len() as u64).map_err(|e| io(&e))?;
        if head != BEGIN_X509_CRL || tail != END_X509_CRL {
            return Ok(None);
        }
        let body_len = usize::try_from(len - (BEGIN_X509_CRL.len() + END_X509_CRL.len()) as u64).unwrap_or(0);
        let mut full_lines = body_len / LINE_OUTPUT;
        if body_len.is_multiple_of(LINE_OUTPUT) {
            full_lines = full_lines.saturating_sub(1);
        }
        if full_lines == 0 {
            return Ok(None);
        }
        let stamp = Stamp::of(&meta);
        Ok(Some(Self { path: path.to_path_buf(), name, file, stamp, len, full_lines }))
    }

    /// The file's size in bytes.
    pub fn size(&self) -> u64 {
        self.len
    }

    pub(super) fn read_failure(&self, e: &io::Error) -> Failure {
        Failure::io(format!("reading {}", self.name), e)
    }

    /// Read the text of piece `i` (`lines` full lines) into `text`.
    pub(super) fn piece_text(&self, i: usize, lines: usize, text: &mut Vec<u8>) -> Result<(), Failure> {
        use crlkit_der::pem::{BEGIN_X509_CRL, LINE_OUTPUT};
        use std::os::unix::fs::FileExt;
        text.resize(lines * LINE_OUTPUT, 0);
        let at = (BEGIN_X509_CRL.len() + i * PEM_PIECE_LINES * LINE_OUTPUT) as u64;
        self.file.read_exact_at(text, at).map_err(|e| self.read_failure(&e))
    }

    /// The DER of the last line, through the line decoder with the BEGIN and END lines.
    pub(super) fn last_line(&self) -> Result<Option<Vec<u8>>, Failure> {
        use crlkit_der::pem::{BEGIN_X509_CRL, LINE_OUTPUT};
        use std::os::unix::fs::FileExt;
        let rest_at = (BEGIN_X509_CRL.len() + self.full_lines * LINE_OUTPUT) as u64;
        let mut rest = BEGIN_X509_CRL.to_vec();
        let begin = rest.len();
        rest.resize(begin + usize::try_from(self.len - rest_at).unwrap_or(0), 0);
        self.file.read_exact_at(&mut rest[begin..], rest_at).map_err(|e| self.read_failure(&e))?;
        let Ok(mut last) = crlkit_der::pem::decode_all(&rest) else { return Ok(None) };
        let [block] = last.as_mut_slice() else { return Ok(None) };
        Ok(Some(std::mem::take(&mut block.der)))
    }

    pub(super) fn loaded(self, owned: Option<Vec<u8>>, into: Option<memmap2::Mmap>) -> Loaded {
        let crls = vec![CrlDer { owned, block: Some(0), rewrites: 0 }];
        let raw = Raw::Decoded { path: self.path, file: self.file, stamp: self.stamp, into };
        Loaded { name: self.name, format: Format::Pem, size: self.len, raw, crls, skipped_blocks: 0, lenient: false }
    }

    /// Decode into memory.
    pub fn into_memory(self) -> Result<Option<Loaded>, Failure> {
        use crlkit_der::pem::LINE_INPUT;
        let Some(last) = self.last_line()? else { return Ok(None) };
        let mut der = vec![0u8; self.full_lines * LINE_INPUT + last.len()];
        let (full, tail) = der.split_at_mut(self.full_lines * LINE_INPUT);
        tail.copy_from_slice(&last);
        let decoded = full
            .par_chunks_mut(PEM_PIECE_LINES * LINE_INPUT)
            .enumerate()
            .map_init(Vec::new, |text, (i, out)| {
                self.piece_text(i, out.len() / LINE_INPUT, text)?;
                Ok(crlkit_der::pem::decode_full_lines(text, out))
            })
            .try_reduce(|| true, |a, b| Ok(a && b))?;
        Ok(decoded.then(|| self.loaded(Some(der), None)))
    }

    /// Decode straight into `out` (a new, empty file, opened for reading and writing), each
    /// piece written at its offset from a buffer the thread reuses, then map `out` to read
    /// the DER back. No memory beyond the pieces in flight is allocated for the DER: on this
    /// kind of machine the first touch of a fresh page costs more than decoding it, and the
    /// output's page cache is written either way. `None` leaves `out` partly written (the
    /// caller drops it).
    pub fn into_file(self, out: &File, out_name: &str, progress: &Progress) -> Result<Option<Loaded>, Failure> {
        use crlkit_der::pem::LINE_INPUT;
        use std::os::unix::fs::FileExt;
        let write = |e: &io::Error| Failure::io(format!("writing {out_name}"), e);
        let Some(last) = self.last_line()? else { return Ok(None) };
        let full_len = self.full_lines * LINE_INPUT;
        out.set_len((full_len + last.len()) as u64).map_err(|e| write(&e))?;
        out.write_all_at(&last, full_len as u64).map_err(|e| write(&e))?;
        let pieces = self.full_lines.div_ceil(PEM_PIECE_LINES);
        let decoded = (0..pieces)
            .into_par_iter()
            .map_init(
                || (Vec::new(), Vec::new()),
                |(text, der), i| {
                    let lines = PEM_PIECE_LINES.min(self.full_lines - i * PEM_PIECE_LINES);
                    self.piece_text(i, lines, text)?;
                    der.resize(lines * LINE_INPUT, 0);
                    if !crlkit_der::pem::decode_full_lines(text, der) {
                        return Ok(false);
                    }
                    out.write_all_at(der, (i * PEM_PIECE_LINES * LINE_INPUT) as u64).map_err(|e| write(&e))?;
                    progress.add(text.len() as u64);
                    Ok(true)
                },
            )
            .try_reduce(|| true, |a, b| Ok(a && b))?;
        if !decoded {
            return Ok(None);
        }
        // SAFETY: the map is read-only; `out` is this process's own output, which has no name
        // yet (or a hidden temporary one, `support::output`) and is not written again once
        // mapped. What is validated through the map is what the file holds when committed.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::MmapOptions::new().populate().map(out) }
            .map_err(|e| Failure::io(format!("reading back {out_name}"), &e))?;
        Ok(Some(self.loaded(None, Some(map))))
    }
}

/// The DER of a [`PemPieces`] file as a reader, for the streaming parser: each read decodes
/// as many whole lines as fit from a map of the text, in parallel pieces, straight into the
/// caller's buffer (which the parser reuses), so the DER is never held whole and no fresh
/// memory is taken per read (the text is the file's page cache).
/// A bad character or padding is an `InvalidData` error (the caller then reads the file the
/// general way, which reports it in its place).
pub struct PemPiecesReader<'p> {
    pub(super) pieces: &'p PemPieces,
    /// The file's text, mapped: each task decodes its lines from the page cache itself.
    pub(super) text: memmap2::Mmap,
    /// The next full line to decode.
    pub(super) line: usize,
    /// Decoded bytes not read yet, from `rest_at`: a line decoded for a read shorter than a
    /// line, or the last line.
    pub(super) rest: Vec<u8>,
    pub(super) rest_at: usize,
    /// The DER of the last line (which may end in padding), moved to `rest` once the full
    /// lines are read.
    pub(super) last: Option<Vec<u8>>,
    pub(super) progress: &'p Progress,
}

/// Full lines decoded per parallel task of a read (384 KiB of DER).
const PEM_READ_TASK_LINES: usize = 8 * 1024;

impl PemPieces {
    /// The DER as a [`PemPiecesReader`]; `None` when the last line does not decode.
    pub fn reader<'p>(&'p self, progress: &'p Progress) -> Result<Option<PemPiecesReader<'p>>, Failure> {
        let Some(last) = self.last_line()? else { return Ok(None) };
        // SAFETY: as in `read_file`: read-only, private, never written through; a change to
        // the file while it is read shows in the stamp (`check_unchanged`).
        #[allow(unsafe_code)]
        let text =
            unsafe { memmap2::MmapOptions::new().populate().map(&self.file) }.map_err(|e| self.read_failure(&e))?;
        if text.len() as u64 != self.len {
            return Ok(None);
        }
        Ok(Some(PemPiecesReader {
            pieces: self,
            text,
            line: 0,
            rest: Vec::new(),
            rest_at: 0,
            last: Some(last),
            progress,
        }))
    }

    /// Fail if the file changed since it was opened.
    pub fn check_unchanged(&self) -> Result<(), Failure> {
        check_stamp(&self.file, self.stamp, &self.name)
    }
}

impl PemPiecesReader<'_> {
    /// Decode `out.len() / 48` whole lines from `self.line` into `out`, in parallel tasks.
    pub(super) fn decode_lines(&mut self, out: &mut [u8]) -> io::Result<()> {
        use crlkit_der::pem::BEGIN_X509_CRL;
        use crlkit_der::pem::{LINE_INPUT, LINE_OUTPUT};
        let from = BEGIN_X509_CRL.len() + self.line * LINE_OUTPUT;
        let text = &self.text[from..from + out.len() / LINE_INPUT * LINE_OUTPUT];
        out.par_chunks_mut(PEM_READ_TASK_LINES * LINE_INPUT)
            .zip(text.par_chunks(PEM_READ_TASK_LINES * LINE_OUTPUT))
            .try_for_each(|(out, text)| {
                if crlkit_der::pem::decode_full_lines(text, out) {
                    Ok(())
                } else {
                    Err(io::Error::new(io::ErrorKind::InvalidData, "not base64 in OpenSSL's layout"))
                }
            })?;
        let lines = out.len() / LINE_INPUT;
        self.line += lines;
        self.progress.add((lines * LINE_OUTPUT) as u64);
        Ok(())
    }
}

impl Read for PemPiecesReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use crlkit_der::pem::LINE_INPUT;
        if self.rest_at == self.rest.len() {
            if self.line < self.pieces.full_lines {
                let lines = (buf.len() / LINE_INPUT).min(self.pieces.full_lines - self.line);
                if lines > 0 || buf.is_empty() {
                    self.decode_lines(&mut buf[..lines * LINE_INPUT])?;
                    return Ok(lines * LINE_INPUT);
                }
                let mut line = std::mem::take(&mut self.rest);
                line.resize(LINE_INPUT, 0);
                self.decode_lines(&mut line)?;
                self.rest = line;
            } else if let Some(last) = self.last.take() {
                self.rest = last;
            } else {
                return Ok(0);
            }
            self.rest_at = 0;
        }
        let n = buf.len().min(self.rest.len() - self.rest_at);
        buf[..n].copy_from_slice(&self.rest[self.rest_at..self.rest_at + n]);
        self.rest_at += n;
        Ok(n)
    }
}
