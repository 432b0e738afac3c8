//! `crlkit bench`: how fast this machine runs each stage of a CRL pipeline, in process, on a
//! given CRL or a generated one: parse + validate, iterate, DER→PEM, PEM→DER, signature
//! verification, and a bulk check of a million serials. With `--compare-openssl`, the OpenSSL
//! command line does the same work on the same file and the ratio is printed. The project's
//! own measurements (`cargo xtask bench`) compare whole processes; this one is for users
//! sizing their pipeline.

use std::hint::black_box;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use crlkit_der::CrlRef;
use crlkit_der::pem;
use crlkit_serial::{Serial, SerialIndex};
use rayon::prelude::*;

use crate::cli::args::JsonArg;
use crate::support::failure::Failure;
use crate::support::input::{self, Source};
use crate::support::json;
use crate::support::outcome::Outcome;

const ABOUT: &str =
    "Measure this machine: parse, iterate, PEM, verify and bulk-check throughput, optionally next to OpenSSL.";

const EXAMPLES: &str = "\
Each stage runs in this process, on all threads unless --threads says otherwise, and reports
its median time, MB/s and entries/s: parse+validate, iterate (one thread), der-to-pem,
pem-to-der, verify (needs the CA: given with --ca, or the generated CRL's own), and check-1m (a
million serials, half of them revoked, against every entry). --compare-openssl times the
OpenSSL command line doing the same work on the same bytes (whole processes, so start-up and
file reading count against OpenSSL, and so the ratios matter more for big CRLs). A CRL on stdin
is read whole (up to 1 GiB). Exit codes: 0 measured, 2 error.

Examples:
  crlkit bench                                  a generated CRL of 1,000,000 entries
  crlkit bench --entries 5000000 --compare-openssl
  crlkit bench pca.crl --ca ca.pem --json
  crlkit --threads 1 bench --entries 100000";

/// `crlkit bench` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// A CRL file (DER or PEM) to measure on; without it, a generated one.
    #[arg(conflicts_with = "entries", value_name = "CRL")]
    input: Option<String>,
    /// Entries of the generated CRL.
    #[arg(long, value_name = "N")]
    entries: Option<u64>,
    /// CA bundle for the verify stage of a CRL from a file.
    #[arg(long, value_name = "BUNDLE", requires = "input")]
    ca: Option<PathBuf>,
    /// Runs per stage (the median is reported).
    #[arg(long, value_name = "N", default_value_t = 3)]
    runs: usize,
    /// Also time the OpenSSL command line on the same CRL and print the ratios.
    #[arg(long)]
    compare_openssl: bool,
    #[command(flatten)]
    json: JsonArg,
}

impl Args {
    pub fn config(self) -> Bench {
        Bench {
            input: self.input.as_deref().map(Source::parse),
            entries: self.entries.unwrap_or(1_000_000),
            ca: self.ca,
            runs: self.runs,
            json: self.json.json,
            compare_openssl: self.compare_openssl,
        }
    }
}

/// What `bench` was asked to do.
pub struct Bench {
    pub input: Option<Source>,
    pub entries: u64,
    pub ca: Option<PathBuf>,
    pub runs: usize,
    pub json: bool,
    pub compare_openssl: bool,
}

/// Serials in the bulk check.
const CHECK_SERIALS: u64 = 1_000_000;

