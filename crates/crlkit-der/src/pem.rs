//! PEM (RFC 7468) for CRLs: an encoder whose output is byte-identical to
//! `openssl crl -outform PEM`, and a strict decoder.
//!
//! Encoding writes 64 base64 characters per line, i.e. 48 input bytes per line, so any input
//! split on 48-byte multiples encodes independently and each piece's output offset is known in
//! advance ([`pem_len`], [`body_offset`]): that is what lets large CRLs be encoded in parallel.
//!
//! Decoding accepts the labels `X509 CRL` and `CRL` (and reports others, so a bundle's
//! certificates can be skipped), LF or CRLF line ends, explanatory text between blocks, several
//! blocks per file, and any line length. It refuses characters outside the base64 alphabet,
//! misplaced or missing padding, non-zero trailing bits, RFC 1421 headers, and a BEGIN without
//! its END, each with the byte offset in the text.

use std::io::{self, Write};

use crate::error::{Error, ErrorKind, Path};

/// The BEGIN line OpenSSL writes for a CRL, newline included.
pub const BEGIN_X509_CRL: &[u8] = b"-----BEGIN X509 CRL-----\n";
/// The END line OpenSSL writes for a CRL, newline included.
pub const END_X509_CRL: &[u8] = b"-----END X509 CRL-----\n";
/// Input bytes per full PEM line.
pub const LINE_INPUT: usize = 48;
/// Output bytes per full PEM line (64 characters and a newline).
pub const LINE_OUTPUT: usize = 65;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// 12 bits of input to two base64 characters, as little-endian `u16`s ready to store.
static PAIRS: [u16; 4096] = {
    let mut t = [0u16; 4096];
    let mut i = 0;
    while i < 4096 {
        let hi = ALPHABET[i >> 6] as u16;
        let lo = ALPHABET[i & 63] as u16;
        t[i] = hi | (lo << 8);
        i += 1;
    }
    t
};

/// base64 character to its 6-bit value, 0xff for anything else.
static DECODE: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// base64 character to its 6-bit value already shifted to its place in a group of four
/// (index 0 is the first character); anything outside the alphabet (`=` included) sets bits
/// 24 and up, so one OR over a line tells whether all of it was valid.
static DECODE_AT: [[u32; 256]; 4] = {
    let mut t = [[0xff00_0000u32; 256]; 4];
    let mut i = 0;
    while i < 64 {
        let c = ALPHABET[i] as usize;
        t[0][c] = (i as u32) << 18;
        t[1][c] = (i as u32) << 12;
        t[2][c] = (i as u32) << 6;
        t[3][c] = i as u32;
        i += 1;
    }
    t
};

/// Full body lines below which a block is decoded line by line: the fast path's set-up is not
/// worth it for a certificate.
const FAST_MIN_LINES: usize = 64;

/// Full lines per parallel piece (about 1 MiB of text).
#[cfg(feature = "parallel")]
const FAST_PIECE_LINES: usize = 16 * 1024;

/// Decode full lines in OpenSSL's layout, 64 base64 characters and a newline each with no
/// padding, into `out`, 48 bytes per line: `lines.len()` must be a multiple of 65 and `out`
/// exactly 48 bytes per line. Returns false when any line is not exactly that (a character
/// outside the alphabet, `=`, or no newline as its 65th byte); `out` then holds garbage and
/// the caller decodes line by line, which says what is wrong and where.
///
/// Four pre-shifted lookups per group is the fastest safe form measured at the x86-64
/// baseline (SSE2): a 64Ki-entry table of character pairs (half the lookups) ran at the same
/// speed, and a compare-and-select form the compiler vectorizes at 0.6x; the cost is the
/// instruction count, not loads. Faster needs byte shuffles (SSSE3 and up), that is `unsafe`
/// intrinsics or a SIMD crate.
pub fn decode_full_lines(lines: &[u8], out: &mut [u8]) -> bool {
    if !lines.len().is_multiple_of(LINE_OUTPUT) || out.len() != lines.len() / LINE_OUTPUT * LINE_INPUT {
        return false;
    }
    let mut bad = 0u32;
    let mut newlines = true;
    for (line, o) in lines.chunks_exact(LINE_OUTPUT).zip(out.chunks_exact_mut(LINE_INPUT)) {
        let (Ok(line), Ok(o)) = (<&[u8; LINE_OUTPUT]>::try_from(line), <&mut [u8; LINE_INPUT]>::try_from(o)) else {
            return false;
        };
        newlines &= line[64] == b'\n';
        // Four groups (16 characters, 12 bytes) at a time, stored as one 8- and one 4-byte word.
        for q in 0..4 {
            let c = &line[q * 16..q * 16 + 16];
            let group = |i: usize| {
                DECODE_AT[0][usize::from(c[i])]
                    | DECODE_AT[1][usize::from(c[i + 1])]
                    | DECODE_AT[2][usize::from(c[i + 2])]
                    | DECODE_AT[3][usize::from(c[i + 3])]
            };
            let (n0, n1, n2, n3) = (group(0), group(4), group(8), group(12));
            bad |= n0 | n1 | n2 | n3;
            let hi = (u64::from(n0) << 40) | (u64::from(n1) << 16) | (u64::from(n2) >> 8);
            let lo = (n2 << 24) | (n3 & 0x00ff_ffff);
            o[q * 12..q * 12 + 8].copy_from_slice(&hi.to_be_bytes());
            o[q * 12 + 8..q * 12 + 12].copy_from_slice(&lo.to_be_bytes());
        }
    }
    newlines && bad & 0xff00_0000 == 0
}

