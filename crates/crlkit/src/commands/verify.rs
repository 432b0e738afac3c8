//! `crlkit verify`: is this CRL signed by a CA of the bundle, allowed to be, and fresh?
//! One line per check; exit 0 valid, 1 invalid, 2 error.
//!
//! Entry validation and the signature check (hashing the whole tbsCertList) run side by side.

use std::fmt::Write as _;
use std::path::PathBuf;

use crlkit_verify::{Status, Verification};

use crate::cli::args::{AtArg, CrlInputs, CrlSources, JsonArg, LenientArg, ManyPaths};
use crate::support::certs::load_bundle;
use crate::support::checked::run_checks;
use crate::support::failure::Failure;
use crate::support::input::{self, Source};
use crate::support::json;
use crate::support::many;
use crate::support::outcome::Outcome;
use crate::support::term::{Style, stdout_paint};

const ABOUT: &str = "Check a CRL against a CA bundle: issuer, cRLSign, signature, critical extensions, freshness.";

const EXAMPLES: &str = "\
One line per check (pass, fail, warn, skip). Exit codes: 0 valid, 1 invalid, 2 error (unreadable
CRL or bundle). When several certificates share the issuer's name (key rollover), each is tried.
From stdin the CRL is read whole (up to 1 GiB): the signature covers all of it.

Many inputs (files and directories, walked for .crl, .der and .pem) are verified in parallel
and reported in sorted order; exit 1 if any is invalid, 2 if any could not be read (the others
are still checked; --fail-fast stops at the first).

Examples:
  crlkit verify pca.crl --ca ca-bundle.pem
  crlkit verify partitions/ --ca ca-bundle.pem
  crlkit verify pca.crl --ca ca.der --at 2026-12-01T00:00:00Z
  crlkit verify pca.crl --ca ca-bundle.pem --json | jq '.crls[0].checks'";

/// `crlkit verify` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    #[command(flatten)]
    input: CrlInputs,
    /// CA bundle: PEM (one or more certificates, text around them allowed) or DER.
    #[arg(long, value_name = "BUNDLE")]
    ca: PathBuf,
    #[command(flatten)]
    at: AtArg,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    lenient: LenientArg,
}

/// What `verify` was asked to do.
pub struct Verify {
    pub sources: CrlSources,
    pub ca: PathBuf,
    pub at: AtArg,
    pub json: bool,
    pub lenient: bool,
}

impl Args {
    pub fn config(self) -> Result<Verify, Failure> {
        Ok(Verify {
            sources: self.input.resolve()?,
            ca: self.ca,
            at: self.at,
            json: self.json.json,
            lenient: self.lenient.lenient,
        })
    }
}

/// Every CRL of one input: its issuer and verification.
type Verified = (String, Vec<(String, Verification)>, u64);

fn verify_source(source: &Source, c: &Verify, bundle: &crlkit_verify::CaBundle, at: i64) -> Result<Verified, Failure> {
    let loaded = input::load(source, c.lenient, "verify")?;
    input::notes(&loaded);
    verify_loaded(&loaded, c, bundle, at)
}

fn verify_loaded(
    loaded: &input::Loaded,
    c: &Verify,
    bundle: &crlkit_verify::CaBundle,
    at: i64,
) -> Result<Verified, Failure> {
    let checked = run_checks(loaded, c.lenient, Some(bundle), at)?;
    let entries = checked.iter().map(|ch| ch.stats.count).sum();
    let reports = checked
        .into_iter()
        .map(|ch| (ch.crl.issuer().rfc4514(), ch.verification.expect("verified against the bundle")))
        .collect();
    Ok((loaded.name.clone(), reports, entries))
}

/// Positive when every CRL is valid.
pub fn run(c: &Verify) -> Result<Outcome, Failure> {
    let at = c.at.or_now();
    let source = match &c.sources {
        CrlSources::One(s) => s,
        CrlSources::Many(m) => return run_many(c, m, &load_bundle(&c.ca)?, at),
    };
    // The input's own errors come first, as for every command.
    let loaded = input::load(source, c.lenient, "verify")?;
    input::notes(&loaded);
    let bundle = load_bundle(&c.ca)?;
    let (name, reports, _) = verify_loaded(&loaded, c, &bundle, at)?;
    let valid = reports.iter().all(|(_, r)| r.is_valid());
    let mut out = String::new();
    render(c, &name, &reports, at, &mut out);
    if c.json {
        out.push('\n');
    }
    crate::support::output::print_stdout(&out)?;
    Ok(Outcome::from_ok(valid))
}

