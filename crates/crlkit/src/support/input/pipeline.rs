//! The streaming pipeline every CRL error is defined by: each CRL of an input parsed front to
//! back, and the first error of bytes already in memory recomputed through it.

use std::io::{BufRead, Read};

use crlkit_der::Profile;
use crlkit_der::stream::{PemCrlReader, StreamError, StreamOptions, Validate, parse_stream};

use super::Format;
use crate::support::failure::Failure;

/// What streaming every CRL of an input saw.
pub struct Streamed {
    /// PEM blocks skipped because they are not CRLs.
    pub skipped_blocks: usize,
}

/// Stream every CRL of an input front to back: `per_crl` gets each one's DER as a reader (the
/// input itself for DER; each CRL block of a PEM text, decoded as it streams) and its number.
/// PEM text between and after the CRLs is checked too. Errors name the input and the PEM
/// block, with the bytes around them.
pub fn stream_crls<R: BufRead>(
    name: &str,
    format: Format,
    src: R,
    max_pem_line: usize,
    mut per_crl: impl FnMut(usize, &mut dyn Read) -> Result<(), StreamError>,
) -> Result<Streamed, Failure> {
    match format {
        Format::Der => {
            let mut src = src;
            per_crl(0, &mut src).map_err(|e| Failure::stream(name, &e, None))?;
            Ok(Streamed { skipped_blocks: 0 })
        }
        Format::Pem => {
            let mut reader = PemCrlReader::with_max_line(src, max_pem_line);
            let mut n = 0;
            loop {
                per_crl(n, &mut reader).map_err(|e| Failure::stream(name, &e, Some(reader.block())))?;
                n += 1;
                let more = reader.next_crl().map_err(|e| Failure::stream(name, &StreamError::Input(e), None))?;
                if !more {
                    return Ok(Streamed { skipped_blocks: reader.skipped_blocks() });
                }
            }
        }
    }
}

/// Options for streaming bytes that are already in memory: no size limit.
pub fn in_memory_options(profile: Profile) -> StreamOptions {
    StreamOptions { profile, max_element: usize::MAX / 2, read_chunk: 1 << 20 }
}

/// The first error of an input in input order, as the streaming pipeline finds it; `None` when
/// every CRL in it is valid (strict profile).
pub fn first_failure(name: &str, format: Format, bytes: &[u8]) -> Option<Failure> {
    let opts = in_memory_options(Profile::Strict);
    stream_crls(name, format, bytes, usize::MAX, |_, r| parse_stream(r, &opts, &mut Validate).map(drop)).err()
}