/// The run of full 64-character lines starting at `body` in `text`, except its last line
/// (which may hold padding, and is left to the line decoder with whatever follows), decoded
/// in parallel pieces. `None` when the run is short or any of its lines is not a plain full
/// line: the caller then decodes the whole block line by line, so errors are the line
/// decoder's. The returned buffer has room for the lines still to come without moving.
fn decode_full_run(text: &[u8], body: usize) -> Option<(Vec<u8>, usize)> {
    // Strided scan: a newline every 65th byte and no boundary line start.
    let mut at = body;
    while at + LINE_OUTPUT <= text.len() && text[at + 64] == b'\n' && text[at] != b'-' {
        at += LINE_OUTPUT;
    }
    let lines = ((at - body) / LINE_OUTPUT).checked_sub(1)?;
    if lines < FAST_MIN_LINES {
        return None;
    }
    let src = &text[body..body + lines * LINE_OUTPUT];
    // Zeroed (fresh pages from the allocator, not written twice) with room for two more lines.
    let mut der = vec![0u8; lines * LINE_INPUT + 2 * LINE_INPUT];
    der.truncate(lines * LINE_INPUT);
    #[cfg(feature = "parallel")]
    let ok = {
        use rayon::prelude::*;
        src.par_chunks(FAST_PIECE_LINES * LINE_OUTPUT)
            .zip(der.par_chunks_mut(FAST_PIECE_LINES * LINE_INPUT))
            .all(|(s, o)| decode_full_lines(s, o))
    };
    #[cfg(not(feature = "parallel"))]
    let ok = decode_full_lines(src, &mut der);
    ok.then_some((der, body + lines * LINE_OUTPUT))
}

/// Length of the body (base64 lines with newlines) for `n` input bytes.
pub const fn body_len(n: usize) -> usize {
    let full = n / LINE_INPUT;
    let rem = n % LINE_INPUT;
    full * LINE_OUTPUT + if rem == 0 { 0 } else { rem.div_ceil(3) * 4 + 1 }
}

/// Length of the whole PEM document OpenSSL writes for `der_len` bytes of DER.
pub const fn pem_len(der_len: usize) -> usize {
    BEGIN_X509_CRL.len() + body_len(der_len) + END_X509_CRL.len()
}

/// Offset in the body of the line that encodes input byte `input_offset` (a multiple of 48).
pub const fn body_offset(input_offset: usize) -> usize {
    input_offset / LINE_INPUT * LINE_OUTPUT
}

#[inline(always)]
fn encode_group(b: &[u8], out: &mut [u8]) {
    let n = (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2]);
    out[0..2].copy_from_slice(&PAIRS[n >> 12].to_le_bytes());
    out[2..4].copy_from_slice(&PAIRS[n & 0xfff].to_le_bytes());
}

/// Eight characters from the 48 bits in the low six bytes of `w`, as one little-endian word.
#[inline(always)]
fn encode_six(w: u64) -> u64 {
    u64::from(PAIRS[((w >> 36) & 0xfff) as usize])
        | (u64::from(PAIRS[((w >> 24) & 0xfff) as usize]) << 16)
        | (u64::from(PAIRS[((w >> 12) & 0xfff) as usize]) << 32)
        | (u64::from(PAIRS[(w & 0xfff) as usize]) << 48)
}

/// One full line: 48 bytes to 64 characters and a newline, six bytes per step read as one
/// word and written as one word of eight characters.
#[inline(always)]
fn encode_line(line: &[u8; LINE_INPUT], o: &mut [u8; LINE_OUTPUT]) {
    for k in 0..7 {
        let b = &line[k * 6..k * 6 + 8];
        let w = u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) >> 16;
        o[k * 8..k * 8 + 8].copy_from_slice(&encode_six(w).to_le_bytes());
    }
    let b = &line[42..48];
    let w = u64::from_be_bytes([0, 0, b[0], b[1], b[2], b[3], b[4], b[5]]);
    o[56..64].copy_from_slice(&encode_six(w).to_le_bytes());
    o[64] = b'\n';
}

