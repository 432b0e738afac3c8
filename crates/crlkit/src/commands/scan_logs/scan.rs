//! The scan itself: log files (plain or gzip) read in pieces, each line's serial probed in the
//! CRL's revocation index, and the tallies of what was seen, merged in input order.

use super::*;

pub(super) const LOG_EXTENSIONS: [&str; 2] = ["log", "log.gz"];

/// Plain files are split into pieces of about this size for the worker threads.
pub(super) const PIECE: usize = 8 << 20;

/// A revoked entry, as the index keeps it.
#[derive(Clone, Copy)]
pub(super) struct Revocation {
    pub(super) time: Time,
    pub(super) reason: Option<Reason>,
}

/// Build the revocation index while validating every entry (the first entry of a serial wins).
pub(super) fn revocation_index<'a>(crl: &CrlRef<'a>) -> Result<SerialIndex<&'a [u8], Revocation>, crlkit_der::Error> {
    let (entries, count) = input::par_entries(crl, |e| {
        Some((e.serial().der_content(), Revocation { time: e.revocation_date(), reason: e.reason() }))
    })?;
    let mut index = SerialIndex::with_capacity(count as usize);
    for (k, v) in entries {
        index.insert(k, v);
    }
    Ok(index)
}

/// A line worth showing: where, and what.
#[derive(Clone)]
pub(super) struct Example {
    pub(super) file: usize,
    /// Line number within the work unit; made absolute when units merge.
    pub(super) line: u64,
    pub(super) text: String,
}

/// What one revoked serial did in the logs.
#[derive(Default, Clone)]
pub(super) struct SerialSeen {
    pub(super) connections: u64,
    pub(super) by_status: Counts,
    pub(super) success_after_revocation: u64,
    pub(super) first_seen: String,
    pub(super) last_seen: String,
}

/// Counts from one work unit, or (after merging) from everything.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) lines: u64,
    pub(super) bytes: u64,
    pub(super) blank: u64,
    pub(super) bad: u64,
    pub(super) bad_examples: Vec<Example>,
    pub(super) no_client_cert: u64,
    pub(super) status: Counts,
    pub(super) revoked_status: Counts,
    pub(super) revoked: SerialMap<Serial, SerialSeen>,
    pub(super) alarms: u64,
    pub(super) alarm_examples: Vec<Example>,
}

/// Counts per `tls_verify_status`: a handful of distinct values, so a list beats hashing.
pub(super) type Counts = Vec<(Box<[u8]>, u64)>;

#[inline]
pub(super) fn bump(counts: &mut Counts, key: &[u8], n: u64) {
    match counts.iter_mut().find(|(k, _)| **k == *key) {
        Some((_, v)) => *v += n,
        None => counts.push((key.into(), n)),
    }
}

/// `2023-10-04T17:05:15.514108Z` → the second it falls in.
pub(super) fn log_time(ts: &[u8]) -> Option<i64> {
    let head = ts.get(..19)?;
    let mut s = String::with_capacity(20);
    s.push_str(std::str::from_utf8(head).ok()?);
    s.push('Z');
    Time::from_rfc3339(&s).map(|t| t.unix())
}

pub(super) struct Scanner<'i> {
    pub(super) index: &'i SerialIndex<&'i [u8], Revocation>,
    pub(super) examples: usize,
}

impl Scanner<'_> {
    pub(super) fn line(&self, t: &mut Tally, file: usize, number: u64, line: &[u8]) {
        t.lines += 1;
        t.bytes += line.len() as u64 + 1;
        let trimmed = line.strip_suffix(b"\r").unwrap_or(line);
        if trimmed.iter().all(|c| c.is_ascii_whitespace()) {
            t.blank += 1;
            return;
        }
        let rec = match alb::parse_line(trimmed) {
            Ok(r) => r,
            Err(e) => return self.bad(t, file, number, &e),
        };
        bump(&mut t.status, rec.verify_status, 1);
        let Some(hex) = rec.serial else {
            t.no_client_cert += 1;
            return;
        };
        let Some(serial) = Serial::from_hex_digits(hex) else {
            return self.bad(t, file, number, &LineError::BadSerial);
        };
        let Some((_, revocation)) = self.index.get(serial.as_bytes()) else { return };
        bump(&mut t.revoked_status, rec.verify_status, 1);
        let ts = String::from_utf8_lossy(rec.timestamp).into_owned();
        // An unreadable timestamp counts as after the revocation: better a false alarm.
        let after = log_time(rec.timestamp).is_none_or(|at| at >= revocation.time.unix());
        let alarm = after && rec.verify_status == b"Success";
        let seen = t.revoked.entry(serial.clone()).or_default();
        seen.connections += 1;
        bump(&mut seen.by_status, rec.verify_status, 1);
        if seen.first_seen.is_empty() || ts < seen.first_seen {
            seen.first_seen = ts.clone();
        }
        if ts > seen.last_seen {
            seen.last_seen = ts.clone();
        }
        if alarm {
            seen.success_after_revocation += 1;
            t.alarms += 1;
            if t.alarm_examples.len() < self.examples {
                let text = format!(
                    "{ts}  {}  {serial}  {}",
                    String::from_utf8_lossy(rec.client_ip),
                    String::from_utf8_lossy(rec.subject)
                );
                t.alarm_examples.push(Example { file, line: number, text });
            }
        }
    }

    pub(super) fn bad(&self, t: &mut Tally, file: usize, number: u64, e: &LineError) {
        t.bad += 1;
        if t.bad_examples.len() < self.examples {
            t.bad_examples.push(Example { file, line: number, text: e.to_string() });
        }
    }

    /// Every complete line of `data` (the last one may lack its newline).
    pub(super) fn lines(&self, t: &mut Tally, file: usize, first_number: u64, data: &[u8]) -> u64 {
        let mut number = first_number;
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', data) {
            number += 1;
            self.line(t, file, number, &data[start..nl]);
            start = nl + 1;
        }
        if start < data.len() {
            number += 1;
            self.line(t, file, number, &data[start..]);
        }
        number - first_number
    }
}

