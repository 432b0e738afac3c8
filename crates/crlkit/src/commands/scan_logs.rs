//! `crlkit scan-logs --crl CRL LOG...`: which connections in ALB connection logs presented a
//! client certificate that the CRL revokes, and did ELB refuse them?
//!
//! `Failed:ClientCertCrlHit` lines are revocations ELB already enforced. `Success` lines whose
//! serial the CRL revoked *before* the connection are the ones that matter: the CRL is not (yet)
//! in the trust store, or it is another CRL. Those set exit code 1.
//!
//! The CRL's entries become a hash index (serial bytes → date, reason) while being validated.
//! Logs (`.log`, `.log.gz`, directories walked for both) are cut into work units: plain files
//! into newline-aligned pieces of a few MB, gzip files whole; units run in parallel and their
//! counts merge in file order, so output never depends on the thread count. Bad lines are
//! counted and shown with file and line number, never fatal; an unreadable file is reported
//! and the rest still scanned (exit 2 at the end).

use std::fmt::Write as _;
use std::io::{BufRead, Read};
use std::path::PathBuf;

use crlkit_der::{CrlRef, Reason, Time};
use crlkit_serial::alb::{self, LineError};
use crlkit_serial::{Serial, SerialIndex, SerialMap};
use rayon::prelude::*;

use crate::cli::args::{JsonArg, LenientArg};
use crate::support::failure::Failure;
use crate::support::input::{self, Source};
use crate::support::json::{self, NamedCounts};
use crate::support::outcome::Outcome;
use crate::support::progress::Progress;

mod scan;
use scan::*;

const ABOUT: &str = "Connections in ALB connection logs whose client certificate the CRL revokes.";

const EXAMPLES: &str = "\
Reads ALB connection logs (.log and .log.gz; directories are searched recursively) by field
position, ignoring fields AWS adds at the end. `Failed:ClientCertCrlHit` lines are revocations
ELB enforced; `Success` lines whose serial the CRL revoked before the connection mean the CRL is
not (yet) in force. Bad lines are counted and shown with file and line, never fatal. Logs on
stdin stream through; a CRL on stdin is read whole (up to 1 GiB).
Exit codes: 0 no connection succeeded after its certificate's revocation, 1 some did, 2 error
(unreadable CRL or log file; the other files are still scanned).

Examples:
  crlkit scan-logs --crl pca.crl ./connlogs/
  aws s3 cp --recursive s3://my-logs/AWSLogs/ logs/ && crlkit scan-logs --crl pca.crl logs/
  crlkit scan-logs --crl pca.crl conn.log.gz --json | jq '.success_after_revocation'";

/// `crlkit scan-logs` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// The CRL (DER or PEM).
    #[arg(long, value_name = "CRL")]
    crl: String,
    /// ALB connection log files (.log, .log.gz) or directories; `-` reads stdin.
    #[arg(required = true, value_name = "LOG")]
    logs: Vec<String>,
    /// How many bad lines and alarming connections to show.
    #[arg(long, value_name = "N", default_value_t = 20)]
    examples: usize,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    lenient: LenientArg,
}

impl Args {
    pub fn config(self) -> Result<ScanLogs, Failure> {
        if self.crl == "-" && self.logs.iter().any(|l| l == "-") {
            return Err(Failure::usage("stdin (`-`) can feed only one of --crl and the logs"));
        }
        Ok(ScanLogs {
            crl: Source::parse(&self.crl),
            logs: self.logs,
            examples: self.examples,
            json: self.json.json,
            lenient: self.lenient.lenient,
        })
    }
}

/// What `scan-logs` was asked to do.
pub struct ScanLogs {
    pub crl: Source,
    /// Files and directories; `-` is stdin.
    pub logs: Vec<String>,
    /// How many bad lines and alarming connections to show.
    pub examples: usize,
    pub json: bool,
    pub lenient: bool,
}

