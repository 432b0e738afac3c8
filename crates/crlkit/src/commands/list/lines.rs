//! The lines `list` writes: text, CSV and JSON, each entry formatted in fixed-size copies
//! straight into its chunk's buffer, with no branch on the entry's shape.

use super::*;

pub(super) const CSV_HEADER_MANY: &[u8] = b"file,serial,revocation_time,reason,invalidity_date\n";

/// What goes before each entry of a file when many are listed: `FILE: ` in text, a quoted
/// `file` column in CSV, a `"file":"…",` member in JSON.
pub(super) fn file_prefix(format: ListFormat, file: &str) -> Vec<u8> {
    match format {
        ListFormat::Text => format!("{file}: ").into_bytes(),
        ListFormat::Csv if file.contains([',', '"', '\n', '\r']) => {
            format!("\"{}\",", file.replace('"', "\"\"")).into_bytes()
        }
        ListFormat::Csv => format!("{file},").into_bytes(),
        ListFormat::Json => {
            let mut s = String::from("\"file\":");
            crate::support::json::push(&mut s, &file);
            s.push(',');
            s.into_bytes()
        }
    }
}

/// One entry with its file's prefix (see [`file_prefix`]).
#[inline]
pub(super) fn format_entry_of(e: &ListedEntry<'_>, format: ListFormat, first: bool, prefix: &[u8], out: &mut Vec<u8>) {
    if prefix.is_empty() {
        return format_entry(e, format, first, out);
    }
    match format {
        ListFormat::Json => {
            let start = out.len();
            format_entry(e, format, first, out);
            let brace = start + usize::from(!first) * 2 + 1;
            out.splice(brace..brace, prefix.iter().copied());
        }
        _ => {
            out.extend_from_slice(prefix);
            format_entry(e, format, first, out);
        }
    }
}

pub(super) const CSV_HEADER: &[u8] = b"serial,revocation_time,reason,invalidity_date\n";

/// Bytes one entry's line may take when written by [`write_line`]: JSON's opening, the
/// longest serial it takes ([`SERIAL_HEX_MAX`] digits) and the fields ([`FIELDS_MAX`]).
pub(super) const LINE_MAX: usize = 256;
const _: () = assert!(LINE_MAX >= 16 + SERIAL_HEX_MAX + FIELDS_MAX);
/// The longest serial [`write_line`] writes, in hex digits (32 octets); longer ones, and
/// negative ones, are appended by [`format_entry`].
pub(super) const SERIAL_HEX_MAX: usize = 64;
/// A reason name padded to a fixed width, so copying it is one fixed-size move.
pub(super) const REASON_WIDTH: usize = 24;

/// A reason field as one format writes it, padded to [`REASON_WIDTH`], with its length: by
/// code, and at [`NO_REASON`] for an entry without one.
pub(super) type ReasonField = ([u8; REASON_WIDTH], usize);

/// Where a [`ReasonField`] table keeps the field for an entry without a reasonCode.
pub(super) const NO_REASON: usize = 11;

/// The reason fields of one format: each name between `quote`s, and `none` for no reason.
/// One table lookup writes either, so the line has no branch on whether the entry has a
/// reason (CRLs mix the two at random, and that branch mispredicted half the time).
pub(super) const fn reason_fields(quote: &[u8], none: &[u8]) -> [ReasonField; 12] {
    use crlkit_der::Reason::*;
    let all = [
        Unspecified,
        KeyCompromise,
        CaCompromise,
        AffiliationChanged,
        Superseded,
        CessationOfOperation,
        CertificateHold,
        // Code 7 is unused: never looked up (no `Reason` has it).
        Unspecified,
        RemoveFromCrl,
        PrivilegeWithdrawn,
        AaCompromise,
    ];
    const fn put(field: &mut ReasonField, bytes: &[u8]) {
        let mut j = 0;
        while j < bytes.len() {
            field.0[field.1 + j] = bytes[j];
            j += 1;
        }
        field.1 += bytes.len();
    }
    let mut t = [([0u8; REASON_WIDTH], 0usize); 12];
    let mut i = 0;
    while i < NO_REASON {
        put(&mut t[i], quote);
        put(&mut t[i], all[i].name().as_bytes());
        put(&mut t[i], quote);
        i += 1;
    }
    put(&mut t[NO_REASON], none);
    t
}

pub(super) static TEXT_REASONS: [ReasonField; 12] = reason_fields(b"", b"-");
pub(super) static CSV_REASONS: [ReasonField; 12] = reason_fields(b"", b"");
pub(super) static JSON_REASONS: [ReasonField; 12] = reason_fields(b"\"", b"null");

/// A write position in a buffer that has room for a whole line.
pub(super) struct Cursor<'b> {
    pub(super) buf: &'b mut [u8],
    pub(super) at: usize,
}

impl Cursor<'_> {
    #[inline(always)]
    pub(super) fn put(&mut self, bytes: &[u8]) {
        self.buf[self.at..self.at + bytes.len()].copy_from_slice(bytes);
        self.at += bytes.len();
    }

    /// The entry's revocation date in RFC 3339 form, written in place.
    #[inline(always)]
    pub(super) fn revocation_date(&mut self, e: &ListedEntry<'_>) {
        let out: &mut [u8; 20] = (&mut self.buf[self.at..self.at + 20]).try_into().expect("a slice of 20");
        e.write_revocation_date_rfc3339(out);
        self.at += 20;
    }

    /// The entry's reason field from `fields` (one format's table).
    #[inline(always)]
    pub(super) fn reason(&mut self, fields: &[ReasonField; 12], r: Option<crlkit_der::Reason>) {
        let (padded, len) = &fields[r.map_or(NO_REASON, |r| r as usize)];
        self.buf[self.at..self.at + REASON_WIDTH].copy_from_slice(padded);
        self.at += len;
    }
}

