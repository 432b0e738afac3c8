//! The serial-number commands in `cargo xtask bench`:
//!
//! - `crlkit check` with a 1,000,000-line serials file against the largest CRL, next to the
//!   obvious alternative, `openssl crl -noout -text | grep -F -x -c -f` of the same serials
//!   (both answers are compared: they must find the same number of revoked serials);
//! - `crlkit diff` of the largest CRL and a copy that differs in 1% of its entries (0.5%
//!   removed, 0.5% added): time and peak RSS;
//! - `crlkit scan-logs` over a generated ALB connection log, plain and gzip, in MB/s of
//!   uncompressed log, next to `cat` and `gzip -dc` of the same file (the read and inflate
//!   floors).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use crlkit_der::SerialRef;
use crlkit_sign::Synthetic;

use crate::bench::{measure, measure_exit, medians};
use crate::fixtures::{self, THIS_UPDATE};

/// Lines of the serials file `check` reads.
const SERIAL_LINES: u64 = 1_000_000;
/// Lines of the generated connection log.
const LOG_LINES: u64 = 1_500_000;

fn hex(content: &[u8]) -> String {
    SerialRef::from_der_content(content).expect("synthetic serials are minimal").to_hex()
}

/// Half the lines are serials of the CRL (every 10th entry from the start), half serials it
/// does not hold; returns (serials file, grep pattern file, revoked lines).
fn serials_file(scratch: &Path, count: u64) -> Result<(PathBuf, PathBuf, u64)> {
    let serials = scratch.join("check.serials.txt");
    let patterns = scratch.join("check.patterns.txt");
    let listed = Synthetic { seed: count, count, newest: THIS_UPDATE }.iter().step_by(10);
    let unlisted = Synthetic { seed: 0xbeef, count: SERIAL_LINES / 2, newest: THIS_UPDATE }.iter();
    let mut s = BufWriter::new(std::fs::File::create(&serials)?);
    let mut p = BufWriter::new(std::fs::File::create(&patterns)?);
    let mut revoked = 0;
    for (a, b) in listed.zip(unlisted).take((SERIAL_LINES / 2) as usize) {
        for (spec, is_revoked) in [(a, true), (b, false)] {
            let h = hex(spec.serial());
            writeln!(s, "{h}")?;
            writeln!(p, "    Serial Number: {h}")?;
            revoked += u64::from(is_revoked);
        }
    }
    s.flush()?;
    p.flush()?;
    Ok((serials, patterns, revoked))
}

/// An ALB connection log of [`LOG_LINES`] lines: 1% carry a serial the CRL revokes (nine in
/// ten refused by ELB, one in ten let through), 2% no client certificate, the rest unknown
/// serials. Returns (plain, gzip, lines let through with a revoked serial).
fn connection_log(scratch: &Path, crl_count: u64) -> Result<(PathBuf, PathBuf, u64)> {
    let plain = scratch.join("scan.connections.log");
    let gz = scratch.join("scan.connections.log.gz");
    let revoked: Vec<String> = Synthetic { seed: crl_count, count: crl_count, newest: THIS_UPDATE }
        .iter()
        .step_by(97)
        .map(|e| hex(e.serial()))
        .collect();
    let mut others = Synthetic { seed: 0xfeed, count: LOG_LINES, newest: THIS_UPDATE }.iter();
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&plain)?);
    let mut alarms = 0;
    for i in 0..LOG_LINES {
        let ts = crlkit_der::Time::from_unix(THIS_UPDATE + 60 + i as i64 / 20).expect("in range").to_string();
        let ts = format!("{}.{:06}Z", &ts[..19], (i * 7919) % 1_000_000);
        let other = others.next().expect("LOG_LINES entries");
        let (serial, status, subject) = match i % 100 {
            0 => {
                let status = if i % 1000 == 0 { "Success" } else { "Failed:ClientCertCrlHit" };
                alarms += u64::from(status == "Success");
                (
                    revoked[(i / 100) as usize % revoked.len()].clone(),
                    status,
                    format!("\"CN=device-{i},O=Example Corp\""),
                )
            }
            1 | 2 => ("-".to_owned(), "Success", "-".to_owned()),
            _ => (hex(other.serial()), "Success", format!("\"CN=device-{i},O=Example Corp\"")),
        };
        let validity =
            if subject == "-" { "-" } else { "NotBefore=2026-01-01T00:00:00Z;NotAfter=2027-01-01T00:00:00Z" };
        writeln!(
            out,
            "{ts} 198.51.100.{} {} 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.{:03} {subject} {validity} {serial} {status} TID_{:032x} x25519",
            i % 250,
            1024 + i % 60000,
            i % 1000,
            i as u128 * 0x9e37_79b9_7f4a_7c15
        )?;
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    let mut enc = flate2::write::GzEncoder::new(
        BufWriter::with_capacity(1 << 20, std::fs::File::create(&gz)?),
        flate2::Compression::default(),
    );
    std::io::copy(&mut std::fs::File::open(&plain)?, &mut enc)?;
    enc.finish()?.flush()?;
    Ok((plain, gz, alarms))
}

/// The first number value of `"key":` in a JSON text (`check` has `"revoked":true` per
/// result and `"revoked":N` in its summary).
fn json_number(text: &str, key: &str) -> Option<u64> {
    let pattern = format!("\"{key}\":");
    text.match_indices(&pattern).find_map(|(at, _)| {
        let rest = &text[at + pattern.len()..];
        rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    })
}