/// File names taken from directories.
/// Positive when no connection succeeded with a certificate revoked before it.
pub fn run(c: &ScanLogs) -> Result<Outcome, Failure> {
    let loaded = input::load(&c.crl, c.lenient, "scan-logs")?;
    input::notes(&loaded);
    if loaded.crls.len() != 1 {
        return Err(Failure::new(
            "several-crls",
            format!("{} holds {} CRLs; scan-logs takes one", loaded.name, loaded.crls.len()),
        ));
    }
    let crl = loaded.parse(input::profile(c.lenient))?.remove(0);
    let index = revocation_index(&crl).map_err(|e| loaded.failure(&loaded.crls[0], &e))?;
    loaded.check_unchanged()?;

    // Expand the inputs; a missing path is an error before any work.
    let mut names: Vec<String> = Vec::new();
    let mut contents: Vec<Content> = Vec::new();
    let mut file_errors: Vec<(String, String)> = Vec::new();
    for arg in &c.logs {
        if arg == "-" {
            names.push("<stdin>".into());
            contents.push(Content::Stdin);
            continue;
        }
        let paths = crlkit_serial::certs::expand_paths(&[PathBuf::from(arg)], &LOG_EXTENSIONS)
            .map_err(|(p, e)| Failure::io(format!("reading {}", p.display()), &e))?;
        if paths.is_empty() {
            crate::support::term::warning(format_args!("{arg}: no .log or .log.gz file found"));
        }
        for p in paths {
            let name = p.display().to_string();
            let mut head = [0u8; 2];
            let is_gzip =
                std::fs::File::open(&p).and_then(|mut f| f.read(&mut head)).map(|n| n == 2 && head == GZIP_MAGIC);
            match is_gzip {
                Ok(true) => contents.push(Content::Gzip(p)),
                Ok(false) => match input::read_file(&p) {
                    Ok(bytes) => contents.push(Content::Mapped(bytes)),
                    Err(f) => {
                        file_errors.push((name, f.message));
                        continue;
                    }
                },
                Err(e) => {
                    file_errors.push((name, e.to_string()));
                    continue;
                }
            }
            names.push(name);
        }
    }
    let total: u64 = contents
        .iter()
        .zip(&names)
        .map(|(c, n)| match c {
            Content::Mapped(b) => b.len() as u64,
            Content::Gzip(_) => std::fs::metadata(n).map(|m| m.len()).unwrap_or(0),
            Content::Stdin => 0,
        })
        .sum();
    let mut units = Vec::new();
    for (file, content) in contents.iter().enumerate() {
        match content {
            Content::Mapped(b) => {
                units.extend(input::line_pieces(b, PIECE).into_iter().map(|r| Unit::Plain {
                    file,
                    start: r.start,
                    end: r.end,
                }));
            }
            Content::Gzip(_) | Content::Stdin => units.push(Unit::Stream { file }),
        }
    }
    let progress = Progress::start("scanning", total, Progress::wanted(total, c.json, true));
    let scanner = Scanner { index: &index, examples: c.examples };
    let results: Vec<Result<(Tally, u64), String>> = units
        .par_iter()
        .map(|u| match *u {
            Unit::Plain { file, start, end } => {
                let Content::Mapped(b) = &contents[file] else { unreachable!("plain units come from mapped files") };
                let mut t = Tally::default();
                let lines = scanner.lines(&mut t, file, 0, &b[start..end]);
                progress.add((end - start) as u64);
                Ok((t, lines))
            }
            Unit::Stream { file } => {
                let result = match &contents[file] {
                    Content::Gzip(p) => std::fs::File::open(p).and_then(|f| scan_stream(&scanner, file, f, &progress)),
                    _ => scan_stream(&scanner, file, std::io::stdin().lock(), &progress),
                };
                result.map(|t| (t, 0)).map_err(|e| format!("{}: {e}", names[file]))
            }
        })
        .collect();
    progress.finish();
    let mut all = Tally::default();
    let mut lines_before = vec![0u64; names.len()];
    for (u, r) in units.iter().zip(results) {
        let file = match *u {
            Unit::Plain { file, .. } | Unit::Stream { file } => file,
        };
        match r {
            Ok((t, lines)) => {
                all.merge(t, lines_before[file], c.examples);
                lines_before[file] += lines;
            }
            Err(e) => file_errors.push((names[file].clone(), e)),
        }
    }
    // A log that grew or changed while it was mapped may have been read half old, half new.
    for (content, name) in contents.iter().zip(&names) {
        if let Content::Mapped(bytes) = content
            && let Err(f) = bytes.check_unchanged(name)
        {
            file_errors.push((name.clone(), f.message));
        }
    }
    report(c, &loaded.name, &crl, &index, &names, &all, &file_errors)?;
    if !file_errors.is_empty() {
        return Err(Failure::new(
            "bad-input",
            format!("{} log file(s) could not be read; the others were scanned", file_errors.len()),
        ));
    }
    Ok(Outcome::from_ok(all.alarms == 0))
}