/// Encode `input` as PEM body lines into `out`, which must be exactly [`body_len`] long.
/// Only the last line may be shorter than 64 characters.
pub fn encode_body_into(input: &[u8], out: &mut [u8]) {
    assert_eq!(out.len(), body_len(input.len()), "output buffer must be body_len(input) bytes");
    let full = input.len() / LINE_INPUT;
    let (body, last) = out.split_at_mut(full * LINE_OUTPUT);
    for (line, o) in input.chunks_exact(LINE_INPUT).zip(body.chunks_exact_mut(LINE_OUTPUT)) {
        let (Ok(line), Ok(o)) = (<&[u8; LINE_INPUT]>::try_from(line), <&mut [u8; LINE_OUTPUT]>::try_from(o)) else {
            continue;
        };
        encode_line(line, o);
    }
    let rem = &input[full * LINE_INPUT..];
    if rem.is_empty() {
        return;
    }
    let o = last;
    let mut groups = rem.chunks_exact(3);
    let mut at = 0;
    for g in &mut groups {
        encode_group(g, &mut o[at..at + 4]);
        at += 4;
    }
    match *groups.remainder() {
        [a] => {
            o[at] = ALPHABET[usize::from(a >> 2)];
            o[at + 1] = ALPHABET[usize::from((a & 3) << 4)];
            o[at + 2] = b'=';
            o[at + 3] = b'=';
            at += 4;
        }
        [a, b] => {
            o[at] = ALPHABET[usize::from(a >> 2)];
            o[at + 1] = ALPHABET[usize::from(((a & 3) << 4) | (b >> 4))];
            o[at + 2] = ALPHABET[usize::from((b & 15) << 2)];
            o[at + 3] = b'=';
            at += 4;
        }
        _ => {}
    }
    o[at] = b'\n';
}

/// Encode a DER CRL as a complete PEM document (`-----BEGIN X509 CRL-----` …).
pub fn encode(der: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(der, &mut out);
    out
}

/// [`encode`] into `out`, which is resized to the PEM's length: a buffer reused from one CRL
/// to the next is neither cleared nor zeroed again where it was already long enough (a
/// directory of small CRLs spends measurable time zeroing fresh buffers otherwise).
pub fn encode_into(der: &[u8], out: &mut Vec<u8>) {
    out.resize(pem_len(der.len()), 0);
    let (head, rest) = out.split_at_mut(BEGIN_X509_CRL.len());
    head.copy_from_slice(BEGIN_X509_CRL);
    let (body, tail) = rest.split_at_mut(body_len(der.len()));
    encode_body_into(der, body);
    tail.copy_from_slice(END_X509_CRL);
}

/// A streaming PEM encoder: feed DER in pieces of any size, get OpenSSL's exact output.
/// Memory use is one output buffer, whatever the input size.
pub struct PemWriter<W: Write> {
    inner: W,
    carry: [u8; LINE_INPUT],
    carry_len: usize,
    buf: Vec<u8>,
}

const WRITER_LINES: usize = 4096;

impl<W: Write> PemWriter<W> {
    /// Start a CRL PEM document on `inner` (the BEGIN line is written on the first flush).
    pub fn new(inner: W) -> Self {
        let mut buf = Vec::with_capacity(WRITER_LINES * LINE_OUTPUT + BEGIN_X509_CRL.len());
        buf.extend_from_slice(BEGIN_X509_CRL);
        Self { inner, carry: [0; LINE_INPUT], carry_len: 0, buf }
    }

    fn push_lines(&mut self, input: &[u8]) {
        debug_assert_eq!(input.len() % LINE_INPUT, 0);
        let start = self.buf.len();
        self.buf.resize(start + body_len(input.len()), 0);
        encode_body_into(input, &mut self.buf[start..]);
    }

