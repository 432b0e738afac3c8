//! Bulk conversion in `cargo xtask bench` (`--only bulk`): `crlkit convert DIR --out-dir OUT` on
//! 1,000 CRLs of 10,000 entries each, next to a shell loop of `openssl crl` over the same files
//! in the same run (outputs compared), with the total MB/s next to the single-large-file figure
//! (the gap is per-file overhead) and the peak RSS of the whole run.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use crlkit_sign::GenParams;

use crate::bench::{measure, medians};
use crate::fixtures::{self, NEXT_UPDATE, THIS_UPDATE};

/// Files, and entries per file.
const FILES: u64 = 1_000;
const ENTRIES: u64 = 10_000;

/// The input directory, generated once (`crlkit gen`'s code, one seed per file).
fn inputs(root: &Path, scratch: &Path, files: u64) -> Result<PathBuf> {
    let dir = scratch.join(format!("bulk-in-{files}x{ENTRIES}"));
    let done = dir.join(".complete");
    if done.exists() {
        return Ok(dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let cas = fixtures::load_cas(root)?;
    let started = std::time::Instant::now();
    for i in 0..files {
        let params = GenParams {
            entries: ENTRIES,
            seed: 10_000 + i,
            this_update: THIS_UPDATE,
            next_update: Some(NEXT_UPDATE),
            crl_number: 1 + i,
            reasons: true,
            issuing_distribution_point: None,
        };
        let file = std::fs::File::create(dir.join(format!("ca{:04}.crl", i)))?;
        crlkit_sign::generate(file, &params, &cas.p256, &cas.p256_key)?;
    }
    std::fs::write(&done, b"")?;
    eprintln!("bench: generated {files} CRLs of {ENTRIES} entries in {:.1?}", started.elapsed());
    Ok(dir)
}

fn fresh_dir(scratch: &Path, name: &str) -> Result<PathBuf> {
    let d = scratch.join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

pub fn run(root: &Path, crlkit: &Path, scratch: &Path, runs: usize, quick: bool, big: &Path) -> Result<()> {
    let files = if quick { FILES / 10 } else { FILES };
    let input = inputs(root, scratch, files)?;
    let input_str = input.to_str().context("non-UTF-8 path")?.to_owned();
    let total: u64 = std::fs::read_dir(&input)?
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "crl"))
        .map(|e| e.metadata().map_or(0, |m| m.len()))
        .sum();
    let big_str = big.to_str().context("non-UTF-8 path")?.to_owned();
    let big_len = std::fs::metadata(big)?.len();
    // Warm the page cache for every tool.
    measure(Path::new("cat"), &[&format!("{input_str}/ca0000.crl")], None, true, scratch)?;
    for e in std::fs::read_dir(&input)?.flatten() {
        let _ = std::fs::read(e.path());
    }
    eprintln!("bench: bulk convert, {files} CRLs of {ENTRIES} entries ({total} bytes), {runs} runs each");
    let loop_script = "for f in \"$1\"/*.crl; do b=${f##*/}; openssl crl -inform DER -outform PEM -in \"$f\" -out \"$2/${b%.crl}.pem\" || exit 1; done";
    let (mut ours, mut peer, mut single, mut floor) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..runs {
        let out = fresh_dir(scratch, "bulk-out-crlkit")?;
        let out_str = out.to_str().context("non-UTF-8 path")?;
        ours.push(measure(crlkit, &["-q", "convert", &input_str, "--out-dir", out_str], None, true, scratch)?);
        let theirs = fresh_dir(scratch, "bulk-out-openssl")?;
        let theirs_str = theirs.to_str().context("non-UTF-8 path")?;
        peer.push(measure(Path::new("sh"), &["-c", loop_script, "sh", &input_str, theirs_str], None, true, scratch)?);
        if i == 0 {
            for e in std::fs::read_dir(&theirs)?.flatten() {
                if std::fs::read(e.path())? != std::fs::read(out.join(e.file_name()))? {
                    bail!("crlkit and openssl differ on {}", e.file_name().to_string_lossy());
                }
            }
        }
        // The floor: the same output files written by `cp -r` (no reading of CRLs, no encoding).
        let copy = scratch.join("bulk-out-cp");
        let _ = std::fs::remove_dir_all(&copy);
        floor.push(measure(Path::new("cp"), &["-r", out_str, copy.to_str().context("path")?], None, true, scratch)?);
        let one = scratch.join("bulk-single.pem");
        let _ = std::fs::remove_file(&one);
        single.push(measure(crlkit, &["convert", &big_str, "-o", one.to_str().context("path")?], None, true, scratch)?);
        let _ = std::fs::remove_file(&one);
    }
    let (o, o_rss) = medians(&ours);
    let (p, _) = medians(&peer);
    let (s, _) = medians(&single);
    let (f, _) = medians(&floor);
    let mb = |bytes: u64, secs: f64| bytes as f64 / 1e6 / secs;
    println!();
    println!(
        "{:<44} {:>10} {:>12} {:>8}",
        format!("bulk convert DER→PEM, {files} x {ENTRIES}"),
        "crlkit s",
        "openssl loop s",
        "ratio"
    );
    println!("{:<44} {:>10.3} {:>12.3} {:>7.1}x", "directory, --out-dir", o, p, p / o);
    println!(
        "floor: cp -r of the {files} outputs {f:.3} s; crlkit at {:.2}x the floor; the most any converter could reach here: {:.0}x",
        o / f,
        p / f
    );
    println!(
        "throughput: bulk {:.0} MB/s, one {} MB file {:.0} MB/s (bulk at {:.0}% of it); peak RSS of the bulk run {:.1} MiB",
        mb(total, o),
        big_len / 1_000_000,
        mb(big_len, s),
        100.0 * mb(total, o) / mb(big_len, s),
        o_rss as f64 / 1024.0
    );
    Ok(())
}