fn sorted_counts(map: &Counts) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = map.iter().map(|(k, n)| (String::from_utf8_lossy(k).into_owned(), *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// `scan-logs --json` (docs/JSON.md).
#[derive(serde::Serialize)]
struct Report<'a> {
    crl: &'a str,
    issuer: String,
    crl_entries: usize,
    files: usize,
    lines: u64,
    bytes: u64,
    blank_lines: u64,
    bad_lines: u64,
    without_client_certificate: u64,
    status_counts: NamedCounts<'a>,
    revoked_status_counts: NamedCounts<'a>,
    success_after_revocation: u64,
    revoked_serials: Vec<SerialRecord<'a>>,
    alarm_examples: Vec<ExampleRecord<'a>>,
    bad_line_examples: Vec<ExampleRecord<'a>>,
    file_errors: Vec<FileErrorRecord<'a>>,
}

/// A revoked serial seen in the logs.
#[derive(serde::Serialize)]
struct SerialRecord<'a> {
    serial: String,
    /// The CRL's entry for it (always there: only serials the CRL revokes are listed).
    #[serde(flatten)]
    revocation: Option<RevocationRecord>,
    connections: u64,
    success_after_revocation: u64,
    by_status: NamedCounts<'a>,
    first_seen: &'a str,
    last_seen: &'a str,
}

#[derive(serde::Serialize)]
struct RevocationRecord {
    revocation_time: String,
    reason: Option<&'static str>,
}

/// A log line shown as an example.
#[derive(serde::Serialize)]
struct ExampleRecord<'a> {
    file: &'a str,
    line: u64,
    text: &'a str,
}

fn example_records<'a>(examples: &'a [Example], names: &'a [String]) -> Vec<ExampleRecord<'a>> {
    examples.iter().map(|e| ExampleRecord { file: &names[e.file], line: e.line, text: &e.text }).collect()
}

#[derive(serde::Serialize)]
struct FileErrorRecord<'a> {
    file: &'a str,
    error: &'a str,
}

