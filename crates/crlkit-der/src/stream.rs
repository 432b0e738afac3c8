//! The same CRL parser over any [`Read`], in bounded memory.
//!
//! The input is read through one buffer that holds at most one element at a time (an entry,
//! the header fields, the extensions, the signature), never the whole CRL: a stdin pipe or an
//! HTTP body of any size is validated in constant memory. Each element is decoded by the same
//! functions as [`crate::CrlRef::from_der`] uses, so both accept exactly the same inputs.
//!
//! A [`StreamVisitor`] sees the header, every entry, the trailer, and every input byte in order
//! (`raw`) once the element holding it has been validated: that is how `crlkit convert` encodes
//! PEM while it validates, from stdin to stdout.

use std::io::{self, BufRead, Read};

use crate::alg::AlgorithmIdentifierRef;
use crate::crl::{self, CrlExtensions, EntryContext, EntryStats, RevokedCertRef, TbsHeader};
use crate::der::{self, Reader, Tlv, tag};
use crate::error::{At, Error, ErrorKind, Fault, Field, Path};
use crate::ext::Profile;

/// Limits and buffer sizes of the streaming parser.
#[derive(Clone, Copy, Debug)]
pub struct StreamOptions {
    /// Parsing profile.
    pub profile: Profile,
    /// Largest single element accepted (an entry, the extensions, the header fields).
    pub max_element: usize,
    /// Bytes requested from the source per read.
    pub read_chunk: usize,
}

impl Default for StreamOptions {
    fn default() -> Self {
        Self { profile: Profile::Strict, max_element: 16 << 20, read_chunk: 1 << 20 }
    }
}

/// Receives what the streaming parser finds, in input order. Every method has a default that
/// does nothing; errors returned abort the parse as [`StreamError::Output`].
pub trait StreamVisitor {
    /// Validated input bytes, in order, in batches. Every byte of the CRL is passed exactly once.
    fn raw(&mut self, _bytes: &[u8]) -> io::Result<()> {
        Ok(())
    }
    /// The fields before the entries.
    fn header(&mut self, _header: &TbsHeader<'_>) -> io::Result<()> {
        Ok(())
    }
    /// One revoked entry.
    fn entry(&mut self, _entry: &RevokedCertRef<'_>) -> io::Result<()> {
        Ok(())
    }
    /// The CRL extensions and the signature, after the last entry.
    fn trailer(
        &mut self,
        _extensions: Option<&CrlExtensions<'_>>,
        _signature_algorithm: &AlgorithmIdentifierRef<'_>,
        _signature: &[u8],
    ) -> io::Result<()> {
        Ok(())
    }
}

/// Why a streaming parse stopped.
#[derive(Debug)]
pub enum StreamError {
    /// The input is not a valid CRL.
    Parse(Error),
    /// Reading the input failed.
    Input(io::Error),
    /// The visitor failed (writing the output, usually).
    Output(io::Error),
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Parse(e) => e.fmt(f),
            Self::Input(e) => write!(f, "reading input: {e}"),
            Self::Output(e) => write!(f, "writing output: {e}"),
        }
    }
}

impl std::error::Error for StreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Parse(e) => Some(e),
            Self::Input(e) | Self::Output(e) => Some(e),
        }
    }
}

impl From<Error> for StreamError {
    fn from(e: Error) -> Self {
        Self::Parse(e)
    }
}

/// What a completed streaming parse saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamSummary {
    /// Bytes of the CRL.
    pub bytes: u64,
    /// Entry counts.
    pub stats: EntryStats,
}

/// A read window over the source: `buf[start..end]` is unconsumed, `buf[tapped..start]` is
/// consumed but not yet passed to the visitor, and `base` is the absolute offset of `buf[0]`.
struct Window<R> {
    src: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    tapped: usize,
    base: u64,
    eof: bool,
    opts: StreamOptions,
}

impl<R: Read> Window<R> {
    fn offset(&self) -> u64 {
        self.base + self.start as u64
    }

