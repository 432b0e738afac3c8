//! Reading CRL inputs: files are memory-mapped (zero copy), stdin is streamed or, for commands
//! that need the whole CRL at once, read whole up to [`STDIN_LIMIT`]; the format (DER or PEM) is
//! detected from the content, never from the file name.
//!
//! Errors are the same whatever the path: a file's CRLs are parsed and validated by the fast
//! (parallel, whole-file) parser, and when it finds anything wrong the input is read once more
//! front to back by the streaming pipeline stdin uses ([`first_failure`]), so a file and the
//! same bytes on a pipe name the same first error, with the same location and excerpt.

use std::fs::File;
use std::path::PathBuf;

use crlkit_der::{CrlRef, Excerpt, Profile, RevokedCertRef};
use rayon::prelude::*;

use crate::support::failure::{Failure, Place};
use crate::support::progress::Progress;

mod mapped;
mod pem_pieces;
mod pipeline;
mod stdin;

use mapped::check_stamp;
pub use mapped::{Bytes, Stamp, read_file};
pub use pem_pieces::PemPieces;
pub use pipeline::{first_failure, in_memory_options, stream_crls};
pub use stdin::{Counted, detect, read_stdin, stdin_stream};

/// The most commands that need a whole CRL read from stdin (everything but `convert`,
/// `inspect` and `list`, which stream it): beyond it they stop with `stdin-too-large` rather
/// than grow without bound. A file of any size is mapped instead.
pub const STDIN_LIMIT: u64 = 1 << 30;

/// How the input is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Der,
    Pem,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Der => "DER",
            Format::Pem => "PEM",
        }
    }
}

/// Where a command reads from.
#[derive(Clone, Debug)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    pub fn parse(arg: &str) -> Self {
        if arg == "-" { Source::Stdin } else { Source::File(PathBuf::from(arg)) }
    }

    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".into(),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// One CRL of an input.
pub struct CrlDer {
    /// Its DER when it is not the input itself (decoded PEM, re-encoded BER).
    owned: Option<Vec<u8>>,
    /// The PEM block it came from (from 0, every block of the text counted).
    pub block: Option<usize>,
    /// Length fields rewritten by `--lenient` (0: the input was DER already).
    pub rewrites: u64,
}

/// A whole input, loaded.
pub struct Loaded {
    pub name: String,
    pub format: Format,
    /// Size of the input as read.
    pub size: u64,
    /// The input as read.
    raw: Raw,
    pub crls: Vec<CrlDer>,
    /// Non-CRL PEM blocks that were skipped (certificates in a bundle).
    pub skipped_blocks: usize,
    lenient: bool,
}

/// What a loaded input keeps of what it read.
enum Raw {
    /// The input's bytes (mapped or read).
    Bytes(Bytes),
    /// A PEM file decoded piece by piece ([`PemPieces`]): only its DER is held, and
    /// the text is mapped again only to report an error.
    /// `into`: the DER, when it was decoded into an output file and mapped back
    /// ([`PemPieces::into_file`]).
    Decoded { path: PathBuf, file: File, stamp: Stamp, into: Option<memmap2::Mmap> },
}

impl Loaded {
    /// The DER of one of its CRLs.
    pub fn der<'s>(&'s self, crl: &'s CrlDer) -> &'s [u8] {
        match (&crl.owned, &self.raw) {
            (Some(owned), _) => owned,
            (None, Raw::Bytes(b)) => b,
            (None, Raw::Decoded { into: Some(map), .. }) => map,
            // Every other CRL of a decoded PEM file holds its DER.
            (None, Raw::Decoded { into: None, .. }) => &[],
        }
    }