/// One measured stage.
struct Stage {
    name: &'static str,
    what: &'static str,
    seconds: f64,
    /// Bytes the stage reads (DER, or PEM for decoding).
    bytes: u64,
    /// The OpenSSL command doing the same work, and its median time.
    openssl: Option<(String, f64)>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median wall time of `runs` runs of `f`.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> f64 {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                black_box(f());
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

/// PEM of `der`, encoded in parallel pieces straight into their final place.
fn encode_pem(der: &[u8]) -> Vec<u8> {
    const PIECE: usize = pem::LINE_INPUT * 16 * 1024;
    let mut out = vec![0u8; pem::pem_len(der.len())];
    let begin = pem::BEGIN_X509_CRL.len();
    let end_at = out.len() - pem::END_X509_CRL.len();
    out[..begin].copy_from_slice(pem::BEGIN_X509_CRL);
    out[end_at..].copy_from_slice(pem::END_X509_CRL);
    out[begin..end_at]
        .par_chunks_mut(pem::body_len(PIECE))
        .zip(der.par_chunks(PIECE))
        .for_each(|(o, i)| pem::encode_body_into(i, o));
    out
}

/// Run an OpenSSL command `runs` times; its median wall time.
fn openssl_time(runs: usize, args: &[&str]) -> Result<f64, Failure> {
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let status = Command::new("openssl")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| Failure::io("running openssl (is it installed?)", &e))?;
        if !status.success() {
            return Err(Failure::new("openssl", format!("openssl {} failed", args.join(" "))));
        }
        times.push(t.elapsed().as_secs_f64());
    }
    Ok(median(times))
}

/// A scratch file for OpenSSL to read, removed when dropped or when the run is interrupted.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        crate::support::signals::forget(&self.0);
    }
}

fn scratch(name: &str, bytes: &[u8]) -> Result<Scratch, Failure> {
    let path = std::env::temp_dir().join(format!("crlkit-bench-{}-{name}", std::process::id()));
    crate::support::signals::remember(&path);
    let scratch = Scratch(path);
    std::fs::write(&scratch.0, bytes).map_err(|e| Failure::io(format!("writing {}", scratch.0.display()), &e))?;
    Ok(scratch)
}

/// `bench --json` (docs/JSON.md).
#[derive(serde::Serialize)]
struct Report<'a> {
    input: &'a str,
    entries: u64,
    der_bytes: u64,
    pem_bytes: usize,
    threads: usize,
    runs: usize,
    stages: Vec<StageRecord<'a>>,
}

/// One stage's median time, and OpenSSL's for the same work with `--compare-openssl`.
#[derive(serde::Serialize)]
struct StageRecord<'a> {
    stage: &'a str,
    seconds: f64,
    mb_per_s: f64,
    entries_per_s: f64,
    /// Absent without `--compare-openssl`.
    #[serde(skip_serializing_if = "Option::is_none")]
    openssl_command: Option<&'a str>,
    openssl_seconds: Option<f64>,
    ratio: Option<f64>,
}

