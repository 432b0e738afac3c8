//! The same CRL parser over any [`Read`], in bounded memory, and the definition of "the first
//! error".
//!
//! The input is read through one window that holds a piece of the CRL at a time (a few entries,
//! the header fields, the extensions, the signature), never the whole CRL: a stdin pipe or an
//! HTTP body of any size is validated in constant memory. Each piece is decoded by the very
//! functions [`crate::CrlRef::from_der`] uses, over the bytes buffered so far; when a piece runs
//! past them, more is read and the piece decoded again, so the answer never depends on how the
//! input arrives.
//!
//! # The first error
//! This parser reads front to back and reports the first element that is wrong: every element
//! is checked before anything after it, and an element that runs past its container or past
//! the end of the input is reported at its first byte, before anything inside it. That is the
//! error every path of the toolkit reports for the same bytes: [`crate::CrlRef::from_der`] (which
//! reads the structure around the entries first) asks [`first_error`] when it fails, and the
//! parallel validator merges its chunks in input order.
//!
//! # Limits
//! No element, and no run of header fields, may exceed [`StreamOptions::max_element`] (16 MiB
//! by default): a pipe is not buffered without bound. Beyond it the parse fails with
//! `length-too-large` at the element, where a file would be accepted; [`first_error`], over
//! bytes already in memory, sets no limit. [`PemCrlReader`] refuses PEM lines over 16 MiB the
//! same way.
//!
//! A [`StreamVisitor`] sees the header, every entry, the trailer, and every input byte in order
//! (`raw`) once the element holding it has been validated: that is how `crlkit convert` encodes
//! PEM while it validates, from stdin to stdout.

use std::io::{self, BufRead, Read};

use crate::alg::AlgorithmIdentifierRef;
use crate::crl::{self, CrlExtensions, EntryContext, EntryStats, RevokedCertRef, TbsHeader};
use crate::der::{self, Reader, tag};
use crate::error::{At, Error, ErrorKind, Excerpt, Field, Path};
use crate::ext::Profile;
use crate::pem::{self, BodyLine, OutsideLine, StreamDecoder};

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
    /// Whether [`StreamVisitor::entry`] is to be called. A visitor that says no lets the
    /// parser validate the entries buffered at once in parallel chunks (with the `parallel`
    /// feature), as the in-memory parser does; the counts and the first error are the same.
    fn wants_entries(&self) -> bool {
        true
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

/// A visitor that wants nothing: for validating only.
#[derive(Clone, Copy, Debug, Default)]
pub struct Validate;

impl StreamVisitor for Validate {
    fn wants_entries(&self) -> bool {
        false
    }
}

/// Why a streaming parse stopped.
#[derive(Debug)]
pub enum StreamError {
    /// The input is not a valid CRL: the error, and the input bytes around it.
    Parse(Error, Excerpt),
    /// Reading the input failed. A [`PemCrlReader`] reports bad PEM this way, with a
    /// [`PemInputError`] inside (see [`StreamError::pem`]).
    Input(io::Error),
    /// The visitor failed (writing the output, usually).
    Output(io::Error),
}

impl StreamError {
    /// The PEM error inside an [`StreamError::Input`], if that is what it is.
    pub fn pem(&self) -> Option<&PemInputError> {
        match self {
            Self::Input(e) => PemInputError::from_io(e),
            _ => None,
        }
    }
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Parse(e, _) => e.fmt(f),
            Self::Input(e) => write!(f, "reading input: {e}"),
            Self::Output(e) => write!(f, "writing output: {e}"),
        }
    }
}

impl std::error::Error for StreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Parse(e, _) => Some(e),
            Self::Input(e) | Self::Output(e) => Some(e),
        }
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

/// The first error of the DER CRL `der` in input order, as [`parse_stream`] finds it, with no
/// size limit (the bytes are in memory already); `None` when it is valid.
pub fn first_error(der: &[u8], profile: Profile) -> Option<Error> {
    // No limit: the window grows only as bytes arrive, and they are all here already.
    let opts = StreamOptions { profile, max_element: usize::MAX / 2, read_chunk: der.len().clamp(64, 1 << 20) };
    match parse_stream(der, &opts, &mut Validate) {
        Err(StreamError::Parse(e, _)) => Some(e),
        _ => None,
    }
}