    fn flush_if_full(&mut self) -> io::Result<()> {
        if self.buf.len() >= WRITER_LINES * LINE_OUTPUT {
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Encode more DER bytes.
    pub fn write_der(&mut self, mut data: &[u8]) -> io::Result<()> {
        if self.carry_len > 0 {
            let take = (LINE_INPUT - self.carry_len).min(data.len());
            self.carry[self.carry_len..self.carry_len + take].copy_from_slice(&data[..take]);
            self.carry_len += take;
            data = &data[take..];
            if self.carry_len < LINE_INPUT {
                return Ok(());
            }
            let line = self.carry;
            self.push_lines(&line);
            self.carry_len = 0;
        }
        while data.len() >= LINE_INPUT {
            let room = (WRITER_LINES * LINE_OUTPUT).saturating_sub(self.buf.len()) / LINE_OUTPUT;
            let lines = (data.len() / LINE_INPUT).min(room.max(1));
            let (now, rest) = data.split_at(lines * LINE_INPUT);
            self.push_lines(now);
            data = rest;
            self.flush_if_full()?;
        }
        self.carry[..data.len()].copy_from_slice(data);
        self.carry_len = data.len();
        Ok(())
    }

    /// Write the last line and the END line, flush, and return the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.carry_len > 0 {
            let start = self.buf.len();
            let n = self.carry_len;
            self.buf.resize(start + body_len(n), 0);
            let carry = self.carry;
            encode_body_into(&carry[..n], &mut self.buf[start..]);
        }
        self.buf.extend_from_slice(END_X509_CRL);
        self.inner.write_all(&self.buf)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

/// One decoded PEM block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PemBlock<'a> {
    /// The label between `BEGIN ` and `-----`.
    pub label: &'a str,
    /// The decoded bytes.
    pub der: Vec<u8>,
    /// Byte offset of the BEGIN line in the text.
    pub offset: u64,
    /// Position among the text's blocks, from 0 (every BEGIN line and stray END line counts,
    /// as in the `PEM block N` of error paths).
    pub index: usize,
}

impl PemBlock<'_> {
    /// True for the labels RFC 7468 and OpenSSL use for CRLs (`X509 CRL`, and `CRL`).
    pub fn is_crl(&self) -> bool {
        is_crl_label(self.label)
    }
}

/// True for `X509 CRL` and `CRL`.
pub fn is_crl_label(label: &str) -> bool {
    label == "X509 CRL" || label == "CRL"
}

/// True for the labels that name a certificate (`CERTIFICATE`, `TRUSTED CERTIFICATE`,
/// `X509 CERTIFICATE`, and the `CA CERTIFICATE` of some test bundles), not a request.
pub fn is_certificate_label(label: &str) -> bool {
    label.contains("CERTIFICATE") && !label.contains("REQUEST")
}

/// True when the input looks like PEM text rather than DER: it starts with a BEGIN line,
/// possibly after whitespace or explanatory text.
pub fn looks_like_pem(data: &[u8]) -> bool {
    if data.first() == Some(&0x30) {
        return false;
    }
    let head = &data[..data.len().min(1 << 16)];
    head.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Decode every PEM block of a text, in order. Text outside blocks is ignored; the first
/// malformed block is an error.
pub fn decode_all(text: &[u8]) -> Result<Vec<PemBlock<'_>>, Error> {
    let blocks = blocks(text).collect::<Result<Vec<_>, _>>()?;
    if blocks.is_empty() {
        return Err(pem_error(ErrorKind::PemNoBeginLine, 0, 0));
    }
    Ok(blocks)
}

/// Every PEM block of a text, each decoded on its own: a malformed block yields its error and
/// the iterator resumes at the next BEGIN line, so one bad certificate in a bundle does not
/// hide the others. Errors name their block (`PEM block 2`), counting every BEGIN line and
/// stray END line from 1.
pub fn blocks(text: &[u8]) -> Blocks<'_> {
    Blocks { lines: Lines { text, pos: 0 }, index: 0, fast: true }
}

/// [`blocks`] decoding every line one at a time: the oracle the fast path is tested against.
#[cfg(test)]
fn blocks_line_by_line(text: &[u8]) -> Blocks<'_> {
    Blocks { lines: Lines { text, pos: 0 }, index: 0, fast: false }
}

/// The iterator of [`blocks`].
pub struct Blocks<'t> {
    lines: Lines<'t>,
    index: usize,
    /// Decode long runs of full lines in parallel first (see [`decode_full_lines`]).
    fast: bool,
}

impl<'t> Blocks<'t> {
    /// Skip the rest of a malformed block: up to and including its END line, or up to (not
    /// including) the next BEGIN line.
    fn resync(&mut self) {
        loop {
            let save = self.lines.pos;
            let Some((line, _)) = self.lines.next_line() else { return };
            if line.starts_with(b"-----BEGIN") {
                self.lines.pos = save;
                return;
            }
            if line.starts_with(b"-----END") {
                return;
            }
        }
    }