fn run_many(c: &Verify, m: &ManyPaths, bundle: &crlkit_verify::CaBundle, at: i64) -> Result<Outcome, Failure> {
    let inputs = many::Inputs::find(&m.paths, m.follow_symlinks)?;
    let mut summary = many::Summary::new(&inputs.walk);
    let mut all_valid = true;
    let failures = many::report_each(
        &inputs,
        m.fail_fast,
        "verifying",
        c.json,
        &mut summary,
        |f| verify_source(&Source::File(f.path.clone()), c, bundle, at),
        |i, (name, reports, entries), summary, out| {
            summary.bytes += inputs.sizes[i];
            summary.entries += entries;
            all_valid &= reports.iter().all(|(_, r)| r.is_valid());
            render(c, &name, &reports, at, out);
        },
    )?;
    if c.json {
        let tail = json::Tail::new().member("valid", &(all_valid && summary.failed == 0));
        crate::support::output::print_stdout(&many::json_tail(tail, &inputs.walk, &summary))?;
    }
    many::finish(&summary, &failures, "verified", "read", inputs.files().len())?;
    Ok(Outcome::from_ok(all_valid))
}

/// One input's verification in `--json` (docs/JSON.md).
#[derive(serde::Serialize)]
struct FileRecord<'a> {
    file: &'a str,
    ca: &'a str,
    at: &'a str,
    valid: bool,
    crls: Vec<CrlRecord<'a>>,
}

/// One CRL of an input (a PEM bundle may hold several).
#[derive(serde::Serialize)]
struct CrlRecord<'a> {
    issuer: &'a str,
    valid: bool,
    /// Which certificate of the bundle signed it (0-based).
    issuer_certificate: Option<usize>,
    next_update_in_seconds: Option<i64>,
    checks: Vec<CheckRecord<'a>>,
}

#[derive(serde::Serialize)]
struct CheckRecord<'a> {
    check: &'a str,
    status: &'a str,
    detail: &'a str,
}

/// One input's verification, as text or one JSON object (no newline after it).
fn render(c: &Verify, name: &str, reports: &[(String, Verification)], at: i64, out: &mut String) {
    let valid = reports.iter().all(|(_, r)| r.is_valid());
    let at_text = crate::support::time::show(at);
    if c.json {
        let crls = reports
            .iter()
            .map(|(issuer, r)| CrlRecord {
                issuer,
                valid: r.is_valid(),
                issuer_certificate: r.issuer_position,
                next_update_in_seconds: r.next_update_in,
                checks: r
                    .checks
                    .iter()
                    .map(|ch| CheckRecord { check: ch.id.name(), status: ch.status.name(), detail: &ch.detail })
                    .collect(),
            })
            .collect();
        let ca = c.ca.display().to_string();
        json::push(out, &FileRecord { file: name, ca: &ca, at: &at_text, valid, crls });
    } else {
        for (i, (issuer, r)) in reports.iter().enumerate() {
            let which =
                if reports.len() > 1 { format!(" (CRL {} of {})", i + 1, reports.len()) } else { String::new() };
            let _ = writeln!(out, "{name}{which}: issuer {issuer}, checked at {at_text}");
            for ch in &r.checks {
                let style = match ch.status {
                    Status::Pass => Style::Green,
                    Status::Fail => Style::Red,
                    Status::Warn => Style::Yellow,
                    _ => Style::Dim,
                };
                let status = stdout_paint(&format!("{:<5}", ch.status.name()), style);
                let _ = writeln!(out, "  {status} {:<20} {}", ch.id.name(), ch.detail);
            }
            let verdict = match r.first_failure() {
                None if r.checks.iter().any(|c| c.status == Status::Warn) => "valid, with warnings".to_owned(),
                None => "valid".to_owned(),
                Some(f) => format!(
                    "INVALID ({} of {} checks failed, first: {})",
                    r.checks.iter().filter(|c| c.status == Status::Fail).count(),
                    r.checks.len(),
                    f.id.name()
                ),
            };
            let _ = writeln!(out, "result: {verdict}");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    #[test]
    fn flags() {
        let Command::Verify(a) =
            parse_args(&["verify", "c.crl", "--ca", "b.pem", "--at", "2017-03-09", "--json"]).unwrap().command
        else {
            panic!()
        };
        let v = a.config().unwrap();
        assert_eq!((v.at.at, v.json, v.ca.to_str()), (Some(1_489_017_600), true, Some("b.pem")));
        assert!(parse_args(&["verify", "c.crl"]).is_err(), "--ca is required");
        assert!(parse_args(&["verify", "c.crl", "--ca", "b", "--at", "soon"]).is_err());
        assert!(parse_args(&["verify", "c.crl", "--ca", "b", "--at", "@99999999999999"]).is_err(), "year > 9999");
        let Command::Verify(a) = parse_args(&["verify", "c", "--ca", "b", "--at", "@100"]).unwrap().command else {
            panic!()
        };
        assert_eq!(a.config().unwrap().at.at, Some(100));
    }
}