/// Whole entries buffered from which the parser validates in parallel chunks of about
/// [`PARALLEL_CHUNK`] bytes (small in unit tests, so that the fixtures take that path too).
#[cfg(feature = "parallel")]
const PARALLEL_MIN: usize = if cfg!(test) { 64 } else { 256 << 10 };
#[cfg(feature = "parallel")]
const PARALLEL_CHUNK: usize = if cfg!(test) { 100 } else { 128 << 10 };

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

    /// The unconsumed bytes up to absolute offset `limit`, and whether more input may still
    /// arrive before `limit` (the view is cut short).
    fn view(&self, limit: u64) -> (&[u8], bool) {
        let room = limit.saturating_sub(self.offset());
        let have = (self.end - self.start) as u64;
        let n = have.min(room) as usize;
        (&self.buf[self.start..self.start + n], !self.eof && have < room)
    }

    /// A reader over [`Window::view`], how many bytes it holds, and whether it is cut.
    fn reader(&self, limit: u64) -> (Reader<'_>, usize, bool) {
        let (data, cut) = self.view(limit);
        let at = self.offset();
        let r = if cut { Reader::cut(data, at, limit) } else { Reader::new(data, at) };
        (r, data.len(), cut)
    }

    /// Make at least `need` unconsumed bytes available, unless the input ends first. The
    /// buffer grows only as data arrives (it doubles when full), never to a size an unread
    /// length field asks for.
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
                    let grown = (self.buf.len() * 2).min(need.max(self.opts.read_chunk)).max(self.buf.len() + 1);
                    self.buf.resize(grown, 0);
                }
            }
            let want = (self.buf.len() - self.end).min(self.opts.read_chunk.max(1));
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

    fn consume(&mut self, n: usize) {
        self.start += n;
    }

    /// `e`, with the bytes around it.
    fn fail(&self, e: Error) -> StreamError {
        let data_is_end = self.eof;
        StreamError::Parse(e, Excerpt::around(&self.buf[..self.end], self.base, e.offset(), data_is_end))
    }

    /// Read more for an element at absolute offset `at` that the window does not complete:
    /// enough for all of it when its header says how long it is, else a little more.
    fn more_for(&mut self, at: u64, path: Path, visitor: &mut dyn StreamVisitor) -> Result<(), StreamError> {
        let skip = (at - self.offset()) as usize;
        let have = self.end - self.start;
        let total = match der::decode_header(&self.buf[self.start + skip..self.end], at) {
            Ok(Some(h)) => (h.header_len as u64).saturating_add(h.len),
            _ => (have - skip) as u64 + 16,
        };
        if total > self.opts.max_element as u64 {
            return Err(self.fail(Error::new(ErrorKind::LengthTooLarge, path, at)));
        }
        self.fill(skip + total as usize, visitor)?;
        Ok(())
    }

    /// Decode a piece that starts here and ends by `limit` with `parse`, which returns how
    /// many bytes it took. While the answer could still change with more input (the piece runs
    /// past the buffered bytes, or it took all of them and might have taken more), more is
    /// read and `parse` runs again.
    ///
    /// When the input ends before `limit` and `parse` took all there was, the structure ending
    /// at `limit` (named by `container`) is truncated.
    fn piece(
        &mut self,
        limit: u64,
        path: Path,
        container: Path,
        visitor: &mut dyn StreamVisitor,
        mut parse: impl FnMut(&mut Reader<'_>) -> Result<(), Error>,
    ) -> Result<usize, StreamError> {
        loop {
            let at = self.offset();
            let (mut r, len, cut) = self.reader(limit);
            let result = parse(&mut r).map(|()| (r.offset() - at) as usize);
            match result {
                Ok(n) if n > self.opts.max_element => {
                    return Err(self.fail(Error::new(ErrorKind::LengthTooLarge, path, at)));
                }
                Ok(n) if n == len && !cut && at + (len as u64) < limit => {
                    return Err(self.fail(Error::new(ErrorKind::Truncated, container, at + len as u64)));
                }
                Ok(n) if n < len || !cut => return Ok(n),
                Err(e) if !e.needs_more() => return Err(self.fail(e)),
                Err(e) => self.more_for(e.offset(), path, visitor)?,
                Ok(_) => {
                    if len >= self.opts.max_element {
                        return Err(self.fail(Error::new(ErrorKind::LengthTooLarge, path, at)));
                    }
                    self.fill(len + 1, visitor)?;
                }
            }
        }
    }

    /// The header of the element here, which must carry `expected` and end by `end`.
    fn header(
        &mut self,
        expected: u8,
        end: u64,
        path: Path,
        visitor: &mut dyn StreamVisitor,
    ) -> Result<der::Header, StreamError> {
        let mut header = None;
        let n = self.piece(end, path, path, visitor, |r| {
            header = Some(r.read_header(expected, end).at(path)?);
            Ok(())
        })?;
        self.consume(n);
        Ok(header.expect("set on success"))
    }

    /// The tag of the next byte before `limit`, if there is one.
    fn peek_tag(&mut self, limit: u64, visitor: &mut dyn StreamVisitor) -> Result<Option<u8>, StreamError> {
        if self.offset() >= limit {
            return Ok(None);
        }
        self.fill(1, visitor)?;
        Ok(self.buf[self.start..self.end].first().copied())
    }

    /// Validate the whole entries buffered (up to `list_end`) in parallel chunks, when there
    /// are enough of them to be worth it, and consume them. The chunks are cut at guessed
    /// boundaries, which the chunks prove (`crl::validate_guessing_prefix`); when that fails,
    /// each chunk is set to work on the thread pool as soon as a walk over the entry headers
    /// has cut it, so the walk (the one sequential step) runs while the chunks before are
    /// validated. `false` when nothing was taken: too few bytes buffered, or a chunk has an
    /// error, which the sequential loop then finds again and reports exactly as it always
    /// does (the chunks only ever accept).
    #[cfg(feature = "parallel")]
    fn validate_in_parallel(
        &mut self,
        list_end: u64,
        ctx: EntryContext,
        index: &mut u64,
        stats: &mut EntryStats,
    ) -> bool {
        let (data, cut) = self.view(list_end);
        if data.len() < PARALLEL_MIN {
            return false;
        }
        // Cut at guessed boundaries first (no walk), as `CrlRef::validate_in_chunks` does.
        let at = self.offset();
        let guessed = crl::validate_guessing_prefix(data, at, ctx, PARALLEL_CHUNK, !cut, self.opts.max_element);
        #[cfg(test)]
        if guessed.is_some() {
            tests::GUESSED_RUNS.with_borrow_mut(|runs| runs[usize::from(cut)] += 1);
        }
        let (taken, next, found) = match guessed {
            Some((taken, found)) => (taken, *index + found.count, found),
            None => {
                let (taken, next, found) =
                    crl::validate_walking(data, at, *index, ctx, PARALLEL_CHUNK, self.opts.max_element, |_| {});
                let Some(found) = found.filter(|_| taken > 0) else { return false };
                (taken, next, found)
            }
        };
        *stats = stats.merge(found);
        *index = next;
        self.consume(taken);
        #[cfg(test)]
        tests::PARALLEL_RUNS.set(tests::PARALLEL_RUNS.get() + 1);
        true
    }

    /// The bytes of a piece just decoded (for re-parsing them from an owned copy).
    fn take(&mut self, n: usize) -> (Vec<u8>, u64) {
        let at = self.offset();
        let bytes = self.buf[self.start..self.start + n].to_vec();
        self.consume(n);
        (bytes, at)
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
        buf: vec![0; opts.read_chunk.clamp(64, 8 << 20)],
        start: 0,
        end: 0,
        tapped: 0,
        base: 0,
        eof: false,
        opts: *opts,
    };
    let profile = opts.profile;

    // CertificateList: only its header. How long the input really is shows as it is read.
    let outer_path = Path::field(Field::CertificateList);
    let outer = w.header(tag::SEQUENCE, u64::MAX, outer_path, visitor)?;
    let outer_end = (outer.header_len as u64).saturating_add(outer.len);
    let tbs_path = Path::field(Field::TbsCertList);
    let tbs_at = w.offset();
    let tbs = w.header(tag::SEQUENCE, outer_end, tbs_path, visitor)?;
    let tbs_end = tbs_at + tbs.header_len as u64 + tbs.len;

    // version .. nextUpdate, decoded by `parse_header` (copied out: they are small and must
    // outlive refills of the window).
    let header_path = Path::field(Field::TbsSignature);
    let n = w.piece(tbs_end, header_path, tbs_path, visitor, |r| crl::parse_header(r, profile).map(|_| ()))?;
    let (header_bytes, header_at) = w.take(n);
    let header = crl::parse_header(&mut Reader::new(&header_bytes, header_at), profile)
        .map_err(|e| StreamError::Parse(e, Excerpt::default()))?;
    visitor.header(&header).map_err(StreamError::Output)?;
    let ctx = EntryContext { version: header.version, profile };
    #[cfg(feature = "parallel")]
    let wants_entries = visitor.wants_entries();

    // Entries, as many at a time as the window holds.
    let mut stats = EntryStats::default();
    if w.peek_tag(tbs_end, visitor)? == Some(tag::SEQUENCE) {
        let list_path = Path::field(Field::RevokedCertificates);
        let list_at = w.offset();
        let list = w.header(tag::SEQUENCE, tbs_end, list_path, visitor)?;
        crl::check_revoked_list(list.len, list_at, profile).map_err(|e| w.fail(e))?;
        let list_end = list_at + list.header_len as u64 + list.len;
        let mut index = 0u64;
        let max_element = opts.max_element;
        while w.offset() < list_end {
            #[cfg(feature = "parallel")]
            if !wants_entries && w.validate_in_parallel(list_end, ctx, &mut index, &mut stats) {
                continue;
            }
            let (mut r, ..) = w.reader(list_end);
            let at = r.offset();
            let mut stop: Option<Error> = None;
            while r.offset() < list_end {
                let path = Path::entry(Field::Entry, index);
                match r.read(tag::SEQUENCE).at(path) {
                    Ok(seq) if seq.raw.len() > max_element => {
                        stop = Some(Error::new(ErrorKind::LengthTooLarge, path, seq.offset));
                        break;
                    }
                    Ok(seq) => match crl::parse_entry(seq, index, ctx) {
                        Ok(entry) => {
                            stats.add(&entry);
                            visitor.entry(&entry).map_err(StreamError::Output)?;
                            index += 1;
                        }
                        Err(e) => {
                            stop = Some(e);
                            break;
                        }
                    },
                    Err(e) => {
                        stop = Some(e);
                        break;
                    }
                }
            }
            let consumed = (r.offset() - at) as usize;
            w.consume(consumed);
            match stop {
                None => {}
                Some(e) if e.needs_more() => w.more_for(e.offset(), Path::entry(Field::Entry, index), visitor)?,
                Some(e) => return Err(w.fail(e)),
            }
        }
    }

    // crlExtensions and the end of tbsCertList.
    let n = w.piece(tbs_end, Path::field(Field::CrlExtensions), tbs_path, visitor, |r| {
        crl::parse_tbs_tail(r, header.version, profile).map(|_| ())
    })?;
    let (ext_bytes, ext_at) = w.take(n);
    let extensions = crl::parse_tbs_tail(&mut Reader::new(&ext_bytes, ext_at), header.version, profile)
        .map_err(|e| StreamError::Parse(e, Excerpt::default()))?;

    // signatureAlgorithm, signatureValue, the end of the CertificateList, and nothing after.
    let tail_path = Path::field(Field::SignatureAlgorithm);
    let n = w.piece(outer_end, tail_path, outer_path, visitor, |r| {
        crl::parse_signature_tail(r, &header.signature).map(|_| ())
    })?;
    let (tail_bytes, tail_at) = w.take(n);
    let (alg, sig) = crl::parse_signature_tail(&mut Reader::new(&tail_bytes, tail_at), &header.signature)
        .map_err(|e| StreamError::Parse(e, Excerpt::default()))?;
    visitor.trailer(extensions.as_ref(), &alg, &sig[1..]).map_err(StreamError::Output)?;
    if w.peek_tag(u64::MAX, visitor)?.is_some() {
        return Err(w.fail(Error::new(ErrorKind::TrailingData, outer_path, w.offset())));
    }
    w.flush_tap(visitor)?;
    Ok(StreamSummary { bytes: outer_end, stats })
}

