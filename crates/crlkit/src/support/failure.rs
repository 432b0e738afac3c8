//! What the binary reports when a command cannot do its job, and how it prints it.
//!
//! Every failure prints once on stderr as `crlkit: error[<code>]: <message>`, followed by
//! indented detail lines (where in the input, a hex excerpt), and exits with code 2. The codes
//! are stable: `ErrorKind::code()` of `crlkit-der` for bad input, `io` for files and pipes,
//! `usage` for arguments that cannot work together. An error in a CRL or certificate has the
//! same location line and excerpt whether the input was a file or a pipe: both come from a
//! [`crlkit_der::Excerpt`].

use std::fmt::Write as _;
use std::io;

use crlkit_der::Excerpt;
use crlkit_der::stream::StreamError;

/// A command failure, ready to print.
#[derive(Debug)]
pub struct Failure {
    /// Stable machine-matchable code.
    pub code: &'static str,
    /// One-line message.
    pub message: String,
    /// Further lines, printed indented.
    pub detail: Vec<String>,
    /// For I/O failures, what the OS said (a closed pipe is told apart by kind, not by text).
    pub io_kind: Option<io::ErrorKind>,
}

/// Where in an input an error is, for the `-->` line.
#[derive(Clone, Copy, Debug)]
pub enum Place {
    /// A byte offset into the input as read.
    Byte,
    /// A DER byte offset inside PEM block `n` (from 0, every block of the text counted).
    PemBlock(usize),
    /// A DER byte offset inside certificate `position` (1-based) of a bundle, from PEM block `block`.
    Certificate { position: usize, block: Option<usize> },
}

impl Failure {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), detail: Vec::new(), io_kind: None }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new("usage", message)
    }

    pub fn io(what: impl std::fmt::Display, err: &io::Error) -> Self {
        Self { io_kind: Some(err.kind()), ..Self::new("io", format!("{what}: {err}")) }
    }

    /// A parse error in `name` at `place`, with the bytes around it when they are known.
    pub fn parse(name: &str, err: &crlkit_der::Error, excerpt: Option<&Excerpt>, place: Place) -> Self {
        let kind = err.kind();
        let mut f = Self::new(kind.code(), format!("{name}: {err}"));
        let offset = err.offset();
        let location = match place {
            Place::Byte => format!("--> {name}, byte {offset} (0x{offset:x})"),
            Place::PemBlock(b) => format!("--> {name}, PEM block {}, DER byte {offset} (0x{offset:x})", b + 1),
            Place::Certificate { position, block: Some(b) } => {
                format!("--> {name}, certificate {position} (PEM block {}), DER byte {offset} (0x{offset:x})", b + 1)
            }
            Place::Certificate { position, block: None } => {
                format!("--> {name}, certificate {position}, byte {offset} (0x{offset:x})")
            }
        };
        f.detail.push(location);
        if let Some(x) = excerpt {
            f.detail.extend(hex_excerpt(x, offset));
        }
        if matches!(kind, crlkit_der::ErrorKind::IndefiniteLength | crlkit_der::ErrorKind::NonMinimalLength) {
            f.detail.push("help: this is BER, not DER; --lenient re-encodes it to DER".into());
        }
        if kind == crlkit_der::ErrorKind::LengthTooLarge && name == "<stdin>" {
            f.detail.push(
                "help: from stdin, elements and PEM lines over 16 MiB are refused to bound memory; pass a file".into(),
            );
        }
        f
    }

    /// A streaming failure on input `name`; `pem_block` is the PEM block being read, if the
    /// input is PEM.
    pub fn stream(name: &str, e: &StreamError, pem_block: Option<usize>) -> Self {
        match e {
            StreamError::Parse(err, excerpt) => {
                let place = pem_block.map_or(Place::Byte, Place::PemBlock);
                Self::parse(name, err, Some(excerpt), place)
            }
            StreamError::Input(io_err) => match crlkit_der::stream::PemInputError::from_io(io_err) {
                Some(pem) => Self::parse(name, &pem.error, Some(&pem.excerpt), Place::Byte),
                None => Self::io(format!("reading {name}"), io_err),
            },
            StreamError::Output(io_err) => Self::io("writing output", io_err),
        }
    }

    /// True when the failure is a closed pipe on stdout: not worth reporting (like `head`).
    pub fn is_broken_pipe(&self) -> bool {
        self.io_kind == Some(io::ErrorKind::BrokenPipe)
    }

    pub fn print(&self) {
        let mut s = format!("{}{}\n", crate::support::term::error_prefix(self.code), self.message);
        for d in &self.detail {
            let _ = writeln!(s, "  {d}");
        }
        crate::support::term::emit(&s);
    }
}

/// Up to two 16-byte lines around `offset`, with a caret under the byte.
pub fn hex_excerpt(x: &Excerpt, offset: u64) -> Vec<String> {
    let bytes = x.bytes();
    if bytes.is_empty() && !x.reaches_end() {
        return Vec::new();
    }
    let kept_end = x.start() + bytes.len() as u64;
    let at = offset.min(kept_end);
    let start = (at.saturating_sub(8) & !7).max(x.start());
    let end = (start + 16).min(kept_end);
    let mut line = format!("{start:08x}  ");
    let mut caret = " ".repeat(10);
    for (i, b) in bytes[(start - x.start()) as usize..(end - x.start()) as usize].iter().enumerate() {
        let _ = write!(line, "{b:02x} ");
        caret.push_str(if start + i as u64 == offset { "^^ " } else { "   " });
    }
    if offset >= kept_end && x.reaches_end() {
        line.push_str("<end of input>");
        caret.push_str("^^");
    }
    vec![line.trim_end().to_owned(), caret.trim_end().to_owned()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_points_at_the_byte() {
        let bytes: Vec<u8> = (0u8..40).collect();
        let lines = hex_excerpt(&Excerpt::around(&bytes, 0, 20, true), 20);
        assert_eq!(lines[0], "00000008  08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17");
        assert_eq!(lines[1].find("^^"), Some(10 + 12 * 3), "under byte 20 (0x14)");
        let end = hex_excerpt(&Excerpt::around(&bytes[..4], 0, 4, true), 4);
        assert!(end[0].ends_with("<end of input>"), "{end:?}");
        // The same lines from a window of the input that holds the 16 bytes before the offset.
        let window = Excerpt::around(&bytes[4..], 4, 20, true);
        assert_eq!(hex_excerpt(&window, 20), lines);
    }

    #[test]
    fn broken_pipe_by_kind() {
        let pipe = io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(Failure::io("writing to stdout", &pipe).is_broken_pipe());
        let other = io::Error::other("Broken pipe (os error 32)");
        assert!(!Failure::io("writing", &other).is_broken_pipe(), "the text does not decide");
    }
}