    fn block(&mut self, line: &'t [u8], line_offset: u64, index: usize) -> Result<PemBlock<'t>, Error> {
        let label = begin_label(line, line_offset, index)?;
        let mut decoder = StreamDecoder::new(index);
        let mut der = Vec::new();
        // OpenSSL's layout: every full line but the last at once; the last line and the END
        // line go through the line decoder, as does every line of any other layout.
        if self.fast
            && let Some((decoded, next)) = decode_full_run(self.lines.text, self.lines.pos)
        {
            decoder.decoded = decoded.len() as u64;
            der = decoded;
            self.lines.pos = next;
        }
        loop {
            let save = self.lines.pos;
            let Some((body_line, body_offset)) = self.lines.next_line() else {
                return Err(pem_error(ErrorKind::PemMissingEnd, index, line_offset));
            };
            match body_line_step(body_line, body_offset, label.as_bytes(), index, &mut decoder, &mut der) {
                Ok(BodyLine::Data) => {}
                Ok(BodyLine::End) => break,
                Err(e) => {
                    if body_line.starts_with(b"-----BEGIN") {
                        // The next block starts before this one ended: leave it to the next call.
                        self.lines.pos = save;
                    }
                    return Err(e);
                }
            }
        }
        decoder.finish_check(line_offset)?;
        Ok(PemBlock { label, der, offset: line_offset, index })
    }
}

/// A line outside any block.
pub(crate) enum OutsideLine {
    /// Text between blocks: ignored.
    Text,
    /// An END line with no block open: an error, and a block number of its own.
    StrayEnd,
    /// A BEGIN line (its label still to be checked).
    Begin,
}

/// What a line outside blocks is. Shared with the streaming reader, so both read the same texts.
pub(crate) fn outside_line(line: &[u8]) -> OutsideLine {
    if line.starts_with(b"-----END") {
        OutsideLine::StrayEnd
    } else if line.starts_with(b"-----BEGIN") {
        OutsideLine::Begin
    } else {
        OutsideLine::Text
    }
}

/// The label of a BEGIN line (RFC 7468 rules, UTF-8), or the error for block `index`.
pub(crate) fn begin_label(line: &[u8], line_offset: u64, index: usize) -> Result<&str, Error> {
    let label = boundary_label(line, b"-----BEGIN ").ok_or(pem_error(ErrorKind::PemBadBoundary, index, line_offset))?;
    core::str::from_utf8(label).map_err(|_| pem_error(ErrorKind::PemBadBoundary, index, line_offset))
}

/// What a line inside a block was.
pub(crate) enum BodyLine {
    /// base64, decoded into the output.
    Data,
    /// The END line matching the BEGIN label (the caller then calls `finish_check`).
    End,
}

/// One line inside block `index` labelled `label`. Shared with the streaming reader.
pub(crate) fn body_line_step(
    line: &[u8],
    offset: u64,
    label: &[u8],
    index: usize,
    decoder: &mut StreamDecoder,
    out: &mut Vec<u8>,
) -> Result<BodyLine, Error> {
    if line.starts_with(b"-----") {
        if line.starts_with(b"-----BEGIN") {
            return Err(pem_error(ErrorKind::PemBadBoundary, index, offset));
        }
        let end = boundary_label(line, b"-----END ").ok_or(pem_error(ErrorKind::PemBadBoundary, index, offset))?;
        if end != label {
            return Err(pem_error(ErrorKind::PemLabelMismatch, index, offset));
        }
        return Ok(BodyLine::End);
    }
    if line.contains(&b':') {
        return Err(pem_error(ErrorKind::PemHeaders, index, offset));
    }
    decoder.line(line, offset, out)?;
    Ok(BodyLine::Data)
}

impl<'t> Iterator for Blocks<'t> {
    type Item = Result<PemBlock<'t>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        while let Some((line, line_offset)) = self.lines.next_line() {
            match outside_line(line) {
                OutsideLine::Text => continue,
                OutsideLine::StrayEnd => {
                    let index = self.index;
                    self.index += 1;
                    return Some(Err(pem_error(ErrorKind::PemBadBoundary, index, line_offset)));
                }
                OutsideLine::Begin => {}
            }
            let index = self.index;
            self.index += 1;
            let result = self.block(line, line_offset, index);
            if result.is_err() {
                self.resync();
            }
            return Some(result);
        }
        None
    }
}

/// Decode the CRL blocks of a text, skipping others (certificates in a bundle). Returns the
/// CRL blocks and the number of skipped blocks. Errors if there is no CRL block.
pub fn decode_crls(text: &[u8]) -> Result<(Vec<PemBlock<'_>>, usize), Error> {
    let all = decode_all(text)?;
    let total = all.len();
    let crls: Vec<_> = all.into_iter().filter(PemBlock::is_crl).collect();
    if crls.is_empty() {
        return Err(pem_error(ErrorKind::PemNotCrl, 0, 0));
    }
    let skipped = total - crls.len();
    Ok((crls, skipped))
}

pub(crate) fn pem_error(kind: ErrorKind, block: usize, offset: u64) -> Error {
    Error::new(kind, Path::pem(u32::try_from(block).unwrap_or(u32::MAX)), offset)
}