/// A PEM error found by [`PemCrlReader`], with the text around it; it travels inside the
/// `io::Error` the reader returns (`ErrorKind::InvalidData`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PemInputError {
    /// What is wrong, where in the text (offset), in which block (path).
    pub error: Error,
    /// The text around the offset.
    pub excerpt: Excerpt,
}

impl PemInputError {
    /// The PEM error inside `e`, if it holds one.
    pub fn from_io(e: &io::Error) -> Option<&PemInputError> {
        e.get_ref().and_then(|inner| inner.downcast_ref::<PemInputError>())
    }
}

impl std::fmt::Display for PemInputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for PemInputError {}

/// Longest PEM line [`PemCrlReader`] accepts by default (a pipe is not buffered without bound).
pub const MAX_PEM_LINE: usize = 16 << 20;

/// Where the reader is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No CRL block opened yet.
    Start,
    /// Inside a CRL block: reads return its DER.
    Crl,
    /// At the END line of a CRL block: reads return 0 until [`PemCrlReader::next_crl`].
    CrlEnd,
    /// The whole text has been read and checked.
    Done,
}

/// A [`Read`] of the CRLs in a PEM text, one block at a time, decoded as the text streams in:
/// for parsing PEM from a pipe in constant memory. It reads exactly what [`pem::decode_crls`]
/// reads and fails where it fails (the same line rules, in the same order), but block by block:
/// each CRL block's DER ends at its END line (reads return 0), [`PemCrlReader::next_crl`] moves
/// to the next CRL block, checking every other block and all text on the way, and
/// `next_crl` returning `false` means the rest was checked too. Errors come as `io::Error`s holding a
/// [`PemInputError`].
pub struct PemCrlReader<R: BufRead> {
    src: R,
    max_line: usize,
    /// The current line as read (line end included).
    raw: Vec<u8>,
    /// Offset of the next line.
    offset: u64,
    /// Up to 64 bytes read before the current line, for excerpts.
    recent: Vec<u8>,
    /// The first bytes of the text (excerpts of errors at offset 0).
    head: Vec<u8>,
    phase: Phase,
    /// Blocks seen so far (BEGIN and stray END lines), as `pem::blocks` numbers them.
    blocks: usize,
    crls: usize,
    skipped: usize,
    /// The CRL block being read: its number, BEGIN offset, label, decoder.
    current: Option<(usize, u64, Vec<u8>, StreamDecoder)>,
    begin_excerpt: Excerpt,
    out: Vec<u8>,
    out_pos: usize,
}

