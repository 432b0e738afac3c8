//! `cargo xtask bench`: crlkit next to its peers, in the same run, on the 1M- and 5M-entry
//! fixtures (generated if missing). Every measurement is the median of `--runs` runs, with
//! crlkit and the peer alternating, and results are quoted as ratios: the machines are shared
//! and noisy, so absolute seconds mean little and no test ever asserts a timing.
//!
//! Measured:
//! - `crlkit convert` DER→PEM file to file vs `openssl crl -inform DER -outform PEM`, and `cp`
//!   of a file the size of the PEM output (the physical floor for writing it);
//! - `crlkit convert` PEM→DER vs `openssl crl -inform PEM -outform DER` and vs crlkit's own
//!   DER→DER, and `crlkit inspect` of the PEM vs of the DER (the PEM text is OpenSSL's);
//! - `crlkit list > /dev/null` in text, CSV and JSON vs `openssl crl -noout -text > /dev/null`;
//! - with `--before BIN` (an earlier build of crlkit), the same crlkit commands by that binary,
//!   alternating with this one in the same run: before/after figures on the same machine state;
//! - `crlkit verify` (signature and full validation) vs `openssl crl -verify`, in MB/s;
//! - peak RSS (from `/usr/bin/time`) of convert from a file and of streaming convert from stdin,
//!   and time and RSS of `crlkit gen` writing a signed CRL of the same size;
//! - in-process parse + validation + iteration next to rustls-webpki (`benches/src/bin/inproc.rs`);
//! - with `--only serials`: check, diff and scan-logs (`bench_serials.rs`); with `--only
//!   storage`: upload and pull against moto and `file://` (`bench_storage.rs`); with `--only
//!   bulk`: convert of 1,000 CRLs into a directory next to an openssl loop (`bench_bulk.rs`).
//!   All three run in `All`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::{cargo, fixtures};

/// One timed run of a command.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sample {
    pub(crate) secs: f64,
    pub(crate) rss_kib: u64,
}

/// Run `program args` under `/usr/bin/time` for its peak RSS; wall time measured here.
pub(crate) fn measure(
    program: &Path,
    args: &[&str],
    stdin: Option<&Path>,
    stdout_null: bool,
    scratch: &Path,
) -> Result<Sample> {
    measure_exit(program, args, stdin, stdout_null, scratch, &[0])
}

/// [`measure`] for commands whose expected answer is an exit code in `ok` (`check` exits 1
/// when something is revoked).
pub(crate) fn measure_exit(
    program: &Path,
    args: &[&str],
    stdin: Option<&Path>,
    stdout_null: bool,
    scratch: &Path,
    ok: &[i32],
) -> Result<Sample> {
    measure_with_env(program, args, stdin, stdout_null, scratch, ok, &[])
}

/// [`measure_exit`] with extra environment variables for the command.
pub(crate) fn measure_with_env(
    program: &Path,
    args: &[&str],
    stdin: Option<&Path>,
    stdout_null: bool,
    scratch: &Path,
    ok: &[i32],
    env: &[(String, String)],
) -> Result<Sample> {
    let rss_file = scratch.join("rss.txt");
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "%M", "-o"]).arg(&rss_file).arg(program).args(args);
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd.stdin(match stdin {
        Some(p) => Stdio::from(File::open(p)?),
        None => Stdio::null(),
    });
    cmd.stdout(if stdout_null { Stdio::from(File::create("/dev/null")?) } else { Stdio::inherit() });
    cmd.stderr(Stdio::piped());
    let started = Instant::now();
    let out = cmd.output().with_context(|| format!("running {}", program.display()))?;
    let secs = started.elapsed().as_secs_f64();
    if !out.status.code().is_some_and(|c| ok.contains(&c)) {
        bail!("{} {:?} failed: {}", program.display(), args, String::from_utf8_lossy(&out.stderr));
    }
    let rss_kib = std::fs::read_to_string(&rss_file)?.trim().lines().last().unwrap_or("0").trim().parse().unwrap_or(0);
    Ok(Sample { secs, rss_kib })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub(crate) fn medians(samples: &[Sample]) -> (f64, u64) {
    let secs = median(samples.iter().map(|s| s.secs).collect());
    let rss = samples.iter().map(|s| s.rss_kib).max().unwrap_or(0);
    (secs, rss)
}

/// A fresh output path (never an existing file: overwriting costs the kernel extra work, and
/// both tools must pay the same).
fn fresh(scratch: &Path, name: &str, i: usize) -> PathBuf {
    let p = scratch.join(format!("{name}.{i}"));
    let _ = std::fs::remove_file(&p);
    p
}

struct Row {
    what: String,
    ours: f64,
    peer: f64,
    peer_name: &'static str,
    note: String,
    /// The same command with `--before BIN`, measured in the same run.
    before: Option<f64>,
}