    /// Parse every CRL (header and extensions; entries are validated by the caller).
    pub fn parse(&self, profile: Profile) -> Result<Vec<CrlRef<'_>>, Failure> {
        self.crls.iter().map(|c| CrlRef::from_der_with(self.der(c), profile).map_err(|e| self.failure(c, &e))).collect()
    }

    /// The failure to report when the fast parser found `e` in `crl`: the input's first error
    /// in input order (see the module docs), which is `e` itself unless an earlier CRL or an
    /// earlier part of the text is wrong too.
    pub fn failure(&self, crl: &CrlDer, e: &crlkit_der::Error) -> Failure {
        if !self.lenient {
            let first = match &self.raw {
                Raw::Bytes(b) => first_failure(&self.name, self.format, b),
                Raw::Decoded { path, .. } => match read_file(path) {
                    Ok(b) => first_failure(&self.name, self.format, &b),
                    Err(f) => Some(f),
                },
            };
            if let Some(f) = first {
                return f;
            }
        }
        let der = self.der(crl);
        let excerpt = Excerpt::around(der, 0, e.offset(), true);
        Failure::parse(&self.name, e, Some(&excerpt), crl.block.map_or(Place::Byte, Place::PemBlock))
    }

    /// Fail if a mapped input file changed while it was read.
    pub fn check_unchanged(&self) -> Result<(), Failure> {
        match &self.raw {
            Raw::Bytes(b) => b.check_unchanged(&self.name),
            Raw::Decoded { file, stamp, .. } => check_stamp(file, *stamp, &self.name),
        }
    }
}

/// The parsing profile for the `--lenient` flag.
pub fn profile(lenient: bool) -> Profile {
    if lenient { Profile::Lenient } else { Profile::Strict }
}

/// Load a whole input into memory (files mapped, stdin read whole), decode PEM, and with
/// `lenient` re-encode BER to DER.
pub fn load(source: &Source, lenient: bool, command: &str) -> Result<Loaded, Failure> {
    let name = source.name();
    let bytes = match source {
        Source::File(p) => {
            if !lenient
                && let Some(pieces) = PemPieces::open(p)?
                && let Some(loaded) = pieces.into_memory()?
            {
                return Ok(loaded);
            }
            read_file(p)?
        }
        Source::Stdin => Bytes::Owned(read_stdin(command)?),
    };
    from_bytes(name, bytes, lenient)
}

pub fn from_bytes(name: String, bytes: Bytes, lenient: bool) -> Result<Loaded, Failure> {
    let format = detect(&name, &bytes)?;
    let size = bytes.len() as u64;
    let (mut crls, skipped_blocks) = match format {
        Format::Der => (vec![CrlDer { owned: None, block: None, rewrites: 0 }], 0),
        Format::Pem => {
            let (blocks, skipped) = match crlkit_der::pem::decode_crls(&bytes) {
                Ok(b) => b,
                Err(e) => {
                    let canonical = if lenient { None } else { first_failure(&name, format, &bytes) };
                    return Err(canonical.unwrap_or_else(|| {
                        Failure::parse(&name, &e, Some(&Excerpt::around(&bytes, 0, e.offset(), true)), Place::Byte)
                    }));
                }
            };
            let crls =
                blocks.into_iter().map(|b| CrlDer { owned: Some(b.der), block: Some(b.index), rewrites: 0 }).collect();
            (crls, skipped)
        }
    };
    if lenient {
        for c in &mut crls {
            let der = c.owned.as_deref().unwrap_or(&bytes);
            let n = crlkit_der::ber::normalize(der).map_err(|e| {
                let excerpt = Excerpt::around(der, 0, e.offset(), true);
                Failure::parse(&name, &e, Some(&excerpt), c.block.map_or(Place::Byte, Place::PemBlock))
            })?;
            if n.rewrites > 0 {
                c.owned = Some(n.der);
                c.rewrites = n.rewrites;
            }
        }
    }
    Ok(Loaded { name, format, size, raw: Raw::Bytes(bytes), crls, skipped_blocks, lenient })
}

/// Print notes about what loading did, on stderr.
pub fn notes(loaded: &Loaded) {
    if loaded.skipped_blocks > 0 {
        crate::support::term::note(format_args!(
            "{}: skipped {} PEM block(s) that are not CRLs (certificates?)",
            loaded.name, loaded.skipped_blocks
        ));
    }
    for c in &loaded.crls {
        if c.rewrites > 0 {
            crate::support::term::warning(format_args!(
                "{}: re-encoded {} BER length field(s) to DER (--lenient); \
                 the signature may not verify if the CA signed the BER bytes",
                loaded.name, c.rewrites
            ));
        }
    }
}