impl<R: BufRead> PemCrlReader<R> {
    /// Read from `src`.
    pub fn new(src: R) -> Self {
        Self::with_max_line(src, MAX_PEM_LINE)
    }

    /// Read from `src`, refusing lines longer than `max_line` bytes.
    pub fn with_max_line(src: R, max_line: usize) -> Self {
        Self {
            src,
            max_line,
            raw: Vec::new(),
            offset: 0,
            recent: Vec::new(),
            head: Vec::new(),
            phase: Phase::Start,
            blocks: 0,
            crls: 0,
            skipped: 0,
            current: None,
            begin_excerpt: Excerpt::default(),
            out: Vec::new(),
            out_pos: 0,
        }
    }

    /// The number (from 0, counting every block of the text) of the CRL block being read.
    pub fn block(&self) -> usize {
        self.current.as_ref().map_or(self.blocks.saturating_sub(1), |c| c.0)
    }

    /// Blocks skipped because they are not CRLs (certificates in a bundle).
    pub fn skipped_blocks(&self) -> usize {
        self.skipped
    }

    /// Move past the current CRL block (checking the rest of it) to the next one. `Ok(false)`
    /// when there is none: then the whole text has been checked.
    pub fn next_crl(&mut self) -> io::Result<bool> {
        if self.phase == Phase::Crl {
            self.drain_block()?;
            self.out_pos = 0;
        }
        if self.phase == Phase::Done {
            return Ok(false);
        }
        if self.open_next()? {
            self.phase = Phase::Crl;
            Ok(true)
        } else {
            self.phase = Phase::Done;
            if self.crls == 0 {
                let kind = if self.blocks == 0 { ErrorKind::PemNoBeginLine } else { ErrorKind::PemNotCrl };
                let excerpt = Excerpt::around(&self.head, 0, 0, false);
                return Err(fail(pem::pem_error(kind, 0, 0), excerpt));
            }
            Ok(false)
        }
    }