fn report(
    c: &ScanLogs,
    crl_name: &str,
    crl: &CrlRef<'_>,
    index: &SerialIndex<&[u8], Revocation>,
    names: &[String],
    all: &Tally,
    file_errors: &[(String, String)],
) -> Result<(), Failure> {
    let mut revoked: Vec<(&Serial, &SerialSeen)> = all.revoked.iter().collect();
    revoked.sort_by(|a, b| b.1.success_after_revocation.cmp(&a.1.success_after_revocation).then_with(|| a.0.cmp(b.0)));
    let revocation = |s: &Serial| index.get(s.as_bytes()).map(|(_, r)| *r);
    let status_counts = sorted_counts(&all.status);
    let revoked_counts = sorted_counts(&all.revoked_status);
    let mut out = String::new();
    if c.json {
        let by_status: Vec<Vec<(String, u64)>> = revoked
            .iter()
            .map(|(_, seen)| {
                seen.by_status.iter().map(|(k, n)| (String::from_utf8_lossy(k).into_owned(), *n)).collect()
            })
            .collect();
        let revoked_serials = revoked
            .iter()
            .zip(&by_status)
            .map(|((serial, seen), by)| SerialRecord {
                serial: serial.to_string(),
                revocation: revocation(serial).map(|r| RevocationRecord {
                    revocation_time: r.time.to_string(),
                    reason: r.reason.map(|r| r.name()),
                }),
                connections: seen.connections,
                success_after_revocation: seen.success_after_revocation,
                by_status: NamedCounts(by),
                first_seen: &seen.first_seen,
                last_seen: &seen.last_seen,
            })
            .collect();
        let report = Report {
            crl: crl_name,
            issuer: crl.issuer().rfc4514(),
            crl_entries: index.len(),
            files: names.len(),
            lines: all.lines,
            bytes: all.bytes,
            blank_lines: all.blank,
            bad_lines: all.bad,
            without_client_certificate: all.no_client_cert,
            status_counts: NamedCounts(&status_counts),
            revoked_status_counts: NamedCounts(&revoked_counts),
            success_after_revocation: all.alarms,
            revoked_serials,
            alarm_examples: example_records(&all.alarm_examples, names),
            bad_line_examples: example_records(&all.bad_examples, names),
            file_errors: file_errors.iter().map(|(file, error)| FileErrorRecord { file, error }).collect(),
        };
        json::push(&mut out, &report);
        out.push('\n');
    } else {
        let _ = writeln!(
            out,
            "scanned {} file(s): {} line(s), {} byte(s); {} bad, {} blank, {} without a client certificate",
            names.len(),
            all.lines,
            all.bytes,
            all.bad,
            all.blank,
            all.no_client_cert
        );
        let show = |v: &[(String, u64)]| v.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ");
        let _ = writeln!(
            out,
            "tls_verify_status, all connections: {}",
            if status_counts.is_empty() { "-".into() } else { show(&status_counts) }
        );
        let _ = writeln!(
            out,
            "revoked serials seen: {} (in {} connection(s): {})",
            revoked.len(),
            revoked.iter().map(|r| r.1.connections).sum::<u64>(),
            if revoked_counts.is_empty() { "-".into() } else { show(&revoked_counts) }
        );
        for (serial, seen) in &revoked {
            let when = revocation(serial)
                .map_or_else(String::new, |r| format!("revoked {} {}", r.time, r.reason.map_or("-", |r| r.name())));
            let by: Vec<(String, u64)> =
                seen.by_status.iter().map(|(k, n)| (String::from_utf8_lossy(k).into_owned(), *n)).collect();
            let _ = writeln!(
                out,
                "  {serial}  {when}: {} connection(s) ({}), {} succeeded after revocation; seen {} .. {}",
                seen.connections,
                show(&by),
                seen.success_after_revocation,
                seen.first_seen,
                seen.last_seen
            );
        }
        if all.alarms > 0 {
            let _ = writeln!(
                out,
                "{}: {} connection(s) succeeded with a certificate revoked before the connection \
                 (is this CRL in the trust store?):",
                crate::support::term::stdout_paint("ALERT", crate::support::term::Style::Red),
                all.alarms
            );
            for e in &all.alarm_examples {
                let _ = writeln!(out, "  {}:{}  {}", names[e.file], e.line, e.text);
            }
        } else {
            let _ = writeln!(out, "no connection succeeded with a revoked certificate after its revocation");
        }
        if all.bad > 0 {
            let _ = writeln!(out, "bad lines ({}; first {} shown):", all.bad, all.bad_examples.len());
            for e in &all.bad_examples {
                let _ = writeln!(out, "  {}:{}: {}", names[e.file], e.line, e.text);
            }
        }
    }
    crate::support::output::print_stdout(&out)?;
    for (f, e) in file_errors {
        crate::support::term::error("io", format_args!("{f}: {e}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    #[test]
    fn flags() {
        let Command::ScanLogs(a) = parse_args(&["scan-logs", "--crl", "c", "x.log", "y/"]).unwrap().command else {
            panic!()
        };
        let l = a.config().unwrap();
        assert_eq!((l.logs.len(), l.examples), (2, 20));
        assert!(parse_args(&["scan-logs", "--crl", "c"]).is_err(), "a log is required");
        let Command::ScanLogs(a) = parse_args(&["scan-logs", "--crl", "-", "-"]).unwrap().command else { panic!() };
        assert_eq!(a.config().err().unwrap().code, "usage");
    }
}