/// Parse every entry of `crl` in parallel chunks and keep what `keep` returns, in input order,
/// with the number of entries. Parsing an entry validates it, and the first error in input
/// order wins, so neither the result nor the error depends on the thread count.
pub fn par_entries<'a, T: Send>(
    crl: &CrlRef<'a>,
    keep: impl Fn(&RevokedCertRef<'a>) -> Option<T> + Sync,
) -> Result<(Vec<T>, u64), crlkit_der::Error> {
    let chunks = crl.entry_chunks(1 << 20);
    let parts: Vec<Result<(Vec<T>, u64), crlkit_der::Error>> = chunks
        .par_iter()
        .map(|chunk| {
            let mut kept = Vec::new();
            let mut n = 0;
            for e in chunk.entries() {
                kept.extend(keep(&e?));
                n += 1;
            }
            Ok((kept, n))
        })
        .collect();
    let mut all = Vec::with_capacity(parts.iter().map(|p| p.as_ref().map_or(0, |p| p.0.len())).sum());
    let mut count = 0;
    for p in parts {
        let (kept, n) = p?;
        all.extend(kept);
        count += n;
    }
    Ok((all, count))
}

/// `bytes` cut into pieces of about `size` bytes that end just after a newline (or at the
/// end), for line-oriented work in parallel.
pub fn line_pieces(bytes: &[u8], size: usize) -> Vec<std::ops::Range<usize>> {
    let mut pieces = Vec::with_capacity(bytes.len() / size.max(1) + 1);
    let mut start = 0;
    while start < bytes.len() {
        let mut end = (start + size).min(bytes.len());
        if end < bytes.len() {
            end = memchr::memchr(b'\n', &bytes[end..]).map_or(bytes.len(), |n| end + n + 1);
        }
        pieces.push(start..end);
        start = end;
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::pem_pieces::PEM_IN_PIECES_MIN;
    use super::stdin::read_capped;
    use super::*;
    use std::io::{self, Read};

    #[test]
    fn stdin_reads_are_capped() {
        assert_eq!(read_capped(&b"abcd"[..], 4, "verify").unwrap(), b"abcd");
        let f = read_capped(&b"abcde"[..], 4, "verify").unwrap_err();
        assert_eq!(f.code, "stdin-too-large");
        assert!(f.message.contains("verify reads stdin whole"), "{}", f.message);
    }

    /// The reader gives the DER of the text whatever the size of each read: whole lines in
    /// parallel pieces, a line cut across reads, the padded last line. Any bytes do (it
    /// decodes base64; the parser after it checks the CRL).
    #[test]
    fn pem_pieces_read_as_the_der_in_reads_of_any_size() {
        let der: Vec<u8> = (0..3_300_001u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let pem = crlkit_der::pem::encode(&der);
        assert!(pem.len() as u64 >= PEM_IN_PIECES_MIN, "{}", pem.len());
        let dir = std::env::temp_dir().join(format!("crlkit-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.pem");
        std::fs::write(&path, &pem).unwrap();
        let pieces = PemPieces::open(&path).unwrap().expect("OpenSSL's layout");
        let progress = Progress::start("test", pieces.size(), false);
        for sizes in [&[1 << 20][..], &[4 << 20], &[1, 7, 47, 48, 49, 100_000], &[3 << 20, 5, 95]] {
            let mut r = pieces.reader(&progress).unwrap().expect("a good last line");
            let (mut got, mut buf, mut k) = (Vec::new(), vec![0u8; 4 << 20], 0);
            loop {
                let n = r.read(&mut buf[..sizes[k % sizes.len()]]).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
                k += 1;
            }
            assert!(got == der, "reads of {sizes:?}: {} bytes of {}", got.len(), der.len());
        }
        // A character outside the alphabet in a full line is an error, not garbage.
        let mut bad = pem.clone();
        bad[pem.len() / 2] = b'*';
        std::fs::write(&path, &bad).unwrap();
        let pieces = PemPieces::open(&path).unwrap().expect("OpenSSL's layout");
        let mut r = pieces.reader(&progress).unwrap().expect("a good last line");
        let e = std::io::copy(&mut r, &mut std::io::sink()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn formats_are_detected_from_content() {
        assert_eq!(detect("x", &[0x30, 0x03]).unwrap(), Format::Der);
        assert_eq!(detect("x", b"note\n-----BEGIN X509 CRL-----\n").unwrap(), Format::Pem);
        assert_eq!(detect("x", b"").unwrap_err().code, "empty-input");
        assert_eq!(detect("x", b"hello").unwrap_err().code, "not-a-crl");
    }
}