    fn available(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Make at least `need` unconsumed bytes available, unless the input ends first.
    fn fill(&mut self, need: usize, visitor: &mut dyn StreamVisitor) -> Result<bool, StreamError> {
        while self.end - self.start < need {
            if self.eof {
                return Ok(false);
            }
            if self.end == self.buf.len() {
                // Pass consumed bytes on, then move the unconsumed tail to the front.
                self.flush_tap(visitor)?;
                if self.start > 0 {
                    self.buf.copy_within(self.start..self.end, 0);
                    self.base += self.start as u64;
                    self.end -= self.start;
                    self.tapped = 0;
                    self.start = 0;
                }
                if self.end == self.buf.len() {
                    // Grow only as data arrives, up to the element limit.
                    let grown = (self.buf.len() * 2).max(self.opts.read_chunk).min(self.opts.max_element + 16);
                    if grown <= self.buf.len() {
                        return Ok(false);
                    }
                    self.buf.resize(grown, 0);
                }
            }
            let want = (self.buf.len() - self.end).min(self.opts.read_chunk.max(need));
            match self.src.read(&mut self.buf[self.end..self.end + want]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(StreamError::Input(e)),
            }
        }
        Ok(true)
    }

    fn flush_tap(&mut self, visitor: &mut dyn StreamVisitor) -> Result<(), StreamError> {
        if self.start > self.tapped {
            visitor.raw(&self.buf[self.tapped..self.start]).map_err(StreamError::Output)?;
            self.tapped = self.start;
        }
        Ok(())
    }

    /// Decode the header of the next element (not consuming it), which must end by `limit`.
    fn peek_header(
        &mut self,
        limit: u64,
        path: Path,
        visitor: &mut dyn StreamVisitor,
    ) -> Result<der::Header, StreamError> {
        let at = self.offset();
        let truncated = || StreamError::Parse(Fault::new(ErrorKind::Truncated, at).at(path));
        if at >= limit {
            return Err(truncated());
        }
        let mut need = 2;
        loop {
            let have = self.fill(need, visitor)?;
            match der::decode_header(self.available(), at).at(path)? {
                Some(h) => {
                    let content_start = at + h.header_len as u64;
                    if content_start > limit || h.len > limit - content_start {
                        return Err(truncated());
                    }
                    return Ok(h);
                }
                None if !have => return Err(truncated()),
                None => need += 1,
            }
        }
    }

    /// Read a whole element (header and content) into the window, without consuming it.
    /// Returns its length.
    fn peek_element(
        &mut self,
        limit: u64,
        path: Path,
        visitor: &mut dyn StreamVisitor,
    ) -> Result<(der::Header, usize), StreamError> {
        let h = self.peek_header(limit, path, visitor)?;
        let total = h.header_len as u64 + h.len;
        if total > self.opts.max_element as u64 {
            return Err(StreamError::Parse(Fault::new(ErrorKind::LengthTooLarge, self.offset()).at(path)));
        }
        if !self.fill(total as usize, visitor)? {
            return Err(StreamError::Parse(Fault::new(ErrorKind::Truncated, self.offset()).at(path)));
        }
        Ok((h, total as usize))
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
    }

    /// The next tag, or `None` at the end of the input.
    fn peek_tag(&mut self, visitor: &mut dyn StreamVisitor) -> Result<Option<u8>, StreamError> {
        self.fill(1, visitor)?;
        Ok(self.available().first().copied())
    }
}

/// Parse one CRL from `src` in bounded memory, reporting to `visitor`.
pub fn parse_stream<R: Read>(
    src: R,
    opts: &StreamOptions,
    visitor: &mut dyn StreamVisitor,
) -> Result<StreamSummary, StreamError> {
    let mut w = Window {
        src,
        buf: vec![0; opts.read_chunk.clamp(64, 1 << 20)],
        start: 0,
        end: 0,
        tapped: 0,
        base: 0,
        eof: false,
        opts: *opts,
    };
    let profile = opts.profile;

    // CertificateList and tbsCertList headers.
    let outer_path = Path::field(Field::CertificateList);
    let outer = w.peek_header(u64::MAX, outer_path, visitor)?;
    if outer.tag != tag::SEQUENCE {
        let fault = Reader::new(&[], 0).unexpected(tag::SEQUENCE, outer.tag);
        return Err(Fault::new(fault.kind, 0).at(outer_path).into());
    }
    let outer_end = outer.header_len as u64 + outer.len;
    w.consume(outer.header_len);
    let tbs_path = Path::field(Field::TbsCertList);
    let tbs_at = w.offset();
    let tbs = w.peek_header(outer_end, tbs_path, visitor)?;
    if tbs.tag != tag::SEQUENCE {
        let fault = Reader::new(&[], 0).unexpected(tag::SEQUENCE, tbs.tag);
        return Err(Fault::new(fault.kind, tbs_at).at(tbs_path).into());
    }
    let tbs_end = tbs_at + tbs.header_len as u64 + tbs.len;
    w.consume(tbs.header_len);

    // Header fields: copied out (they are small) so they outlive buffer refills.
    let header_at = w.offset();
    let mut header_bytes = Vec::new();
    let mut fields = 0;
    let mut expected = 3; // signature, issuer, thisUpdate (+ version, + nextUpdate)
    while fields < expected && w.offset() < tbs_end {
        let (h, n) = w.peek_element(tbs_end, Path::field(header_field(fields, expected)), visitor)?;
        if fields == 0 && h.tag == tag::INTEGER {
            expected += 1;
        }
        header_bytes.extend_from_slice(&w.available()[..n]);
        w.consume(n);
        fields += 1;
        if fields == expected
            && w.offset() < tbs_end
            && let Some(tag::UTC_TIME | tag::GENERALIZED_TIME) = w.peek_tag(visitor)?
        {
            expected += 1;
        }
    }
    let mut hr = Reader::new(&header_bytes, header_at);
    let header = crl::parse_header(&mut hr, profile)?;
    if !hr.is_empty() {
        // Fewer fields than expected: report what the slice parser would.
        return Err(Fault::new(ErrorKind::TrailingData, hr.offset()).at(tbs_path).into());
    }
    visitor.header(&header).map_err(StreamError::Output)?;
    let ctx = EntryContext { version: header.version, profile };

    // Entries.
    let mut stats = EntryStats::default();
    if w.offset() < tbs_end && w.peek_tag(visitor)? == Some(tag::SEQUENCE) {
        let list_path = Path::field(Field::RevokedCertificates);
        let list_at = w.offset();
        let list = w.peek_header(tbs_end, list_path, visitor)?;
        if list.len == 0 && profile.strict() {
            return Err(Error::new(ErrorKind::EmptyRevokedCertificates, list_path, list_at).into());
        }
        let list_end = list_at + list.header_len as u64 + list.len;
        w.consume(list.header_len);
        let mut index = 0u64;
        while w.offset() < list_end {
            let path = Path::entry(Field::Entry, index);
            let at = w.offset();
            let (h, n) = w.peek_element(list_end, path, visitor)?;
            if h.tag != tag::SEQUENCE {
                let fault = Reader::new(&[], at).unexpected(tag::SEQUENCE, h.tag);
                return Err(fault.at(path).into());
            }
            let raw = &w.available()[..n];
            let tlv = Tlv {
                tag: h.tag,
                value: &raw[h.header_len..],
                raw,
                offset: at,
                value_offset: at + h.header_len as u64,
            };
            let entry = crl::parse_entry(tlv, index, ctx)?;
            stats.add(&entry);
            visitor.entry(&entry).map_err(StreamError::Output)?;
            w.consume(n);
            index += 1;
        }
    }

    // crlExtensions, then the end of tbsCertList.
    let mut ext_bytes = Vec::new();
    let ext_at = w.offset();
    if w.offset() < tbs_end && w.peek_tag(visitor)? == Some(tag::CONTEXT_0_CONSTRUCTED) {
        let (_, n) = w.peek_element(tbs_end, Path::field(Field::CrlExtensions), visitor)?;
        ext_bytes.extend_from_slice(&w.available()[..n]);
        w.consume(n);
    }
    let extensions = if ext_bytes.is_empty() {
        None
    } else {
        let wrapper = Reader::new(&ext_bytes, ext_at).read_any().at(Path::field(Field::CrlExtensions))?;
        Some(crl::parse_crl_extensions(&wrapper, header.version, profile)?)
    };
    if w.offset() != tbs_end {
        return Err(Error::new(ErrorKind::TrailingData, tbs_path, w.offset()).into());
    }

    // signatureAlgorithm, signatureValue, and nothing after.
    let tail_at = w.offset();
    let mut tail = Vec::new();
    while w.offset() < outer_end {
        let path = if tail.is_empty() { Field::SignatureAlgorithm } else { Field::SignatureValue };
        let (_, n) = w.peek_element(outer_end, Path::field(path), visitor)?;
        if tail.len() + n > opts.max_element {
            return Err(Error::new(ErrorKind::LengthTooLarge, outer_path, w.offset()).into());
        }
        tail.extend_from_slice(&w.available()[..n]);
        w.consume(n);
    }
    let mut tr = Reader::new(&tail, tail_at);
    let (alg, sig) = crl::parse_signature_tail(&mut tr, &header.signature)?;
    visitor.trailer(extensions.as_ref(), &alg, &sig[1..]).map_err(StreamError::Output)?;
    if w.peek_tag(visitor)?.is_some() {
        return Err(Error::new(ErrorKind::TrailingData, outer_path, w.offset()).into());
    }
    w.flush_tap(visitor)?;
    Ok(StreamSummary { bytes: outer_end, stats })
}

fn header_field(index: usize, expected: usize) -> Field {
    // Good enough to name the field in a truncation error; parse_header names the rest.
    match (index, expected) {
        (0, _) => Field::TbsSignature,
        (1, _) => Field::Issuer,
        _ => Field::ThisUpdate,
    }
}

/// A [`Read`] that decodes the first CRL block of a PEM text as it streams, for parsing PEM
/// from stdin in constant memory. Text before the block is skipped, blocks with other labels
/// are skipped; text after it is read and must not hold a second CRL.
pub struct PemDecodeReader<R: BufRead> {
    src: R,
    line: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    offset: u64,
    state: PemState,
    decoder: crate::pem::StreamDecoder,
    begin_offset: u64,
    label: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PemState {
    Before,
    SkippingOther,
    Body,
    After,
    Done,
}

/// Longest PEM line accepted when streaming.
const MAX_PEM_LINE: usize = 1 << 20;

impl<R: BufRead> PemDecodeReader<R> {
    /// Decode from `src`.
    pub fn new(src: R) -> Self {
        Self {
            src,
            line: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            offset: 0,
            state: PemState::Before,
            decoder: crate::pem::StreamDecoder::new(0),
            begin_offset: 0,
            label: Vec::new(),
        }
    }