/// `-----BEGIN LABEL-----` → `LABEL`, with RFC 7468 label rules (printable ASCII, no leading
/// or trailing hyphen or space).
fn boundary_label<'t>(line: &'t [u8], prefix: &[u8]) -> Option<&'t [u8]> {
    let rest = line.strip_prefix(prefix)?;
    let label = rest.strip_suffix(b"-----")?;
    let ok = label.iter().all(|&c| (0x20..0x7f).contains(&c))
        && !label.starts_with(b"-")
        && !label.ends_with(b"-")
        && !label.starts_with(b" ")
        && !label.ends_with(b" ");
    ok.then_some(label)
}

/// Lines of a text, LF or CRLF terminated, with trailing blanks removed.
struct Lines<'t> {
    text: &'t [u8],
    pos: usize,
}

impl<'t> Lines<'t> {
    #[inline]
    fn next_line(&mut self) -> Option<(&'t [u8], u64)> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        let rest = &self.text[start..];
        let len = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
        self.pos = start + len + 1;
        let mut line = &rest[..len];
        while let [head @ .., b'\r' | b' ' | b'\t'] = line {
            line = head;
        }
        Some((line, start as u64))
    }
}

/// base64 decoding across lines, strict about alphabet, padding and trailing bits.
pub(crate) struct StreamDecoder {
    decoded: u64,
    quad: [u8; 4],
    quad_len: usize,
    /// Padding characters seen; after padding only the END line may follow.
    padding: usize,
    /// Offset of the first padding character.
    padding_offset: u64,
    block: usize,
}

impl StreamDecoder {
    pub(crate) fn new(block: usize) -> Self {
        Self { decoded: 0, quad: [0; 4], quad_len: 0, padding: 0, padding_offset: 0, block }
    }

    /// Decode one body line (line end already removed), appending to `out`.
    #[inline]
    pub(crate) fn line(&mut self, line: &[u8], offset: u64, out: &mut Vec<u8>) -> Result<(), Error> {
        let before = out.len();
        let result = self.decode_line(line, offset, out);
        self.decoded += (out.len() - before) as u64;
        result
    }

    #[inline]
    fn decode_line(&mut self, line: &[u8], offset: u64, out: &mut Vec<u8>) -> Result<(), Error> {
        if line.is_empty() {
            return Ok(());
        }
        if self.padding > 0 {
            return Err(pem_error(ErrorKind::PemBadPadding, self.block, self.padding_offset));
        }
        let mut rest = line;
        let mut at = offset;
        // Fast path: whole groups of four valid characters with nothing carried over.
        if self.quad_len == 0 {
            let groups = rest.len() / 4;
            out.reserve(groups * 3);
            let mut done = 0;
            for g in rest[..groups * 4].chunks_exact(4) {
                let (a, b, c, d) = (
                    DECODE[usize::from(g[0])],
                    DECODE[usize::from(g[1])],
                    DECODE[usize::from(g[2])],
                    DECODE[usize::from(g[3])],
                );
                if (a | b | c | d) & 0x80 != 0 {
                    break;
                }
                let n = (u32::from(a) << 18) | (u32::from(b) << 12) | (u32::from(c) << 6) | u32::from(d);
                out.extend_from_slice(&n.to_be_bytes()[1..]);
                done += 4;
            }
            rest = &rest[done..];
            at += done as u64;
        }
        for (i, &c) in rest.iter().enumerate() {
            let char_offset = at + i as u64;
            if c == b'=' {
                if self.padding == 0 {
                    self.padding_offset = char_offset;
                }
                self.padding += 1;
                self.quad[self.quad_len] = 0;
                self.quad_len += 1;
                if self.padding > 2 || self.quad_len < 3 {
                    return Err(pem_error(ErrorKind::PemBadPadding, self.block, self.padding_offset));
                }
            } else {
                let v = DECODE[usize::from(c)];
                if v == 0xff {
                    return Err(pem_error(ErrorKind::PemInvalidBase64, self.block, char_offset));
                }
                if self.padding > 0 {
                    return Err(pem_error(ErrorKind::PemBadPadding, self.block, self.padding_offset));
                }
                self.quad[self.quad_len] = v;
                self.quad_len += 1;
            }
            if self.quad_len == 4 {
                let q = self.quad;
                let n = (u32::from(q[0]) << 18) | (u32::from(q[1]) << 12) | (u32::from(q[2]) << 6) | u32::from(q[3]);
                let bytes = n.to_be_bytes();
                let keep = 3 - self.padding;
                // Canonical base64: the bits dropped by padding must be zero.
                let dropped = match self.padding {
                    1 => n & 0xff,
                    2 => n & 0xffff,
                    _ => 0,
                };
                if dropped != 0 {
                    return Err(pem_error(ErrorKind::PemNonCanonical, self.block, char_offset));
                }
                out.extend_from_slice(&bytes[1..1 + keep]);
                self.quad_len = 0;
            }
        }
        Ok(())
    }