    /// Read one line into `self.raw`; its offset and the line with its end removed, or `None`.
    fn next_line(&mut self) -> io::Result<Option<u64>> {
        // Keep the last bytes before this line for excerpts.
        self.recent.extend_from_slice(&self.raw);
        if self.recent.len() > 64 {
            self.recent.drain(..self.recent.len() - 64);
        }
        self.raw.clear();
        let at = self.offset;
        let n = (&mut self.src).take((self.max_line as u64).saturating_add(1)).read_until(b'\n', &mut self.raw)?;
        if self.head.len() < 32 {
            let take = (32 - self.head.len()).min(self.raw.len());
            self.head.extend_from_slice(&self.raw[..take]);
        }
        if n == 0 {
            return Ok(None);
        }
        if n > self.max_line {
            let index = self.current.as_ref().map_or(self.blocks, |c| c.0);
            return Err(self.fail_here(pem::pem_error(ErrorKind::LengthTooLarge, index, at)));
        }
        self.offset += n as u64;
        Ok(Some(at))
    }

    /// The current line without its end (LF or CRLF, and trailing blanks), as `pem::blocks`
    /// sees lines.
    fn line(&self) -> &[u8] {
        strip_line_end(&self.raw)
    }

    /// The text around `offset`, from the bytes kept before the current line and the line.
    fn excerpt_here(&self, offset: u64) -> Excerpt {
        let recent_start = self.offset.saturating_sub((self.recent.len() + self.raw.len()) as u64);
        let mut around = self.recent.clone();
        around.extend_from_slice(&self.raw);
        Excerpt::around(&around, recent_start, offset, false)
    }