pub fn run(c: &Bench) -> Result<Outcome, Failure> {
    let runs = c.runs.max(1);
    // The CRL: the user's, or a generated one with its throwaway CA.
    // The validated entry counts come with a CRL from a file (validated there, so that an error
    // names the input as every command does); a generated one is validated below.
    type Input = (String, Vec<u8>, Option<Vec<u8>>, Option<crlkit_der::EntryStats>);
    let (name, der, ca_pem, validated): Input = match &c.input {
        Some(source) => {
            let loaded = input::load(source, false, "bench")?;
            let first = loaded.crls.first().ok_or_else(|| Failure::new("not-a-crl", "no CRL in the input"))?;
            let mut first_stats = None;
            for (crl, bytes) in loaded.parse(input::profile(false))?.iter().zip(&loaded.crls) {
                let stats = crl.validate().map_err(|e| loaded.failure(bytes, &e))?;
                first_stats.get_or_insert(stats);
            }
            let ca = match &c.ca {
                Some(p) => Some(std::fs::read(p).map_err(|e| Failure::io(format!("reading {}", p.display()), &e))?),
                None => None,
            };
            (loaded.name.clone(), loaded.der(first).to_vec(), ca, first_stats)
        }
        None => {
            let key = crlkit_sign::CaKey::generate(crlkit_sign::KeyKind::EcP256, 1)
                .map_err(|e| Failure::new("internal", e.to_string()))?;
            let now = crate::support::time::now();
            let ca = crlkit_sign::self_signed_ca(&key, "crlkit bench CA", now - 86_400, now + 365 * 86_400);
            let params = crlkit_sign::GenParams {
                entries: c.entries,
                seed: 1,
                this_update: now,
                next_update: Some(now + 7 * 86_400),
                crl_number: 1,
                reasons: true,
                issuing_distribution_point: None,
            };
            let mut der = Vec::new();
            crlkit_sign::generate(&mut der, &params, &ca, &key).map_err(|e| Failure::new("internal", e.to_string()))?;
            (format!("generated ({} entries, ECDSA P-256)", c.entries), der, Some(ca.pem().into_bytes()), None)
        }
    };
    let invalid = |e: crlkit_der::Error| {
        input::first_failure(&name, input::Format::Der, &der).unwrap_or_else(|| {
            let excerpt = crlkit_der::Excerpt::around(&der, 0, e.offset(), true);
            Failure::parse(&name, &e, Some(&excerpt), crate::support::failure::Place::Byte)
        })
    };
    let crl = CrlRef::from_der(&der).map_err(invalid)?;
    let stats = match validated {
        Some(stats) => stats,
        None => crl.validate().map_err(invalid)?,
    };
    let entries = stats.count;
    let der_len = der.len() as u64;
    let pem_bytes = encode_pem(&der);
    let bundle = match &ca_pem {
        Some(bytes) => {
            Some(crlkit_verify::CaBundle::from_bytes(bytes).map_err(|e| Failure::new("bad-bundle", e.to_string()))?)
        }
        None => None,
    };
    let mut stages = Vec::new();
    let t = time(runs, || CrlRef::from_der(&der).and_then(|c| c.validate()).map(|s| s.count));
    stages.push(Stage {
        name: "parse+validate",
        what: "every field and entry, strict DER",
        seconds: t,
        bytes: der_len,
        openssl: None,
    });
    let t = time(runs, || {
        let mut n = 0u64;
        for e in crl.entries().flatten() {
            n = n.wrapping_add(e.serial().der_content().len() as u64 ^ e.revocation_date().unix() as u64);
        }
        n
    });
    stages.push(Stage {
        name: "iterate",
        what: "serial, date, reason of each entry, one thread",
        seconds: t,
        bytes: der_len,
        openssl: None,
    });
    let t = time(runs, || encode_pem(&der).len());
    stages.push(Stage {
        name: "der-to-pem",
        what: "PEM encoding, byte-identical to OpenSSL's",
        seconds: t,
        bytes: der_len,
        openssl: None,
    });
    let t = time(runs, || pem::decode_all(&pem_bytes).map(|b| b.len()));
    stages.push(Stage {
        name: "pem-to-der",
        what: "strict PEM decoding",
        seconds: t,
        bytes: pem_bytes.len() as u64,
        openssl: None,
    });
    if let Some(bundle) = &bundle {
        let at = crl.this_update().unix();
        let t = time(runs, || crlkit_verify::verify(&crl, Some(&stats), bundle, at).is_valid());
        stages.push(Stage {
            name: "verify",
            what: "signature over the whole tbsCertList",
            seconds: t,
            bytes: der_len,
            openssl: None,
        });
    }
    // A million serials: every entry of the CRL up to half of them, the rest not revoked.
    let mut listed: Vec<Serial> = crl
        .entries()
        .flatten()
        .step_by((entries / (CHECK_SERIALS / 2)).max(1) as usize)
        .take((CHECK_SERIALS / 2) as usize)
        .map(|e| Serial::from_ref(e.serial()))
        .collect();
    let unlisted = crlkit_sign::Synthetic { seed: 0xc4ec, count: CHECK_SERIALS - listed.len() as u64, newest: 0 };
    listed
        .extend(unlisted.iter().map(|e| Serial::from_der_content(e.serial()).expect("synthetic serials are minimal")));
    let t = time(runs, || {
        let mut index: SerialIndex<Serial, ()> = SerialIndex::with_capacity(listed.len());
        for s in &listed {
            index.insert(s.clone(), ());
        }
        input::par_entries(&crl, |e| index.get(e.serial().der_content()).map(|_| ())).map(|(hits, _)| hits.len())
    });
    stages.push(Stage {
        name: "check-1m",
        what: "1,000,000 serials against every entry",
        seconds: t,
        bytes: der_len,
        openssl: None,
    });

    if c.compare_openssl {
        let der_file = scratch("crl.der", &der)?;
        let der_path = der_file.0.display().to_string();
        let pem_file = scratch("crl.pem", &pem_bytes)?;
        let pem_path = pem_file.0.display().to_string();
        let ca_file = match &ca_pem {
            Some(bytes) => Some(scratch("ca.pem", bytes)?),
            None => None,
        };
        let peer_runs = runs.min(3);
        for stage in &mut stages {
            let args: Vec<String> = match stage.name {
                "parse+validate" => vec!["crl", "-inform", "DER", "-noout", "-in", &der_path],
                "iterate" => vec!["crl", "-inform", "DER", "-noout", "-text", "-in", &der_path],
                "der-to-pem" => vec!["crl", "-inform", "DER", "-outform", "PEM", "-in", &der_path, "-out", "/dev/null"],
                "pem-to-der" => vec!["crl", "-inform", "PEM", "-outform", "DER", "-in", &pem_path, "-out", "/dev/null"],
                "verify" => match &ca_file {
                    Some(ca) => vec![
                        "crl",
                        "-inform",
                        "DER",
                        "-noout",
                        "-verify",
                        "-in",
                        &der_path,
                        "-CAfile",
                        ca.0.to_str().unwrap_or(""),
                    ],
                    None => continue,
                },
                _ => continue,
            }
            .into_iter()
            .map(str::to_owned)
            .collect();
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let t = openssl_time(peer_runs, &refs)?;
            stage.openssl = Some((format!("openssl {}", args.join(" ")), t));
        }
    }

    let mut out = String::new();
    if c.json {
        let stages = stages
            .iter()
            .map(|s| StageRecord {
                stage: s.name,
                seconds: json::rounded(s.seconds, 6),
                mb_per_s: json::rounded(s.bytes as f64 / 1e6 / s.seconds, 1),
                entries_per_s: json::rounded(entries as f64 / s.seconds, 0),
                openssl_command: s.openssl.as_ref().map(|(cmd, _)| cmd.as_str()),
                openssl_seconds: s.openssl.as_ref().map(|(_, secs)| json::rounded(*secs, 6)),
                ratio: s.openssl.as_ref().map(|(_, secs)| json::rounded(secs / s.seconds, 2)),
            })
            .collect();
        let report = Report {
            input: &name,
            entries,
            der_bytes: der_len,
            pem_bytes: pem_bytes.len(),
            threads: rayon::current_num_threads(),
            runs,
            stages,
        };
        json::push(&mut out, &report);
        out.push('\n');
    } else {
        out.push_str(&format!(
            "{name}: {entries} entries, {der_len} bytes DER, {} bytes PEM; {} thread(s), median of {runs} run(s)\n",
            pem_bytes.len(),
            rayon::current_num_threads()
        ));
        out.push_str(&format!("{:<16} {:>10} {:>10} {:>14}", "stage", "seconds", "MB/s", "entries/s"));
        if c.compare_openssl {
            out.push_str(&format!(" {:>10} {:>8}", "openssl s", "ratio"));
        }
        out.push('\n');
        for s in &stages {
            out.push_str(&format!(
                "{:<16} {:>10.4} {:>10.0} {:>14.0}",
                s.name,
                s.seconds,
                s.bytes as f64 / 1e6 / s.seconds,
                entries as f64 / s.seconds
            ));
            match &s.openssl {
                Some((_, secs)) => out.push_str(&format!(" {secs:>10.3} {:>7.1}x", secs / s.seconds)),
                None if c.compare_openssl => out.push_str(&format!(" {:>10} {:>8}", "-", "-")),
                None => {}
            }
            out.push_str(&format!("  {}\n", s.what));
        }
        if bundle.is_none() {
            out.push_str("(verify skipped: give --ca BUNDLE for a CRL from a file)\n");
        }
        if c.compare_openssl {
            out.push_str("(OpenSSL times are whole processes, including start-up and reading the file)\n");
        }
    }
    crate::support::output::print_stdout(&out)?;
    Ok(Outcome::Positive)
}