fn capture(program: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(program).args(args).output().with_context(|| format!("running {}", program.display()))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn run(root: &Path, crlkit: &Path, scratch: &Path, runs: usize, count: u64, label: &str) -> Result<()> {
    let crl = fixtures::large(root, count, label)?;
    let crl_s = crl.to_str().context("non-UTF-8 path")?;
    let next = fixtures::large_next(root, count, label)?;
    let next_s = next.to_str().context("non-UTF-8 path")?;
    let sh = PathBuf::from("sh");
    let mut report = Vec::new();

    // ---- check: 1M serials against the CRL, vs openssl -text | grep -F -x -c -f.
    let (serials, patterns, want) = serials_file(scratch, count)?;
    let (serials_s, patterns_s) = (serials.to_str().unwrap(), patterns.to_str().unwrap());
    let got = json_number(
        &capture(crlkit, &["check", "--crl", crl_s, "--serials-file", serials_s, "--json", "--only-revoked"])?,
        "revoked",
    );
    let peer_cmd = format!("openssl crl -inform DER -noout -text -in '{crl_s}' | grep -F -x -c -f '{patterns_s}'");
    let peer_count: Option<u64> = capture(&sh, &["-c", &peer_cmd])?.trim().parse().ok();
    if got != Some(want) || peer_count != Some(want) {
        bail!("check found {got:?} revoked, openssl|grep {peer_count:?}, expected {want}");
    }
    eprintln!("bench: check {SERIAL_LINES} serials against {label} ({want} revoked), {runs} runs");
    let (mut ours, mut peer) = (Vec::new(), Vec::new());
    for i in 0..runs {
        ours.push(measure_exit(
            crlkit,
            &["check", "--crl", crl_s, "--serials-file", serials_s],
            None,
            true,
            scratch,
            &[1],
        )?);
        if i < runs.min(3) {
            peer.push(measure(&sh, &["-c", &peer_cmd], None, true, scratch)?);
        }
    }
    let (o, o_rss) = medians(&ours);
    let (p, p_rss) = medians(&peer);
    report.push(format!(
        "check 1M serials vs {label}: crlkit {o:.3} s ({:.0} MiB), openssl -text | grep -F {p:.3} s ({:.0} MiB): {:.1}x",
        o_rss as f64 / 1024.0,
        p_rss as f64 / 1024.0,
        p / o
    ));

    // ---- diff: the CRL and its 1%-different successor.
    let j = capture(crlkit, &["diff", crl_s, next_s, "--json"])?;
    let (added, removed) = (json_number(&j, "added_count"), json_number(&j, "removed_count"));
    let (want_added, want_removed) = fixtures::large_next_changes(count);
    if (added, removed) != (Some(want_added), Some(want_removed)) {
        bail!("diff found +{added:?} -{removed:?}, expected +{want_added} -{want_removed}");
    }
    eprintln!("bench: diff {label} vs {label}-next, {runs} runs");
    let samples: Vec<_> = (0..runs)
        .map(|_| measure_exit(crlkit, &["diff", crl_s, next_s], None, true, scratch, &[1]))
        .collect::<Result<_>>()?;
    let (d, d_rss) = medians(&samples);
    let inputs = std::fs::metadata(&crl)?.len() + std::fs::metadata(&next)?.len();
    report.push(format!(
        "diff {label} vs {label}-next (+{want_added} -{want_removed}): {d:.3} s, peak RSS {:.0} MiB = {:.2}x the two inputs",
        d_rss as f64 / 1024.0,
        d_rss as f64 * 1024.0 / inputs as f64
    ));

    // ---- scan-logs: a generated connection log against the 1M CRL (ALB's quota is 500,000
    //      entries per trust store by default; 1M is a large real one).
    let (scan_count, scan_label) = fixtures::LARGE_SIZES[0];
    let scan_crl = fixtures::large(root, scan_count, scan_label)?;
    let scan_crl_s = scan_crl.to_str().unwrap();
    let (plain, gz, alarms) = connection_log(scratch, scan_count)?;
    let (plain_s, gz_s) = (plain.to_str().unwrap(), gz.to_str().unwrap());
    let log_len = std::fs::metadata(&plain)?.len();
    for input in [plain_s, gz_s] {
        let j = capture(crlkit, &["scan-logs", "--crl", scan_crl_s, input, "--json"])?;
        if json_number(&j, "success_after_revocation") != Some(alarms) || json_number(&j, "bad_lines") != Some(0) {
            bail!("scan-logs {input}: expected {alarms} alarms and no bad line");
        }
    }
    eprintln!("bench: scan-logs {LOG_LINES} lines ({log_len} bytes), {runs} runs");
    let mb = log_len as f64 / 1e6;
    for (what, input, floor_cmd) in [
        ("plain", plain_s, format!("cat '{plain_s}' > /dev/null")),
        ("gzip", gz_s, format!("gzip -dc '{gz_s}' > /dev/null")),
    ] {
        let (mut ours, mut floor) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            ours.push(measure_exit(crlkit, &["scan-logs", "--crl", scan_crl_s, input], None, true, scratch, &[1])?);
            floor.push(measure(&sh, &["-c", &floor_cmd], None, true, scratch)?);
        }
        let (o, o_rss) = medians(&ours);
        let (f, _) = medians(&floor);
        report.push(format!(
            "scan-logs {what} ({mb:.0} MB of log, CRL {scan_label}): {o:.3} s = {:.0} MB/s, peak RSS {:.0} MiB; `{}` {f:.3} s = {:.0} MB/s",
            mb / o,
            o_rss as f64 / 1024.0,
            floor_cmd.split(' ').next().unwrap_or(""),
            mb / f
        ));
    }

    println!();
    println!("serial commands, medians of {runs} runs (peers at most 3)");
    for line in report {
        println!("  {line}");
    }
    Ok(())
}
