//! What the binary reports when a command cannot do its job, and how it prints it.
//!
//! Every failure prints once on stderr as `crlkit: error[<code>]: <message>`, followed by
//! indented detail lines (where in the file, a hex excerpt), and exits with code 2. The codes
//! are stable: `ErrorKind::code()` of `crlkit-der` for bad input, `io` for files and pipes,
//! `usage` for arguments that cannot work together.

use std::fmt::Write as _;
use std::io;

/// A command failure, ready to print.
#[derive(Debug)]
pub struct Failure {
    /// Stable machine-matchable code.
    pub code: &'static str,
    /// One-line message.
    pub message: String,
    /// Further lines, printed indented.
    pub detail: Vec<String>,
}

impl Failure {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), detail: Vec::new() }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new("usage", message)
    }

    pub fn io(what: impl std::fmt::Display, err: &io::Error) -> Self {
        Self::new("io", format!("{what}: {err}"))
    }

    /// A parse error in `name`, with a hex excerpt of `bytes` around the offset.
    ///
    /// `block` is the PEM block the DER came from, if any.
    pub fn parse(name: &str, err: &crlkit_der::Error, bytes: Option<&[u8]>, block: Option<usize>) -> Self {
        let kind = err.kind();
        let mut f = Self::new(kind.code(), format!("{name}: {err}"));
        let offset = err.offset();
        let location = match block {
            Some(b) => format!("--> {name}, PEM block {}, DER byte {offset} (0x{offset:x})", b + 1),
            None => format!("--> {name}, byte {offset} (0x{offset:x})"),
        };
        f.detail.push(location);
        if let Some(bytes) = bytes {
            f.detail.extend(hex_excerpt(bytes, offset));
        }
        if matches!(kind, crlkit_der::ErrorKind::IndefiniteLength | crlkit_der::ErrorKind::NonMinimalLength) {
            f.detail.push("help: this is BER, not DER; --lenient re-encodes it to DER".into());
        }
        f
    }

    /// True when the failure is a closed pipe on stdout: not worth reporting (like `head`).
    pub fn is_broken_pipe(&self) -> bool {
        self.code == "io" && self.message.ends_with("Broken pipe (os error 32)")
    }

    pub fn print(&self) {
        let mut s = format!("{}{}\n", crate::term::error_prefix(self.code), self.message);
        for d in &self.detail {
            let _ = writeln!(s, "  {d}");
        }
        eprint!("{s}");
    }
}

/// Up to two 16-byte lines around `offset`, with a caret under the byte.
fn hex_excerpt(bytes: &[u8], offset: u64) -> Vec<String> {
    let Ok(offset) = usize::try_from(offset) else { return Vec::new() };
    if bytes.is_empty() {
        return Vec::new();
    }
    let at = offset.min(bytes.len());
    let start = at.saturating_sub(8) & !7;
    let end = (start + 16).min(bytes.len());
    let mut line = format!("{start:08x}  ");
    let mut caret = " ".repeat(10);
    for (i, b) in bytes[start..end].iter().enumerate() {
        let _ = write!(line, "{b:02x} ");
        caret.push_str(if start + i == offset { "^^ " } else { "   " });
    }
    if offset >= bytes.len() {
        line.push_str("<end of input>");
        caret.push_str("^^");
    }
    vec![line.trim_end().to_owned(), caret.trim_end().to_owned()]
}

impl From<crlkit_der::stream::StreamError> for Failure {
    fn from(e: crlkit_der::stream::StreamError) -> Self {
        use crlkit_der::stream::StreamError;
        match e {
            StreamError::Parse(err) => Failure::parse("<stdin>", &err, None, None),
            StreamError::Input(err) => {
                // PEM errors from the decoding reader carry a crlkit-der Error inside.
                match err.get_ref().and_then(|inner| inner.downcast_ref::<crlkit_der::Error>()) {
                    Some(pem) => Failure::parse("<stdin>", pem, None, None),
                    None => Failure::io("reading <stdin>", &err),
                }
            }
            StreamError::Output(err) => Failure::io("writing output", &err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_points_at_the_byte() {
        let bytes: Vec<u8> = (0u8..40).collect();
        let lines = hex_excerpt(&bytes, 20);
        assert_eq!(lines[0], "00000008  08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17");
        assert_eq!(lines[1].find("^^"), Some(10 + 12 * 3), "under byte 20 (0x14)");
        let end = hex_excerpt(&bytes[..4], 4);
        assert!(end[0].ends_with("<end of input>"));
    }
}