/// `, before 0.123 s` when there is a `--before` figure.
fn before_note(before: Option<f64>) -> String {
    before.map_or(String::new(), |b| format!(", before {b:.3} s"))
}

/// Median seconds (and peak RSS) of each of `bins` running the same command, alternating
/// between them run by run; `args` gets a fresh output path for each run.
fn medians_alternating(
    bins: &[&Path],
    runs: usize,
    scratch: &Path,
    args: impl Fn(&str) -> Vec<String>,
) -> Result<Vec<(f64, u64)>> {
    let mut samples = vec![Vec::new(); bins.len()];
    for i in 0..runs {
        for (bin, into) in bins.iter().zip(&mut samples) {
            let out = fresh(scratch, "out", i);
            let a = args(out.to_str().context("non-UTF-8 path")?);
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            into.push(measure(bin, &a, None, true, scratch)?);
            let _ = std::fs::remove_file(&out);
        }
    }
    Ok(samples.iter().map(|s| medians(s)).collect())
}

/// [`medians_alternating`] of `crlkit` and, with `--before`, of the earlier binary.
fn ours_and_before(
    crlkit: &Path,
    before: Option<&Path>,
    runs: usize,
    scratch: &Path,
    args: impl Fn(&str) -> Vec<String>,
) -> Result<((f64, u64), Option<f64>)> {
    let bins: Vec<&Path> = std::iter::once(crlkit).chain(before).collect();
    let m = medians_alternating(&bins, runs, scratch, args)?;
    Ok((m[0], m.get(1).map(|b| b.0)))
}

/// Which measurements to run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Only {
    All,
    /// convert, list, verify, RSS, in-process.
    Crl,
    /// check, diff, scan-logs.
    Serials,
    /// upload and pull, against moto and file://.
    Storage,
    /// an unchanged sync for 1, 10 and 50 trust stores, against moto and the emulator.
    Sync,
    /// convert of 1,000 CRLs into a directory, next to an openssl loop.
    Bulk,
    /// the Lambda function: cold start, invocations with nothing new, package sizes.
    Lambda,
}