impl Tally {
    /// Add `o`, whose line numbers start after `line_offset` lines of its file.
    pub(super) fn merge(&mut self, o: Tally, line_offset: u64, examples: usize) {
        self.lines += o.lines;
        self.bytes += o.bytes;
        self.blank += o.blank;
        self.bad += o.bad;
        self.no_client_cert += o.no_client_cert;
        self.alarms += o.alarms;
        for (mine, theirs) in [(&mut self.bad_examples, o.bad_examples), (&mut self.alarm_examples, o.alarm_examples)] {
            for mut e in theirs {
                if mine.len() < examples {
                    e.line += line_offset;
                    mine.push(e);
                }
            }
        }
        for (k, v) in o.status {
            bump(&mut self.status, &k, v);
        }
        for (k, v) in o.revoked_status {
            bump(&mut self.revoked_status, &k, v);
        }
        for (serial, s) in o.revoked {
            let mine = self.revoked.entry(serial).or_default();
            mine.connections += s.connections;
            mine.success_after_revocation += s.success_after_revocation;
            for (k, n) in s.by_status {
                bump(&mut mine.by_status, &k, n);
            }
            if mine.first_seen.is_empty() || s.first_seen < mine.first_seen {
                mine.first_seen = s.first_seen;
            }
            if s.last_seen > mine.last_seen {
                mine.last_seen = s.last_seen;
            }
        }
    }
}

/// A piece of work: part of a plain file, or a whole gzip file or stdin.
pub(super) enum Unit {
    Plain { file: usize, start: usize, end: usize },
    Stream { file: usize },
}

pub(super) enum Content {
    Mapped(input::Bytes),
    Gzip(PathBuf),
    Stdin,
}

pub(super) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Scan a stream of log text in blocks of whole lines.
pub(super) fn scan_reader(scanner: &Scanner<'_>, file: usize, mut reader: impl Read) -> Result<Tally, std::io::Error> {
    let mut t = Tally::default();
    let mut buf = vec![0u8; 4 << 20];
    let mut filled = 0;
    let mut number = 0;
    loop {
        let n = reader.read(&mut buf[filled..])?;
        if n == 0 {
            if filled > 0 {
                scanner.lines(&mut t, file, number, &buf[..filled]);
            }
            return Ok(t);
        }
        filled += n;
        match memchr::memrchr(b'\n', &buf[..filled]) {
            Some(last) => {
                number += scanner.lines(&mut t, file, number, &buf[..last]);
                buf.copy_within(last + 1..filled, 0);
                filled -= last + 1;
            }
            // A line longer than the buffer: grow rather than cut it.
            None if filled == buf.len() => buf.resize(buf.len() * 2, 0),
            None => {}
        }
    }
}

/// Scan a file or stdin: gzip (detected by its magic bytes) through the decoder, else as is.
pub(super) fn scan_stream(
    scanner: &Scanner<'_>,
    file: usize,
    inner: impl Read,
    progress: &Progress,
) -> Result<Tally, std::io::Error> {
    let mut reader = std::io::BufReader::with_capacity(1 << 20, Counting { inner, progress });
    let is_gzip = reader.fill_buf()?.starts_with(&GZIP_MAGIC);
    if is_gzip {
        scan_reader(scanner, file, flate2::bufread::MultiGzDecoder::new(reader))
    } else {
        scan_reader(scanner, file, reader)
    }
}

/// Counts compressed bytes for the progress line.
pub(super) struct Counting<'p, R> {
    pub(super) inner: R,
    pub(super) progress: &'p Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add(n as u64);
        Ok(n)
    }
}
