//! Stdin: read whole up to a cap, or streamed with its format detected from the first bytes
//! exactly as for a file; and format detection itself.

use std::io::{self, BufRead, BufReader, Read};

use super::{Format, STDIN_LIMIT};
use crate::support::failure::Failure;

/// Read `src` whole, up to `limit` bytes; beyond that, `stdin-too-large`.
pub fn read_capped(mut src: impl Read, limit: u64, command: &str) -> Result<Vec<u8>, Failure> {
    let mut v = Vec::new();
    (&mut src).take(limit + 1).read_to_end(&mut v).map_err(|e| Failure::io("reading <stdin>", &e))?;
    if v.len() as u64 > limit {
        return Err(Failure::new(
            "stdin-too-large",
            format!(
                "<stdin> holds more than {} MiB, and {command} reads stdin whole; pass the file instead \
                 (files are memory-mapped, not read into memory)",
                limit >> 20
            ),
        ));
    }
    Ok(v)
}

/// Read all of stdin, for commands that need the whole input (capped at [`STDIN_LIMIT`]).
pub fn read_stdin(command: &str) -> Result<Vec<u8>, Failure> {
    read_capped(io::stdin().lock(), STDIN_LIMIT, command)
}

/// Detect the format from the first bytes of an input.
pub fn detect(name: &str, head: &[u8]) -> Result<Format, Failure> {
    match head.first() {
        None => Err(Failure::new("empty-input", format!("{name} is empty"))),
        Some(0x30) => Ok(Format::Der),
        _ if crlkit_der::pem::looks_like_pem(head) => Ok(Format::Pem),
        Some(b) => Err(Failure::new(
            "not-a-crl",
            format!("{name} is neither DER (it starts with 0x{b:02x}, not 0x30) nor PEM (no -----BEGIN line)"),
        )),
    }
}

/// Stdin, ready to stream: its format, detected from the first bytes exactly as for a file,
/// and a reader that still yields those bytes.
pub fn stdin_stream() -> Result<(Format, Box<dyn BufRead>), Failure> {
    let mut stdin = io::stdin().lock();
    let mut head = Vec::new();
    // Enough to tell DER from PEM: the first byte, or a BEGIN line within 64 KiB.
    loop {
        let buf = stdin.fill_buf().map_err(|e| Failure::io("reading <stdin>", &e))?;
        if buf.is_empty() {
            break;
        }
        let n = buf.len().min((64 << 10) - head.len());
        head.extend_from_slice(&buf[..n]);
        stdin.consume(n);
        if head.first() == Some(&0x30) || head.len() >= 64 << 10 || crlkit_der::pem::looks_like_pem(&head) {
            break;
        }
    }
    let format = detect("<stdin>", &head)?;
    let reader = BufReader::with_capacity(1 << 20, io::Cursor::new(head).chain(stdin));
    Ok((format, Box::new(reader)))
}

/// A reader that counts the bytes taken from it (how large a piped input was).
pub struct Counted<R> {
    pub(super) inner: R,
    pub(super) count: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R> Counted<R> {
    /// `inner`, and the count of bytes read from it so far.
    pub fn new(inner: R) -> (Self, std::rc::Rc<std::cell::Cell<u64>>) {
        let count = std::rc::Rc::new(std::cell::Cell::new(0));
        (Self { inner, count: count.clone() }, count)
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.count.set(self.count.get() + n as u64);
        self.inner.consume(n);
    }
}