    /// At the END line: no partial group left, and something was decoded.
    pub(crate) fn finish_check(&self, begin_offset: u64) -> Result<(), Error> {
        if self.quad_len != 0 {
            return Err(pem_error(ErrorKind::PemBadPadding, self.block, begin_offset));
        }
        if self.decoded == 0 {
            return Err(pem_error(ErrorKind::PemEmpty, self.block, begin_offset));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn reference_pem(der: &[u8]) -> Vec<u8> {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let mut out = BEGIN_X509_CRL.to_vec();
        for line in b64.as_bytes().chunks(64) {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
        out.extend_from_slice(END_X509_CRL);
        out
    }

    #[test]
    fn encode_matches_reference_for_every_small_length() {
        for n in 1..400usize {
            let der: Vec<u8> = (0..n).map(|i| (i * 7 + n) as u8).collect();
            let pem = encode(&der);
            assert_eq!(pem, reference_pem(&der), "length {n}");
            assert_eq!(pem.len(), pem_len(n));
            let blocks = decode_all(&pem).unwrap();
            assert_eq!(blocks.len(), 1);
            assert_eq!(blocks[0].der, der);
        }
    }

    #[test]
    fn encode_into_a_reused_buffer_matches_encode() {
        // Longer, shorter and longer again: what a thread sees over a directory of CRLs.
        let mut buf = Vec::new();
        for n in [1000usize, 10, 999, 0, 47, 1001, 3] {
            let der: Vec<u8> = (0..n).map(|i| (i * 13 + n) as u8).collect();
            encode_into(&der, &mut buf);
            assert_eq!(buf, reference_pem(&der), "length {n}");
        }
    }

    #[test]
    fn streaming_writer_matches_one_shot() {
        let der: Vec<u8> = (0..300_001u32).map(|i| ((i * 31) >> 3) as u8).collect();
        for piece in [1usize, 7, 47, 48, 49, 1000, 65_536] {
            let mut w = PemWriter::new(Vec::new());
            for c in der.chunks(piece) {
                w.write_der(c).unwrap();
            }
            assert_eq!(w.finish().unwrap(), encode(&der), "piece {piece}");
        }
    }

    #[test]
    fn decode_accepts_crlf_text_and_several_blocks() {
        let text = b"Some text\r\n-----BEGIN CRL-----\r\nAAEC\r\n-----END CRL-----\r\nmore\n-----BEGIN CERTIFICATE-----\nAw==\n-----END CERTIFICATE-----\n";
        let blocks = decode_all(text).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!((blocks[0].label, &blocks[0].der[..], blocks[0].offset), ("CRL", &[0, 1, 2][..], 11));
        assert_eq!((blocks[1].label, &blocks[1].der[..]), ("CERTIFICATE", &[3][..]));
        let (crls, skipped) = decode_crls(text).unwrap();
        assert_eq!((crls.len(), skipped), (1, 1));
    }

    #[test]
    fn decode_errors_say_what_and_where() {
        let err = |t: &[u8]| decode_all(t).map(|_| ()).unwrap_err();
        let e = err(b"-----BEGIN X509 CRL-----\nAA*C\n-----END X509 CRL-----\n");
        assert_eq!((e.kind(), e.offset()), (ErrorKind::PemInvalidBase64, 27));
        assert_eq!(err(b"-----BEGIN X509 CRL-----\nAAEC\n").kind(), ErrorKind::PemMissingEnd);
        assert_eq!(err(b"-----BEGIN X509 CRL-----\nAAEC\n-----END CRL-----\n").kind(), ErrorKind::PemLabelMismatch);
        assert_eq!(err(b"-----BEGIN X509 CRL-----\nAA=C\n-----END X509 CRL-----\n").kind(), ErrorKind::PemBadPadding);
        assert_eq!(err(b"-----BEGIN X509 CRL-----\nAAE\n-----END X509 CRL-----\n").kind(), ErrorKind::PemBadPadding);
        assert_eq!(
            err(b"-----BEGIN X509 CRL-----\nAw==\nAA==\n-----END X509 CRL-----\n").kind(),
            ErrorKind::PemBadPadding
        );
        assert_eq!(err(b"-----BEGIN X509 CRL-----\nAx==\n-----END X509 CRL-----\n").kind(), ErrorKind::PemNonCanonical);
        assert_eq!(
            err(b"-----BEGIN X509 CRL-----\nProc-Type: 4,ENCRYPTED\n\nAA==\n-----END X509 CRL-----\n").kind(),
            ErrorKind::PemHeaders
        );
        assert_eq!(err(b"-----BEGIN X509 CRL-----\n-----END X509 CRL-----\n").kind(), ErrorKind::PemEmpty);
        assert_eq!(err(b"just text\n").kind(), ErrorKind::PemNoBeginLine);
        assert_eq!(err(b"-----BEGIN X509 CRL----\nAA==\n").kind(), ErrorKind::PemBadBoundary);
        assert_eq!(
            decode_crls(b"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n").unwrap_err().kind(),
            ErrorKind::PemNotCrl
        );
    }

    #[test]
    fn blocks_resume_after_a_malformed_block() {
        let text = b"-----BEGIN CERTIFICATE-----\nAw==\n-----END CERTIFICATE-----\n\
-----BEGIN CERTIFICATE-----\nA*==\n-----END CERTIFICATE-----\n\
-----BEGIN CERTIFICATE-----\nBA==\n\
-----BEGIN CERTIFICATE-----\nBQ==\n-----END CERTIFICATE-----\n\
-----END CERTIFICATE-----\n";
        let got: Vec<_> =
            blocks(text).map(|b| b.map(|b| b.der).map_err(|e| (e.kind(), e.path().to_string()))).collect();
        assert_eq!(got.len(), 5, "{got:?}");
        assert_eq!(got[0], Ok(vec![3]));
        assert_eq!(got[1].as_ref().unwrap_err().0, ErrorKind::PemInvalidBase64);
        assert_eq!(got[2].as_ref().unwrap_err().0, ErrorKind::PemBadBoundary, "BEGIN inside a block");
        assert_eq!(got[3], Ok(vec![5]), "the block after an unterminated one is still read");
        assert_eq!(got[4].as_ref().unwrap_err().0, ErrorKind::PemBadBoundary, "stray END line");
        assert_eq!(got[1].as_ref().unwrap_err().1, "PEM block 2", "errors name their block, counted from 1");
    }

    /// Every block of `text` as the fast path and the line decoder see it.
    type Decoded<'t> = Vec<Result<PemBlock<'t>, Error>>;

    fn both_ways(text: &[u8]) -> (Decoded<'_>, Decoded<'_>) {
        (blocks(text).collect(), blocks_line_by_line(text).collect())
    }

    #[test]
    fn the_fast_path_decodes_long_blocks_as_the_line_decoder_does() {
        // Lengths around the fast path's threshold and every padding of the last line, with
        // text before, between and after blocks.
        for n in [64 * 48 - 1, 64 * 48, 65 * 48, 65 * 48 + 1, 65 * 48 + 2, 66 * 48 + 47, 40_000] {
            let der: Vec<u8> = (0..n).map(|i| (i * 131 + n) as u8).collect();
            let pem = encode(&der);
            let mut text = b"note\n".to_vec();
            text.extend_from_slice(&pem);
            text.extend_from_slice(b"between\n");
            text.extend_from_slice(&pem);
            let (fast, slow) = both_ways(&text);
            assert_eq!(fast, slow, "length {n}");
            assert_eq!(fast.len(), 2);
            // The run of full lines, less its last line.
            let run = n / 48 - 1;
            assert_eq!(decode_full_run(&pem, BEGIN_X509_CRL.len()).is_some(), run >= FAST_MIN_LINES, "{n}");
            assert_eq!(fast[1].as_ref().unwrap().der, der, "length {n}");
        }
    }

    #[test]
    fn the_fast_path_reports_what_the_line_decoder_reports() {
        let der: Vec<u8> = (0..100 * 48 + 7).map(|i| (i * 7) as u8).collect();
        let pem = encode(&der);
        let body = BEGIN_X509_CRL.len();
        let end = pem.len() - END_X509_CRL.len();
        // One edit at a time anywhere in the body, and around the END line.
        let mut edits = 0;
        for at in (body..pem.len()).step_by(13).chain([body, body + 64, end - 1, end, end - 66]) {
            for byte in [b'*', b'=', b'-', b':', b'\n', b'\r', b' ', b'A', 0x80] {
                let mut text = pem.clone();
                text[at] = byte;
                let (fast, slow) = both_ways(&text);
                assert_eq!(fast, slow, "byte {byte:#x} at {at}");
                edits += 1;
            }
            let mut cut = pem.clone();
            cut.remove(at);
            let (fast, slow) = both_ways(&cut);
            assert_eq!(fast, slow, "byte {at} removed");
        }
        assert!(edits > 3000);
    }

    #[test]
    fn looks_like_pem_detection() {
        assert!(!looks_like_pem(&[0x30, 0x82]));
        assert!(looks_like_pem(b"\n-----BEGIN X509 CRL-----\n"));
        assert!(!looks_like_pem(b"garbage"));
    }
}
