//! `crlkit preflight`: is this CRL ready for an ELB trust store? Blocking findings versus
//! warnings; exit 0 ready, 1 blocking findings, 2 error.

use std::fmt::Write as _;

use crlkit_elb::partition::{Partition, SetOptions, check_set, find_sets};
use crlkit_elb::preflight::{Finding, Severity};

use crate::cli::args::{CrlInputs, CrlSources, JsonArg, LenientArg, ManyPaths, PreflightArgs};
use crate::support::checked::{preflight_findings, run_checks};
use crate::support::failure::Failure;
use crate::support::input::{self, Source};
use crate::support::json;
use crate::support::many;
use crate::support::outcome::Outcome;
use crate::support::term::{Style, stdout_paint};

const ABOUT: &str = "Is the CRL ready for an ELB trust store? Quotas, serials, extensions, freshness, signature.";

const EXAMPLES: &str = "\
Findings are blocking (do not upload), warning (read first; includes everything AWS does not
document, such as expired or delta CRLs) or info. Exit codes: 0 ready, 1 blocking findings,
2 error. From stdin the CRL is read whole (up to 1 GiB).

Many inputs (files and directories, walked for .crl, .der and .pem) are checked in parallel and
reported in sorted order; the partitions of one CA (same issuer and AKI, an issuing
distribution point each) are then checked as one set, each problem blocking with its own code:
set-too-many-files (over --max-files, 30), set-entry-count (all partitions together over
--max-entries, 500,000), set-stale-partition (a nextUpdate not after --at), set-mixed-crl-numbers
(not one generation), set-duplicate-idp, set-duplicate-serial (a serial in two partitions).
Exit 1 if any file or set has a blocking finding, 2 if any file could not be read.

Examples:
  crlkit preflight pca.crl
  crlkit preflight partitions/ --ca ca.pem           every partition, then the set
  crlkit preflight pca.crl --ca trust-store-bundle.pem
  crlkit preflight big.crl --max-entries 2000000     after AWS raised your quota";

/// `crlkit preflight` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    #[command(flatten)]
    input: CrlInputs,
    #[command(flatten)]
    checks: PreflightArgs,
    /// The trust store's revocation-file quota for a partitioned set, if AWS raised it from 30.
    #[arg(long, value_name = "N", default_value_t = crlkit_elb::quotas::MAX_REVOCATION_FILES)]
    max_files: u64,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    lenient: LenientArg,
}

/// What `preflight` was asked to do.
pub struct Preflight {
    pub sources: CrlSources,
    pub checks: PreflightArgs,
    pub max_files: u64,
    pub json: bool,
    pub lenient: bool,
}

impl Args {
    pub fn config(self) -> Result<Preflight, Failure> {
        Ok(Preflight {
            sources: self.input.resolve()?,
            checks: self.checks,
            max_files: self.max_files,
            json: self.json.json,
            lenient: self.lenient.lenient,
        })
    }
}

/// One input checked: its name, how many CRLs, the findings (with the CRL each is about), and
/// each CRL's facts for the set checks.
struct Checked {
    name: String,
    crls: usize,
    entries: u64,
    findings: Vec<(Option<usize>, Finding)>,
    partitions: Vec<Partition>,
}

fn check_source(
    source: &Source,
    c: &Preflight,
    bundle: Option<&crlkit_verify::CaBundle>,
    at: i64,
) -> Result<Checked, Failure> {
    let loaded = input::load(source, c.lenient, "preflight")?;
    input::notes(&loaded);
    let crls = run_checks(&loaded, c.lenient, bundle, at)?;
    let findings = preflight_findings(&loaded, &crls, bundle, at, c.checks.quota.max_entries);
    // Serial keys for the duplicate check across partitions (kept for CRLs with an IDP only).
    let partitions = crls.iter().map(|ch| Partition::new(loaded.name.clone(), &ch.crl, ch.stats.count, true)).collect();
    Ok(Checked {
        name: loaded.name.clone(),
        crls: crls.len(),
        entries: crls.iter().map(|ch| ch.stats.count).sum(),
        findings,
        partitions,
    })
}

/// Positive when the CRL is ready (no blocking finding).
pub fn run(c: &Preflight) -> Result<Outcome, Failure> {
    let at = c.checks.at.or_now();
    let bundle = c.checks.bundle()?;
    let source = match &c.sources {
        CrlSources::One(s) => s,
        CrlSources::Many(m) => return run_many(c, m, bundle.as_ref(), at),
    };
    let checked = check_source(source, c, bundle.as_ref(), at)?;
    let mut out = String::new();
    let ready = render(c, &checked, &mut out);
    if c.json {
        out.push('\n');
    }
    crate::support::output::print_stdout(&out)?;
    Ok(Outcome::from_ok(ready))
}

/// Serial keys kept for the set checks, at most (24 bytes each): beyond, a set is far over any
/// entry quota, which `set-entry-count` reports anyway.
const MAX_SERIALS_KEPT: usize = 20_000_000;