    fn fail_here(&self, e: Error) -> io::Error {
        fail(e, self.excerpt_here(e.offset()))
    }

    /// Read the open block to its END line, checking every line, keeping nothing.
    fn drain_block(&mut self) -> io::Result<()> {
        while self.phase == Phase::Crl {
            self.out.clear();
            self.step_body()?;
        }
        self.out.clear();
        Ok(())
    }

    /// Scan for the next CRL block, checking other blocks and stray lines on the way; open it.
    fn open_next(&mut self) -> io::Result<bool> {
        loop {
            let Some(at) = self.next_line()? else { return Ok(false) };
            match pem::outside_line(self.line()) {
                OutsideLine::Text => continue,
                OutsideLine::StrayEnd => {
                    let index = self.blocks;
                    self.blocks += 1;
                    return Err(self.fail_here(pem::pem_error(ErrorKind::PemBadBoundary, index, at)));
                }
                OutsideLine::Begin => {}
            }
            let index = self.blocks;
            self.blocks += 1;
            let label = match pem::begin_label(self.line(), at, index) {
                Ok(l) => l.as_bytes().to_vec(),
                Err(e) => return Err(self.fail_here(e)),
            };
            let is_crl = pem::is_crl_label(core::str::from_utf8(&label).unwrap_or(""));
            self.begin_excerpt = self.excerpt_here(at);
            self.current = Some((index, at, label, StreamDecoder::new(index)));
            if is_crl {
                self.crls += 1;
                return Ok(true);
            }
            // Another kind of block: decoded and checked like any, then dropped.
            self.skipped += 1;
            self.phase = Phase::Crl;
            self.drain_block()?;
            self.phase = Phase::Start;
        }
    }

