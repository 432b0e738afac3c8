//! What `verify`, `preflight`, `stage` and `upload` share: every CRL of an input validated and,
//! with a CA bundle, verified, the two side by side; and ELB's preflight findings on them.

use crlkit_der::{CrlRef, EntryStats};
use crlkit_elb::preflight::{CrlFacts, Finding, Options, check_bundle, check_crl, check_file};
use crlkit_verify::{CaBundle, Verification, verify};

use crate::support::failure::Failure;
use crate::support::input::{self, Format, Loaded};

/// One CRL of the input, validated, and verified when a bundle was given.
pub struct Checked<'a> {
    pub crl: CrlRef<'a>,
    pub stats: EntryStats,
    pub verification: Option<Verification>,
}

/// Parse and validate every CRL of the input and, with a bundle, verify it at `at`; entry
/// validation and the signature check (hashing the whole tbsCertList) run side by side.
pub fn run_checks<'a>(
    loaded: &'a Loaded,
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
    loaded.check_unchanged()?;
    Ok(out)
}

/// Preflight's findings on checked CRLs at `at`: `(Some(crl index), finding)`, or `None` for
/// findings about the whole file or the bundle.
pub fn preflight_findings(
    loaded: &Loaded,
    crls: &[Checked<'_>],
    bundle: Option<&CaBundle>,
    at: i64,
    max_entries: Option<u64>,
) -> Vec<(Option<usize>, Finding)> {
    let mut opts = Options::at(at);
    if let Some(n) = max_entries {
        opts.max_entries = n;
    }
    let mut findings: Vec<(Option<usize>, Finding)> = check_file(crls.len()).into_iter().map(|f| (None, f)).collect();
    for (i, (checked, bytes)) in crls.iter().zip(&loaded.crls).enumerate() {
        let mut facts = CrlFacts::new(&checked.crl, checked.stats, loaded.format == Format::Der);
        facts.ber_rewrites = bytes.rewrites;
        findings.extend(check_crl(&facts, checked.verification.as_ref(), &opts).into_iter().map(|f| (Some(i), f)));
    }
    if let Some(b) = bundle {
        findings.extend(check_bundle(b, at).into_iter().map(|f| (None, f)));
    }
    findings
}