pub fn run(root: &Path, runs: usize, quick: bool, only: Only, before: Option<&Path>) -> Result<()> {
    let runs = runs.max(1);
    if only == Only::Lambda {
        // Its own build (the function's `lambda` profile), not the release CLI's.
        let scratch = crate::target_dir(root).join("bench-scratch");
        std::fs::create_dir_all(&scratch)?;
        return crate::bench_lambda::run(root, &scratch, runs);
    }
    crate::run(cargo().current_dir(root).args(["build", "--release", "-p", "crlkit", "-p", "crlkit-benches"]))?;
    let bin = crate::target_dir(root).join("release");
    let crlkit = bin.join("crlkit");
    let openssl = PathBuf::from("openssl");
    let cp = PathBuf::from("cp");
    let scratch = crate::target_dir(root).join("bench-scratch");
    std::fs::create_dir_all(&scratch)?;
    let sizes: &[(u64, &str)] = if quick { &fixtures::LARGE_SIZES[..1] } else { fixtures::LARGE_SIZES };
    let mut rows = Vec::new();
    let mut rss_rows = Vec::new();
    let mut inputs = Vec::new();

    if only == Only::Serials {
        let &(count, label) = sizes.last().expect("at least one size");
        return crate::bench_serials::run(root, &crlkit, &scratch, runs, count, label);
    }
    if only == Only::Sync {
        return crate::bench_sync::run(root, &crlkit, &scratch, runs);
    }
    if only == Only::Storage {
        let &(count, label) = sizes.last().expect("at least one size");
        let big = fixtures::large(root, count, label)?;
        return crate::bench_storage::run(root, &crlkit, &scratch, runs, &big);
    }
    if only == Only::Bulk {
        let &(count, label) = sizes.last().expect("at least one size");
        let big = fixtures::large(root, count, label)?;
        return crate::bench_bulk::run(root, &crlkit, &scratch, runs, quick, &big);
    }
    for &(count, label) in sizes {
        let input = fixtures::large(root, count, label)?;
        let input_str = input.to_str().context("non-UTF-8 path")?.to_owned();
        let input_len = std::fs::metadata(&input)?.len();
        inputs.push(input_str.clone());
        // Warm the page cache for both tools.
        measure(&crlkit, &["inspect", &input_str], None, true, &scratch)?;
        eprintln!("bench: {label} ({count} entries, {input_len} bytes), {runs} runs each");

        // convert DER→PEM, file to file; the floor is `cp` of a file the size of the output.
        let (mut ours, mut peer, mut floor, mut old) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let reference = scratch.join(format!("reference.{label}.pem"));
        for i in 0..runs {
            if let Some(before) = before {
                let out = fresh(&scratch, "before.pem", i);
                old.push(measure(before, &["convert", &input_str, "-o", out.to_str().unwrap()], None, true, &scratch)?);
                std::fs::remove_file(&out)?;
            }
            let out = fresh(&scratch, "crlkit.pem", i);
            ours.push(measure(&crlkit, &["convert", &input_str, "-o", out.to_str().unwrap()], None, true, &scratch)?);
            if i == 0 {
                std::fs::rename(&out, &reference)?;
            } else {
                std::fs::remove_file(&out)?;
            }
            let out = fresh(&scratch, "openssl.pem", i);
            let args = ["crl", "-inform", "DER", "-outform", "PEM", "-in", &input_str, "-out", out.to_str().unwrap()];
            peer.push(measure(&openssl, &args, None, true, &scratch)?);
            if i == 0 && std::fs::read(&out)? != std::fs::read(&reference)? {
                bail!("crlkit and openssl PEM differ for {label}");
            }
            std::fs::remove_file(&out)?;
            let out = fresh(&scratch, "cp.pem", i);
            floor.push(measure(&cp, &[reference.to_str().unwrap(), out.to_str().unwrap()], None, true, &scratch)?);
            std::fs::remove_file(&out)?;
        }
        let (o, o_rss) = medians(&ours);
        let (p, p_rss) = medians(&peer);
        let (f, _) = medians(&floor);
        rows.push(Row {
            what: format!("convert DER→PEM {label}"),
            ours: o,
            peer: p,
            peer_name: "openssl crl",
            note: format!("cp floor {f:.3} s; crlkit = {:.1}x the floor", o / f),
            before: (!old.is_empty()).then(|| medians(&old).0),
        });
        rss_rows.push((format!("convert {label} from file"), o_rss, input_len, p_rss));

        // The PEM paths, on the PEM text OpenSSL writes: PEM→DER next to openssl and to
        // crlkit's own DER→DER, inspect of the PEM next to inspect of the DER.
        let pem_input = scratch.join(format!("input.{label}.pem"));
        std::fs::copy(&reference, &pem_input)?;
        let pem_str = pem_input.to_str().context("non-UTF-8 path")?.to_owned();
        let pem_len = std::fs::metadata(&pem_input)?.len();
        let ((der_der, _), der_der_before) = ours_and_before(&crlkit, before, runs, &scratch, |o| {
            ["convert", &input_str, "--to", "der", "-o", o].map(String::from).to_vec()
        })?;
        let ((pem_der, pem_rss), pem_der_before) = ours_and_before(&crlkit, before, runs, &scratch, |o| {
            ["convert", &pem_str, "--to", "der", "-o", o].map(String::from).to_vec()
        })?;
        let (p, p_rss) = medians_alternating(&[&openssl], runs, &scratch, |o| {
            ["crl", "-inform", "PEM", "-outform", "DER", "-in", &pem_str, "-out", o].map(String::from).to_vec()
        })?[0];
        rows.push(Row {
            what: format!("convert PEM→DER {label}"),
            ours: pem_der,
            peer: p,
            peer_name: "openssl crl",
            note: format!("= {:.2}x crlkit DER→DER ({der_der:.3} s{})", pem_der / der_der, before_note(der_der_before)),
            before: pem_der_before,
        });
        rss_rows.push((format!("convert {label} PEM→DER from file"), pem_rss, pem_len, p_rss));
        let ((inspect_der, _), inspect_der_before) =
            ours_and_before(&crlkit, before, runs, &scratch, |_| ["inspect", &input_str].map(String::from).to_vec())?;
        let ((inspect_pem, inspect_rss), inspect_pem_before) =
            ours_and_before(&crlkit, before, runs, &scratch, |_| ["inspect", &pem_str].map(String::from).to_vec())?;
        let (p, _) = medians_alternating(&[&openssl], runs, &scratch, |_| {
            ["crl", "-inform", "PEM", "-noout", "-in", &pem_str].map(String::from).to_vec()
        })?[0];
        rows.push(Row {
            what: format!("inspect PEM {label}"),
            ours: inspect_pem,
            peer: p,
            peer_name: "openssl crl -noout",
            note: format!(
                "= {:.2}x inspect of the DER ({inspect_der:.3} s{})",
                inspect_pem / inspect_der,
                before_note(inspect_der_before)
            ),
            before: inspect_pem_before,
        });
        rss_rows.push((format!("inspect {label} PEM"), inspect_rss, pem_len, 0));
        let _ = std::fs::remove_file(&pem_input);

        // list > /dev/null vs openssl crl -noout -text > /dev/null, in each output format.
        let (p, _) = medians_alternating(&[&openssl], runs, &scratch, |_| {
            ["crl", "-inform", "DER", "-noout", "-text", "-in", &input_str].map(String::from).to_vec()
        })?[0];
        for format in ["text", "csv", "json"] {
            let ((o, _), old) = ours_and_before(&crlkit, before, runs, &scratch, |_| {
                ["list", &input_str, "--format", format].map(String::from).to_vec()
            })?;
            rows.push(Row {
                what: format!("list {label} --format {format}"),
                ours: o,
                peer: p,
                peer_name: "openssl -text",
                note: String::new(),
                before: old,
            });
        }

        // verify: signature over the whole tbsCertList plus full validation, vs openssl -verify.
        let bundle = root.join("fixtures/ca.bundle.pem");
        let bundle = bundle.to_str().context("non-UTF-8 path")?;
        let (mut ours, mut peer) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let args = ["verify", &input_str, "--ca", bundle, "--at", "2026-11-02T00:00:00Z"];
            ours.push(measure(&crlkit, &args, None, true, &scratch)?);
            let args = ["crl", "-inform", "DER", "-noout", "-verify", "-CAfile", bundle, "-in", &input_str];
            peer.push(measure(&openssl, &args, None, true, &scratch)?);
        }
        let (o, _) = medians(&ours);
        let (p, _) = medians(&peer);
        let mb = input_len as f64 / 1e6;
        rows.push(Row {
            what: format!("verify {label}"),
            ours: o,
            peer: p,
            peer_name: "openssl crl -verify",
            note: format!("{:.0} MB/s vs {:.0} MB/s", mb / o, mb / p),
            before: None,
        });

        // Streaming: stdin to stdout, constant memory.
        let mut streamed = Vec::new();
        for _ in 0..runs.min(3) {
            streamed.push(measure(&crlkit, &["convert", "-"], Some(&input), true, &scratch)?);
        }
        let (s, s_rss) = medians(&streamed);
        rss_rows.push((format!("convert {label} stdin→stdout ({s:.3} s)"), s_rss, input_len, 0));
        let _ = std::fs::remove_file(&reference);

        // gen: a signed CRL of the same size, streamed to a file (memory must stay flat).
        let mut generated = Vec::new();
        let count_s = count.to_string();
        for i in 0..runs.min(3) {
            let out = fresh(&scratch, "gen.crl", i);
            let args =
                ["gen", "--entries", &count_s, "--seed", "1", "--this-update", "2026-11-01", "--reasons", "--out"];
            generated.push(measure(&crlkit, &[&args[..], &[out.to_str().unwrap()]].concat(), None, true, &scratch)?);
            std::fs::remove_file(&out)?;
        }
        let (g, g_rss) = medians(&generated);
        rss_rows.push((format!("gen {label} entries ({g:.2} s)"), g_rss, input_len, 0));
    }

    println!();
    println!("crlkit vs peers, medians of {runs} runs (same machine, same run; ratios matter, seconds do not)");
    println!(
        "{:<30} {:>10} {:>10} {:>8} {:>16}  peer / notes",
        "measurement", "crlkit s", "peer s", "speedup", "before s (x)"
    );
    for r in &rows {
        let before = r.before.map_or("-".to_owned(), |b| format!("{b:.3} ({:.2}x)", b / r.ours));
        println!(
            "{:<30} {:>10.3} {:>10.3} {:>7.1}x {before:>16}  {}  {}",
            r.what,
            r.ours,
            r.peer,
            r.peer / r.ours,
            r.peer_name,
            r.note
        );
    }
    println!();
    println!("{:<40} {:>12} {:>10} {:>12}", "peak RSS", "crlkit MiB", "x input", "openssl MiB");
    for (what, rss, input_len, peer) in &rss_rows {
        let peer = if *peer == 0 { "-".to_owned() } else { format!("{:.0}", *peer as f64 / 1024.0) };
        println!(
            "{what:<40} {:>12.1} {:>10.2} {peer:>12}",
            *rss as f64 / 1024.0,
            (*rss as f64 * 1024.0) / *input_len as f64
        );
    }
    println!();
    let mut inproc = Command::new(bin.join("inproc"));
    inproc.arg("--runs").arg(runs.to_string()).args(&inputs);
    crate::run(&mut inproc)?;
    if only == Only::All {
        let &(count, label) = sizes.last().expect("at least one size");
        crate::bench_serials::run(root, &crlkit, &scratch, runs, count, label)?;
        let big = fixtures::large(root, count, label)?;
        crate::bench_storage::run(root, &crlkit, &scratch, runs, &big)?;
        crate::bench_sync::run(root, &crlkit, &scratch, runs)?;
        crate::bench_bulk::run(root, &crlkit, &scratch, runs, quick, &big)?;
        crate::bench_lambda::run(root, &scratch, runs)?;
    }
    Ok(())
}