    /// One line of the open block: decoded into `self.out`, or its END (phase `CrlEnd`).
    fn step_body(&mut self) -> io::Result<()> {
        let Some(at) = self.next_line()? else {
            let (index, begin, ..) = self.current.as_ref().expect("a block is open");
            return Err(fail(pem::pem_error(ErrorKind::PemMissingEnd, *index, *begin), self.begin_excerpt));
        };
        let raw = std::mem::take(&mut self.raw);
        let (index, begin, label, decoder) = self.current.as_mut().expect("a block is open");
        let result = pem::body_line_step(strip_line_end(&raw), at, label, *index, decoder, &mut self.out);
        let result = match result {
            Ok(BodyLine::End) => decoder.finish_check(*begin).map(|()| BodyLine::End).map_err(|e| (e, true)),
            other => other.map_err(|e| (e, false)),
        };
        self.raw = raw;
        match result {
            Ok(BodyLine::Data) => Ok(()),
            Ok(BodyLine::End) => {
                self.phase = Phase::CrlEnd;
                Ok(())
            }
            Err((e, true)) => Err(fail(e, self.begin_excerpt)),
            Err((e, false)) => Err(self.fail_here(e)),
        }
    }
}

/// A line without its end (LF or CRLF) and trailing blanks, as `pem::blocks` sees lines.
fn strip_line_end(raw: &[u8]) -> &[u8] {
    let mut line = raw;
    if let [head @ .., b'\n'] = line {
        line = head;
    }
    while let [head @ .., b'\r' | b' ' | b'\t'] = line {
        line = head;
    }
    line
}

fn fail(error: Error, excerpt: Excerpt) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, PemInputError { error, excerpt })
}

