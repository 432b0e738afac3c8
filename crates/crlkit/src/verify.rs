//! `crlkit verify`: is this CRL signed by a CA of the bundle, allowed to be, and fresh?
//! One line per check; exit 0 valid, 1 invalid, 2 error.
//!
//! Entry validation and the signature check (hashing the whole tbsCertList) run side by side.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crlkit_der::Time;
use crlkit_verify::{BundleError, CaBundle, Status, Verification, verify};

use crate::failure::Failure;
use crate::input::{self, Source};
use crate::json::Object;
use crate::term::{Style, stdout_paint};

pub struct Verify {
    pub source: Source,
    pub ca: PathBuf,
    pub at: Option<i64>,
    pub json: bool,
    pub lenient: bool,
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Load a CA bundle file, turning problems into failures that name the file.
pub fn load_bundle(path: &Path) -> Result<CaBundle, Failure> {
    let name = path.display().to_string();
    let bytes = input::read_file(path)?;
    CaBundle::from_bytes(&bytes).map_err(|e| match e {
        BundleError::Pem(err) => Failure::parse(&name, &err, Some(&bytes), None),
        BundleError::Certificate { position, error } => {
            Failure::new(error.kind().code(), format!("{name}: certificate {position}: {error}"))
        }
        BundleError::Empty => Failure::new("bad-bundle", format!("{name}: no certificate found")),
        _ => Failure::new("bad-bundle", format!("{name}: {e}")),
    })
}

/// One CRL of the input, validated, and verified when a bundle was given.
pub struct Checked<'a> {
    pub crl: crlkit_der::CrlRef<'a>,
    pub stats: crlkit_der::EntryStats,
    pub verification: Option<Verification>,
}

/// Parse and validate every CRL of the input and, with a bundle, verify it; entry validation
/// and the signature check run side by side.
pub fn run_checks<'a>(
    loaded: &'a input::Loaded,
    lenient: bool,
    bundle: Option<&CaBundle>,
    at: i64,
) -> Result<Vec<Checked<'a>>, Failure> {
    let crls = loaded.parse(input::profile(lenient))?;
    let mut out = Vec::new();
    for (crl, bytes) in crls.into_iter().zip(&loaded.crls) {
        let (stats, verification) = rayon::join(|| crl.validate(), || bundle.map(|b| verify(&crl, None, b, at)));
        let stats = stats.map_err(|e| loaded.failure(bytes, &e))?;
        let verification = verification.map(|mut v| {
            v.add_entry_stats(&stats);
            v
        });
        out.push(Checked { crl, stats, verification });
    }
    Ok(out)
}

/// Returns whether every CRL is valid.
pub fn run(c: &Verify) -> Result<bool, Failure> {
    let loaded = input::load(&c.source, c.lenient)?;
    input::notes(&loaded);
    let bundle = load_bundle(&c.ca)?;
    let at = c.at.unwrap_or_else(now);
    let reports: Vec<(String, Verification)> = run_checks(&loaded, c.lenient, Some(&bundle), at)?
        .into_iter()
        .map(|ch| (ch.crl.issuer().rfc4514(), ch.verification.expect("verified against the bundle")))
        .collect();
    let valid = reports.iter().all(|(_, r)| r.is_valid());
    let at_text = Time::from_unix(at).to_string();
    let mut out = String::new();
    if c.json {
        let mut o = Object::new(&mut out);
        o.str("file", &loaded.name);
        o.str("ca", &c.ca.display().to_string());
        o.str("at", &at_text);
        o.bool("valid", valid);
        let crls: Vec<String> = reports
            .iter()
            .map(|(issuer, r)| {
                let mut s = String::new();
                let mut co = Object::new(&mut s);
                co.str("issuer", issuer);
                co.bool("valid", r.is_valid());
                co.raw("issuer_certificate", &r.issuer_position.map_or("null".into(), |p| p.to_string()));
                co.raw("next_update_in_seconds", &r.next_update_in.map_or("null".into(), |n| n.to_string()));
                let checks: Vec<String> = r
                    .checks
                    .iter()
                    .map(|ch| {
                        let mut cs = String::new();
                        let mut o = Object::new(&mut cs);
                        o.str("check", ch.id.name());
                        o.str("status", ch.status.name());
                        o.str("detail", &ch.detail);
                        o.end();
                        cs
                    })
                    .collect();
                co.raw("checks", &format!("[{}]", checks.join(",")));
                co.end();
                s
            })
            .collect();
        o.raw("crls", &format!("[{}]", crls.join(",")));
        o.end();
        out.push('\n');
    } else {
        for (i, (issuer, r)) in reports.iter().enumerate() {
            let which =
                if reports.len() > 1 { format!(" (CRL {} of {})", i + 1, reports.len()) } else { String::new() };
            let _ = writeln!(out, "{}{which}: issuer {issuer}, checked at {at_text}", loaded.name);
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
    crate::output::print_stdout(&out)?;
    Ok(valid)
}