fn run_many(
    c: &Preflight,
    m: &ManyPaths,
    bundle: Option<&crlkit_verify::CaBundle>,
    at: i64,
) -> Result<Outcome, Failure> {
    let inputs = many::Inputs::find(&m.paths, m.follow_symlinks)?;
    let mut summary = many::Summary::new(&inputs.walk);
    let (mut all_ready, mut kept, mut dropped) = (true, 0usize, false);
    let mut partitions: Vec<Partition> = Vec::new();
    let failures = many::report_each(
        &inputs,
        m.fail_fast,
        "preflight",
        c.json,
        &mut summary,
        |f| check_source(&Source::File(f.path.clone()), c, bundle, at),
        |i, mut checked, summary, out| {
            summary.bytes += inputs.sizes[i];
            summary.entries += checked.entries;
            all_ready &= render(c, &checked, out);
            for p in &mut checked.partitions {
                kept += p.serials.len();
                if kept > MAX_SERIALS_KEPT {
                    dropped = true;
                    p.serials = Vec::new();
                }
            }
            partitions.append(&mut checked.partitions);
        },
    )?;
    if dropped {
        crate::support::term::note(format_args!(
            "over {MAX_SERIALS_KEPT} serials in partitions: serials of the later ones were not compared across partitions"
        ));
    }
    let opts = SetOptions { max_files: c.max_files, ..SetOptions::at(at).with_max_entries(c.checks.quota.max_entries) };
    let mut out = String::new();
    let mut sets_json = Vec::new();
    for set in find_sets(&partitions) {
        let findings = check_set(&set, &partitions, &opts);
        let blocking = findings.iter().filter(|f| f.severity == Severity::Blocking).count();
        all_ready &= blocking == 0;
        let files: Vec<&str> = set.members.iter().map(|&i| partitions[i].file.as_str()).collect();
        if c.json {
            sets_json.push(SetRecord {
                issuer: set.issuer.clone(),
                authority_key_id: set.authority_key_id.clone(),
                files: files.iter().map(|f| f.to_string()).collect(),
                entries: set.entries(&partitions),
                ready: blocking == 0,
                blocking,
                findings: findings.into_iter().map(|finding| FindingRecord { finding, crl: None }).collect(),
            });
        } else {
            let verdict = if blocking == 0 { "ready for ELB as one unit" } else { "NOT ready for ELB" };
            let _ = writeln!(
                out,
                "partitioned set of {} CRL(s) of {} (AKI {}): {verdict} ({blocking} blocking)",
                files.len(),
                set.issuer,
                set.authority_key_id.as_deref().unwrap_or("absent")
            );
            let mut sorted: Vec<&Finding> = findings.iter().collect();
            sorted.sort_by_key(|f| f.severity);
            for f in sorted {
                finding_line(&mut out, f, "");
            }
        }
    }
    if c.json {
        let tail = json::Tail::new().member("sets", &sets_json).member("ready", &(all_ready && summary.failed == 0));
        out.push_str(&many::json_tail(tail, &inputs.walk, &summary));
    }
    crate::support::output::print_stdout(&out)?;
    many::finish(&summary, &failures, "checked", "read", inputs.files().len())?;
    Ok(Outcome::from_ok(all_ready))
}

/// A finding in `--json`: `{"code", "severity", "message", "crl"}`, `crl` saying which CRL of a
/// PEM bundle it is about (0-based; `null` for the input as a whole or a set).
#[derive(serde::Serialize)]
struct FindingRecord<F: serde::Serialize> {
    #[serde(flatten)]
    finding: F,
    crl: Option<usize>,
}

/// One input's verdict in `--json`.
#[derive(serde::Serialize)]
struct FileRecord<'a> {
    file: &'a str,
    ready: bool,
    blocking: usize,
    warnings: usize,
    findings: Vec<FindingRecord<&'a Finding>>,
}

/// A partitioned set's verdict in `--json` (`"sets"`).
#[derive(serde::Serialize)]
struct SetRecord {
    issuer: String,
    authority_key_id: Option<String>,
    files: Vec<String>,
    entries: u64,
    ready: bool,
    blocking: usize,
    findings: Vec<FindingRecord<Finding>>,
}

fn finding_line(out: &mut String, f: &Finding, which: &str) {
    let style = match f.severity {
        Severity::Blocking => Style::Red,
        Severity::Warning => Style::Yellow,
        _ => Style::Dim,
    };
    let severity = stdout_paint(&format!("{:<8}", f.severity.name()), style);
    let _ = writeln!(out, "  {severity} {:<32} {which}{}", f.code, f.message);
}

/// One input's verdict, as text or one JSON object (no newline after it); true when ready.
fn render(c: &Preflight, checked: &Checked, out: &mut String) -> bool {
    let findings = &checked.findings;
    let blocking = findings.iter().filter(|(_, f)| f.severity == Severity::Blocking).count();
    let warnings = findings.iter().filter(|(_, f)| f.severity == Severity::Warning).count();
    let ready = blocking == 0;
    if c.json {
        let findings = findings.iter().map(|(crl, finding)| FindingRecord { finding, crl: *crl }).collect();
        json::push(out, &FileRecord { file: &checked.name, ready, blocking, warnings, findings });
    } else {
        let verdict = if ready { "ready for ELB" } else { "NOT ready for ELB" };
        let _ = writeln!(
            out,
            "{}: {verdict} ({blocking} blocking, {warnings} warning{})",
            checked.name,
            if warnings == 1 { "" } else { "s" }
        );
        let mut sorted: Vec<&(Option<usize>, Finding)> = findings.iter().collect();
        sorted.sort_by_key(|(_, f)| f.severity);
        for (crl, f) in sorted {
            let which = match crl {
                Some(i) if checked.crls > 1 => format!("[CRL {}] ", i + 1),
                _ => String::new(),
            };
            finding_line(out, f, &which);
        }
    }
    ready
}

#[cfg(test)]
mod tests {
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    #[test]
    fn flags() {
        let Command::Preflight(a) = parse_args(&["preflight", "c.crl", "--max-entries", "7"]).unwrap().command else {
            panic!()
        };
        let p = a.config().unwrap();
        assert_eq!((p.checks.quota.max_entries, p.checks.ca.is_none(), p.checks.at.at), (Some(7), true, None));
    }
}