/// The start of an entry's JSON object (a comma before every one but the output's first).
pub(super) fn json_open(first: bool) -> &'static [u8] {
    if first { b"{\"serial\":\"" } else { b",\n{\"serial\":\"" }
}

/// Write the entry as `format` prints it at `buf[at..]`, which must hold [`LINE_MAX`] bytes,
/// and return the position after it; `None` (nothing meaningful written) when the serial is
/// negative or longer than [`SERIAL_HEX_MAX`] digits. Every copy has a fixed size, so a
/// line costs no call: formatting is most of what `list` does.
#[inline]
pub(super) fn write_line(
    e: &ListedEntry<'_>,
    format: ListFormat,
    first: bool,
    buf: &mut [u8],
    at: usize,
) -> Option<usize> {
    let mut c = Cursor { buf: &mut buf[at..at + LINE_MAX], at: 0 };
    if format == ListFormat::Json {
        c.put(json_open(first));
    }
    let serial_at = c.at;
    let digits: &mut [u8; SERIAL_HEX_MAX] = (&mut c.buf[serial_at..serial_at + SERIAL_HEX_MAX]).try_into().ok()?;
    c.at += e.serial().write_hex_over(digits)?;
    let fields_at = at + c.at;
    Some(write_fields(e, format, buf, fields_at))
}

/// Room the fields after the serial take at most: JSON's keys, two times, the longest
/// reason name and the slack of its padded copy.
pub(super) const FIELDS_MAX: usize = 160;

/// Write what follows the serial in `format` at `buf[at..]`, which must hold [`FIELDS_MAX`]
/// bytes, and return the position after it.
#[inline(always)]
pub(super) fn write_fields(e: &ListedEntry<'_>, format: ListFormat, buf: &mut [u8], at: usize) -> usize {
    let mut c = Cursor { buf: &mut buf[at..at + FIELDS_MAX], at: 0 };
    match format {
        ListFormat::Text => {
            c.put(b" ");
            c.revocation_date(e);
            c.put(b" ");
            c.reason(&TEXT_REASONS, e.reason());
            c.put(b"\n");
        }
        ListFormat::Csv => {
            c.put(b",");
            c.revocation_date(e);
            c.put(b",");
            c.reason(&CSV_REASONS, e.reason());
            c.put(b",");
            if let Some(t) = e.invalidity_date() {
                c.put(&t.rfc3339_bytes());
            }
            c.put(b"\n");
        }
        ListFormat::Json => {
            c.put(b"\",\"revocation_time\":\"");
            c.revocation_date(e);
            c.put(b"\",\"reason\":");
            c.reason(&JSON_REASONS, e.reason());
            c.put(b",\"invalidity_date\":");
            match e.invalidity_date() {
                Some(t) => {
                    c.put(b"\"");
                    c.put(&t.rfc3339_bytes());
                    c.put(b"\"");
                }
                None => c.put(b"null"),
            }
            c.put(b"}");
        }
    }
    at + c.at
}

/// Format the entries of `chunk` into `buf` from its start, growing it as needed (it keeps
/// its length between calls, so a reused buffer is never cleared or refilled), and return
/// how many bytes hold the text. `first_of_output` says whether the chunk's first entry is
/// the output's first (JSON commas).
pub(super) fn format_chunk(
    chunk: &EntryChunk<'_>,
    format: ListFormat,
    first_of_output: bool,
    prefix: &[u8],
    buf: &mut Vec<u8>,
) -> Result<usize, crlkit_der::Error> {
    let mut at = 0;
    let mut pieces = Vec::new();
    // The chunk was validated before it is formatted (`list_loaded`, `validate`).
    chunk.try_for_each_listed(|e| {
        let first = first_of_output && e.index() == chunk.first_index();
        if buf.len() < at + LINE_MAX {
            buf.resize((at + LINE_MAX).max(2 * buf.len()).max(1 << 16), 0);
        }
        if prefix.is_empty()
            && let Some(next) = write_line(e, format, first, buf, at)
        {
            at = next;
            return;
        }
        pieces.clear();
        format_entry_of(e, format, first, prefix, &mut pieces);
        if buf.len() < at + pieces.len() {
            buf.resize(at + pieces.len(), 0);
        }
        buf[at..at + pieces.len()].copy_from_slice(&pieces);
        at += pieces.len();
    })?;
    Ok(at)
}

/// Append one entry. `first` is true for the very first entry of the output (JSON commas).
#[inline]
pub fn format_entry(e: &ListedEntry<'_>, format: ListFormat, first: bool, out: &mut Vec<u8>) {
    let at = out.len();
    out.resize(at + LINE_MAX, 0);
    if let Some(end) = write_line(e, format, first, out, at) {
        out.truncate(end);
        return;
    }
    // A negative serial, or one too long for the fixed layout: the serial appended, then the
    // same fields.
    out.truncate(at);
    if format == ListFormat::Json {
        out.extend_from_slice(json_open(first));
    }
    e.serial().write_hex(out);
    let at = out.len();
    out.resize(at + FIELDS_MAX, 0);
    let end = write_fields(e, format, out, at);
    out.truncate(end);
}

pub(super) fn prologue(format: ListFormat) -> &'static [u8] {
    match format {
        ListFormat::Text => b"",
        ListFormat::Csv => CSV_HEADER,
        ListFormat::Json => b"[\n",
    }
}

pub(super) fn epilogue(format: ListFormat, empty: bool) -> &'static [u8] {
    match (format, empty) {
        (ListFormat::Json, true) => b"]\n",
        (ListFormat::Json, false) => b"\n]\n",
        _ => b"",
    }
}