    fn fail(e: Error) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }

    /// Read one line into `self.line`; returns its offset, or `None` at the end.
    fn next_line(&mut self) -> io::Result<Option<u64>> {
        self.line.clear();
        let at = self.offset;
        let n = (&mut self.src).take(MAX_PEM_LINE as u64 + 1).read_until(b'\n', &mut self.line)?;
        if n == 0 {
            return Ok(None);
        }
        if n > MAX_PEM_LINE {
            return Err(Self::fail(Error::new(ErrorKind::PemInvalidBase64, Path::pem(0), at)));
        }
        self.offset += n as u64;
        while let [.., b'\n' | b'\r' | b' ' | b'\t'] = self.line[..] {
            self.line.pop();
        }
        Ok(Some(at))
    }

    fn step(&mut self) -> io::Result<()> {
        let Some(at) = self.next_line()? else {
            return match self.state {
                PemState::Before | PemState::SkippingOther => {
                    let kind =
                        if self.state == PemState::Before { ErrorKind::PemNoBeginLine } else { ErrorKind::PemNotCrl };
                    Err(Self::fail(Error::new(kind, Path::pem(0), 0)))
                }
                PemState::Body => {
                    Err(Self::fail(Error::new(ErrorKind::PemMissingEnd, Path::pem(0), self.begin_offset)))
                }
                PemState::After | PemState::Done => {
                    self.state = PemState::Done;
                    Ok(())
                }
            };
        };
        let line = std::mem::take(&mut self.line);
        let result = self.handle_line(&line, at);
        self.line = line;
        result
    }