impl<R: BufRead> Read for PemCrlReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_pos < self.out.len() {
                let n = buf.len().min(self.out.len() - self.out_pos);
                buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            self.out.clear();
            self.out_pos = 0;
            match self.phase {
                Phase::Start => {
                    if !self.next_crl()? {
                        return Ok(0);
                    }
                }
                Phase::Crl => self.step_body()?,
                Phase::CrlEnd | Phase::Done => return Ok(0),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    std::thread_local! {
        /// Windows validated in parallel chunks by parses on this thread (the parser counts on
        /// the caller's thread), so that a test can tell its own parse took that path.
        pub(super) static PARALLEL_RUNS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
        /// Of those, the ones cut at guessed boundaries: with all of the entries buffered, and
        /// with the bytes buffered ending inside an entry.
        pub(super) static GUESSED_RUNS: std::cell::RefCell<[usize; 2]> = const { std::cell::RefCell::new([0; 2]) };
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../fixtures/{name}",
            std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    /// The raw bytes, with entries wanted (one at a time) or not (parallel chunks).
    struct Collect(Vec<u8>, bool);
    impl StreamVisitor for Collect {
        fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
            self.0.extend_from_slice(bytes);
            Ok(())
        }
        fn wants_entries(&self) -> bool {
            self.1
        }
    }

    /// Validates one entry at a time, as a visitor that wants the entries makes it.
    struct EachEntry;
    impl StreamVisitor for EachEntry {}

    /// Every prefix and every one-byte change of a small CRL: the stream and the slice parser
    /// report the same error, whatever the read size.
    #[test]
    fn same_error_as_the_slice_parser_on_prefixes_and_flips() {
        let der = fixture("crl.p256.edge-serials.der");
        let mut inputs: Vec<Vec<u8>> = (0..der.len()).map(|n| der[..n].to_vec()).collect();
        for i in 0..der.len() {
            for bit in [0x01u8, 0x80] {
                let mut m = der.clone();
                m[i] ^= bit;
                inputs.push(m);
            }
        }
        for input in inputs {
            let slice = crate::CrlRef::from_der(&input).and_then(|c| c.validate().map(|s| s.count));
            for (each_entry, chunk) in [false, true].into_iter().flat_map(|e| [1usize, 7, 64, 1 << 20].map(|c| (e, c)))
            {
                let opts = StreamOptions { read_chunk: chunk, ..StreamOptions::default() };
                let streamed = if each_entry {
                    parse_stream(&input[..], &opts, &mut EachEntry)
                } else {
                    parse_stream(&input[..], &opts, &mut Validate)
                };
                match (&slice, &streamed) {
                    (Ok(a), Ok(b)) => assert_eq!(*a, b.stats.count),
                    (Err(a), Err(StreamError::Parse(b, _))) => {
                        assert_eq!(
                            a,
                            b,
                            "read size {chunk}, len {}, first bytes {:02x?}",
                            input.len(),
                            &input[..input.len().min(40)]
                        )
                    }
                    _ => panic!("slice {slice:?} vs stream {streamed:?} (read size {chunk})"),
                }
            }
        }
    }

    #[test]
    fn raw_bytes_are_the_crl() {
        let der = fixture("crl.p256.1k.der");
        let whole = crate::CrlRef::from_der(&der).unwrap().validate().unwrap();
        for (wants_entries, read_chunk) in [(true, 100), (false, 100), (false, 1000), (false, 1 << 20)] {
            let mut sink = Collect(Vec::new(), wants_entries);
            let opts = StreamOptions { read_chunk, ..StreamOptions::default() };
            let before = PARALLEL_RUNS.get();
            let s = parse_stream(&der[..], &opts, &mut sink).unwrap();
            // This parse must have taken the parallel path unless the visitor wants every entry,
            // and must not have taken it if it does.
            assert_eq!(PARALLEL_RUNS.get() > before, !wants_entries, "reads of {read_chunk}");
            assert_eq!((s.stats, &sink.0), (whole, &der), "entries wanted: {wants_entries}, reads of {read_chunk}");
        }
    }

    /// Windows of the 1k fixtures are cut at guessed boundaries, whether they hold all of the
    /// entries or end inside one, and count what the slice parser counts.
    #[cfg(feature = "parallel")]
    #[test]
    fn windows_are_cut_at_guessed_boundaries() {
        for name in ["crl.p256.1k.der", "crl.rsa2048.1k.der"] {
            let der = fixture(name);
            let whole = crate::CrlRef::from_der(&der).unwrap().validate().unwrap();
            for (read_chunk, kind) in [(4096, 1), (1 << 20, 0)] {
                let opts = StreamOptions { read_chunk, ..StreamOptions::default() };
                let before = GUESSED_RUNS.with_borrow(|runs| runs[kind]);
                let s = parse_stream(&der[..], &opts, &mut Validate).unwrap();
                assert_eq!(s.stats, whole, "{name}, reads of {read_chunk}");
                let after = GUESSED_RUNS.with_borrow(|runs| runs[kind]);
                assert!(after > before, "{name}, reads of {read_chunk}: no window cut at guesses");
            }
        }
    }

    #[test]
    fn elements_over_the_limit_are_refused() {
        let der = fixture("crl.p256.1k.der");
        let opts = StreamOptions { max_element: 30, ..StreamOptions::default() };
        let e = parse_stream(&der[..], &opts, &mut Validate).unwrap_err();
        let StreamError::Parse(e, _) = e else { panic!("{e:?}") };
        assert_eq!(e.kind(), ErrorKind::LengthTooLarge);
    }

    #[test]
    fn pem_reader_reads_each_crl_block_and_checks_the_rest() {
        let pem = fixture("crl.p256.small.pem");
        let der = fixture("crl.p256.small.der");
        let mut text = b"intro\n-----BEGIN CERTIFICATE-----\nAw==\n-----END CERTIFICATE-----\n".to_vec();
        text.extend_from_slice(&pem);
        text.extend_from_slice(&pem);
        let mut r = PemCrlReader::new(&text[..]);
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        assert_eq!((got.as_slice(), r.block(), r.skipped_blocks()), (der.as_slice(), 1, 1));
        assert!(r.next_crl().unwrap());
        got.clear();
        r.read_to_end(&mut got).unwrap();
        assert_eq!((got.as_slice(), r.block()), (der.as_slice(), 2));
        assert!(!r.next_crl().unwrap());
        // A bad block after the CRLs is found by finish, as pem::decode_crls finds it.
        let mut bad = pem.clone();
        bad.extend_from_slice(b"-----BEGIN CERTIFICATE-----\nA*==\n-----END CERTIFICATE-----\n");
        let mut r = PemCrlReader::new(&bad[..]);
        r.read_to_end(&mut Vec::new()).unwrap();
        let e = r.next_crl().unwrap_err();
        let expected = pem::decode_crls(&bad).unwrap_err();
        assert_eq!(PemInputError::from_io(&e).unwrap().error, expected);
    }
}