    fn handle_line(&mut self, line: &[u8], at: u64) -> io::Result<()> {
        match self.state {
            PemState::Before | PemState::SkippingOther | PemState::After => {
                if let Some(label) = line.strip_prefix(b"-----BEGIN ").and_then(|l| l.strip_suffix(b"-----")) {
                    let is_crl = crate::pem::is_crl_label(&String::from_utf8_lossy(label));
                    if is_crl && self.state == PemState::After {
                        // A second CRL: the caller must handle the file as a whole.
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "the input holds more than one CRL; pass it as a file, not on stdin",
                        ));
                    }
                    if is_crl {
                        self.state = PemState::Body;
                        self.begin_offset = at;
                        self.label = label.to_vec();
                    } else if self.state == PemState::Before {
                        self.state = PemState::SkippingOther;
                    }
                } else if self.state == PemState::SkippingOther && line.starts_with(b"-----END ") {
                    self.state = PemState::Before;
                }
                Ok(())
            }
            PemState::Body => {
                if line.starts_with(b"-----") {
                    let end = line.strip_prefix(b"-----END ").and_then(|l| l.strip_suffix(b"-----"));
                    match end {
                        Some(l) if l == self.label.as_slice() => {}
                        Some(_) => return Err(Self::fail(Error::new(ErrorKind::PemLabelMismatch, Path::pem(0), at))),
                        None => return Err(Self::fail(Error::new(ErrorKind::PemBadBoundary, Path::pem(0), at))),
                    }
                    self.decoder.finish_check(self.begin_offset).map_err(Self::fail)?;
                    self.state = PemState::After;
                    return Ok(());
                }
                if line.contains(&b':') {
                    return Err(Self::fail(Error::new(ErrorKind::PemHeaders, Path::pem(0), at)));
                }
                self.decoder.line(line, at, &mut self.out).map_err(Self::fail)
            }
            PemState::Done => Ok(()),
        }
    }
}

impl<R: BufRead> Read for PemDecodeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_pos >= self.out.len() {
            self.out.clear();
            self.out_pos = 0;
            if self.state == PemState::Done {
                return Ok(0);
            }
            self.step()?;
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}
